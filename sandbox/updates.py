"""Per-bot update queue: confirmation by offset, long polling, allowed_updates."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sandbox.errors import ApiError
from sandbox.events import Notifier

logger = logging.getLogger(__name__)

# Update kinds a bot only gets when it asks for them explicitly.
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

CONFLICT_OTHER_POLL = ApiError(
    409,
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running",
)


class UpdateQueue:
    """Updates waiting for one bot, oldest first."""

    def __init__(self) -> None:
        self.pending: list[dict[str, Any]] = []
        self.next_update_id = 1
        self.allowed_updates: list[str] | None = None
        self.notifier = Notifier()
        self.dropped = 0
        self._poll_generation = 0

    def reset(self) -> None:
        self.pending.clear()
        self.allowed_updates = None
        self.dropped = 0
        self.notifier.notify()

    def allows(self, kind: str) -> bool:
        if not self.allowed_updates:
            return kind not in OPT_IN_UPDATES
        return kind in self.allowed_updates

    def push(self, kind: str, payload: dict[str, Any]) -> int | None:
        """Queue an update; returns its id, or None if the bot does not take this kind."""
        if not self.allows(kind):
            self.dropped += 1
            return None
        update_id = self.next_update_id
        self.next_update_id += 1
        self.pending.append({"update_id": update_id, kind: payload})
        self.notifier.notify()
        return update_id

    def confirm(self, offset: int) -> None:
        if offset > 0:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]
        elif offset < 0:
            self.pending = self.pending[offset:]

    def drop_all(self) -> None:
        self.pending.clear()

    def set_allowed(self, allowed: list[str] | None) -> None:
        if allowed is None:
            return
        # Like Telegram, this doesn't affect updates created before the call.
        self.allowed_updates = list(allowed)

    def remove(self, update_id: int) -> None:
        self.pending = [u for u in self.pending if u["update_id"] != update_id]

    async def get(
        self,
        offset: int | None,
        limit: int,
        seconds: float,
        allowed_updates: list[str] | None,
        closing: Notifier,
    ) -> list[dict[str, Any]]:
        """``getUpdates``: confirm, then wait up to ``seconds`` for updates."""
        if offset is not None:
            self.confirm(offset)
        self.set_allowed(allowed_updates)
        self._poll_generation += 1
        generation = self._poll_generation
        self.notifier.notify()  # an older poll, if any, ends with 409
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, seconds)
        while True:
            if generation != self._poll_generation:
                raise CONFLICT_OTHER_POLL
            if self.pending or closing.closed:
                return self.pending[:limit]
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            waiter = asyncio.ensure_future(self.notifier.wait(remaining))
            closer = asyncio.ensure_future(closing.wait(remaining))
            try:
                await asyncio.wait({waiter, closer}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in (waiter, closer):
                    if not task.done():
                        task.cancel()
                await asyncio.gather(waiter, closer, return_exceptions=True)

    def interrupt_polls(self) -> None:
        """Make a running long poll return a 409 (another poll or a webhook took over)."""
        self._poll_generation += 1
        self.notifier.notify()
