"""Filing an incident: stored once, with its photos and gallery link, ready for the card."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.enums import IncidentStatus
from core.errors import InvalidInput
from core.incidents.draft import IncidentDraft
from core.schemes.access import Permission, require
from storage.models import Incident, IncidentPhoto, IncidentSubject
from storage.repositories import incidents as incidents_repo
from storage.repositories import people as people_repo


@dataclass(frozen=True)
class FiledIncident:
    """The outcome of filing, for the trader and the scheme's coordinators."""

    incident_id: int
    reference: str
    duplicate: bool
    scheme_id: int
    coordinator_chat_ids: list[int]


def reference_for(incident_id: int, now: datetime) -> str:
    """An incident's reference, like INC-2026-000042."""
    return f"INC-{now.year}-{incident_id:06d}"


async def file_incident(
    session: AsyncSession,
    *,
    reporter_id: int,
    draft: IncidentDraft,
    submission_key: str,
    now: datetime,
) -> FiledIncident:
    """Files the draft once: a second submit with the same key returns the first incident."""
    try:
        async with session.begin():
            existing = await incidents_repo.by_submission_key(session, submission_key)
            if existing is not None:
                return _already_filed(existing, reporter_id)
            return await _file(session, reporter_id, draft, submission_key, now)
    except IntegrityError:
        # Two submits raced (two webhook instances): the other one's row won.
        async with session.begin():
            existing = await incidents_repo.by_submission_key(session, submission_key)
        if existing is None:
            raise
        return _already_filed(existing, reporter_id)


async def already_filed(session: AsyncSession, reporter_id: int, submission_key: str) -> str | None:
    """The reference of the incident filed under this key by this person, if any."""
    async with session.begin():
        incident = await incidents_repo.by_submission_key(session, submission_key)
    if incident is None or incident.reporter_id != reporter_id:
        return None
    return incident.reference


def _already_filed(incident: Incident, reporter_id: int) -> FiledIncident:
    if incident.reporter_id != reporter_id:
        raise InvalidInput("That incident belongs to someone else.")
    return FiledIncident(incident.id, incident.reference, True, incident.scheme_id, [])


async def _file(
    session: AsyncSession,
    reporter_id: int,
    draft: IncidentDraft,
    submission_key: str,
    now: datetime,
) -> FiledIncident:
    draft.require_complete()
    assert draft.scheme_id is not None and draft.kind is not None
    occurred = draft.occurred
    assert occurred is not None and draft.description is not None
    member = await require(session, reporter_id, Permission.POST_INCIDENT, draft.scheme_id)
    scheme = await incidents_repo.scheme(session, draft.scheme_id)
    assert scheme is not None
    subject = None
    if draft.subject_id is not None:
        subject = await incidents_repo.subject_in_scheme(session, scheme.id, draft.subject_id)
        if subject is None:
            raise InvalidInput(
                "The gallery entry you linked has been removed since. Please press "
                '"Change gallery link" on the summary, then submit again.'
            )
    incident = Incident(
        reference=f"INC-pending-{submission_key[:20]}",
        scheme_id=scheme.id,
        reporter_id=reporter_id,
        membership_id=member.membership_id,
        incident_type=draft.kind,
        occurred_at=occurred,
        location_text=draft.location_text,
        description=draft.description,
        people_description={"people": [dict(person) for person in draft.people]},
        value_stolen_pence=draft.value_pence if draft.asks_value else None,
        police_reference=draft.police_reference,
        show_business_name=bool(draft.show_business_name and member.business_name),
        status=IncidentStatus.OPEN,
        submission_key=submission_key,
        created_at=now,
    )
    if scheme.photos_allowed:
        incident.photos = [
            IncidentPhoto(file_id=file_id, file_unique_id=unique, position=position)
            for position, (file_id, unique) in enumerate(draft.photos)
        ]
    session.add(incident)
    await session.flush()
    incident.reference = reference_for(incident.id, now)
    if subject is not None:
        session.add(IncidentSubject(incident_id=incident.id, subject_id=subject.id))
        if subject.last_incident_at is None or subject.last_incident_at < occurred:
            subject.last_incident_at = occurred
        await audit.record(
            session,
            actor_id=reporter_id,
            scheme_id=scheme.id,
            action="gallery.incident_linked",
            object_type="subject",
            object_id=subject.id,
            details={"incident_id": incident.id},
            at=now,
        )
    await audit.record(
        session,
        actor_id=reporter_id,
        scheme_id=scheme.id,
        action="incident.filed",
        object_type="incident",
        object_id=incident.id,
        details={"reference": incident.reference},
        at=now,
    )
    coordinators = await people_repo.coordinator_chat_ids(session, scheme.id)
    return FiledIncident(incident.id, incident.reference, False, scheme.id, coordinators)
