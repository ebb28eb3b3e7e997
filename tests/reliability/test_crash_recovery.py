"""The bot process is killed (SIGKILL) again and again while residents report and a warning goes
out: no confirmed report is lost, every resident finishes, everyone gets the warning."""

from __future__ import annotations

import asyncio
import logging
import random
import statistics
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiogram.fsm.storage.base import DefaultKeyBuilder, StorageKey
from redis.asyncio import Redis
from sqlalchemy import func, select

from bot.chat_lock import RenewedChatLocks
from core.enums import DeliveryState
from sandbox.client import Message, SandboxClient
from storage.db import Database
from storage.models import Delivery, Person, Report
from tests.support.backends import Backend
from tests.support.bot_process import BotProcess, private_redis
from tests.support.broadcast_support import BroadcastRig, broadcast_rig
from tests.support.soak import scale

logger = logging.getLogger(__name__)

RESIDENTS = scale(ci=10, soak=50)
RECIPIENTS = scale(ci=300, soak=5000)
KILLS = scale(ci=3, soak=20)
BROADCAST_CONCURRENCY = 8
# Long enough to outlast a restart, the lease of a claim the killed process held, and the
# queue of everyone's messages that built up meanwhile.
PATIENCE = float(scale(ci=90, soak=240))
FINAL_STATES = {
    DeliveryState.SENT,
    DeliveryState.BLOCKED,
    DeliveryState.FAILED,
    DeliveryState.CANCELLED,
}
# What the bot says when a report in progress was lost and must be started again.
RESTART = ("Send /report to start again", "start again with /report")
SUMMARY = "Contact: You may contact me"
FILED = "our report is SW-"


class ToldToRestart(Exception):
    """The bot said the report in progress was lost and must be started again."""


@dataclass
class Filed:
    """A report whose reference number the resident was given."""

    telegram_id: int
    reference: str
    description: str


@dataclass
class Tally:
    """What happened to everyone during the run."""

    confirmed: list[Filed] = field(default_factory=list)
    told_to_restart: int = 0
    restart_seconds: list[float] = field(default_factory=list)
    startup_seconds: list[float] = field(default_factory=list)
    sent_at_kill: list[int] = field(default_factory=list)


class Resident:
    """Someone filing street-drinking reports one after another, step by step."""

    def __init__(self, sandbox: SandboxClient, telegram_id: int, tally: Tally) -> None:
        self.sandbox = sandbox
        self.id = telegram_id
        self.tally = tally
        self.filed = 0

    async def reports_until(self, stop: asyncio.Event) -> None:
        """Files reports until told to stop; the report in progress is always finished."""
        while not stop.is_set():
            try:
                await self.files_a_report()
            except ToldToRestart:
                self.tally.told_to_restart += 1

    async def files_a_report(self) -> None:
        """One whole report, from /report to its reference number."""
        description = f"Resident {self.id} report {self.filed + 1}: drinking by the benches"
        intro = await self.after(self.says("/report"), "What kind of problem is it?")
        subtypes = await self.after(self.presses("Street drinking", intro), "Which of these")
        await self.after(
            self.presses("Drinking in a public place", subtypes), "Where did it happen?"
        )
        when = await self.after(self.says("Library gardens, CB1 2AB"), "When did it happen?")
        await self.after(self.presses("Just now", when), "What happened?")
        photos = await self.after(self.says(description), "Would you like to add photos?")
        contact = await self.after(self.presses("Skip", photos), "Can the coordinator contact")
        summary = await self.after(self.presses("You may contact me", contact), SUMMARY)
        done = await self.after(self.presses("Submit", summary), FILED, SUMMARY)
        while FILED not in done.body:  # that summary was out of date; here is the latest
            done = await self.after(self.presses("Submit", done), FILED, SUMMARY)
        reference = "SW-" + done.body.split(FILED, 1)[1].split()[0].rstrip(".")
        self.tally.confirmed.append(Filed(self.id, reference, description))
        self.filed += 1

    async def says(self, text: str) -> None:
        await self.sandbox.send_text(self.id, text)

    async def presses(self, label: str, on: Message) -> None:
        await self.sandbox.press(self.id, on.message_id, chat_id=on.chat_id, text=label)

    async def after(self, action: Awaitable[None], *expected: str) -> Message:
        """Does the action, then waits for the bot's message containing one of `expected`.

        A copy of an earlier message (sent again after a crash) is passed over; silence
        fails the test.
        """
        await action
        reply = await self.sandbox.wait_for_message(
            self.id,
            lambda m: any(text in m.body for text in (*expected, *RESTART)),
            timeout=PATIENCE,
        )
        if not any(text in reply.body for text in expected):
            raise ToldToRestart
        return reply


