"""Wires the bot, the dispatcher, storage and the scheduler together for one process."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aiogram import Bot, Dispatcher, Router, methods
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, DefaultKeyBuilder
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.methods.base import Response, TelegramMethod
from redis.asyncio import Redis

from bot.chat_lock import RenewedChatLocks
from bot.conversation_marks import MarkingStorage
from bot.files import RefuseLargeFiles
from bot.flood import Counter, FloodLimit, MemoryCounter, RedisCounter
from bot.late_answers import LateAnswersAreNoFailure
from bot.middlewares import DbSessionMiddleware, IgnoreAutomaticForwards, PersonMiddleware
from bot.once import OncePerUpdate
from bot.oversized_ids import OversizedIdButtons
from bot.retry import RetryAfterMiddleware
from bot.settings import Settings
from core.clock import Clock, SystemClock
from handlers import get_routers
from handlers.blocking import BlockNoticeMiddleware
from handlers.lost_conversations import LostConversationButtons
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
    session.middleware(LateAnswersAreNoFailure())
    keep_answer_types()
    return Bot(
        token=settings.bot_token.get_secret_value(),
        session=session,
        # A reply still goes out when the message it answers was deleted meanwhile.
        default=DefaultBotProperties(
            link_preview_is_disabled=True, allow_sending_without_reply=True
        ),
    )


_ANSWER_TYPES: list[type[Response[Any]]] = []


def keep_answer_types() -> None:
    """Builds the class each Bot API answer is read into once, for the process's lifetime."""
    # aiogram reads every answer into `Response[<result type>]`; pydantic drops such a generic
    # class whenever a garbage collection finds nothing else holding it, and the next call
    # rebuilds it, which takes milliseconds. Holding one per method keeps them built.
    if not _ANSWER_TYPES:
        _ANSWER_TYPES.extend(
            Response[method.__returning__]  # type: ignore[name-defined]
            for method in vars(methods).values()
            if isinstance(method, type)
            and issubclass(method, TelegramMethod)
            and method is not TelegramMethod
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
        RenewedChatLocks(redis, key_builder),
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
    storage = MarkingStorage(storage, components.database.sessions, components.clock)
    workflow: dict[str, Any] = {
        "settings": components.settings,
        "clock": components.clock,
        "database": components.database,
    }
    # The FSM middleware (and its per-chat lock) is registered below, after the flood limit.
    dispatcher = Dispatcher(
        storage=storage, events_isolation=isolation, disable_fsm=True, **workflow
    )
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
    # A flood is dropped before it waits for the chat's lock or costs a database write, so
    # one person's burst cannot hold the update slots and pool connections the others need.
    # Copies of one update count once (bot/flood.py), so a redelivery is not flooding.
    dispatcher.update.outer_middleware(
        FloodLimit(counter, components.settings.flood_limit_per_minute)
    )
    dispatcher.update.outer_middleware(
        OncePerUpdate(components.database.sessions).renewed_by(dispatcher)
    )
    dispatcher.update.outer_middleware(dispatcher.fsm)
    dispatcher.update.outer_middleware(DbSessionMiddleware(components.database.sessions))
    dispatcher.update.outer_middleware(PersonMiddleware(components.settings.admin_user_ids))
    dispatcher.message.outer_middleware(IgnoreAutomaticForwards())
    dispatcher.message.outer_middleware(RefuseLargeFiles())
    dispatcher.message.outer_middleware(BlockNoticeMiddleware())
    dispatcher.callback_query.outer_middleware(OversizedIdButtons())
    dispatcher.callback_query.outer_middleware(LostConversationButtons())
    dispatcher.include_routers(*get_routers())
    check_filters_inline(dispatcher)
    return dispatcher


def check_filters_inline(router: Router) -> None:
    """Checks `F...` and conversation-step filters in the event loop, not in a worker thread."""
    # aiogram hands every synchronous filter to asyncio.to_thread; for these pure comparisons
    # the thread hop costs far more than the check, and an update meets dozens of them.
    for observer in router.observers.values():
        for handler in (observer._handler, *observer.handlers):
            for event_filter in handler.filters or ():
                pure = event_filter.magic is not None or isinstance(
                    event_filter.callback, State | StatesGroup
                )
                if pure and not event_filter.awaitable:
                    event_filter.callback = _in_loop(event_filter.callback)
                    event_filter.awaitable = True
    for child in router.sub_routers:
        check_filters_inline(child)


def _in_loop(check: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    async def inline(*args: Any, **kwargs: Any) -> Any:
        return check(*args, **kwargs)

    return inline
