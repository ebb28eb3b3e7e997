"""Wires the bot, the dispatcher, storage and the scheduler together for one process."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, DefaultKeyBuilder
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage
from redis.asyncio import Redis

from bot.flood import Counter, FloodLimit, MemoryCounter, RedisCounter
from bot.middlewares import DbSessionMiddleware, IgnoreAutomaticForwards, PersonMiddleware
from bot.retry import RetryAfterMiddleware
from bot.settings import Settings
from core.clock import Clock, SystemClock
from handlers import get_routers
from storage.db import Database

logger = logging.getLogger(__name__)

REQUEST_TIMEOUT_SECONDS = 30


def build_bot(settings: Settings, *, timeout: float = REQUEST_TIMEOUT_SECONDS) -> Bot:
    """A Bot that talks to TELEGRAM_API_URL (the real API, or a local stand-in)."""
    if settings.bot_token is None:
        raise ValueError("BOT_TOKEN is required to build a bot")
    session = AiohttpSession(
        api=TelegramAPIServer.from_base(settings.telegram_api_url), timeout=timeout
    )
    session.middleware(RetryAfterMiddleware())
    return Bot(
        token=settings.bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(link_preview_is_disabled=True),
    )


def build_fsm(
    redis: Redis | None, prefix: str, keep_for: timedelta
) -> tuple[BaseStorage, BaseEventIsolation]:
    """Conversation state and per-chat locking: in Redis when configured, else in memory.

    Redis forgets an abandoned conversation (and the answers in it) after `keep_for`.
    """
    if redis is None:
        return MemoryStorage(), SimpleEventIsolation()
    key_builder = DefaultKeyBuilder(prefix=prefix, with_destiny=True)
    return (
        RedisStorage(redis, key_builder=key_builder, state_ttl=keep_for, data_ttl=keep_for),
        RedisEventIsolation(redis, key_builder=key_builder),
    )


@dataclass
class Components:
    """What one running ShopWatch process is made of."""

    settings: Settings
    database: Database
    redis: Redis | None
    clock: Clock = field(default_factory=SystemClock)
    redis_prefix: str = "shopwatch"


def build_dispatcher(components: Components) -> Dispatcher:
    """The dispatcher with middlewares, routers and the services handlers receive."""
    keep_for = timedelta(hours=components.settings.report_idle_hours) + timedelta(hours=1)
    storage, isolation = build_fsm(components.redis, components.redis_prefix, keep_for)
    workflow: dict[str, Any] = {
        "settings": components.settings,
        "clock": components.clock,
        "database": components.database,
    }
    dispatcher = Dispatcher(storage=storage, events_isolation=isolation, **workflow)
    # aiogram closes the FSM storage (and with it the shared Redis client) as soon as polling
    # stops, while updates already being handled still need it; the process closes Redis
    # itself once they have finished.
    dispatcher.shutdown.handlers = [
        handler
        for handler in dispatcher.shutdown.handlers
        if handler.callback != dispatcher.fsm.close
    ]
    counter: Counter = (
        RedisCounter(components.redis, components.redis_prefix)
        if components.redis is not None
        else MemoryCounter()
    )
    dispatcher.update.outer_middleware(
        FloodLimit(counter, components.settings.flood_limit_per_minute)
    )
    dispatcher.update.outer_middleware(DbSessionMiddleware(components.database.sessions))
    dispatcher.update.outer_middleware(PersonMiddleware(components.settings.admin_user_ids))
    dispatcher.message.outer_middleware(IgnoreAutomaticForwards())
    dispatcher.include_routers(*get_routers())
    return dispatcher
