"""A scheduled warning finds its recipients, and their quiet hours, when it starts."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from broadcast.audience import Audience
from broadcast.outbox import EXPECTED, PAID_REFUSED, AlertDraft, queue_alert, start_due
from core.enums import AlertState, Severity
from storage.db import Database
from storage.models import Alert, Delivery
from storage.repositories import alerts as alerts_repo
from tests.support import factories
from tests.support.clock import MovableClock
from tests.support.live import LiveBot
from tests.support.town import Town
from tests.test_subscriptions import subscribe, tap
from tests.test_subscriptions_audience import quiet_around_now, received, recipients, set_quiet

TZ_NAME = "Europe/London"


async def schedule(
    live: LiveBot,
    database: Database,
    severity: Severity,
    headline: str,
    *,
    after: timedelta,
    audience: Audience | None = None,
) -> int:
    """Schedules a warning to every subscriber, `after` from now; returns the alert id."""
    now = live.clock.now()
    draft = AlertDraft(
        headline=headline,
        description="Seen on the High Street around noon; do not approach them.",
        severity=severity,
        expires_at=now + after + timedelta(hours=6),
        audience=audience or Audience(subscribers=True),
        scheduled_for=now + after,
    )
    async with database.sessions() as session:
        queued = await queue_alert(session, draft, now=now, tz=live.settings.tz)
    assert queued.scheduled
    return queued.alert_id


async def copies(database: Database, alert_id: int) -> int:
    async with database.sessions() as session:
        return int(
            await session.scalar(select(func.count()).where(Delivery.alert_id == alert_id)) or 0
        )


async def delivered(live: LiveBot, database: Database, alert_id: int) -> set[int]:
    """The chats a scheduled alert went to, once it has started and every copy is sent."""

    async def started() -> bool:
        return await copies(database, alert_id) > 0

    await live.eventually(started)
    return await recipients(live, database, alert_id)


async def test_who_gets_a_scheduled_warning_is_decided_when_it_starts(
    town: Town, database: Database
) -> None:
    live, tom, tia, pat, rosa = (
        town.live,
        town.trader,
        town.second_trader,
        town.partner,
        town.resident,
    )
    for person in (tom, tia, pat):
        await subscribe(person, areas=["Everywhere"], topics=[])
    moderate = await schedule(
        live, database, Severity.MODERATE, "Charity tin thieves", after=timedelta(hours=2)
    )
    severe = await schedule(
        live, database, Severity.SEVERE, "Armed robbery", after=timedelta(hours=2)
    )
    assert await copies(database, moderate) == 0, "nobody is chosen before it starts"

    # Meanwhile Rosa subscribes, Tia unsubscribes, and Pat's quiet hours will have begun.
    await subscribe(rosa, areas=["Everywhere"], topics=[])
    await tap(tia, "Unsubscribe from everything", await tia.says("/subscribe"))
    await set_quiet(pat, quiet_around_now(live, starting_in=timedelta(hours=1)))
    await live.advance(timedelta(hours=2, minutes=1))

    assert await delivered(live, database, moderate) == {tom.id, pat.id, rosa.id}
    assert await delivered(live, database, severe) == {tom.id, pat.id, rosa.id}
    assert (await received(pat, "Charity tin thieves")).disable_notification
    assert not (await received(pat, "Armed robbery")).disable_notification, "severe rings"
    assert not (await received(rosa, "Charity tin thieves")).disable_notification
    await live.sandbox.assert_no_message(tia.id, within=0.5)


async def test_a_scheduled_warning_starts_once_however_many_workers_see_it_due(
    database: Database,
) -> None:
    clock = MovableClock()
    people = []
    async with database.sessions() as session:
        scheme = await factories.scheme(session)
    for number in range(3):
        async with database.sessions() as session:
            people.append(
                await factories.person(
                    session, telegram_user_id=700_000_100 + number, name=f"Neighbour {number}"
                )
            )
    now = clock.now()
    draft = AlertDraft(
        headline="Shoplifter active on the High Street",
        description="A man in a grey hoodie is taking spirits from shelves.",
        severity=Severity.MODERATE,
        expires_at=now + timedelta(hours=6),
        audience=Audience(chat_ids=tuple(p.telegram_user_id or 0 for p in people)),
        scheme_id=scheme.id,
        scheduled_for=now + timedelta(minutes=30),
    )
    tz = ZoneInfo(TZ_NAME)
    async with database.sessions() as session:
        queued = await queue_alert(session, draft, now=now, tz=tz)
    assert await start_due(database.sessions, now=now + timedelta(minutes=29), tz=tz) == []

    later = now + timedelta(minutes=31)
    first, second = await asyncio.gather(
        start_due(database.sessions, now=later, tz=tz),
        start_due(database.sessions, now=later, tz=tz),
    )

    assert sorted(first + second) == [queued.alert_id]
    assert await copies(database, queued.alert_id) == 3
    async with database.sessions() as session:
        alert = await session.get(Alert, queued.alert_id)
        assert alert is not None and alert.state == AlertState.QUEUED
        assert alert.audience[EXPECTED] == 3


async def test_a_paid_scheduled_warning_takes_its_budget_when_it_starts(
    database: Database,
) -> None:
    tz = ZoneInfo(TZ_NAME)
    clock = MovableClock()
    now = clock.now()
    async with database.sessions() as session:
        scheme = await factories.scheme(session)
    chats = tuple(700_000_200 + number for number in range(4))
    for chat in chats:
        async with database.sessions() as session:
            await factories.person(session, telegram_user_id=chat, name="Neighbour")
    async with database.sessions() as session, session.begin():
        await alerts_repo.set_paid_budget(session, scheme.id, 10, now)

    def paid_draft(minutes: int) -> AlertDraft:
        return AlertDraft(
            headline="Shoplifter active on the High Street",
            description="A man in a grey hoodie is taking spirits from shelves.",
            severity=Severity.MODERATE,
            expires_at=now + timedelta(hours=6),
            audience=Audience(chat_ids=chats),
            scheme_id=scheme.id,
            paid=True,
            scheduled_for=now + timedelta(minutes=minutes),
        )

    async with database.sessions() as session:
        first = await queue_alert(session, paid_draft(30), now=now, tz=tz)
    async with database.sessions() as session:
        second = await queue_alert(session, paid_draft(60), now=now, tz=tz)

    async def left() -> int:
        async with database.sessions() as session:
            return await alerts_repo.paid_budget_left(session, scheme.id)

    assert await left() == 10, "nothing is taken when it is only scheduled"
    await start_due(database.sessions, now=now + timedelta(minutes=31), tz=tz)
    assert await left() == 6
    async with database.sessions() as session, session.begin():
        await alerts_repo.set_paid_budget(session, scheme.id, 3, now)
    await start_due(database.sessions, now=now + timedelta(minutes=61), tz=tz)

    assert await left() == 3, "a budget too small is left alone"
    async with database.sessions() as session:
        started = await session.get(Alert, first.alert_id)
        late = await session.get(Alert, second.alert_id)
        assert started is not None and started.paid
        assert late is not None and not late.paid and late.audience[PAID_REFUSED] == 4
    assert await copies(database, second.alert_id) == 4, "sent at the normal pace instead"
