"""How far a broadcast has got, in one line a coordinator can read at a glance."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from core.enums import DeliveryState


@dataclass(frozen=True)
class DeliveryCounts:
    """How many copies of one alert are in each state."""

    pending: int = 0
    sending: int = 0
    sent: int = 0
    failed: int = 0
    blocked: int = 0
    cancelled: int = 0
    recalled: int = 0

    @classmethod
    def from_states(cls, counts: Mapping[DeliveryState, int]) -> DeliveryCounts:
        """Counts keyed by delivery state (states not given count zero)."""
        return cls(**{state.value: int(counts.get(state, 0)) for state in DeliveryState})

    @property
    def total(self) -> int:
        """Every copy planned."""
        return (
            self.pending
            + self.sending
            + self.sent
            + self.failed
            + self.blocked
            + self.cancelled
            + self.recalled
        )

    @property
    def delivered(self) -> int:
        """Copies that reached someone (including those since recalled)."""
        return self.sent + self.recalled

    @property
    def remaining(self) -> int:
        """Copies still to be sent."""
        return self.pending + self.sending


def progress_text(counts: DeliveryCounts, *, rate_per_second: float) -> str:
    """E.g. "Sent 4,210 of 10,000 · 3 blocked · 0 failed · about 3 min left"."""
    parts = [
        f"Sent {counts.delivered:,} of {counts.total:,}",
        f"{counts.blocked:,} blocked",
        f"{counts.failed:,} failed",
    ]
    if counts.cancelled:
        parts.append(f"{counts.cancelled:,} cancelled")
    if counts.recalled:
        parts.append(f"{counts.recalled:,} recalled")
    parts.append(time_left(counts.remaining, rate_per_second))
    return " · ".join(parts)


def time_left(remaining: int, rate_per_second: float) -> str:
    """ "done", "less than a minute left", or "about N min left" at the given pace."""
    if remaining <= 0:
        return "done"
    seconds = remaining / max(rate_per_second, 0.001)
    if seconds < 60:
        return "less than a minute left"
    minutes = max(1, round(seconds / 60))
    if minutes < 120:
        return f"about {minutes} min left"
    return f"about {math.ceil(minutes / 60)} h left"
