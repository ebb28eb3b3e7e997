"""Telegram delivers an update again, or to two instances at once: it has one effect."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from aiogram import BaseMiddleware
from aiogram.types import TelegramObject
from aiogram.types import Update as TgUpdate
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import OperationalError

from bot.once import OncePerUpdate
from bot.process import ShopWatchProcess
from bot.webhook import SECRET_HEADER
from storage.db import Database
from storage.models import HandledUpdate, Report, utcnow
from tests.support.backends import Backend
from tests.support.live import WEBHOOK_SECRET, LiveBot, Person, free_port, running_bot
from tests.support.redelivery import HeldUpdates, Update
from tests.test_report_dialogues import to_review

COPIES = 10


@pytest.fixture
async def webhook_live(backend: Backend) -> AsyncIterator[LiveBot]:
    """The bot in webhook mode, where Telegram's redelivery depends on the answer."""
    async with running_bot(backend, mode="webhook") as bot:
        yield bot


async def held_start(live: LiveBot, held: HeldUpdates, person: Person) -> Update:
    """The person sends /start; the update is kept back from the bot."""
    with held.catching() as caught:
        await live.sandbox.send_text(person.id, "/start")
    [start] = caught
    return start


async def bot_said(live: LiveBot, person: Person, beginning: str) -> int:
    """How many of the bot's messages to this person begin with `beginning`."""
    transcript = await live.sandbox.transcript(person.id)
    return sum(1 for m in transcript if m.from_bot and m.body.startswith(beginning))


async def post(session: aiohttp.ClientSession, url: str, body: Update) -> int:
    """Posts an update as Telegram does, with the right secret; returns the status."""
    async with session.post(url, json=body, headers={SECRET_HEADER: WEBHOOK_SECRET}) as answer:
        return answer.status


def once_middleware(live: LiveBot) -> OncePerUpdate:
    """The running dispatcher's claim keeper."""
    assert live.process.dispatcher is not None
    found = [
        m for m in live.process.dispatcher.update.outer_middleware if isinstance(m, OncePerUpdate)
    ]
    assert len(found) == 1
    return found[0]


async def test_a_start_delivered_ten_times_one_by_one_is_answered_once(live: LiveBot) -> None:
    held = HeldUpdates(live.server)
    ann = await live.person("Ann")
    start = await held_start(live, held, ann)

    await held.deliver_one_by_one(start, times=COPIES)

    assert (await ann.next_reply()).body.startswith("Hello Ann, this is ShopWatch.")
    await ann.hears_nothing()
    assert await bot_said(live, ann, "Hello Ann") == 1


async def test_a_submit_press_delivered_in_a_batch_and_again_files_one_report(
    live: LiveBot, database: Database
) -> None:
    held = HeldUpdates(live.server)
    bea = await live.person("Bea")
    summary = await to_review(bea)
    with held.catching() as caught:
        query_id = await live.sandbox.press(
            bea.id, summary.message_id, chat_id=summary.chat_id, text="Submit"
        )
    [press] = caught

    await held.deliver(press, times=COPIES)
    done = await bea.next_reply()
    await held.deliver_one_by_one(press, times=COPIES - 1)

    assert done.body.startswith("Thank you. Your report is SW-")
    await bea.hears_nothing()
    assert await bot_said(live, bea, "Thank you.") == 1
    assert await bot_said(live, bea, "Already submitted") == 0
    answers = await live.sandbox.callback_answers()
    assert [a["callback_query_id"] for a in answers].count(query_id) == 1
    async with database.sessions() as session:
        reports = (await session.execute(select(func.count()).select_from(Report))).scalar_one()
    assert reports == 1


async def test_two_instances_given_the_same_update_concurrently_answer_it_once(
    webhook_live: LiveBot,
) -> None:
    live = webhook_live
    if live.backend.redis_url is None:
        pytest.skip("several instances share PostgreSQL and Redis; SQLite runs one process")
    port = free_port()
    second = ShopWatchProcess(
        live.settings.model_copy(
            update={
                "webhook_listen": f"127.0.0.1:{port}",
                "webhook_url": f"http://127.0.0.1:{port}/telegram",
            }
        ),
        clock=live.clock,
        redis_prefix=live.backend.redis_prefix,
    )
    await second.start()
    try:
        held = HeldUpdates(live.server)
        cal = await live.person("Cal")
        start = await held_start(live, held, cal)
        urls = [live.settings.webhook_url, f"http://127.0.0.1:{port}/telegram"]

        async with aiohttp.ClientSession() as http:
            statuses = await asyncio.gather(
                *(post(http, str(urls[copy % 2]), start) for copy in range(COPIES))
            )
        assert statuses == [200] * COPIES

        assert (await cal.next_reply()).body.startswith("Hello Cal, this is ShopWatch.")
        await cal.hears_nothing()
        assert await bot_said(live, cal, "Hello Cal") == 1
    finally:
        await second.stop()


