"""An update or ALL CLEAR reaches everyone who got the alert, however many that is.

The audience is "everyone who got alert X", found by the database: no list of chat ids
travels through Python or the conversation state (PostgreSQL refuses more than about 32,000
bind parameters in one statement).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from broadcast.audience import Audience
from core.broadcasts import compose
from core.broadcasts.followups import cancel
from core.enums import AlertMessageType, AlertState, AlertStatus, DeliveryState, Role, Severity
from core.people import PersonContext
from storage.db import Database
from storage.models import Alert, Delivery, Person, Scheme
from tests.support import factories
from tests.support.clock import MovableClock
from tests.support.soak import scale

FIRST = 600_000_001
GROUP_ID = -100_777_000_001
TZ = "Europe/London"


async def bulk_people(session: AsyncSession, first: int, count: int) -> None:
    """`count` people from Telegram id `first`, in one statement (not through Telegram)."""
    now = MovableClock().now()
    if session.get_bind().dialect.name == "postgresql":
        series = "generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS g(n)"
    else:
        series = (
            "(WITH RECURSIVE g(n) AS (SELECT :first UNION ALL SELECT n + 1 FROM g "
            "WHERE n < :last) SELECT n FROM g) AS g"
        )
    await session.execute(
        text(
            "INSERT INTO people (telegram_user_id, full_name, created_at, updated_at) "
            f"SELECT g.n, 'Neighbour', :now, :now FROM {series}"
        ),
        {"first": first, "last": first + count - 1, "now": now},
    )


async def sent_alert(database: Database, people: int) -> tuple[int, int, PersonContext]:
    """An alert that reached `people` people and the scheme's group; (alert, scheme, sender)."""
    clock = MovableClock()
    now = clock.now()
    async with database.sessions() as session:
        scheme = await factories.scheme(session)
    async with database.sessions() as session:
        cora = await factories.member(
            session,
            telegram_user_id=FIRST - 1,
            scheme_id=scheme.id,
            role=Role.COORDINATOR,
            name="Cora",
        )
    async with database.sessions() as session, session.begin():
        await session.execute(
            update(Scheme).where(Scheme.id == scheme.id).values(telegram_group_id=GROUP_ID)
        )
        await bulk_people(session, FIRST, people)
        alert = Alert(
            scheme_id=scheme.id,
            status=AlertStatus.ACTUAL,
            message_type=AlertMessageType.ALERT,
            severity=Severity.SEVERE,
            headline="Shoplifter active on the High Street",
            description="A man in a grey hoodie is taking spirits from shelves.",
            audience=Audience(scheme_id=scheme.id, subscribers=True).to_json(),
            state=AlertState.COMPLETED,
            expires_at=now + timedelta(hours=6),
            created_at=now,
        )
        session.add(alert)
        await session.flush()
        values: dict[str, Any] = {"alert": alert.id, "now": now, "first": FIRST}
        await session.execute(
            text(
                "INSERT INTO deliveries (alert_id, chat_id, person_id, is_group, silent, state, "
                "attempts, recall_attempts, telegram_message_id, sent_at, created_at, updated_at) "
                "SELECT :alert, telegram_user_id, id, false, false, 'sent', 1, 0, 1, :now, :now, "
                ":now FROM people WHERE telegram_user_id >= :first"
            ),
            values,
        )
        session.add(
            Delivery(
                alert_id=alert.id,
                chat_id=GROUP_ID,
                is_group=True,
                state=DeliveryState.SENT,
                attempts=1,
                telegram_message_id=1,
                sent_at=now,
                created_at=now,
                updated_at=now,
            )
        )
        # One of them has since blocked the bot: they are not written to again.
        await session.execute(
            update(Person).where(Person.telegram_user_id == FIRST).values(bot_blocked_at=now)
        )
    sender = PersonContext(
        id=cora.person_id,
        telegram_user_id=FIRST - 1,
        full_name="Cora",
        roles=frozenset({Role.COORDINATOR}),
        is_admin=False,
    )
    return alert.id, scheme.id, sender


async def copies_of(database: Database, alert_id: int) -> tuple[int, int]:
    """(copies, of which to groups) queued for an alert."""
    async with database.sessions() as session:
        total = await session.scalar(select(func.count()).where(Delivery.alert_id == alert_id))
        groups = await session.scalar(
            select(func.count()).where(Delivery.alert_id == alert_id, Delivery.is_group.is_(True))
        )
    return int(total or 0), int(groups or 0)


async def test_an_all_clear_is_queued_for_over_forty_thousand_who_got_the_alert(
    database: Database,
) -> None:
    people = scale(40_001, 100_001)
    alert_id, _scheme, cora = await sent_alert(database, people)
    now = MovableClock().now()

    async with database.sessions() as session:
        done = await cancel(session, cora, alert_id, now=now, tz=ZoneInfo(TZ))

    assert done.all_clear_id is not None
    assert done.told == people - 1 + 1  # less the one who blocked the bot, plus the group
    assert await copies_of(database, done.all_clear_id) == (people, 1)
    async with database.sessions() as session:
        cleared = await session.get(Alert, done.all_clear_id)
        assert cleared is not None and cleared.audience["delivered_of"] == alert_id
        assert cleared.audience["chat_ids"] == [], "no chat ids are stored with it"


async def test_an_update_is_queued_for_over_forty_thousand_who_got_the_alert(
    database: Database,
) -> None:
    people = scale(40_001, 100_001)
    alert_id, _scheme, cora = await sent_alert(database, people)
    now = MovableClock().now()

    async with database.sessions() as session:
        draft = await compose.for_update(session, cora.id, alert_id)
    assert draft.delivered_of == alert_id and draft.chat_ids == []
    draft.description = "He was seen leaving towards Market Street; keep an eye out."
    async with database.sessions() as session:
        counted = await compose.count(
            session, draft, sender_chat_id=cora.telegram_user_id, now=now, tz=ZoneInfo(TZ)
        )
    async with database.sessions() as session:
        sent = await compose.send(
            session,
            draft,
            person_id=cora.id,
            sender_chat_id=cora.telegram_user_id,
            anchor=now,
            now=now,
            tz=ZoneInfo(TZ),
        )

    assert counted == sent.recipients == people
    assert await copies_of(database, sent.alert_id) == (people, 1)
