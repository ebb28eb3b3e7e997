"""One update at a time per chat across processes, with locks that lapse soon after a crash.

aiogram's Redis lock is held for up to 60 seconds: when a process dies holding one, that
person's next message (and, as Telegram delivers a webhook's updates in order, everyone's)
waits a minute. These locks last a few seconds and are renewed while the update is handled.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

from aiogram.fsm.storage.base import BaseEventIsolation, KeyBuilder, StorageKey
from redis.asyncio import Redis
from redis.asyncio.lock import Lock
from redis.exceptions import LockError, RedisError

logger = logging.getLogger(__name__)

HOLD_SECONDS = 6.0


class RenewedChatLocks(BaseEventIsolation):
    """Per-chat Redis locks, renewed while held, that lapse `hold_seconds` after a crash."""

    def __init__(
        self, redis: Redis, key_builder: KeyBuilder, *, hold_seconds: float = HOLD_SECONDS
    ) -> None:
        self.redis = redis
        self.key_builder = key_builder
        self.hold_seconds = hold_seconds

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        chat_lock = self.redis.lock(
            self.key_builder.build(key, "lock"), timeout=self.hold_seconds, sleep=0.05
        )
        await chat_lock.acquire()
        renewal = asyncio.create_task(self._renew(chat_lock))
        try:
            yield None
        finally:
            renewal.cancel()
            await asyncio.gather(renewal, return_exceptions=True)
            try:
                await chat_lock.release()
            except LockError:
                logger.warning("a chat lock lapsed before its update was handled")

    async def _renew(self, chat_lock: Lock) -> None:
        while True:
            await asyncio.sleep(self.hold_seconds / 3)
            try:
                await chat_lock.reacquire()
            except LockError:
                return
            except RedisError as error:
                logger.warning("could not renew a chat lock: %s", type(error).__name__)

    async def close(self) -> None:
        """Nothing to close: the Redis client belongs to the process."""