async def test_an_update_left_half_handled_by_a_dead_process_is_handled_after_its_lease(
    webhook_live: LiveBot, database: Database
) -> None:
    live = webhook_live
    held = HeldUpdates(live.server)
    dot = await live.person("Dot")
    start = await held_start(live, held, dot)
    async with database.sessions() as session, session.begin():
        session.add(
            HandledUpdate(
                update_id=start["update_id"],
                claimed_by="killed-host:1",
                claimed_at=utcnow() - timedelta(minutes=3),
            )
        )

    await held.deliver(start)

    assert (await dot.next_reply()).body.startswith("Hello Dot, this is ShopWatch.")
    await dot.hears_nothing()
    assert await bot_said(live, dot, "Hello Dot") == 1


async def test_a_copy_still_being_handled_elsewhere_is_refused_until_that_ends(
    webhook_live: LiveBot, database: Database
) -> None:
    live = webhook_live
    once_middleware(live).wait_seconds = 0.5
    held = HeldUpdates(live.server)
    eli = await live.person("Eli")
    start = await held_start(live, held, eli)
    claim = HandledUpdate(update_id=start["update_id"], claimed_by="other-host:1")
    async with database.sessions() as session, session.begin():
        session.add(claim)
    url = str(live.settings.webhook_url)

    async with aiohttp.ClientSession() as http:
        # Answering 2xx now would tell Telegram the update was handled when it may not be.
        assert await post(http, url, start) == 500
        assert await bot_said(live, eli, "Hello") == 0

        async with database.sessions() as session, session.begin():
            await session.execute(
                update(HandledUpdate)
                .where(HandledUpdate.update_id == start["update_id"])
                .values(state="done")
            )
        assert await post(http, url, start) == 200
        await eli.hears_nothing()
        assert await bot_said(live, eli, "Hello") == 0, "the other process had handled it"

        async with database.sessions() as session, session.begin():
            await session.execute(delete(HandledUpdate))
        assert await post(http, url, start) == 200
    assert (await eli.next_reply()).body.startswith("Hello Eli, this is ShopWatch.")
    assert await bot_said(live, eli, "Hello") == 1


async def test_a_copy_that_failed_is_handled_when_telegram_delivers_it_again(
    webhook_live: LiveBot,
) -> None:
    live = webhook_live
    once = once_middleware(live)
    once.lease = timedelta(minutes=10)  # only a released claim lets the next copy through
    assert live.process.dispatcher is not None
    outage = StorageFailsOnce()
    live.process.dispatcher.update.outer_middleware(outage)
    held = HeldUpdates(live.server)
    fin = await live.person("Fin")
    start = await held_start(live, held, fin)

    await held.deliver(start)

    assert (await fin.next_reply()).body.startswith("Hello Fin, this is ShopWatch.")
    await fin.hears_nothing()
    assert await bot_said(live, fin, "Hello Fin") == 1
    assert outage.failed == [start["update_id"]]
    info = await live.sandbox.bot_info()
    assert "500" in str(info["webhook"]["last_error_message"]), "the first copy did not fail"


async def test_a_press_answered_before_a_crash_is_still_carried_out_when_delivered_again(
    webhook_live: LiveBot,
) -> None:
    live = webhook_live
    held = HeldUpdates(live.server)
    gus = await live.person("Gus")
    welcome = await gus.says("/start")
    with held.catching() as caught:
        await live.sandbox.press(
            gus.id, welcome.message_id, chat_id=welcome.chat_id, text="Report a problem"
        )
    [press] = caught
    # The process that died had already answered the press: Telegram refuses a second answer.
    url = f"{live.server.base_url}/bot{live.server.token}/answerCallbackQuery"
    async with (
        aiohttp.ClientSession() as http,
        http.post(url, json={"callback_query_id": press["callback_query"]["id"]}) as answer,
    ):
        assert answer.status == 200

    await held.deliver(press)

    assert "What kind of problem is it?" in (await gus.next_reply()).body


class StorageFailsOnce(BaseMiddleware):
    """The database drops the connection while the first update is handled."""

    def __init__(self) -> None:
        self.failed: list[int] = []

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if not self.failed and isinstance(event, TgUpdate):
            self.failed.append(event.update_id)
            raise OperationalError("SELECT 1", {}, ConnectionResetError("connection lost"))
        return await handler(event, data)


async def test_claims_are_forgotten_once_telegram_could_no_longer_send_a_copy(
    webhook_live: LiveBot, database: Database
) -> None:
    now = webhook_live.clock.now()
    async with database.sessions() as session, session.begin():
        for update_id, age in ((900_001, timedelta(hours=49)), (900_002, timedelta(hours=47))):
            session.add(
                HandledUpdate(
                    update_id=update_id, state="done", claimed_by="w", claimed_at=now - age
                )
            )

    await webhook_live.process.run_job_now("prune_job_history")

    async with database.sessions() as session:
        kept = (await session.execute(select(HandledUpdate.update_id))).scalars().all()
    assert kept == [900_002]
