"""A per-person limit on updates, shared across processes through Redis when it is there."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, TelegramObject, Update, User
from redis.asyncio import Redis

SLOW_DOWN = (
    "You're sending messages faster than I can keep up with. Please wait a minute: the "
    "messages you send until then won't reach me, so send them again afterwards. Anything "
    "you had already confirmed is safe."
)
WINDOW_SECONDS = 60

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class Counter(Protocol):
    """Counts one person's updates in the minute that began with their first one."""

    async def hit(self, user_id: int) -> int: ...


class MemoryCounter:
    """Counts in this process (single-process deployments)."""

    def __init__(self) -> None:
        self._windows: dict[int, tuple[float, int]] = {}

    async def hit(self, user_id: int) -> int:
        now = time.monotonic()
        started, count = self._windows.get(user_id, (now, 0))
        if now - started >= WINDOW_SECONDS:
            started, count = now, 0
        self._windows[user_id] = (started, count + 1)
        if len(self._windows) > 100_000:
            self._windows = {
                user: window
                for user, window in self._windows.items()
                if now - window[0] < WINDOW_SECONDS
            }
        return count + 1


class RedisCounter:
    """Counts in Redis, so every replica sees the same total."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix

    async def hit(self, user_id: int) -> int:
        key = f"{self.prefix}:flood:{user_id}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, WINDOW_SECONDS, nx=True)
            count, _ = await pipe.execute()
        return int(count)


class FloodLimit(BaseMiddleware):
    """Drops a person's updates past the limit in a minute, telling them once."""

    def __init__(self, counter: Counter, limit: int) -> None:
        self.counter = counter
        self.limit = limit

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None or user.is_bot:
            return await handler(event, data)
        count = await self.counter.hit(user.id)
        if count <= self.limit:
            return await handler(event, data)
        if count == self.limit + 1 and isinstance(event, Update):
            await _tell(event)
        return None


async def _tell(update: Update) -> None:
    if update.message is not None and update.message.chat.type == "private":
        await update.message.answer(SLOW_DOWN)
    elif isinstance(update.callback_query, CallbackQuery):
        await update.callback_query.answer(SLOW_DOWN[:200], show_alert=True)
