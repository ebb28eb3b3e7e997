"""The live bot on an event loop of its own thread, for synchronous callers like Hypothesis."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeVar

from storage.db import Database
from tests.support.backends import Backend
from tests.support.live import LiveBot, running_bot

T = TypeVar("T")
CALL_TIMEOUT = 60.0


class ThreadedBot:
    """Starts the sandbox and the bot once; `run` awaits a coroutine on their loop."""

    def __init__(self, backend: Backend, *, mode: str) -> None:
        self.backend = backend
        self.mode = mode
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._context: AbstractAsyncContextManager[LiveBot] | None = None
        self.live: LiveBot
        self.database: Database

    def run(self, work: Coroutine[Any, Any, T], *, timeout: float = CALL_TIMEOUT) -> T:
        """The result of `work`, run on the bot's loop."""
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout)

    async def _start(self) -> None:
        self._context = running_bot(self.backend, mode=self.mode)
        self.live = await self._context.__aenter__()
        self.database = Database(self.backend.database_url)

    async def _stop(self) -> None:
        await self.database.close()
        if self._context is not None:
            await self._context.__aexit__(None, None, None)

    def __enter__(self) -> ThreadedBot:
        self._thread.start()
        self.run(self._start())
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.run(self._stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=10)
            self.loop.close()
