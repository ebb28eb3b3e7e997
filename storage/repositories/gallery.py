"""The offender gallery: entries, their photos, linked incidents and exclusions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from storage.models import (
    Exclusion,
    Incident,
    IncidentPhoto,
    IncidentSubject,
    Scheme,
    Subject,
)


async def scheme(session: AsyncSession, scheme_id: int) -> Scheme | None:
    """A scheme, for its name and gallery settings."""
    return await session.get(Scheme, scheme_id)


async def all_schemes(session: AsyncSession) -> list[Scheme]:
    """Every scheme, for the daily retention and reminder runs."""
    return list((await session.execute(select(Scheme).order_by(Scheme.id))).scalars())


async def subject(session: AsyncSession, subject_id: int) -> Subject | None:
    """A gallery entry with its photos and exclusions."""
    result = await session.execute(
        select(Subject)
        .options(selectinload(Subject.photos), selectinload(Subject.exclusions))
        .where(Subject.id == subject_id)
        .execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


def _matching(scheme_id: int, query: str | None) -> ColumnElement[bool]:
    condition = Subject.scheme_id == scheme_id
    if query:
        needle = query.lower()
        condition = and_(
            condition,
            or_(
                func.lower(Subject.label).contains(needle, autoescape=True),
                func.lower(Subject.description).contains(needle, autoescape=True),
            ),
        )
    return condition


async def page(
    session: AsyncSession, scheme_id: int, *, query: str | None, offset: int, limit: int
) -> tuple[list[Subject], int]:
    """One page of a scheme's entries (most recent activity first) and how many match."""
    condition = _matching(scheme_id, query)
    total = await session.execute(select(func.count()).select_from(Subject).where(condition))
    recent = func.coalesce(Subject.last_incident_at, Subject.created_at)
    rows = await session.execute(
        select(Subject)
        .options(selectinload(Subject.exclusions))
        .where(condition)
        .order_by(recent.desc(), Subject.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows.scalars()), int(total.scalar_one())


async def all_of_scheme(session: AsyncSession, scheme_id: int) -> list[Subject]:
    """Every entry of a scheme with its exclusions, oldest first (for the export)."""
    result = await session.execute(
        select(Subject)
        .options(selectinload(Subject.exclusions))
        .where(Subject.scheme_id == scheme_id)
        .order_by(Subject.id)
    )
    return list(result.scalars())


async def incident_counts(session: AsyncSession, subject_ids: Sequence[int]) -> dict[int, int]:
    """How many incidents each entry is linked to."""
    if not subject_ids:
        return {}
    result = await session.execute(
        select(IncidentSubject.subject_id, func.count())
        .where(IncidentSubject.subject_id.in_(list(subject_ids)))
        .group_by(IncidentSubject.subject_id)
    )
    return {int(subject_id): int(count) for subject_id, count in result.all()}


async def linked_references(
    session: AsyncSession, subject_ids: Sequence[int]
) -> dict[int, list[str]]:
    """The references of the incidents linked to each entry, oldest incident first."""
    if not subject_ids:
        return {}
    result = await session.execute(
        select(IncidentSubject.subject_id, Incident.reference)
        .join(Incident, Incident.id == IncidentSubject.incident_id)
        .where(IncidentSubject.subject_id.in_(list(subject_ids)))
        .order_by(Incident.occurred_at, Incident.id)
    )
    linked: dict[int, list[str]] = {}
    for subject_id, reference in result.all():
        linked.setdefault(int(subject_id), []).append(str(reference))
    return linked


async def incident(session: AsyncSession, incident_id: int) -> Incident | None:
    """An incident with its photos."""
    result = await session.execute(
        select(Incident).options(selectinload(Incident.photos)).where(Incident.id == incident_id)
    )
    return result.scalar_one_or_none()


async def incident_by_reference(
    session: AsyncSession, scheme_id: int, reference: str
) -> Incident | None:
    """The scheme's incident with this reference (another scheme's is never found)."""
    result = await session.execute(
        select(Incident).where(
            Incident.scheme_id == scheme_id, func.upper(Incident.reference) == reference.upper()
        )
    )
    return result.scalar_one_or_none()


async def is_linked(session: AsyncSession, incident_id: int, subject_id: int) -> bool:
    """Whether the incident is already linked to the entry."""
    found = await session.get(IncidentSubject, (incident_id, subject_id))
    return found is not None


async def delete_subject(session: AsyncSession, subject_id: int) -> None:
    """Deletes an entry for real: its links, exclusions and photos' file ids with it."""
    await session.execute(delete(IncidentSubject).where(IncidentSubject.subject_id == subject_id))
    found = await subject(session, subject_id)
    if found is not None:
        await session.delete(found)
    await session.flush()


async def entry_activity(
    session: AsyncSession, scheme_id: int
) -> list[tuple[int, datetime | None, datetime, datetime | None]]:
    """Each entry's id, recorded last incident, creation time and newest linked incident."""
    newest = (
        select(func.max(Incident.occurred_at))
        .join(IncidentSubject, IncidentSubject.incident_id == Incident.id)
        .where(IncidentSubject.subject_id == Subject.id)
        .correlate(Subject)
        .scalar_subquery()
    )
    result = await session.execute(
        select(Subject.id, Subject.last_incident_at, Subject.created_at, newest).where(
            Subject.scheme_id == scheme_id
        )
    )
    return [(int(row[0]), row[1], row[2], row[3]) for row in result.all()]


async def expired_exclusions(
    session: AsyncSession, scheme_id: int, today: date
) -> list[tuple[int, int]]:
    """(exclusion id, entry id) of the scheme's exclusions that ended before today."""
    result = await session.execute(
        select(Exclusion.id, Exclusion.subject_id)
        .join(Subject, Subject.id == Exclusion.subject_id)
        .where(Subject.scheme_id == scheme_id, Exclusion.ends_on < today)
    )
    return [(int(row[0]), int(row[1])) for row in result.all()]


async def delete_exclusions(session: AsyncSession, exclusion_ids: Sequence[int]) -> None:
    """Deletes exclusions for real."""
    if exclusion_ids:
        await session.execute(delete(Exclusion).where(Exclusion.id.in_(list(exclusion_ids))))


async def incidents_to_purge(session: AsyncSession, scheme_id: int, cutoff: datetime) -> list[int]:
    """Incidents of the scheme older than the cutoff whose personal data is still held."""
    result = await session.execute(
        select(Incident.id).where(
            Incident.scheme_id == scheme_id,
            Incident.occurred_at < cutoff,
            Incident.personal_data_purged_at.is_(None),
        )
    )
    return [int(value) for value in result.scalars()]


async def purge_incident(session: AsyncSession, incident_id: int, now: datetime) -> None:
    """Drops an incident's account, descriptions of people, photos and its reporter-keyed id.

    The record itself (reference, type, time, place, status) stays for the scheme's statistics.
    """
    await session.execute(delete(IncidentPhoto).where(IncidentPhoto.incident_id == incident_id))
    await session.execute(
        update(Incident)
        .where(Incident.id == incident_id)
        .values(
            description="",
            people_description={"people": []},
            submission_key=None,
            personal_data_purged_at=now,
        )
        .execution_options(synchronize_session=False)
    )


async def exclusions_ending(
    session: AsyncSession, scheme_id: int, today: date, until: date
) -> list[tuple[Exclusion, str]]:
    """Exclusions ending between today and `until` with no reminder yet, with their labels."""
    result = await session.execute(
        select(Exclusion, Subject.label)
        .join(Subject, Subject.id == Exclusion.subject_id)
        .where(
            Subject.scheme_id == scheme_id,
            Exclusion.ends_on >= today,
            Exclusion.ends_on <= until,
            Exclusion.reminder_sent_at.is_(None),
        )
        .order_by(Exclusion.ends_on, Exclusion.id)
    )
    return [(row[0], str(row[1])) for row in result.all()]


async def claim_exclusion_reminder(session: AsyncSession, exclusion_id: int, now: datetime) -> bool:
    """Marks the reminder as sent; False if another run already did."""
    result: CursorResult[tuple[()]] = await session.execute(  # type: ignore[assignment]
        update(Exclusion)
        .where(Exclusion.id == exclusion_id, Exclusion.reminder_sent_at.is_(None))
        .values(reminder_sent_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _last_reviewed() -> ColumnElement[datetime]:
    return func.coalesce(Subject.review_prompted_at, Subject.created_at)


async def due_for_review(
    session: AsyncSession, scheme_id: int, cutoff: datetime
) -> list[tuple[int, str]]:
    """(id, label) of entries created or last reviewed before the cutoff."""
    result = await session.execute(
        select(Subject.id, Subject.label)
        .where(Subject.scheme_id == scheme_id, _last_reviewed() <= cutoff)
        .order_by(Subject.id)
    )
    return [(int(row[0]), str(row[1])) for row in result.all()]


async def claim_review(
    session: AsyncSession, subject_id: int, cutoff: datetime, now: datetime
) -> bool:
    """Marks the entry as prompted for review; False if another run already did."""
    result: CursorResult[tuple[()]] = await session.execute(  # type: ignore[assignment]
        update(Subject)
        .where(Subject.id == subject_id, _last_reviewed() <= cutoff)
        .values(review_prompted_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
