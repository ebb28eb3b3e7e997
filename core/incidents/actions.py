"""What a coordinator does to an incident: mark it resolved, reopen it, escalate it to an alert."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.enums import IncidentStatus
from core.errors import InvalidInput, NotFound
from core.incidents.card import where_text
from core.incidents.types import type_label
from core.schemes.access import Permission, require
from storage.models import Incident, Scheme
from storage.repositories import incident_views as views_repo


@dataclass(frozen=True)
class StatusChanged:
    """An incident's new status."""

    incident_id: int
    reference: str
    status: IncidentStatus


@dataclass(frozen=True)
class Escalated:
    """What a warning written from an incident starts with."""

    incident_id: int
    reference: str
    scheme_id: int
    headline: str
    description: str
    area_text: str
    has_group: bool


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
    """The incident's words for a warning to the scheme's traders, if the person coordinates it."""
    async with session.begin():
        incident = await _managed(session, person_id, incident_id)
        if incident.personal_data_purged_at is not None:
            raise InvalidInput(
                f"The details of {incident.reference} were deleted under the scheme's retention "
                "rules, so it can't become a warning. Write a new one with /broadcast instead."
            )
        business = await views_repo.business_of(session, incident.membership_id)
        where = where_text(incident, business)
        scheme = await session.get(Scheme, incident.scheme_id)
        await audit.record(
            session,
            actor_id=person_id,
            scheme_id=incident.scheme_id,
            action="incident.escalated",
            object_type="incident",
            object_id=incident.id,
            details={"reference": incident.reference},
            at=now,
        )
    return Escalated(
        incident_id=incident.id,
        reference=incident.reference,
        scheme_id=incident.scheme_id,
        headline=f"{type_label(incident.incident_type)}: {where}",
        description=incident.description,
        area_text=where[:256],
        has_group=scheme is not None and scheme.telegram_group_id is not None,
    )
