"""Telegram delivering the same update again: catch an update, then hand it over N times."""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sandbox.server import SandboxServer
from sandbox.world import BotAccount

Update = dict[str, Any]


class HeldUpdates:
    """Updates the sandbox made for the bot, kept back from it until the test delivers them."""

    def __init__(self, server: SandboxServer) -> None:
        self.sandbox = server.sandbox
        self.account: BotAccount = server.sandbox.default_bot
        self.caught: list[Update] = []

    @contextmanager
    def catching(self) -> Iterator[list[Update]]:
        """While open, every new update for the bot is caught instead of queued."""
        queue = self.account.queue
        push = queue.push

        def catch(kind: str, payload: dict[str, Any]) -> int | None:
            update_id = push(kind, payload)
            if update_id is not None:
                held = queue.pending.pop()
                assert held["update_id"] == update_id
                self.caught.append(held)
            return update_id

        queue.push = catch  # type: ignore[method-assign]
        try:
            yield self.caught
        finally:
            del queue.push

    async def deliver(self, update: Update, *, times: int = 1) -> None:
        """Queues `times` copies of the update at once (one getUpdates batch when polling)."""
        queue = self.account.queue
        queue.pending.extend(copy.deepcopy(update) for _ in range(times))
        queue.notifier.notify()
        self.sandbox.webhooks.kick(self.account)
        await self._until(lambda: all(u["update_id"] != update["update_id"] for u in queue.pending))

    async def deliver_one_by_one(self, update: Update, *, times: int) -> None:
        """Delivers the update `times` times, each copy after the last one was answered."""
        for _ in range(times):
            await self.deliver(update)

    @staticmethod
    async def _until(done: Any, within: float = 30.0) -> None:
        deadline = time.monotonic() + within
        while not done():
            assert time.monotonic() < deadline, "the bot never took the update"
            await asyncio.sleep(0.01)
