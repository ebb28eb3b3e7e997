""" "Seen them too": a member's business saw the same people, noted once per person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.enums import IncidentStatus
from core.errors import InvalidInput, NotFound
from core.incidents.card import clock_text
from core.schemes.access import Permission, require
from storage.models import Sighting
from storage.repositories import incident_views as views_repo

OWN_INCIDENT = "This is your own incident."
RESOLVED = "This incident has been marked resolved, so sightings are no longer collected."


@dataclass(frozen=True)
class Noted:
    """A sighting just recorded."""

    incident_id: int
    seen_at: datetime
    count: int


def _already(seen_at: datetime, tz: ZoneInfo) -> InvalidInput:
    return InvalidInput(f"You already said you've seen them at {clock_text(seen_at, tz)}.")


async def add(
    session: AsyncSession, *, person_id: int, incident_id: int, now: datetime, tz: ZoneInfo
) -> Noted:
    """Records that the member's business saw the incident's people too."""
    try:
        async with session.begin():
            incident = await views_repo.get(session, incident_id)
            if incident is None:
                raise NotFound("That incident no longer exists.")
            member = await require(session, person_id, Permission.ADD_SIGHTING, incident.scheme_id)
            if incident.reporter_id == person_id:
                raise InvalidInput(OWN_INCIDENT)
            existing = await views_repo.sighting_by(session, incident.id, person_id)
            if existing is not None:
                raise _already(existing.seen_at, tz)
            if incident.status == IncidentStatus.RESOLVED:
                raise InvalidInput(RESOLVED)
            session.add(
                Sighting(
                    incident_id=incident.id,
                    person_id=person_id,
                    membership_id=member.membership_id,
                    business_name=member.business_name,
                    seen_at=now,
                    created_at=now,
                )
            )
            await audit.record(
                session,
                actor_id=person_id,
                scheme_id=incident.scheme_id,
                action="incident.sighting",
                object_type="incident",
                object_id=incident.id,
                at=now,
            )
            await session.flush()
            count = await views_repo.sighting_count(session, incident.id)
    except IntegrityError:
        # Two presses at once: the other one was recorded first.
        async with session.begin():
            existing = await views_repo.sighting_by(session, incident_id, person_id)
        if existing is None:
            raise
        raise _already(existing.seen_at, tz) from None
    return Noted(incident_id=incident_id, seen_at=now, count=count)
