"""One ShopWatch process: checks, migrates, then serves updates by polling or webhook."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from redis.asyncio import Redis

from bot.app import Components, build_bot, build_dispatcher
from bot.health import health_report
from bot.preflight import StartupError, check_database, check_redis, describe
from bot.scheduler import build_scheduler
from bot.settings import Settings
from bot.startup import check_linked_groups, check_telegram, register_commands
from bot.webhook import create_health_app, create_webhook_app
from bot.worker import RunningWorker
from core.clock import Clock, SystemClock
from handlers.menu import AVAILABLE_ACTIONS
from storage.db import Database
from storage.migrate import current_revision, upgrade_async
from storage.redis import connect_redis

logger = logging.getLogger(__name__)

HANDLER_GRACE_SECONDS = 10.0
UPDATES_AT_ONCE = 100


def worker_name() -> str:
    """Identifies this process in claimed rows and logs."""
    return f"{socket.gethostname()}:{os.getpid()}"


class ShopWatchProcess:
    """Starts and stops everything one process runs; usable from the CLI and from tests."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        redis_prefix: str = "shopwatch",
        migrate: bool = True,
    ) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.redis_prefix = redis_prefix
        self.migrate = migrate
        self.database = Database(settings.database_url)
        self.redis: Redis | None = connect_redis(settings.redis_url) if settings.redis_url else None
        self.bot: Bot | None = None
        self.dispatcher: Dispatcher | None = None
        self.scheduler: AsyncIOScheduler | None = None
        self.broadcasts: RunningWorker | None = None
        self._polling: asyncio.Task[None] | None = None
        self._http: web.AppRunner | None = None
        self._webhook_started = False
        self.stopped = asyncio.Event()

    async def start(self) -> None:
        """Runs the self-checks, migrates, and begins serving updates."""
        await check_database(self.database)
        if self.redis is not None:
            await check_redis(self.redis, self.settings.redis_url or "")
        self.bot = build_bot(self.settings)
        me = await check_telegram(self.bot, self.settings.telegram_api_url)
        if self.migrate:
            await self._migrate()
        components = Components(
            settings=self.settings,
            database=self.database,
            redis=self.redis,
            clock=self.clock,
            redis_prefix=self.redis_prefix,
        )
        self.dispatcher = build_dispatcher(components)
        await register_commands(self.bot, AVAILABLE_ACTIONS)
        await check_linked_groups(self.bot, self.database.sessions)
        self.scheduler = build_scheduler(components, worker_name(), self.bot)
        self.scheduler.start()
        self._start_broadcasts()
        if self.settings.uses_webhook:
            await self._start_webhook()
        else:
            await self._start_polling()
        logger.info(
            "@%s is running (%s mode)",
            me.username,
            "webhook" if self._webhook_started else "polling",
        )

    async def _migrate(self) -> None:
        try:
            await upgrade_async(self.settings.database_url)
        except Exception as error:
            raise StartupError(
                f"Could not migrate the database at {self.database.safe_url} "
                f"({type(error).__name__}: {error})."
            ) from None
        logger.info("database schema is at %s", await current_revision(self.settings.database_url))

    def _start_broadcasts(self) -> None:
        """The in-process broadcast worker (BROADCAST_WORKER_IN_RUN, on by default)."""
        if not self.settings.broadcast_worker_in_run:
            return
        self.broadcasts = RunningWorker(
            self.settings,
            self.database,
            self.redis,
            clock=self.clock,
            redis_prefix=self.redis_prefix,
        )
        self.broadcasts.start()

    async def _stop_broadcasts(self) -> None:
        if self.broadcasts is not None:
            await self.broadcasts.stop()

    async def _serve_http(self, app: web.Application) -> None:
        self._http = web.AppRunner(app, access_log=None)
        await self._http.setup()
        site = web.TCPSite(self._http, self.settings.listen_host, self.settings.listen_port)
        try:
            await site.start()
        except OSError as error:
            raise StartupError(
                f"Cannot listen on WEBHOOK_LISTEN={self.settings.webhook_listen} "
                f"({describe(error)})."
            ) from None

    async def _start_polling(self) -> None:
        assert self.bot is not None and self.dispatcher is not None
        await self._serve_http(create_health_app(self.health))
        await self.bot.delete_webhook(drop_pending_updates=False)
        self._polling = asyncio.create_task(
            self.dispatcher.start_polling(
                self.bot,
                handle_signals=False,
                close_bot_session=False,
                tasks_concurrency_limit=UPDATES_AT_ONCE,
                allowed_updates=self.dispatcher.resolve_used_update_types(),
            )
        )
        self._polling.add_done_callback(lambda _task: self.stopped.set())

    async def _start_webhook(self) -> None:
        assert self.bot is not None and self.dispatcher is not None
        assert self.settings.webhook_url is not None
        secret = self.settings.webhook_secret
        app = create_webhook_app(
            dispatcher=self.dispatcher,
            bot=self.bot,
            path=urlsplit(self.settings.webhook_url).path or "/",
            secret=secret.get_secret_value() if secret else None,
            health=self.health,
        )
        await self.dispatcher.emit_startup(bot=self.bot)
        self._webhook_started = True
        await self._serve_http(app)
        await self.bot.set_webhook(
            self.settings.webhook_url,
            secret_token=secret.get_secret_value() if secret else None,
            allowed_updates=self.dispatcher.resolve_used_update_types(),
        )

    async def run_job_now(self, name: str) -> None:
        """Runs a scheduled job at once, as its trigger would (for tests and operators)."""
        assert self.scheduler is not None, "the process has not started"
        job = self.scheduler.get_job(name)
        if job is None:
            raise KeyError(f"no scheduled job {name!r}")
        await job.func()

    async def health(self) -> dict[str, str]:
        """Whether the database and Redis answer."""
        return await health_report(self.database, self.redis)

    @property
    def failed(self) -> bool:
        """Polling ended with an error rather than being stopped."""
        task = self._polling
        return (
            task is not None
            and task.done()
            and not task.cancelled()
            and (task.exception() is not None)
        )

    async def stop(self) -> None:
        """Stops serving and releases every connection, even after a partial start."""
        for step in (
            self._stop_polling,
            self._stop_http,
            self._stop_scheduler,
            self._stop_broadcasts,
            self._shutdown_webhook_dispatcher,
            self._close_bot,
            self._close_redis,
            self.database.close,
        ):
            try:
                await step()
            except Exception:
                logger.exception("while stopping (%s)", step.__name__)
        self.stopped.set()

    async def _stop_polling(self) -> None:
        task = self._polling
        if task is None or self.dispatcher is None:
            return
        if not task.done():
            try:
                await self.dispatcher.stop_polling()
            except RuntimeError:
                task.cancel()  # polling had not taken its lock yet
        await asyncio.gather(task, return_exceptions=True)
        # Let updates already being handled finish before the bot's session closes; aiogram
        # keeps them in a private set (a handler that outlives the session would open a new
        # one that nothing closes).
        in_flight = set(getattr(self.dispatcher, "_handle_update_tasks", ()))
        if in_flight:
            _done, pending = await asyncio.wait(in_flight, timeout=HANDLER_GRACE_SECONDS)
            for straggler in pending:
                straggler.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def _stop_http(self) -> None:
        if self._http is not None:
            await self._http.cleanup()

    async def _stop_scheduler(self) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    async def _shutdown_webhook_dispatcher(self) -> None:
        if self._webhook_started and self.dispatcher is not None:
            await self.dispatcher.emit_shutdown(bot=self.bot)

    async def _close_bot(self) -> None:
        if self.bot is not None:
            await self.bot.session.close()

    async def _close_redis(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()
