"""The broadcast worker, alone (`shopwatch worker`) or inside `shopwatch run`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from redis.asyncio import Redis

from bot.preflight import StartupError, check_database, check_redis
from bot.settings import Settings
from broadcast.config import EngineConfig
from broadcast.interface import RateLimiter
from broadcast.limiter import MemoryLimiter, RedisLimiter
from broadcast.transport import TelegramTransport, build_transport_bot
from broadcast.worker import BroadcastWorker, freeze_startup_objects
from core.clock import Clock, SystemClock
from storage.db import Database
from storage.migrate import current_revision, head_revision
from storage.redis import connect_redis

logger = logging.getLogger(__name__)


def engine_config(settings: Settings) -> EngineConfig:
    """The engine's limits and retries, from BROADCAST_* settings."""
    return EngineConfig(
        rate_per_second=settings.broadcast_rate_per_second,
        paid_rate_per_second=settings.broadcast_paid_rate_per_second,
        chat_per_second=settings.broadcast_chat_per_second,
        group_per_minute=settings.broadcast_group_per_minute,
        concurrency=settings.broadcast_concurrency,
        max_attempts=settings.broadcast_max_attempts,
        retry_seconds=settings.broadcast_retry_seconds,
        lease_seconds=settings.broadcast_lease_seconds,
        send_timeout_seconds=settings.broadcast_send_timeout_seconds,
    )


def build_limiter(config: EngineConfig, redis: Redis | None, redis_prefix: str) -> RateLimiter:
    """Shared through Redis when there is one, else for this process alone."""
    if redis is None:
        return MemoryLimiter(config)
    return RedisLimiter(redis, config, prefix=redis_prefix)


class RunningWorker:
    """A broadcast worker running as a task, with its own connection to Telegram."""

    def __init__(
        self,
        settings: Settings,
        database: Database,
        redis: Redis | None,
        *,
        clock: Clock | None = None,
        redis_prefix: str = "shopwatch",
        name: str | None = None,
    ) -> None:
        if settings.bot_token is None:
            raise ValueError("BOT_TOKEN is required to send broadcasts")
        config = engine_config(settings)
        self.transport = TelegramTransport(
            build_transport_bot(
                settings.telegram_api_url,
                settings.bot_token.get_secret_value(),
                timeout=config.send_timeout_seconds,
                connections=config.concurrency,
            )
        )
        self.worker = BroadcastWorker(
            sessions=database.sessions,
            transport=self.transport,
            limiter=build_limiter(config, redis, redis_prefix),
            config=config,
            clock=clock or SystemClock(),
            tz=settings.tz,
            name=name,
        )
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Starts sending in the background."""
        self._task = asyncio.create_task(self.worker.run(self._stop))

    @property
    def done(self) -> bool:
        """The worker has stopped (after being told to, or after an error)."""
        return self._task is not None and self._task.done()

    async def wait(self) -> None:
        """Returns when the worker stops."""
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)

    async def stop(self) -> None:
        """Finishes the sends in flight, hands back the rest, and closes the connection."""
        self._stop.set()
        try:
            await self.wait()
        finally:
            await self.transport.close()


async def _check_schema(database_url: str) -> None:
    """A worker never migrates: it waits for `shopwatch run` or `shopwatch db upgrade`."""
    found, wanted = await current_revision(database_url), head_revision()
    if found != wanted:
        raise StartupError(
            f"The database schema is at {found or 'nothing'}, and this worker needs {wanted}: "
            "run `shopwatch db upgrade` (or start `shopwatch run`, which migrates) first."
        )


async def serve_worker(settings: Settings) -> int:
    """Runs one broadcast worker until SIGINT or SIGTERM."""
    database = Database(settings.database_url)
    redis = connect_redis(settings.redis_url) if settings.redis_url else None
    try:
        await check_database(database)
        await _check_schema(settings.database_url)
        if redis is not None:
            await check_redis(redis, settings.redis_url or "")
        else:
            logger.warning(
                "REDIS_URL is not set: this worker paces alone, so run no other worker or "
                "`shopwatch run` with BROADCAST_WORKER_IN_RUN=true beside it"
            )
        running = RunningWorker(settings, database, redis)
        freeze_startup_objects()
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        running.start()
        stopped = asyncio.create_task(running.wait())
        asked = asyncio.create_task(stop.wait())
        await asyncio.wait({stopped, asked}, return_when=asyncio.FIRST_COMPLETED)
        asked.cancel()
        await running.stop()
        stopped.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await stopped
    finally:
        if redis is not None:
            await redis.aclose()
        await database.close()
    return 0
