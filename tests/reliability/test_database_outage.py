"""PostgreSQL goes away for a few seconds, or answers slowly: no update is lost or half-stored.

The bot reaches the shared PostgreSQL through a TCP proxy of this test's own, which drops
every connection and refuses new ones (what a stopped server looks like) or delays every
packet. The bot runs by webhook, so an update it could not store is answered non-2xx and
Telegram (the sandbox) delivers it again.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from sandbox.client import Message
from storage.db import Database
from storage.models import Report, ReportEvent, ReportPhoto
from tests.support.backends import REDIS_URL, Backend, clear_redis_prefix, truncate_all
from tests.support.evidence import record_figure
from tests.support.live import LiveBot, Person, running_bot
from tests.support.soak import SOAK, scale
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.timeout(300)

PEOPLE = scale(ci=6, soak=30)
OUTAGE_SECONDS = 5.0
RECOVERY_LIMIT = 10.0
# Every packet to and from PostgreSQL waits this long (the short run uses less, so that
# `make test` stays quick; `make soak` runs the full two seconds).
LATENCY = 2.0 if SOAK else 0.05
WEBHOOK_PATIENCE = 600.0
DESCRIPTION = "Six people drinking and shouting by the benches every evening"
FILED = ("Thank you. Your report is SW-", "Already submitted: your report is SW-")


@dataclass
class Rig:
    """The bot behind the proxy, and a direct line to the database for checking."""

    live: LiveBot
    proxy: TcpProxy
    database: Database


@asynccontextmanager
async def proxied_bot(postgres_url: str, mode: str) -> AsyncIterator[Rig]:
    """The bot, its DATABASE_URL pointing at a proxy in front of PostgreSQL."""
    target = make_url(postgres_url)
    proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5432)
    await proxy.up()
    proxied = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    prefix = f"sw-outage-{uuid.uuid4().hex[:8]}"
    backend = Backend("postgres-via-proxy+redis", proxied, REDIS_URL, prefix)
    database = Database(postgres_url)
    try:
        async with running_bot(backend, mode=mode) as live:
            yield Rig(live, proxy, database)
            await proxy.up()
            proxy.latency = 0.0
    finally:
        await proxy.close()
        await database.close()
        await truncate_all(postgres_url)
        await clear_redis_prefix(prefix)


@pytest.fixture
async def rig(postgres_url: str) -> AsyncIterator[Rig]:
    """By webhook: an update the bot could not store is delivered again."""
    async with proxied_bot(postgres_url, "webhook") as made:
        yield made


@pytest.fixture
async def polled_rig(postgres_url: str) -> AsyncIterator[Rig]:
    """By long polling: an update fetched is never delivered again."""
    async with proxied_bot(postgres_url, "polling") as made:
        yield made


def unhandled(records: list[logging.LogRecord]) -> list[str]:
    """Errors nobody handled: anything at ERROR or above (our outage notes are warnings)."""
    return [
        f"{record.name}: {record.getMessage()}"
        for record in records
        if record.levelno >= logging.ERROR
    ]


async def at_review_with_a_photo(person: Person) -> Message:
    """Answers every question of a report, with one photo; returns the summary."""
    intro = await person.says("/report")
    subtypes = await person.presses("Street drinking", on=intro)
    await person.presses("Drinking in a public place", on=subtypes)
    await person.says("Library gardens, CB1 2AB")  # "Got it"
    when = await person.next_reply()
    await person.presses("Just now", on=when)
    await person.says(DESCRIPTION)  # the photos question
    added = await person.sends_photos(1)
    contact = await person.presses("Done", on=added)
    return await person.presses("You may contact me", on=contact)


async def at_where(person: Person) -> Message:
    """Starts a report and stops at "where did it happen?"."""
    intro = await person.says("/report")
    subtypes = await person.presses("Street drinking", on=intro)
    return await person.presses("Drinking in a public place", on=subtypes)


async def reply_to(person: Person, within: float) -> Message:
    """The bot's next message to this person."""
    return await person.live.sandbox.wait_for_message(person.id, timeout=within)


async def webhook_refused(live: LiveBot, *, times: int) -> bool:
    """True once the bot has refused the same update `times` times in a row."""
    hook = (await live.sandbox.bot_info()).get("webhook") or {}
    return int(hook.get("failed_attempts") or 0) >= times


async def all_delivered(live: LiveBot) -> bool:
    """True once the bot has answered every update Telegram had for it."""
    return int((await live.sandbox.bot_info())["pending_updates"]) == 0


async def whole_reports(database: Database) -> list[tuple[int, int]]:
    """(photos, events) of every report, to show that none was stored in part."""
    async with database.sessions() as session:
        photos = select(func.count()).where(ReportPhoto.report_id == Report.id).scalar_subquery()
        events = select(func.count()).where(ReportEvent.report_id == Report.id).scalar_subquery()
        rows = (await session.execute(select(Report.id, photos, events))).all()
        orphans = (
            await session.execute(
                select(func.count())
                .select_from(ReportPhoto)
                .where(~ReportPhoto.report_id.in_(select(Report.id)))
            )
        ).scalar_one()
    assert orphans == 0
    return [(int(p), int(e)) for _id, p, e in rows]