@pytest.fixture
async def rig(backend: Backend, database: Database) -> AsyncIterator[BroadcastRig]:
    if backend.redis_url is None:
        pytest.skip("a killed process resumes conversations from Redis; this runs on PostgreSQL")
    async with broadcast_rig(backend, database, None) as made:
        # Telegram retries a webhook that did not answer; quickly here, so restarts are seen.
        await made.sandbox.set_config(webhook_retry_base=0.05, webhook_retry_max=0.5)
        yield made


@pytest.mark.timeout(scale(ci=420, soak=3600))
async def test_killing_the_bot_loses_no_report_and_no_warning(
    rig: BroadcastRig, backend: Backend, tmp_path: Path
) -> None:
    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    logger.warning("crash test seed %s", seed)
    tally = Tally()
    recipients = await rig.recipients(RECIPIENTS)
    residents = [
        Resident(rig.sandbox, telegram_id, tally) for telegram_id in await rig.recipients(RESIDENTS)
    ]
    # Some seconds of sending between kills, so that every resident gets on in between.
    uptime = max(3.5, RESIDENTS * 0.2)
    rate = max(10.0, RECIPIENTS / ((KILLS + 1) * uptime))

    async with private_redis() as redis_url:
        bot = BotProcess(
            rig.server,
            backend.database_url,
            redis_url,
            tmp_path,
            settings={
                "FLOOD_LIMIT_PER_MINUTE": "100000",
                "BROADCAST_RATE_PER_SECOND": f"{rate:.1f}",
                "BROADCAST_CONCURRENCY": str(BROADCAST_CONCURRENCY),
                "BROADCAST_LEASE_SECONDS": "1.5",
                "BROADCAST_RETRY_SECONDS": "0.1",
                "BROADCAST_SEND_TIMEOUT_SECONDS": "2",
            },
        )
        bot.start()
        await bot.ready()
        queued = await rig.queue(recipients)
        stop = asyncio.Event()
        walking = [asyncio.create_task(r.reports_until(stop)) for r in residents]
        try:
            for kill in range(KILLS):
                # A random point in this kill's share of the warning, so it is always mid-way.
                share = RECIPIENTS // (KILLS + 1)
                moment = rng.randint(share * kill + 1, share * (kill + 1))
                await _until_sent(rig, queued.alert_id, moment, walking, bot)
                tally.sent_at_kill.append(await _sent(rig, queued.alert_id))
                handled = _handled_since(rig)
                bot.kill()
                killed_at = time.monotonic()
                bot.start()
                await bot.ready()
                tally.startup_seconds.append(time.monotonic() - killed_at)
                await _until(handled, bot)
                tally.restart_seconds.append(time.monotonic() - killed_at)
            stop.set()
            await asyncio.wait_for(asyncio.gather(*walking), timeout=PATIENCE * 2)
            states = await rig.settled(queued.alert_id, within=RECIPIENTS / rate + 60)
        finally:
            stop.set()
            for task in walking:
                task.cancel()
            await asyncio.gather(*walking, return_exceptions=True)
            exit_code = await bot.stop()
    assert exit_code == 0, bot.tail()

    # Every report the resident was given a reference for is stored once, with their answers.
    async with rig.database.sessions() as session:
        rows = (
            await session.execute(
                select(Report.reference, Report.description, Person.telegram_user_id).join(
                    Person, Report.reporter_id == Person.id
                )
            )
        ).all()
    stored = {reference: (description, who) for reference, description, who in rows}
    lost = [f for f in tally.confirmed if stored.get(f.reference) != (f.description, f.telegram_id)]
    assert lost == []
    descriptions = Counter(description for description, _ in stored.values())
    assert all(descriptions[f.description] == 1 for f in tally.confirmed)
    assert all(resident.filed >= 1 for resident in residents), "a resident never got through"

    # Every copy of the warning ended, everyone got it, duplicates stayed within the bound.
    assert set(states) <= FINAL_STATES, states
    copies = Counter({person: len(await rig.received(person)) for person in recipients})
    missed = [person for person, count in copies.items() if count == 0]
    assert missed == []
    duplicates = sum(copies.values()) - len(recipients)
    assert duplicates <= KILLS * BROADCAST_CONCURRENCY
    assert all(sent < RECIPIENTS for sent in tally.sent_at_kill), "a kill came after the warning"

    logger.warning(
        "crash test: %s kills, %s reports confirmed, 0 lost, %s told to restart, "
        "%s deliveries (%s), %s duplicates, restart %.1fs median / %.1fs max "
        "(process up again after %.1fs median), seed %s",
        KILLS,
        len(tally.confirmed),
        tally.told_to_restart,
        RECIPIENTS,
        dict(states),
        duplicates,
        statistics.median(tally.restart_seconds),
        max(tally.restart_seconds),
        statistics.median(tally.startup_seconds),
        seed,
    )


