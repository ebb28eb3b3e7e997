"""Rows and steps the data rights and report retention tests share."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from broadcast.audience import Audience
from core.enums import (
    AlertMessageType,
    AlertState,
    AlertStatus,
    DeliveryState,
    ReportCategory,
    ReportStatus,
    Severity,
)
from sandbox.client import Message
from storage.db import Database
from storage.models import (
    Alert,
    Base,
    Delivery,
    Person,
    Report,
    ReportEvent,
    ReportPhoto,
    Sighting,
    utcnow,
)
from tests.support.live import LiveBot

PLACE = "Outside 14 Mill Road"
DESCRIPTION = "Two men drinking on the bench outside number 14 every night"


async def person_id(database: Database, telegram_user_id: int) -> int:
    """The internal id of the person with this Telegram id."""
    async with database.sessions() as session:
        found = await session.scalar(
            select(Person.id).where(Person.telegram_user_id == telegram_user_id)
        )
    assert found is not None, f"nobody with Telegram id {telegram_user_id}"
    return int(found)


async def filed_report(
    database: Database,
    *,
    reporter_telegram_id: int | None,
    scheme_id: int | None,
    created_at: datetime | None = None,
    photos: int = 0,
    description: str = DESCRIPTION,
    note: str | None = None,
    noted_by_telegram_id: int | None = None,
    postcode: str | None = "MT1 2AB",
) -> Report:
    """A report as if a resident had filed it (with a coordinator's note, if given)."""
    when = created_at or utcnow()
    reporter = await person_id(database, reporter_telegram_id) if reporter_telegram_id else None
    actor = await person_id(database, noted_by_telegram_id) if noted_by_telegram_id else None
    async with database.sessions() as session, session.begin():
        report = Report(
            reference=f"SW-pending-{uuid.uuid4().hex[:16]}",
            reporter_id=reporter,
            scheme_id=scheme_id,
            category=ReportCategory.STREET_DRINKING,
            subtype="Drinking in a public place",
            latitude=52.205337,
            longitude=0.121817,
            location_text=PLACE,
            postcode=postcode,
            occurred_at=when - timedelta(hours=1),
            occurred_label="Earlier today",
            description=description,
            contact_allowed=True,
            status=ReportStatus.RECEIVED,
            submission_key=f"{reporter_telegram_id}:{uuid.uuid4().hex[:16]}",
            created_at=when,
            updated_at=when,
        )
        report.photos = [
            ReportPhoto(file_id=f"report-photo-{i}", file_unique_id=f"rp-unique-{i}", position=i)
            for i in range(photos)
        ]
        report.events = [
            ReportEvent(kind="filed", to_status=ReportStatus.RECEIVED, created_at=when)
        ]
        if note is not None:
            report.status = ReportStatus.UNDER_REVIEW
            report.events.append(
                ReportEvent(
                    kind="status",
                    actor_id=actor,
                    from_status=ReportStatus.RECEIVED,
                    to_status=ReportStatus.UNDER_REVIEW,
                    note=note,
                    reporter_notified=True,
                    created_at=when + timedelta(minutes=5),
                )
            )
        session.add(report)
        await session.flush()
        report.reference = f"SW-{when.year}-{report.id:06d}"
    return report


async def sighting(
    database: Database, *, incident_id: int, telegram_user_id: int, business_name: str
) -> None:
    """A member's "seen them too" on an incident."""
    pid = await person_id(database, telegram_user_id)
    async with database.sessions() as session, session.begin():
        session.add(
            Sighting(
                incident_id=incident_id,
                person_id=pid,
                business_name=business_name,
                seen_at=utcnow(),
            )
        )


async def waiting_alert(
    live: LiveBot,
    database: Database,
    chat_ids: list[int],
    *,
    headline: str,
    due_in: timedelta = timedelta(hours=1),
    state: DeliveryState = DeliveryState.PENDING,
) -> int:
    """An alert queued to these people, each copy due later; returns its id."""
    now = live.clock.now()
    async with database.sessions() as session, session.begin():
        alert = Alert(
            status=AlertStatus.ACTUAL,
            message_type=AlertMessageType.ALERT,
            severity=Severity.MODERATE,
            headline=headline,
            description="A man in a grey hoodie is taking spirits from shelves.",
            audience=Audience(chat_ids=tuple(chat_ids)).to_json(),
            state=AlertState.QUEUED,
            expires_at=now + timedelta(hours=12),
            created_at=now,
            started_at=now,
        )
        session.add(alert)
        await session.flush()
        for chat_id in chat_ids:
            pid = await session.scalar(select(Person.id).where(Person.telegram_user_id == chat_id))
            session.add(
                Delivery(
                    alert_id=alert.id,
                    chat_id=chat_id,
                    person_id=pid,
                    state=state,
                    next_attempt_at=now + due_in,
                    sent_at=now if state == DeliveryState.SENT else None,
                    created_at=now,
                    updated_at=now,
                )
            )
        return alert.id


async def count(database: Database, model: type[Base], *where: Any) -> int:
    """How many rows of a table match."""
    async with database.sessions() as session:
        query = select(func.count()).select_from(model).where(*where)
        return int((await session.execute(query)).scalar_one())


def copy_of(live: LiveBot, document: Message) -> tuple[str, dict[str, Any]]:
    """The file the bot sent: its name and its JSON."""
    assert document.kind == "document", document.body
    stored = live.server.sandbox.world.files.get(document.raw["media"]["document"]["file_id"])
    assert stored is not None and stored.file_name is not None
    return stored.file_name, json.loads(stored.content.decode("utf-8"))
