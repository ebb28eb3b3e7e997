"""When Telegram refuses, fails or floods, no warning is lost and none is sent needlessly."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from redis.asyncio import Redis
from sqlalchemy import insert, select

from broadcast.interface import SendOutcome
from broadcast.outbox import dead_letters, retry_failed
from core.enums import DeliveryState
from core.errors import InvalidInput
from storage.db import Database
from storage.models import Person, Subscription
from tests.support.backends import Backend
from tests.support.broadcast_support import (
    FAST_CONFIG,
    BroadcastRig,
    RecordingTransport,
    broadcast_rig,
    new_user_id,
)


@pytest.fixture
async def rig(
    backend: Backend, database: Database, redis: Redis | None
) -> AsyncIterator[BroadcastRig]:
    async with broadcast_rig(backend, database, redis) as made:
        yield made


async def test_a_429_storm_pauses_every_sender_for_retry_after_and_loses_nothing(
    rig: BroadcastRig,
) -> None:
    people = await rig.recipients(30)
    queued = await rig.queue(people)
    await rig.sandbox.inject_fault("sendMessage", kind="429", count=3, retry_after=1)
    spy = RecordingTransport(rig.transport(FAST_CONFIG))

    async with rig.worker(transport=spy) as worker:
        states = await rig.settled(queued.alert_id)

    assert states == {DeliveryState.SENT: 30}
    assert worker.stats.rate_limited == 3
    calls = await rig.sandbox.calls()
    assert calls.status_429 == 3 and calls.rate_limited_total == 0
    assert await rig.sends_seen() == 30
    for answered_at, result in spy.log.answered:
        if result.outcome == SendOutcome.RATE_LIMITED:
            assert result.retry_after == 1
            too_soon = [t for t, _ in spy.log.started if answered_at < t < answered_at + 1.0]
            assert too_soon == [], "a send started while Telegram had asked everyone to wait"
    for delivery in await rig.deliveries(queued.alert_id):
        assert delivery.attempts == 1


async def test_people_who_blocked_the_bot_or_left_telegram_are_tried_once_and_unsubscribed(
    rig: BroadcastRig,
) -> None:
    reachable = await rig.recipients(3)
    blocked, deactivated = await rig.recipients(2)
    await rig.sandbox.block(blocked)
    await rig.sandbox.deactivate(deactivated)
    vanished = new_user_id()  # known to the bot, unknown to Telegram: 400 chat not found
    await rig.known([vanished])
    everyone = [*reachable, blocked, deactivated, vanished]
    await _subscribe(rig, everyone)
    queued = await rig.queue(everyone)

    async with rig.worker():
        states = await rig.settled(queued.alert_id)

    assert states == {DeliveryState.SENT: 3, DeliveryState.BLOCKED: 3}
    by_chat = {d.chat_id: d for d in await rig.deliveries(queued.alert_id)}
    assert "blocked by the user" in (by_chat[blocked].last_error or "")
    assert "user is deactivated" in (by_chat[deactivated].last_error or "")
    assert "chat not found" in (by_chat[vanished].last_error or "")
    assert all(by_chat[chat].attempts == 1 for chat in (blocked, deactivated, vanished))
    assert (await rig.sandbox.calls()).count("sendMessage") == 6
    assert await _subscribed(rig) == set(reachable)


async def test_server_errors_are_retried_with_backoff_then_sent(rig: BroadcastRig) -> None:
    [person] = await rig.recipients(1)
    queued = await rig.queue([person])
    await rig.sandbox.inject_fault("sendMessage", kind="500", count=1)
    await rig.sandbox.inject_fault("sendMessage", kind="502", count=1)

    async with rig.worker() as worker:
        states = await rig.settled(queued.alert_id)

    assert states == {DeliveryState.SENT: 1}
    [delivery] = await rig.deliveries(queued.alert_id)
    assert delivery.attempts == 3 and worker.stats.retried == 2
    assert len(await rig.received(person)) == 1


async def test_a_timeout_is_retried(rig: BroadcastRig) -> None:
    [person] = await rig.recipients(1)
    queued = await rig.queue([person])
    await rig.sandbox.inject_fault("sendMessage", kind="timeout", count=1, hold_seconds=5)
    quick = replace(FAST_CONFIG, send_timeout_seconds=0.3)

    async with rig.worker(quick):
        assert await rig.settled(queued.alert_id) == {DeliveryState.SENT: 1}
    [delivery] = await rig.deliveries(queued.alert_id)
    assert delivery.attempts == 2


async def test_a_lost_answer_is_sent_again_since_a_duplicate_beats_a_miss(
    rig: BroadcastRig,
) -> None:
    [person] = await rig.recipients(1)
    queued = await rig.queue([person])
    await rig.sandbox.inject_fault("sendMessage", kind="500", count=1, after_execute=True)

    async with rig.worker():
        assert await rig.settled(queued.alert_id) == {DeliveryState.SENT: 1}
    assert len(await rig.received(person)) == 2


async def test_after_the_last_attempt_a_copy_is_dead_lettered_for_the_coordinator(
    rig: BroadcastRig,
) -> None:
    [person] = await rig.recipients(1)
    queued = await rig.queue([person])
    attempts = FAST_CONFIG.max_attempts
    await rig.sandbox.inject_fault("sendMessage", kind="502", count=attempts)

    async with rig.worker():
        assert await rig.settled(queued.alert_id) == {DeliveryState.FAILED: 1}
        async with rig.database.sessions() as session:
            [failed] = await dead_letters(session, queued.alert_id)
        assert failed.chat_id == person and failed.attempts == attempts
        assert failed.last_error.startswith(f"gave up after {attempts} attempts")
        assert await rig.received(person) == []

        async with rig.database.sessions() as session:
            assert await retry_failed(session, queued.alert_id, now=rig.now()) == 1
        assert await rig.settled(queued.alert_id) == {DeliveryState.SENT: 1}
    assert len(await rig.received(person)) == 1


async def test_a_message_telegram_rejects_is_failed_at_once(rig: BroadcastRig) -> None:
    [person] = await rig.recipients(1)
    queued = await rig.queue([person], photo_file_id="no-such-file")

    async with rig.worker():
        assert await rig.settled(queued.alert_id) == {DeliveryState.FAILED: 1}
    [delivery] = await rig.deliveries(queued.alert_id)
    assert delivery.attempts == 1 and "Bad Request" in (delivery.last_error or "")


async def test_an_alert_too_long_for_telegram_is_refused_before_anything_is_written(
    rig: BroadcastRig,
) -> None:
    [person] = await rig.recipients(1)
    with pytest.raises(InvalidInput, match="characters too long"):
        await rig.queue([person], description="x" * 4100)
    with pytest.raises(InvalidInput, match="under a photo"):
        await rig.queue([person], description="x" * 1000, photo_file_id="AgAD")


async def _subscribe(rig: BroadcastRig, telegram_ids: list[int]) -> None:
    async with rig.database.sessions() as session, session.begin():
        people = await session.execute(
            select(Person.id).where(Person.telegram_user_id.in_(telegram_ids))
        )
        await session.execute(
            insert(Subscription),
            [{"person_id": person_id, "topic": "all"} for person_id in people.scalars()],
        )


async def _subscribed(rig: BroadcastRig) -> set[int]:
    async with rig.database.sessions() as session:
        rows = await session.execute(
            select(Person.telegram_user_id)
            .join(Subscription, Subscription.person_id == Person.id)
            .where(Subscription.active.is_(True))
        )
        return {row for row in rows.scalars() if row is not None}
