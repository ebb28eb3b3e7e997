"""Who gets an alert, how the sends are paced, and how progress reads."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from redis.asyncio import Redis
from sqlalchemy import select, update

from broadcast.audience import Audience
from broadcast.config import EngineConfig
from broadcast.interface import ChatKind, SlotRequest, Verdict
from broadcast.limiter import MemoryLimiter, RedisLimiter
from broadcast.outbox import AlertDraft, preview_recipients, queue_alert
from broadcast.progress import DeliveryCounts, progress_text
from core.enums import MembershipStatus, Role, Severity
from storage.db import Database
from storage.models import Delivery, Person, Scheme, Subscription
from tests.support import factories
from tests.support.backends import Backend
from tests.support.broadcast_support import TZ

NOON = datetime(2026, 6, 1, 11, 0, tzinfo=UTC)  # 12:00 in London
MIDNIGHT = datetime(2026, 6, 1, 23, 0, tzinfo=UTC)  # 00:00 in London


async def _town(database: Database) -> dict[str, int]:
    """A scheme with a linked group, members of every standing, and subscribers."""
    ids: dict[str, int] = {}
    async with database.sessions() as session:
        scheme = await factories.scheme(session, "Market Town Shop Watch")
        other = await factories.scheme(session, "Riverside Shop Watch")
    async with database.sessions() as session:
        centre = await factories.area(session, scheme_id=scheme.id, name="Centre", districts=[])
        river = await factories.area(session, scheme_id=other.id, name="Quay", districts=[])
    members = [
        ("tom", scheme.id, Role.TRADER, MembershipStatus.APPROVED),
        ("tia", scheme.id, Role.TRADER, MembershipStatus.APPROVED),
        ("cora", scheme.id, Role.COORDINATOR, MembershipStatus.APPROVED),
        ("penny", scheme.id, Role.TRADER, MembershipStatus.PENDING),
        ("sue", scheme.id, Role.TRADER, MembershipStatus.SUSPENDED),
        ("otto", other.id, Role.TRADER, MembershipStatus.APPROVED),
    ]
    for number, (name, scheme_id, role, status) in enumerate(members, start=1):
        async with database.sessions() as session:
            await factories.member(
                session,
                telegram_user_id=1000 + number,
                scheme_id=scheme_id,
                role=role,
                status=status,
            )
        ids[name] = 1000 + number
    residents = ["rosa", "ravi", "rhea", "roy", "ruth"]
    for number, name in enumerate(residents, start=20):
        async with database.sessions() as session:
            await factories.person(session, telegram_user_id=1000 + number, name=name)
        ids[name] = 1000 + number
    async with database.sessions() as session, session.begin():
        rows = await session.execute(select(Person.telegram_user_id, Person.id))
        people = {telegram_id: person_id for telegram_id, person_id in rows.all()}
        session.add_all(
            [
                # Rosa: thefts in the centre, every severity.
                Subscription(person_id=people[ids["rosa"]], area_id=centre.id, topic="theft"),
                # Ravi: everything, everywhere, but only severe and worse.
                Subscription(
                    person_id=people[ids["ravi"]], topic="all", min_severity=Severity.SEVERE
                ),
                # Rhea: thefts on the quay only.
                Subscription(person_id=people[ids["rhea"]], area_id=river.id, topic="theft"),
                # Roy: scams in the centre.
                Subscription(person_id=people[ids["roy"]], area_id=centre.id, topic="scams"),
                # Ruth: stopped her subscription.
                Subscription(
                    person_id=people[ids["ruth"]], area_id=centre.id, topic="theft", active=False
                ),
                # Tom subscribes too, and still gets one copy.
                Subscription(person_id=people[ids["tom"]], area_id=centre.id, topic="theft"),
            ]
        )
        await session.execute(
            update(Scheme).where(Scheme.id == scheme.id).values(telegram_group_id=-100777)
        )
        await session.execute(
            update(Person)
            .where(Person.telegram_user_id == ids["rosa"])
            .values(quiet_hours_start=time(22, 0), quiet_hours_end=time(7, 0))
        )
    ids["scheme"] = scheme.id
    ids["centre"] = centre.id
    return ids


async def _planned(
    database: Database, audience: Audience, severity: Severity, at: datetime = NOON
) -> dict[int, bool]:
    """Queues an alert; returns each recipient's chat id and whether it arrives silently."""
    draft = AlertDraft(
        headline="Shoplifter on the High Street",
        description="Grey hoodie, taking spirits.",
        severity=severity,
        expires_at=at + timedelta(hours=2),
        audience=audience,
    )
    async with database.sessions() as session:
        queued = await queue_alert(session, draft, now=at, tz=TZ)
    async with database.sessions() as session:
        rows = await session.execute(
            select(Delivery.chat_id, Delivery.silent).where(Delivery.alert_id == queued.alert_id)
        )
        planned = {chat: bool(silent) for chat, silent in rows.all()}
    assert queued.recipients == len(planned)
    return planned


async def test_members_of_the_chosen_roles_and_the_group_are_planned(
    backend: Backend, database: Database
) -> None:
    ids = await _town(database)
    audience = Audience(scheme_id=ids["scheme"], roles=(Role.TRADER,), include_group=True)

    planned = await _planned(database, audience, Severity.MODERATE)

    assert set(planned) == {ids["tom"], ids["tia"], -100777}


async def test_subscribers_hear_their_topics_in_their_areas_at_their_severity(
    backend: Backend, database: Database
) -> None:
    ids = await _town(database)
    theft = Audience(scheme_id=ids["scheme"], subscribers=True, topics=("theft",))

    assert set(await _planned(database, theft, Severity.MODERATE)) == {ids["rosa"], ids["tom"]}
    assert set(await _planned(database, theft, Severity.SEVERE)) == {
        ids["rosa"],
        ids["tom"],
        ids["ravi"],
    }


