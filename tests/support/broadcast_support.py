"""A sandboxed Telegram, the outbox and workers, for testing the broadcast engine.

`BroadcastRig` holds one sandbox (with Telegram's limits switched on), the test's database and
Redis, and a movable clock; it makes recipients, queues alerts and runs workers in-process or
as real `python -m bot worker` processes.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from redis.asyncio import Redis
from sqlalchemy import insert, select

from broadcast.audience import Audience
from broadcast.config import EngineConfig
from broadcast.interface import OutgoingMessage, SendResult, Transport
from broadcast.limiter import MemoryLimiter, RedisLimiter
from broadcast.outbox import AlertDraft, QueuedAlert, queue_alert
from broadcast.transport import TelegramTransport, build_transport_bot
from broadcast.worker import BroadcastWorker
from core.enums import DeliveryState, Severity
from sandbox.client import Message, SandboxClient
from sandbox.server import SandboxServer
from sandbox.state import SandboxConfig
from storage.db import Database
from storage.models import Delivery, Person
from tests.support.backends import Backend
from tests.support.clock import MovableClock

T = TypeVar("T")
TZ = ZoneInfo("Europe/London")
HEADLINE = "Shoplifter active on the High Street"
# Correctness tests run the engine and the sandbox at the same, scaled-up bot-wide rate.
FAST_RATE = 200.0
FAST_CHAT_RATE = 10.0
FAST_CONFIG = EngineConfig(
    rate_per_second=FAST_RATE,
    chat_per_second=FAST_CHAT_RATE,
    paid_rate_per_second=1000.0,
    concurrency=20,
    max_attempts=3,
    retry_seconds=0.05,
    lease_seconds=2.0,
    send_timeout_seconds=2.0,
)
_next_user_id = 700_000_000 + (os.getpid() % 1000) * 100_000


def new_user_id() -> int:
    """A Telegram user id no other test in this run uses."""
    global _next_user_id
    _next_user_id += 1
    return _next_user_id


@dataclass
class SendLog:
    """What a recording transport saw: when each send started and how it ended."""

    started: list[tuple[float, int]] = field(default_factory=list)
    answered: list[tuple[float, SendResult]] = field(default_factory=list)


class RecordingTransport:
    """The real Telegram transport, noting when each send started and what came back."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.log = SendLog()

    async def send(self, message: OutgoingMessage) -> SendResult:
        self.log.started.append((time.monotonic(), message.chat_id))
        result = await self.inner.send(message)
        self.log.answered.append((time.monotonic(), result))
        return result

    async def delete(self, chat_id: int, message_id: int) -> Any:
        return await self.inner.delete(chat_id, message_id)

    async def close(self) -> None:
        await self.inner.close()