async def test_postgres_stopping_mid_submit_loses_no_update_and_stores_no_half_report(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    live, proxy = rig.live, rig.proxy
    people = [await live.person(f"Resident {i}") for i in range(PEOPLE)]
    submitters, typists = people[::2], people[1::2]
    summaries = await asyncio.gather(*(at_review_with_a_photo(p) for p in submitters))
    await asyncio.gather(*(at_where(p) for p in typists))
    loop = asyncio.get_running_loop()

    # Everyone answers at once; PostgreSQL stops while the first of them are being stored.
    for person, summary in zip(submitters, summaries, strict=True):
        await live.sandbox.press(person.id, summary.message_id, text="Submit")
    for person in typists:
        await live.sandbox.send_text(person.id, "Library gardens, CB1 2AB")
    await asyncio.sleep(random.uniform(0.0, 0.3))
    await proxy.down()
    went_down = loop.time()
    await live.eventually(lambda: webhook_refused(live, times=3), within=OUTAGE_SECONDS)
    await asyncio.sleep(max(0.0, OUTAGE_SECONDS - (loop.time() - went_down)))
    await proxy.up()
    back = loop.time()

    filed = await asyncio.gather(*(reply_to(p, RECOVERY_LIMIT) for p in submitters))
    got_it = await asyncio.gather(*(reply_to(p, RECOVERY_LIMIT) for p in typists))
    record_figure("postgres_recovery_seconds", round(loop.time() - back, 2))

    for reply in filed:
        assert reply.body.startswith(FILED), reply.body
    for reply in got_it:
        assert reply.body.startswith("Got it"), reply.body
    assert await whole_reports(rig.database) == [(1, 1)] * len(submitters)
    references = {reply.body.split("SW-", 1)[1].split(".", 1)[0] for reply in filed}
    assert len(references) == len(submitters)
    # Nothing else is on its way to anyone: their next reply is the one they asked for.
    await asyncio.gather(*(person.hears_nothing() for person in people))
    assert unhandled(caplog.records) == []


async def test_answers_keep_coming_while_postgres_is_down_then_everything_queued_is_handled(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    live, proxy = rig.live, rig.proxy
    ann = await live.person("Ann")
    where = await at_where(ann)
    assert where.body.startswith("Where did it happen?")
    await live.eventually(lambda: all_delivered(live))

    await proxy.down()
    await live.sandbox.send_text(ann.id, "Library gardens, CB1 2AB")
    await live.sandbox.send_text(ann.id, "/help")
    await live.eventually(lambda: webhook_refused(live, times=3), within=OUTAGE_SECONDS)
    messages = await live.sandbox.messages(ann.id, live.sandbox.cursor(ann.id), sender="bot")
    assert messages == []
    pending = (await live.sandbox.bot_info())["pending_updates"]
    assert pending == 2
    await proxy.up()

    got_it = await reply_to(ann, RECOVERY_LIMIT)
    assert got_it.body.startswith("Got it"), got_it.body
    when = await reply_to(ann, RECOVERY_LIMIT)
    assert when.body.startswith("When did it happen?"), when.body
    help_text = await reply_to(ann, RECOVERY_LIMIT)
    assert help_text.body.startswith("Here is what I can do for you:"), help_text.body
    assert unhandled(caplog.records) == []


@pytest.mark.timeout(1800 if SOAK else 120)
async def test_a_slow_database_answers_every_update_correctly_if_slowly(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    live, proxy = rig.live, rig.proxy
    bea = await live.person("Bea")
    # At two seconds a packet one update takes minutes; the sandbox waits for the answer
    # rather than delivering a copy meanwhile (copies are tests/reliability/
    # test_duplicate_updates.py's subject), so this measures the bot alone.
    await live.sandbox.set_config(webhook_timeout=WEBHOOK_PATIENCE)
    proxy.latency = LATENCY
    loop = asyncio.get_running_loop()
    started = loop.time()

    await live.sandbox.send_text(bea.id, "/report")
    first = await reply_to(bea, within=WEBHOOK_PATIENCE)
    assert first.body.startswith("Report a problem"), first.body
    await live.sandbox.press(bea.id, first.message_id, text="Street drinking")
    subtypes = await reply_to(bea, within=WEBHOOK_PATIENCE)
    assert subtypes.body == "Which of these fits best?"
    await live.sandbox.send_text(bea.id, "/help")
    help_text = await reply_to(bea, within=WEBHOOK_PATIENCE)
    assert help_text.body.startswith("Here is what I can do for you:"), help_text.body
    record_figure("replies_under_latency", 3)
    record_figure("seconds_per_update_under_latency", round((loop.time() - started) / 3, 1))
    assert unhandled(caplog.records) == []


async def test_by_polling_a_message_that_cannot_be_stored_is_asked_for_again(
    polled_rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    live, proxy = polled_rig.live, polled_rig.proxy
    cy = await live.person("Cy")
    await cy.says("/start")
    await proxy.down()

    apology = await cy.says("/help")

    assert apology.body.startswith("Sorry, I couldn't handle that just now"), apology.body
    await proxy.up()
    await cy.hears_nothing()
    assert unhandled(caplog.records) == []
