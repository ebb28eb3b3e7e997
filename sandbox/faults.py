"""Injected faults: answer the next N calls of a method with an error, a hang or a reset."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FAULT_KINDS = ("429", "500", "502", "timeout", "reset")


@dataclass
class Fault:
    """``kind``: 429 (with ``retry_after``), 500, 502 (an HTML page), ``timeout``
    (hold the connection ``hold_seconds``) or ``reset`` (drop the connection).

    ``after_execute`` runs the call first (the message is sent) and then fails the
    answer, the case that makes naive retries send duplicates.
    """

    method: str
    kind: str
    remaining: int = 1
    retry_after: int = 5
    hold_seconds: float = 120.0
    after_execute: bool = False
    fired: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "kind": self.kind,
            "remaining": self.remaining,
            "retry_after": self.retry_after,
            "hold_seconds": self.hold_seconds,
            "after_execute": self.after_execute,
            "fired": self.fired,
        }


class FaultInjector:
    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self.fired_total = 0

    def add(self, fault: Fault) -> Fault:
        if fault.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {fault.kind!r}; one of {FAULT_KINDS}")
        if fault.remaining < 1:
            raise ValueError("count must be at least 1")
        self.faults.append(fault)
        return fault

    def take(self, method: str) -> Fault | None:
        """The fault to apply to this call of ``method`` (lower-case), if any."""
        for fault in self.faults:
            if fault.method in (method, "*") and fault.remaining > 0:
                fault.remaining -= 1
                fault.fired += 1
                self.fired_total += 1
                if fault.remaining == 0:
                    self.faults.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        self.faults.clear()
        self.fired_total = 0
