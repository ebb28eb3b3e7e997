"""A coordinator can stop, recall and pay for broadcasts, and watch their progress."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest
from redis.asyncio import Redis

from broadcast.audience import Audience
from broadcast.outbox import cancel_alert, delivery_counts, recall_alert, set_paid_budget
from broadcast.progress import DeliveryCounts, progress_text
from core.enums import AlertMessageType, AlertState, DeliveryState, MembershipStatus, Role
from core.errors import InvalidInput
from storage.db import Database
from storage.models import Alert
from storage.repositories import alerts as alerts_repo
from tests.support import factories
from tests.support.backends import Backend
from tests.support.broadcast_support import (
    FAST_CONFIG,
    BroadcastRig,
    broadcast_rig,
    eventually,
    until,
)
from tests.support.live import LiveBot
from tests.support.town import Town

SLOW = replace(FAST_CONFIG, rate_per_second=20.0, concurrency=5)


@pytest.fixture
async def rig(
    backend: Backend, database: Database, redis: Redis | None
) -> AsyncIterator[BroadcastRig]:
    async with broadcast_rig(backend, database, redis) as made:
        yield made


async def test_cancel_stops_the_undelivered_copies_within_seconds(rig: BroadcastRig) -> None:
    people = await rig.recipients(80)
    queued = await rig.queue(people)

    async with rig.worker(SLOW) as worker:
        await until(lambda: worker.stats.sent >= 10)
        async with rig.database.sessions() as session:
            await cancel_alert(session, queued.alert_id, now=rig.now())
        sent_at_cancel = worker.stats.sent
        states = await rig.settled(queued.alert_id)

    # At 20 a second, at most a few seconds' worth can still go out after the cancel.
    assert states[DeliveryState.SENT] <= sent_at_cancel + 5 * 20
    assert states[DeliveryState.SENT] + states[DeliveryState.CANCELLED] == 80
    assert states[DeliveryState.CANCELLED] > 0
    assert await rig.sends_seen() == states[DeliveryState.SENT]
    async with rig.database.sessions() as session:
        alert = await session.get(Alert, queued.alert_id)
        assert alert is not None and alert.state == AlertState.CANCELLED


async def test_a_cap_cancel_message_stops_the_alert_it_refers_to(rig: BroadcastRig) -> None:
    people = await rig.recipients(3)
    original = await rig.queue(people)
    all_clear = await rig.queue(
        people,
        headline="The man has been detained",
        message_type=AlertMessageType.CANCEL,
        references_id=original.alert_id,
    )
    assert all_clear.cancelled_alert_id == original.alert_id

    async with rig.worker():
        assert await rig.settled(original.alert_id) == {DeliveryState.CANCELLED: 3}
        assert await rig.settled(all_clear.alert_id) == {DeliveryState.SENT: 3}
    for person in people:
        [copy] = await rig.received(person)
        assert "ALL CLEAR" in copy.body


async def test_recall_deletes_the_copies_younger_than_48_hours(rig: BroadcastRig) -> None:
    early_people = await rig.recipients(3)
    early = await rig.queue(early_people, expires_in=timedelta(days=3))
    async with rig.worker():
        await rig.settled(early.alert_id)
    await rig.advance(timedelta(hours=49))
    late_people = await rig.recipients(4)
    late = await rig.queue(late_people)
    async with rig.worker():
        await rig.settled(late.alert_id)

    async with rig.database.sessions() as session:
        assert await recall_alert(session, early.alert_id, now=rig.now()) == 0
    async with rig.database.sessions() as session:
        assert await recall_alert(session, late.alert_id, now=rig.now()) == 4
    async with rig.worker():
        await eventually(
            lambda: rig.states(late.alert_id),
            lambda found: found == {DeliveryState.RECALLED: 4},
        )

    for person in late_people:
        [copy] = await rig.received(person)
        assert copy.deleted
    for person in early_people:
        [copy] = await rig.received(person)
        assert not copy.deleted
    assert await rig.states(early.alert_id) == {DeliveryState.SENT: 3}
    counts = await _counts(rig, late.alert_id)
    assert progress_text(counts, rate_per_second=30) == (
        "Sent 4 of 4 · 0 blocked · 0 failed · 4 recalled · done"
    )


async def test_recall_while_sending_stops_the_rest_and_deletes_what_went(
    rig: BroadcastRig,
) -> None:
    people = await rig.recipients(40)
    queued = await rig.queue(people)

    async with rig.worker(SLOW) as worker:
        await until(lambda: worker.stats.sent >= 5)
        async with rig.database.sessions() as session:
            await recall_alert(session, queued.alert_id, now=rig.now())
        await rig.settled(queued.alert_id)
        states = await eventually(
            lambda: rig.states(queued.alert_id),
            lambda found: DeliveryState.SENT not in found,
        )

    assert set(states) == {DeliveryState.RECALLED, DeliveryState.CANCELLED}
    for person in people:
        assert all(copy.deleted for copy in await rig.received(person))


async def test_paid_alerts_go_at_the_paid_rate_within_the_schemes_budget(
    rig: BroadcastRig,
) -> None:
    # The free bot-wide limit is squeezed: only copies sent as paid broadcasts get through.
    await rig.sandbox.set_limits(bot_per_second=1, bot_burst=1)
    people = await rig.recipients(30)
    async with rig.database.sessions() as session:
        scheme = await factories.scheme(session, "Market Town Shop Watch")
    async with rig.database.sessions() as session:
        await set_paid_budget(session, scheme.id, 20, now=rig.now())

    with pytest.raises(InvalidInput, match="has 20 left"):
        await rig.queue(people, paid=True, scheme_id=scheme.id)
    async with rig.database.sessions() as session:
        await set_paid_budget(session, scheme.id, 50, now=rig.now())
    queued = await rig.queue(people, paid=True, scheme_id=scheme.id)

    async with rig.worker(replace(FAST_CONFIG, rate_per_second=1.0)):
        assert await rig.settled(queued.alert_id) == {DeliveryState.SENT: 30}
    calls = await rig.sandbox.calls()
    assert calls.status_429 == 0 and calls.rate_limited_total == 0
    async with rig.database.sessions() as session:
        assert await alerts_repo.paid_budget_left(session, scheme.id) == 20


async def test_progress_reads_at_a_glance(rig: BroadcastRig) -> None:
    people = await rig.recipients(3)
    await rig.sandbox.block(people[0])
    queued = await rig.queue(people)
    counts = await _counts(rig, queued.alert_id)
    assert progress_text(counts, rate_per_second=30) == (
        "Sent 0 of 3 · 0 blocked · 0 failed · less than a minute left"
    )
    async with rig.worker():
        await rig.settled(queued.alert_id)
    counts = await _counts(rig, queued.alert_id)
    assert progress_text(counts, rate_per_second=30) == "Sent 2 of 3 · 1 blocked · 0 failed · done"


async def test_the_bot_process_sends_alerts_to_a_schemes_members_and_group(town: Town) -> None:
    live: LiveBot = town.live
    async with town.database.sessions() as session:
        await factories.member(
            session,
            telegram_user_id=town.resident.id,
            scheme_id=town.scheme_id,
            role=Role.TRADER,
            status=MembershipStatus.SUSPENDED,
        )
    for person in (town.trader, town.second_trader):
        await person.says("/help")  # they have talked to the bot, so it may write to them
    rig = BroadcastRig(
        live.server, live.sandbox, town.database, None, live.backend, clock=live.clock
    )
    queued = await rig.queue(
        [],
        scheme_id=town.scheme_id,
        audience=Audience(scheme_id=town.scheme_id, roles=(Role.TRADER,), include_group=True),
    )
    assert queued.recipients == 3  # Tom, Tia and the group; not Penny, Rex, Sue or Otto

    warning = await town.trader.next_reply()
    assert "Shoplifter active on the High Street" in warning.body and warning.protect_content
    assert "Shoplifter" in (await town.second_trader.next_reply()).body
    assert "Shoplifter" in (await live.next_in_group(town.group)).body
    await rig.settled(queued.alert_id)
    await town.pending.hears_nothing()
    await town.other_trader.hears_nothing()


async def _counts(rig: BroadcastRig, alert_id: int) -> DeliveryCounts:
    async with rig.database.sessions() as session:
        return await delivery_counts(session, alert_id)
