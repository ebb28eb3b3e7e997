"""Coordinators add people from incidents to the gallery, link more incidents, delete entries."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.enums import SubjectStatus
from core.errors import InvalidInput, NotFound
from core.gallery import texts
from core.gallery.exclusions import check_end, check_start
from core.gallery.months import months_before
from core.schemes.access import Permission, require
from storage.models import (
    Exclusion,
    Incident,
    IncidentSubject,
    Scheme,
    Subject,
    SubjectPhoto,
)
from storage.repositories import gallery as gallery_repo

LABEL_LENGTH = (3, 80)
DESCRIPTION_LENGTH = (10, 1000)
MAX_PHOTOS = 10
_REFERENCE = re.compile(r"^INC-\d{4}-\d{1,12}$", re.IGNORECASE)


@dataclass(frozen=True)
class IncidentForGallery:
    """What the "add to gallery" conversation needs to know about the incident."""

    incident_id: int
    scheme_id: int
    scheme_name: str
    reference: str
    people_text: str | None
    photo_count: int


@dataclass(frozen=True)
class NewEntry:
    """The answers given in the "add to gallery" conversation."""

    incident_id: int
    status: SubjectStatus
    label: str
    description: str
    use_photos: bool
    starts_on: date | None = None
    ends_on: date | None = None


@dataclass(frozen=True)
class ManagedEntry:
    """An entry a coordinator is about to change."""

    subject_id: int
    scheme_id: int
    label: str


def _text_in(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float):
        return str(value)
    return ""


def people_text(people_description: dict[str, Any]) -> str | None:
    """The incident's descriptions of the people involved, one line each (None if none)."""
    people = people_description.get("people") or []
    lines = []
    for person in people:
        if isinstance(person, dict):
            parts = [
                f"{str(key).replace('_', ' ')}: {_text_in(value)}"
                for key, value in person.items()
                if _text_in(value)
            ]
            line = "; ".join(parts)
        else:
            line = _text_in(person)
        if line:
            lines.append(line)
    if not lines:
        return None
    if len(lines) == 1:
        return lines[0]
    return "\n".join(f"Person {number}: {line}" for number, line in enumerate(lines, 1))


def check_label(text: str, status: SubjectStatus) -> str:
    """A name (Known) or a short label (ID sought), 3-80 characters."""
    label = " ".join(text.split())
    low, high = LABEL_LENGTH
    if not low <= len(label) <= high:
        what = "name" if status == SubjectStatus.KNOWN else "label"
        raise InvalidInput(f"Please type a {what} of {low} to {high} characters.")
    return label


def check_description(text: str) -> str:
    """A description of 10-1000 characters."""
    description = text.strip()
    low, high = DESCRIPTION_LENGTH
    if len(description) < low:
        raise InvalidInput(
            f"That is too short to recognise anyone by. Please type at least {low} characters."
        )
    if len(description) > high:
        raise InvalidInput(
            f"That is {len(description)} characters; please keep it to {high} or fewer."
        )
    return description


def _check_retained(incident: Incident, scheme: Scheme, now: datetime) -> None:
    """Refuses an incident the retention period has already passed (its entry would go tonight)."""
    if incident.occurred_at < months_before(now, scheme.retention_months):
        raise InvalidInput(
            f"{incident.reference} is older than the scheme's {scheme.retention_months}-month "
            "retention period, so people from it can't be added to the gallery."
        )


async def incident_for_gallery(
    session: AsyncSession, person_id: int, incident_id: int, now: datetime
) -> IncidentForGallery:
    """The incident a coordinator wants to add someone from, if they manage its gallery."""
    async with session.begin():
        incident = await gallery_repo.incident(session, incident_id)
        if incident is None:
            raise NotFound("That incident no longer exists.")
        await require(session, person_id, Permission.MANAGE_GALLERY, incident.scheme_id)
        scheme = await gallery_repo.scheme(session, incident.scheme_id)
        assert scheme is not None
        _check_retained(incident, scheme, now)
        return IncidentForGallery(
            incident_id=incident.id,
            scheme_id=incident.scheme_id,
            scheme_name=scheme.name,
            reference=incident.reference,
            people_text=people_text(incident.people_description),
            photo_count=len(incident.photos) if scheme.photos_allowed else 0,
        )


