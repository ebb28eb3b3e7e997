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
    """Counts one person's distinct updates in the minute that began with their first one.

    A copy of an update Telegram delivers again is not counted twice: `hit` returns whether
    the update was new, and the count so far.
    """

    async def hit(self, user_id: int, update_id: int) -> tuple[bool, int]: ...


class MemoryCounter:
    """Counts in this process (single-process deployments)."""

    def __init__(self) -> None:
        self._windows: dict[int, tuple[float, set[int]]] = {}

    async def hit(self, user_id: int, update_id: int) -> tuple[bool, int]:
        now = time.monotonic()
        started, seen = self._windows.get(user_id, (now, set()))
        if now - started >= WINDOW_SECONDS:
            started, seen = now, set()
        new = update_id not in seen
        seen.add(update_id)
        self._windows[user_id] = (started, seen)
        if len(self._windows) > 100_000:
            self._windows = {
                user: window
                for user, window in self._windows.items()
                if now - window[0] < WINDOW_SECONDS
            }
        return new, len(seen)


class RedisCounter:
    """Counts in Redis, so every replica sees the same total."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix

    async def hit(self, user_id: int, update_id: int) -> tuple[bool, int]:
        key = f"{self.prefix}:flood-updates:{user_id}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.sadd(key, update_id)
            pipe.scard(key)
            pipe.expire(key, WINDOW_SECONDS, nx=True)
            added, count, _ = await pipe.execute()
        return bool(added), int(count)


class FloodLimit(BaseMiddleware):
    """Drops a person's updates past the limit in a minute, telling them once."""

    def __init__(self, counter: Counter, limit: int) -> None:
        self.counter = counter
        self.limit = limit

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None or user.is_bot:
            return await handler(event, data)
        update_id = event.update_id if isinstance(event, Update) else id(event)
        new, count = await self.counter.hit(user.id, update_id)
        if count <= self.limit:
            return await handler(event, data)
        if new and count == self.limit + 1 and isinstance(event, Update):
            await _tell(event)
        return None


async def _tell(update: Update) -> None:
    if update.message is not None and update.message.chat.type == "private":
        await update.message.answer(SLOW_DOWN)
    elif isinstance(update.callback_query, CallbackQuery):
        await update.callback_query.answer(SLOW_DOWN[:200], show_alert=True)
