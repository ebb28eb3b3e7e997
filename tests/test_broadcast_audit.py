"""A warning and its `alert.sent` audit entry are written together, or not at all."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from broadcast.outbox import QueuedAlert, queue_alert, set_paid_budget
from core.broadcasts import compose
from core.broadcasts.draft import ComposeDraft
from core.enums import Role
from core.errors import InvalidInput
from storage.db import Database
from storage.models import Alert, AuditEntry, Delivery
from tests.support import factories
from tests.support.clock import MovableClock

TZ = ZoneInfo("Europe/London")
TRADERS = (800_000_001, 800_000_002, 800_000_003)


async def coordinated_scheme(database: Database) -> tuple[int, int]:
    """A scheme with three traders; (scheme id, its coordinator's person id)."""
    async with database.sessions() as session:
        scheme = await factories.scheme(session)
    async with database.sessions() as session:
        cora = await factories.member(
            session, telegram_user_id=800_000_000, scheme_id=scheme.id, role=Role.COORDINATOR
        )
    for trader in TRADERS:
        async with database.sessions() as session:
            await factories.member(
                session, telegram_user_id=trader, scheme_id=scheme.id, role=Role.TRADER
            )
    return scheme.id, cora.person_id


def warning(scheme_id: int) -> ComposeDraft:
    return ComposeDraft(
        scheme_id=scheme_id,
        roles=[Role.TRADER.value],
        headline="Shoplifter on the High Street",
        description="A man in a grey hoodie is taking spirits from shelves.",
        severity="moderate",
    )


async def rows(database: Database) -> tuple[int, int, int]:
    """(alerts, deliveries, alert.sent entries) in the database."""
    async with database.sessions() as session:
        alerts = await session.scalar(select(func.count()).select_from(Alert))
        copies = await session.scalar(select(func.count()).select_from(Delivery))
        entries = await session.scalar(
            select(func.count()).where(AuditEntry.action == "alert.sent")
        )
    return int(alerts or 0), int(copies or 0), int(entries or 0)


async def test_each_warning_sent_has_exactly_one_audit_entry(database: Database) -> None:
    scheme_id, cora = await coordinated_scheme(database)
    now = MovableClock().now()

    sent = []
    for _ in range(2):
        async with database.sessions() as session:
            sent.append(
                await compose.send(
                    session,
                    warning(scheme_id),
                    person_id=cora,
                    sender_chat_id=800_000_000,
                    anchor=now,
                    now=now,
                    tz=TZ,
                )
            )

    async with database.sessions() as session:
        audited = await session.execute(
            select(AuditEntry.object_id, AuditEntry.details).where(
                AuditEntry.action == "alert.sent"
            )
        )
        by_alert = {object_id: details for object_id, details in audited.all()}
    assert sorted(by_alert) == sorted(item.alert_id for item in sent)
    assert all(details["recipients"] == 3 for details in by_alert.values())


async def test_a_warning_refused_at_the_last_moment_leaves_no_alert_and_no_entry(
    database: Database,
) -> None:
    scheme_id, cora = await coordinated_scheme(database)
    now = MovableClock().now()
    async with database.sessions() as session:
        await set_paid_budget(session, scheme_id, 2, now=now)

    # The budget is checked after the copies are written and before the entry is: the
    # refusal must take both back.
    with pytest.raises(InvalidInput, match="has 2 left"):
        async with database.sessions() as session:
            await compose.send(
                session,
                warning(scheme_id),
                person_id=cora,
                sender_chat_id=800_000_000,
                anchor=now,
                now=now,
                tz=TZ,
                paid=True,
            )

    assert await rows(database) == (0, 0, 0)


async def test_a_failure_while_auditing_takes_the_alert_back_too(database: Database) -> None:
    scheme_id, cora = await coordinated_scheme(database)
    now = MovableClock().now()
    draft = warning(scheme_id).to_alert(anchor=now, created_by_id=cora, sender_chat_id=800_000_000)

    async def audit_fails(session: AsyncSession, queued: QueuedAlert) -> None:
        session.add(AuditEntry(action="alert.sent", object_id=queued.alert_id, created_at=now))
        await session.flush()
        raise RuntimeError("the audit log is full")

    with pytest.raises(RuntimeError):
        async with database.sessions() as session:
            await queue_alert(
                session, draft, now=now + timedelta(seconds=1), tz=TZ, also=audit_fails
            )

    assert await rows(database) == (0, 0, 0)
