"""Change notification: a sequence-numbered event log with waiters and subscribers."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any


class Notifier:
    """Wakes every waiter on :meth:`notify`; :meth:`close` wakes them for good."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self.closed = False

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    def close(self) -> None:
        self.closed = True
        self._event.set()

    def reopen(self) -> None:
        self.closed = False
        self._event = asyncio.Event()

    def wait(self, seconds: float) -> Coroutine[Any, Any, bool]:
        """Wait for the next notification; False on timeout or when closed.

        The event is taken when `wait` is called, not when the coroutine first runs, so a
        notification between `ensure_future(notifier.wait(...))` and its first step is kept.
        """
        return self._wait(self._event, seconds)

    async def _wait(self, event: asyncio.Event, seconds: float) -> bool:
        if self.closed or seconds <= 0:
            return False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), seconds)
            return not self.closed
        return False


@dataclass(frozen=True)
class Event:
    seq: int
    kind: str
    data: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "kind": self.kind, "data": self.data}


class EventLog:
    """Events (``message_new``, ``message_edited``, ``message_deleted``, ...) for live UIs."""

    def __init__(self, keep: int = 10_000) -> None:
        self._events: deque[Event] = deque(maxlen=keep)
        self._seq = 0
        self.notifier = Notifier()

    @property
    def last_seq(self) -> int:
        return self._seq

    def emit(self, kind: str, data: dict[str, Any]) -> Event:
        self._seq += 1
        event = Event(self._seq, kind, data)
        self._events.append(event)
        self.notifier.notify()
        return event

    def since(self, seq: int) -> list[Event]:
        return [e for e in self._events if e.seq > seq]

    async def wait_since(self, seq: int, seconds: float) -> list[Event]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            events = self.since(seq)
            remaining = deadline - loop.time()
            if events or remaining <= 0 or self.notifier.closed:
                return events
            await self.notifier.wait(remaining)

    def clear(self) -> None:
        self._events.clear()
