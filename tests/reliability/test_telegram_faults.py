"""Telegram fails, floods or hangs up: every reply still arrives and no limit is broken.

The broadcast engine's own answers to these faults are in tests/test_broadcast_failures.py,
and the sandbox's fault injection in tests/sandbox/test_limits_faults.py; here it is the
bot's conversational replies, alone and while a broadcast runs.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select

from bot.app import build_bot
from broadcast.audience import Audience
from broadcast.outbox import AlertDraft, queue_alert
from core.enums import DeliveryState, Severity
from storage.db import Database
from storage.models import Delivery
from storage.models import Person as PersonRow
from tests.support.live import LiveBot, Person
from tests.support.soak import scale

HELP = "Here is what I can do for you:"
SORRY = "Sorry, something went wrong on our side."
RECIPIENTS = scale(ci=40, soak=400)
CHATTERS = scale(ci=4, soak=20)
HEADLINE = "Shoplifter active on the High Street"


async def copies_of(live: LiveBot, person: Person, text: str) -> int:
    """How many of the bot's messages to this person start with `text`."""
    transcript = await live.sandbox.transcript(person.id)
    return sum(1 for message in transcript if message.from_bot and message.body.startswith(text))


@pytest.mark.parametrize(
    ("kind", "count"),
    [("429", 2), ("500", 2), ("502", 2), ("timeout", 2), ("reset", 2)],
)
async def test_a_reply_telegram_fails_to_take_is_sent_again_until_it_arrives_once(
    shop_live: LiveBot, kind: str, count: int
) -> None:
    live = shop_live
    pat = await live.person("Pat")
    await live.sandbox.inject_fault(
        "sendMessage", kind=kind, count=count, retry_after=1, hold_seconds=0.5
    )

    reply = await pat.says("/help")

    assert reply.body.startswith(HELP), reply.body
    await pat.hears_nothing()
    assert await copies_of(live, pat, HELP) == 2  # the reply, then the sentinel's
    calls = await live.sandbox.calls()
    assert calls.faults_fired == count
    assert calls.rate_limited_total == 0


async def test_a_reply_whose_answer_is_lost_arrives_at_least_once(shop_live: LiveBot) -> None:
    live = shop_live
    pat = await live.person("Pat")
    await live.sandbox.inject_fault("sendMessage", kind="reset", count=1, after_execute=True)

    reply = await pat.says("/help")

    assert reply.body.startswith(HELP), reply.body
    # Sent, its answer lost, sent again: a reply twice beats a reply lost.
    await live.eventually(lambda: _has_copies(live, pat, HELP, 2))
    assert await copies_of(live, pat, SORRY) == 0


async def test_a_button_press_whose_answer_is_lost_is_not_met_with_an_apology(
    shop_live: LiveBot,
) -> None:
    live = shop_live
    pat = await live.person("Pat")
    intro = await pat.says("/report")
    await live.sandbox.inject_fault(
        "answerCallbackQuery", kind="reset", count=1, after_execute=True
    )

    subtypes = await pat.presses("Street drinking", on=intro)

    assert subtypes.body == "Which of these fits best?"
    await pat.hears_nothing()
    assert await copies_of(live, pat, SORRY) == 0


async def test_a_request_that_times_out_is_tried_again(shop_live: LiveBot) -> None:
    live = shop_live
    pat = await live.person("Pat", user_id=None)
    await pat.says("/start")
    # A bot that waits one second for Telegram; the sandbox holds the first call for five.
    bot = build_bot(live.settings, timeout=1)
    await live.sandbox.inject_fault("sendMessage", kind="timeout", count=1, hold_seconds=5)
    try:
        sent = await bot.send_message(pat.id, "Are you still there?")
    finally:
        await bot.session.close()

    arrived = await pat.next_reply()
    assert arrived.message_id == sent.message_id
    assert arrived.body == "Are you still there?"
    assert (await live.sandbox.calls()).faults_fired == 1


@pytest.mark.timeout(180)
async def test_a_storm_of_every_fault_during_a_broadcast_loses_no_reply_and_no_warning(
    shop_live: LiveBot, database: Database
) -> None:
    live = shop_live
    chatters = [await live.person(f"Chatter {n}") for n in range(CHATTERS)]
    recipients = [
        (await live.sandbox.create_user(f"Trader {n}", started=True)).id for n in range(RECIPIENTS)
    ]
    async with database.sessions() as session, session.begin():
        await session.execute(
            insert(PersonRow),
            [{"telegram_user_id": user_id, "full_name": "Trader"} for user_id in recipients],
        )
    for kind, count in (("429", 6), ("500", 4), ("502", 3), ("timeout", 2), ("reset", 3)):
        await live.sandbox.inject_fault(
            "*", kind=kind, count=count, retry_after=1, hold_seconds=0.5
        )

    async with database.sessions() as session:
        queued = await queue_alert(
            session,
            AlertDraft(
                headline=HEADLINE,
                description="A man in a grey hoodie is taking spirits from shelves.",
                severity=Severity.MODERATE,
                expires_at=live.clock.now() + timedelta(hours=6),
                audience=Audience(chat_ids=tuple(recipients)),
                instruction="Keep spirits behind the counter and call 101.",
            ),
            now=live.clock.now(),
            tz=ZoneInfo("Europe/London"),
        )
    replies = await asyncio.gather(*(chat_through_the_storm(person) for person in chatters))

    for person_replies in replies:
        assert person_replies[0].startswith("Report a problem"), person_replies
        assert person_replies[1].startswith("Cancelled."), person_replies
        assert person_replies[2].startswith(HELP), person_replies
    await live.eventually(lambda: _settled(database, queued.alert_id), within=120)
    async with database.sessions() as session:
        states = list(
            (
                await session.execute(
                    select(Delivery.state).where(Delivery.alert_id == queued.alert_id)
                )
            ).scalars()
        )
    assert states == [DeliveryState.SENT] * RECIPIENTS
    for user_id in recipients:
        transcript = await live.sandbox.transcript(user_id)
        assert sum(HEADLINE in message.body for message in transcript) >= 1
    calls = await live.sandbox.calls()
    assert calls.faults_fired == 18
    assert calls.rate_limited_total == 0, calls.rate_limited
    for person in chatters:
        assert await copies_of(live, person, SORRY) == 0


async def chat_through_the_storm(person: Person) -> list[str]:
    """Starts a report, cancels it, asks for help; returns the bodies of the three replies."""
    intro = await person.says("/report")
    cancelled = await person.says("/cancel")
    helped = await person.says("/help")
    return [intro.body, cancelled.body, helped.body]


async def _has_copies(live: LiveBot, person: Person, text: str, count: int) -> bool:
    return await copies_of(live, person, text) >= count


async def _settled(database: Database, alert_id: int) -> bool:
    async with database.sessions() as session:
        states = set(
            (
                await session.execute(select(Delivery.state).where(Delivery.alert_id == alert_id))
            ).scalars()
        )
    return not states & {DeliveryState.PENDING, DeliveryState.SENDING}
