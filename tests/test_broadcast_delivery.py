"""An alert reaches every recipient once, as fast as the limits allow and never faster."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest
from redis.asyncio import Redis
from sqlalchemy import update

from broadcast.audience import Audience
from broadcast.config import EngineConfig
from core.enums import AlertState, DeliveryState
from core.errors import InvalidInput
from storage.db import Database
from storage.models import Alert, Scheme
from tests.support import factories
from tests.support.backends import Backend
from tests.support.broadcast_support import (
    FAST_CONFIG,
    HEADLINE,
    BroadcastRig,
    broadcast_rig,
    until,
)


@pytest.fixture
async def rig(
    backend: Backend, database: Database, redis: Redis | None
) -> AsyncIterator[BroadcastRig]:
    async with broadcast_rig(backend, database, redis) as made:
        yield made


async def test_every_recipient_gets_one_copy_and_each_copy_is_recorded(rig: BroadcastRig) -> None:
    people = await rig.recipients(40)
    queued = await rig.queue(people)
    assert queued.recipients == 40

    async with rig.worker():
        states = await rig.settled(queued.alert_id)

    assert states == {DeliveryState.SENT: 40}
    for delivery in await rig.deliveries(queued.alert_id):
        [copy] = await rig.received(delivery.chat_id)
        assert copy.message_id == delivery.telegram_message_id
        assert HEADLINE in copy.body and copy.protect_content
        assert delivery.attempts == 1 and delivery.sent_at is not None
    calls = await rig.sandbox.calls()
    assert calls.status_429 == 0 and calls.rate_limited_total == 0
    async with rig.database.sessions() as session:
        alert = await session.get(Alert, queued.alert_id)
        assert alert is not None and alert.state == AlertState.COMPLETED


async def test_at_telegrams_real_limits_nothing_is_ever_refused(rig: BroadcastRig) -> None:
    """30 a second bot-wide and one a second per chat, with two alerts to the same people."""
    await rig.sandbox.set_limits(
        bot_per_second=30, bot_burst=30, private_per_second=1, private_burst=1
    )
    config = replace(EngineConfig(), concurrency=10, lease_seconds=5.0)
    people = await rig.recipients(36)
    first = await rig.queue(people)
    second = await rig.queue(people, headline="Update: the man has left towards the station")

    async with rig.worker(config):
        assert await rig.settled(first.alert_id) == {DeliveryState.SENT: 36}
        assert await rig.settled(second.alert_id) == {DeliveryState.SENT: 36}

    calls = await rig.sandbox.calls()
    assert calls.status_429 == 0 and calls.rate_limited_total == 0
    assert calls.count("sendMessage") == 72


async def test_a_groups_copies_are_spaced_to_the_group_limit(rig: BroadcastRig) -> None:
    """Telegram's 20 a minute per group, scaled up to 10 a second for a quick test."""
    await rig.sandbox.set_limits(group_per_minute=600, group_burst=1)
    [coordinator] = await rig.recipients(1)
    group = await rig.sandbox.create_group("Market Town Shop Watch", creator_id=coordinator)
    await rig.sandbox.add_bot_to_group(group.id, admin=False, by_user_id=coordinator)
    async with rig.database.sessions() as session:
        scheme = await factories.scheme(session, "Market Town Shop Watch")
    async with rig.database.sessions() as session, session.begin():
        await session.execute(
            update(Scheme).where(Scheme.id == scheme.id).values(telegram_group_id=group.id)
        )
    to_the_group = Audience(scheme_id=scheme.id, include_group=True)
    alerts = [
        await rig.queue([], audience=to_the_group, headline=f"Warning number {number}")
        for number in range(1, 5)
    ]

    async with rig.worker(replace(FAST_CONFIG, group_per_minute=600)):
        for queued in alerts:
            assert await rig.settled(queued.alert_id) == {DeliveryState.SENT: 1}

    assert len(await rig.received(group.id)) == 4
    calls = await rig.sandbox.calls()
    assert calls.status_429 == 0 and calls.rate_limited_total == 0


async def test_an_expired_alert_is_never_sent(rig: BroadcastRig) -> None:
    people = await rig.recipients(5)
    queued = await rig.queue(people, expires_in=timedelta(minutes=10))
    await rig.advance(timedelta(minutes=11))

    async with rig.worker():
        states = await rig.settled(queued.alert_id)

    assert states == {DeliveryState.CANCELLED: 5}
    assert all(d.last_error == "the alert expired" for d in await rig.deliveries(queued.alert_id))
    assert (await rig.sandbox.calls()).count("sendMessage") == 0


async def test_an_alert_that_has_already_expired_is_refused(rig: BroadcastRig) -> None:
    people = await rig.recipients(1)
    with pytest.raises(InvalidInput, match="already expired"):
        await rig.queue(people, expires_in=timedelta(seconds=-1))


async def test_nobody_to_send_to_is_refused_and_nothing_is_kept(rig: BroadcastRig) -> None:
    with pytest.raises(InvalidInput, match="Nobody in that audience"):
        await rig.queue([123])
    async with rig.database.sessions() as session:
        assert (await session.get(Alert, 1)) is None


async def test_a_clean_stop_hands_unsent_copies_back_for_the_next_worker(
    rig: BroadcastRig,
) -> None:
    people = await rig.recipients(60)
    queued = await rig.queue(people)
    slow = replace(FAST_CONFIG, rate_per_second=20.0)

    async with rig.worker(slow) as first:
        await until(lambda: first.stats.sent >= 5)
    states = await rig.states(queued.alert_id)
    assert DeliveryState.SENDING not in states
    assert states[DeliveryState.PENDING] > 0

    async with rig.worker():
        assert await rig.settled(queued.alert_id) == {DeliveryState.SENT: 60}
    assert await rig.sends_seen() == 60