async def test_everyone_reached_twice_gets_one_copy_and_the_unreachable_none(
    backend: Backend, database: Database
) -> None:
    ids = await _town(database)
    async with database.sessions() as session, session.begin():
        await session.execute(
            update(Person)
            .where(Person.telegram_user_id == ids["tia"])
            .values(bot_blocked_at=NOON - timedelta(days=1))
        )
    audience = Audience(
        scheme_id=ids["scheme"],
        roles=(Role.TRADER, Role.COORDINATOR),
        subscribers=True,
        area_ids=(ids["centre"],),
        topics=("theft",),
        chat_ids=(ids["tom"], ids["roy"], 999_999),
    )

    planned = await _planned(database, audience, Severity.MINOR)

    assert set(planned) == {ids["tom"], ids["cora"], ids["rosa"], ids["roy"]}
    async with database.sessions() as session:
        counted = await preview_recipients(session, audience, Severity.MINOR, now=NOON, tz=TZ)
    assert counted == 4


async def test_quiet_hours_make_a_copy_silent_unless_the_alert_is_urgent(
    backend: Backend, database: Database
) -> None:
    ids = await _town(database)
    rosa = Audience(chat_ids=(ids["rosa"], ids["roy"]))

    assert await _planned(database, rosa, Severity.MINOR, at=NOON) == {
        ids["rosa"]: False,
        ids["roy"]: False,
    }
    assert await _planned(database, rosa, Severity.MODERATE, at=MIDNIGHT) == {
        ids["rosa"]: True,
        ids["roy"]: False,
    }
    assert await _planned(database, rosa, Severity.SEVERE, at=MIDNIGHT) == {
        ids["rosa"]: False,
        ids["roy"]: False,
    }
    assert await _planned(database, rosa, Severity.EXTREME, at=MIDNIGHT) == {
        ids["rosa"]: False,
        ids["roy"]: False,
    }


class FakeTime:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _private(chat: int, paid: bool = False) -> SlotRequest:
    return SlotRequest(chat_id=chat, kind=ChatKind.PRIVATE, paid=paid)


async def test_the_memory_limiter_spaces_sends_and_honours_each_chat_and_pauses() -> None:
    clock = FakeTime()
    limiter = MemoryLimiter(EngineConfig(rate_per_second=10, paid_rate_per_second=100), clock)

    slots = await limiter.reserve([_private(chat) for chat in range(1, 6)])
    assert [slot.verdict for slot in slots] == [Verdict.GO] * 5
    assert [round(slot.delay, 3) for slot in slots] == [0.0, 0.1, 0.2, 0.3, 0.4]

    [again] = await limiter.reserve([_private(1)])
    assert again.verdict == Verdict.CHAT_BUSY and again.delay == pytest.approx(1.2)

    [beyond] = await limiter.reserve([_private(chat) for chat in range(10, 21)][-1:])
    assert beyond.verdict == Verdict.GO and beyond.delay == pytest.approx(0.5)
    [paid] = await limiter.reserve([_private(30, paid=True)])
    assert paid.verdict == Verdict.GO and paid.delay == 0

    await limiter.pause_all(3)
    [paused] = await limiter.reserve([_private(40)])
    assert paused.verdict == Verdict.PAUSED and paused.delay == pytest.approx(3)
    clock.now += 3
    [after] = await limiter.reserve([_private(40)])
    assert after.verdict == Verdict.GO


async def test_the_redis_limiter_keeps_one_schedule_for_every_process(
    backend: Backend, redis: Redis | None
) -> None:
    if redis is None:
        pytest.skip("the in-memory tier has no Redis")
    config = EngineConfig(rate_per_second=10)
    first = RedisLimiter(redis, config, prefix=backend.redis_prefix)
    second = RedisLimiter(redis, config, prefix=backend.redis_prefix)

    slots = [*await first.reserve([_private(1), _private(2)]), *await second.reserve([_private(3)])]
    assert [slot.verdict for slot in slots] == [Verdict.GO] * 3
    assert [round(slot.delay, 1) for slot in slots] == [0.0, 0.1, 0.2]
    [busy] = await second.reserve([_private(1)])
    assert busy.verdict == Verdict.CHAT_BUSY and 0.9 < busy.delay <= 1.2
    many = await first.reserve([_private(chat) for chat in range(100, 120)])
    assert [slot.verdict for slot in many].count(Verdict.LATER) > 0

    await first.pause_all(2)
    [paused] = await second.reserve([_private(50)])
    assert paused.verdict == Verdict.PAUSED and 1.5 < paused.delay <= 2


def test_progress_says_how_far_a_broadcast_has_got() -> None:
    counts = DeliveryCounts(sent=4210, pending=5787, blocked=3)
    assert progress_text(counts, rate_per_second=30) == (
        "Sent 4,210 of 10,000 · 3 blocked · 0 failed · about 3 min left"
    )
    assert progress_text(DeliveryCounts(pending=100), rate_per_second=30) == (
        "Sent 0 of 100 · 0 blocked · 0 failed · less than a minute left"
    )
    finished = DeliveryCounts(sent=9, failed=1, cancelled=2)
    assert progress_text(finished, rate_per_second=30) == (
        "Sent 9 of 12 · 0 blocked · 1 failed · 2 cancelled · done"
    )
    huge = DeliveryCounts(pending=500_000)
    assert progress_text(huge, rate_per_second=30).endswith("about 5 h left")