@dataclass
class BroadcastRig:
    """One sandbox, the test's storage, and the means to run the engine against them."""

    server: SandboxServer
    sandbox: SandboxClient
    database: Database
    redis: Redis | None
    backend: Backend
    clock: MovableClock = field(default_factory=MovableClock)

    def now(self) -> datetime:
        """The engine's now."""
        return self.clock.now()

    async def advance(self, by: timedelta) -> None:
        """Moves time forward for the engine and for Telegram alike."""
        self.clock.advance(by)
        await self.sandbox.advance_clock(by.total_seconds())

    async def recipients(self, count: int, *, started: bool = True) -> list[int]:
        """People who can receive alerts: Telegram users who have started the bot, and known."""
        ids = [new_user_id() for _ in range(count)]
        for user_id in ids:
            await self.sandbox.create_user(f"Trader {user_id}", user_id=user_id, started=started)
        await self.known(ids)
        return ids

    async def known(self, telegram_ids: Sequence[int]) -> None:
        """Rows in `people` for these Telegram ids."""
        async with self.database.sessions() as session, session.begin():
            await session.execute(
                insert(Person),
                [
                    {"telegram_user_id": user_id, "full_name": f"Person {user_id}"}
                    for user_id in telegram_ids
                ],
            )

    async def queue(
        self,
        chat_ids: Sequence[int],
        *,
        expires_in: timedelta = timedelta(hours=6),
        **changes: Any,
    ) -> QueuedAlert:
        """Queues a moderate alert to these people."""
        draft = AlertDraft(
            headline=HEADLINE,
            description="A man in a grey hoodie is taking spirits from shelves.",
            severity=Severity.MODERATE,
            expires_at=self.now() + expires_in,
            audience=Audience(chat_ids=tuple(chat_ids)),
            instruction="Keep spirits behind the counter and call 101.",
        )
        async with self.database.sessions() as session:
            return await queue_alert(session, replace(draft, **changes), now=self.now(), tz=TZ)

    async def deliveries(self, alert_id: int) -> list[Delivery]:
        """Every copy of an alert, in id order."""
        async with self.database.sessions() as session:
            rows = await session.execute(
                select(Delivery).where(Delivery.alert_id == alert_id).order_by(Delivery.id)
            )
            return list(rows.scalars())

    async def states(self, alert_id: int) -> dict[DeliveryState, int]:
        """How many copies of an alert are in each state."""
        counts: dict[DeliveryState, int] = {}
        for delivery in await self.deliveries(alert_id):
            counts[delivery.state] = counts.get(delivery.state, 0) + 1
        return counts

    async def settled(self, alert_id: int, *, within: float = 30.0) -> dict[DeliveryState, int]:
        """Waits until no copy of the alert is pending or being sent; returns the states."""
        deadline = time.monotonic() + within
        while True:
            states = await self.states(alert_id)
            if not states.get(DeliveryState.PENDING) and not states.get(DeliveryState.SENDING):
                return states
            if time.monotonic() > deadline:
                raise AssertionError(f"alert {alert_id} still unsettled: {states}")
            await asyncio.sleep(0.05)

    async def received(self, chat_id: int) -> list[Message]:
        """Every message the bot sent to a chat (deleted ones flagged)."""
        return [m for m in await self.sandbox.transcript(chat_id) if m.from_bot]

    async def sends_seen(self) -> int:
        """How many sendMessage calls Telegram answered with a message."""
        calls = await self.sandbox.calls()
        return calls.by_method.get("sendMessage", {}).get("200", 0)

    def transport(self, config: EngineConfig) -> TelegramTransport:
        """A real Telegram transport pointed at the sandbox."""
        bot = build_transport_bot(
            self.server.base_url,
            self.server.token,
            timeout=config.send_timeout_seconds,
            connections=config.concurrency,
        )
        return TelegramTransport(bot)

    def limiter(self, config: EngineConfig) -> MemoryLimiter | RedisLimiter:
        """The backend's limiter: Redis when the backend has it, else in memory."""
        if self.redis is None:
            return MemoryLimiter(config)
        return RedisLimiter(self.redis, config, prefix=self.backend.redis_prefix)

    @asynccontextmanager
    async def worker(
        self,
        config: EngineConfig = FAST_CONFIG,
        *,
        transport: Transport | None = None,
        limiter: MemoryLimiter | RedisLimiter | None = None,
    ) -> AsyncIterator[BroadcastWorker]:
        """An in-process worker, running until the block ends (then stopped cleanly)."""
        sender = transport or self.transport(config)
        worker = BroadcastWorker(
            sessions=self.database.sessions,
            transport=sender,
            limiter=limiter or self.limiter(config),
            config=config,
            clock=self.clock,
            tz=TZ,
            poll_seconds=0.05,
        )
        stop = asyncio.Event()
        task = asyncio.create_task(worker.run(stop))
        try:
            yield worker
        finally:
            stop.set()
            await task
            await sender.close()

    def worker_process(self, directory: Path, **settings: str) -> subprocess.Popen[bytes]:
        """A real `python -m bot worker` process on this rig's sandbox and storage."""
        environment = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("BROADCAST_", "BOT_", "DATABASE_", "REDIS_", "TELEGRAM_"))
        }
        environment.update(
            {
                "BOT_TOKEN": self.server.token,
                "TELEGRAM_API_URL": self.server.base_url,
                "DATABASE_URL": self.backend.database_url,
                "LOG_LEVEL": "WARNING",
                **{f"BROADCAST_{key.upper()}": value for key, value in settings.items()},
            }
        )
        if self.backend.redis_url is not None:
            environment["REDIS_URL"] = self.backend.redis_url
        with (directory / "worker.log").open("ab") as log:
            return subprocess.Popen(
                [sys.executable, "-m", "bot", "worker"],
                cwd=directory,
                env=environment,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )


@asynccontextmanager
async def broadcast_rig(
    backend: Backend, database: Database, redis: Redis | None
) -> AsyncIterator[BroadcastRig]:
    """A sandbox with Telegram's limits on, the bot-wide and per-chat ones scaled up."""
    server = SandboxServer(config=SandboxConfig(strict_shapes=True))
    await server.start()
    sandbox = SandboxClient(server.base_url)
    await sandbox.set_limits(
        bot_per_second=FAST_RATE, bot_burst=int(FAST_RATE), private_per_second=FAST_CHAT_RATE
    )
    try:
        yield BroadcastRig(server, sandbox, database, redis, backend)
    finally:
        await sandbox.close()
        await server.stop()


async def until(check: Callable[[], bool], *, within: float = 10.0) -> None:
    """Waits until `check` passes (a worker's counters, say)."""
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def eventually(
    read: Callable[[], Awaitable[T]], accept: Callable[[T], bool], *, within: float = 10.0
) -> T:
    """Reads until `accept` likes what it reads; returns that."""
    deadline = time.monotonic() + within
    while True:
        found = await read()
        if accept(found):
            return found
        assert time.monotonic() < deadline, f"still {found}"
        await asyncio.sleep(0.05)