async def create_entry(
    session: AsyncSession, person_id: int, entry: NewEntry, *, today: date, now: datetime
) -> ManagedEntry:
    """Saves the entry, its photos, its link to the incident and any exclusion; audited."""
    label = check_label(entry.label, entry.status)
    description = check_description(entry.description)
    if entry.starts_on is not None and entry.ends_on is not None:
        check_start(entry.starts_on, today)
        check_end(entry.starts_on, entry.ends_on, today)
    async with session.begin():
        incident = await gallery_repo.incident(session, entry.incident_id)
        if incident is None:
            raise NotFound("That incident no longer exists, so the entry was not saved.")
        await require(session, person_id, Permission.MANAGE_GALLERY, incident.scheme_id)
        scheme = await gallery_repo.scheme(session, incident.scheme_id)
        assert scheme is not None
        _check_retained(incident, scheme, now)
        subject = Subject(
            scheme_id=incident.scheme_id,
            status=entry.status,
            label=label,
            description=description,
            created_by_id=person_id,
            last_incident_at=incident.occurred_at,
            created_at=now,
            updated_at=now,
        )
        if entry.use_photos and scheme.photos_allowed:
            subject.photos = [
                SubjectPhoto(
                    file_id=photo.file_id, file_unique_id=photo.file_unique_id, position=index
                )
                for index, photo in enumerate(incident.photos[:MAX_PHOTOS])
            ]
        if entry.starts_on is not None and entry.ends_on is not None:
            subject.exclusions = [
                Exclusion(
                    starts_on=entry.starts_on,
                    ends_on=entry.ends_on,
                    created_by_id=person_id,
                    created_at=now,
                )
            ]
        session.add(subject)
        await session.flush()
        session.add(IncidentSubject(incident_id=incident.id, subject_id=subject.id))
        await audit.record(
            session,
            actor_id=person_id,
            scheme_id=incident.scheme_id,
            action="gallery.entry_created",
            object_type="subject",
            object_id=subject.id,
            details={"incident_id": incident.id, "photos": len(subject.photos)},
            at=now,
        )
        return ManagedEntry(subject.id, incident.scheme_id, label)


async def entry_to_manage(session: AsyncSession, person_id: int, subject_id: int) -> ManagedEntry:
    """An entry the person may change (they coordinate its scheme)."""
    async with session.begin():
        subject = await gallery_repo.subject(session, subject_id)
        if subject is None:
            raise NotFound(texts.NO_ENTRY)
        await require(session, person_id, Permission.MANAGE_GALLERY, subject.scheme_id)
        return ManagedEntry(subject.id, subject.scheme_id, subject.label)


def check_reference(text: str) -> str:
    """An incident reference such as INC-2026-000123."""
    reference = text.strip().upper()
    if not _REFERENCE.match(reference):
        raise InvalidInput("That doesn't look like an incident reference such as INC-2026-000123.")
    return reference


async def link_incident(
    session: AsyncSession, person_id: int, subject_id: int, reference: str, now: datetime
) -> str:
    """Links one of the scheme's incidents to the entry; returns the incident's reference."""
    reference = check_reference(reference)
    async with session.begin():
        subject = await gallery_repo.subject(session, subject_id)
        if subject is None:
            raise NotFound(texts.NO_ENTRY)
        await require(session, person_id, Permission.MANAGE_GALLERY, subject.scheme_id)
        incident = await gallery_repo.incident_by_reference(session, subject.scheme_id, reference)
        if incident is None:
            raise InvalidInput(
                f"I can't find {reference} among this scheme's incidents. Please check the "
                "reference and type it again, or send /cancel."
            )
        if await gallery_repo.is_linked(session, incident.id, subject.id):
            raise InvalidInput(f"{incident.reference} is already linked to {subject.label}.")
        session.add(IncidentSubject(incident_id=incident.id, subject_id=subject.id))
        if subject.last_incident_at is None or incident.occurred_at > subject.last_incident_at:
            subject.last_incident_at = incident.occurred_at
        await audit.record(
            session,
            actor_id=person_id,
            scheme_id=subject.scheme_id,
            action="gallery.incident_linked",
            object_type="subject",
            object_id=subject.id,
            details={"incident_id": incident.id},
            at=now,
        )
        return incident.reference


async def delete_entry(
    session: AsyncSession, person_id: int, subject_id: int, now: datetime
) -> str:
    """Deletes an entry for real (photos, exclusions, links); returns the label it had."""
    async with session.begin():
        subject = await gallery_repo.subject(session, subject_id)
        if subject is None:
            raise NotFound(texts.NO_ENTRY)
        await require(session, person_id, Permission.MANAGE_GALLERY, subject.scheme_id)
        label, scheme_id = subject.label, subject.scheme_id
        await gallery_repo.delete_subject(session, subject.id)
        await audit.record(
            session,
            actor_id=person_id,
            scheme_id=scheme_id,
            action="gallery.entry_deleted",
            object_type="subject",
            object_id=subject_id,
            at=now,
        )
        return label


async def keep_entry(session: AsyncSession, person_id: int, subject_id: int, now: datetime) -> str:
    """Records that a coordinator reviewed the entry and keeps it; returns its label."""
    async with session.begin():
        subject = await gallery_repo.subject(session, subject_id)
        if subject is None:
            raise NotFound(texts.NO_ENTRY)
        await require(session, person_id, Permission.MANAGE_GALLERY, subject.scheme_id)
        subject.review_prompted_at = now
        await audit.record(
            session,
            actor_id=person_id,
            scheme_id=subject.scheme_id,
            action="gallery.entry_kept",
            object_type="subject",
            object_id=subject.id,
            at=now,
        )
        return subject.label
