"""What a coordinator does to an incident: mark it resolved, reopen it, escalate it to an alert."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.enums import (
    AlertMessageType,
    AlertState,
    AlertStatus,
    IncidentStatus,
    Severity,
)
from core.errors import InvalidInput, NotFound
from core.incidents.card import where_text
from core.incidents.types import type_label
from core.schemes.access import Permission, require
from storage.models import Alert, Incident
from storage.repositories import incident_views as views_repo

ALERT_LIFETIME = timedelta(hours=24)


@dataclass(frozen=True)
class StatusChanged:
    """An incident's new status."""

    incident_id: int
    reference: str
    status: IncidentStatus


@dataclass(frozen=True)
class Escalated:
    """The draft warning made from an incident (or the one already made)."""

    alert_id: int
    headline: str
    reused: bool


async def _managed(session: AsyncSession, person_id: int, incident_id: int) -> Incident:
    incident = await views_repo.get_for_update(session, incident_id)
    if incident is None:
        raise NotFound("That incident no longer exists.")
    await require(session, person_id, Permission.MANAGE_INCIDENTS, incident.scheme_id)
    return incident


async def set_resolved(
    session: AsyncSession, *, person_id: int, incident_id: int, resolved: bool, now: datetime
) -> StatusChanged:
    """Marks the incident resolved (or open again), if the person coordinates its scheme."""
    async with session.begin():
        incident = await _managed(session, person_id, incident_id)
        wanted = IncidentStatus.RESOLVED if resolved else IncidentStatus.OPEN
        if incident.status == wanted:
            raise InvalidInput(
                f"{incident.reference} is already resolved."
                if resolved
                else f"{incident.reference} is already open."
            )
        incident.status = wanted
        incident.resolved_at = now if resolved else None
        await audit.record(
            session,
            actor_id=person_id,
            scheme_id=incident.scheme_id,
            action="incident.resolved" if resolved else "incident.reopened",
            object_type="incident",
            object_id=incident.id,
            details={"reference": incident.reference},
            at=now,
        )
    return StatusChanged(incident.id, incident.reference, wanted)


async def escalate(
    session: AsyncSession, *, person_id: int, incident_id: int, now: datetime
) -> Escalated:
    """Saves a draft warning for the scheme's traders from the incident (once per incident)."""
    async with session.begin():
        incident = await _managed(session, person_id, incident_id)
        existing = await views_repo.draft_alert_for(session, incident.id)
        if existing is None and incident.personal_data_purged_at is not None:
            raise InvalidInput(
                f"The details of {incident.reference} were deleted under the scheme's retention "
                "rules, so it can't become a warning. Write a new one with /broadcast instead."
            )
        if existing is not None:
            alert, reused = existing, True
        else:
            business = await views_repo.business_of(session, incident.membership_id)
            where = where_text(incident, business)
            alert = Alert(
                scheme_id=incident.scheme_id,
                created_by_id=person_id,
                status=AlertStatus.ACTUAL,
                message_type=AlertMessageType.ALERT,
                severity=Severity.MODERATE,
                headline=f"{type_label(incident.incident_type)}: {where}"[:256],
                description=incident.description,
                area_text=where[:256],
                audience={"scheme_id": incident.scheme_id, "traders": True},
                state=AlertState.DRAFT,
                expires_at=now + ALERT_LIFETIME,
                source_incident_id=incident.id,
                created_at=now,
            )
            session.add(alert)
            await session.flush()
            reused = False
        await audit.record(
            session,
            actor_id=person_id,
            scheme_id=incident.scheme_id,
            action="incident.escalated",
            object_type="incident",
            object_id=incident.id,
            details={"reference": incident.reference, "alert_id": alert.id, "reused": reused},
            at=now,
        )
    return Escalated(alert_id=alert.id, headline=alert.headline, reused=reused)