async def test_a_chat_lock_outlives_a_slow_update_but_not_a_killed_process(
    backend: Backend, redis: Redis | None
) -> None:
    if redis is None:
        pytest.skip("chat locks across processes live in Redis")
    locks = RenewedChatLocks(
        redis, DefaultKeyBuilder(prefix=backend.redis_prefix, with_destiny=True), hold_seconds=0.3
    )
    chat = StorageKey(bot_id=1, chat_id=42, user_id=42)
    name = locks.key_builder.build(chat, "lock")
    order: list[str] = []

    async def next_update() -> None:
        async with locks.lock(chat):
            order.append("next update")

    async with locks.lock(chat):
        # A killed process stops renewing: its lock lapses within the hold, not a minute.
        assert 0 < await redis.pttl(name) <= 300
        waiting = asyncio.create_task(next_update())
        await asyncio.sleep(1.0)  # a slow update, held past three holds
        order.append("slow update done")
    await waiting
    assert order == ["slow update done", "next update"]
    assert await redis.exists(name) == 0


def _handled_since(rig: BroadcastRig) -> Callable[[], bool]:
    """Whether an update was answered 2xx since now (each setWebhook starts a new count)."""
    account = rig.server.sandbox.default_bot
    before = account.webhook
    count = 0 if before is None else before.delivered

    def handled() -> bool:
        hook = account.webhook
        return hook is not None and hook.delivered > (count if hook is before else 0)

    return handled


async def _sent(rig: BroadcastRig, alert_id: int) -> int:
    async with rig.database.sessions() as session:
        count = await session.execute(
            select(func.count())
            .select_from(Delivery)
            .where(Delivery.alert_id == alert_id, Delivery.state == DeliveryState.SENT)
        )
    return int(count.scalar_one())


async def _until_sent(
    rig: BroadcastRig,
    alert_id: int,
    at_least: int,
    walking: list[asyncio.Task[None]],
    bot: BotProcess,
) -> None:
    deadline = time.monotonic() + PATIENCE
    while await _sent(rig, alert_id) < at_least:
        _fail_early(walking, bot)
        if time.monotonic() > deadline:
            raise AssertionError(f"the warning stalled below {at_least}: {bot.tail()}")
        await asyncio.sleep(0.05)


def _fail_early(walking: list[asyncio.Task[None]], bot: BotProcess) -> None:
    for task in walking:
        if task.done() and task.exception() is not None:
            raise AssertionError(f"a resident got stuck: {bot.tail()}") from task.exception()


async def _until(check: Callable[[], bool], bot: BotProcess, within: float = PATIENCE) -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"the restarted bot handled nothing: {bot.tail()}")
        await asyncio.sleep(0.01)
