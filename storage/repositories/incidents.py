"""Incidents traders post, and the gallery entries they can be linked to."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from storage.models import Incident, Scheme, Subject


async def by_submission_key(session: AsyncSession, key: str) -> Incident | None:
    """The incident a conversation already filed under this key, if any."""
    result = await session.execute(select(Incident).where(Incident.submission_key == key))
    return result.scalar_one_or_none()


async def get(session: AsyncSession, incident_id: int) -> Incident | None:
    """An incident with its photos."""
    result = await session.execute(
        select(Incident).options(selectinload(Incident.photos)).where(Incident.id == incident_id)
    )
    return result.scalar_one_or_none()


async def scheme(session: AsyncSession, scheme_id: int) -> Scheme | None:
    """The scheme an incident is posted to."""
    return await session.get(Scheme, scheme_id)


async def gallery_size(session: AsyncSession, scheme_id: int) -> int:
    """How many entries the scheme's gallery has."""
    result = await session.execute(
        select(func.count()).select_from(Subject).where(Subject.scheme_id == scheme_id)
    )
    return int(result.scalar_one())


async def recent_subjects(session: AsyncSession, scheme_id: int, limit: int) -> list[Subject]:
    """The scheme's gallery entries, most recently involved first."""
    result = await session.execute(
        select(Subject)
        .where(Subject.scheme_id == scheme_id)
        .order_by(Subject.last_incident_at.desc().nulls_last(), Subject.id.desc())
        .limit(limit)
    )
    return list(result.scalars())


async def subject_in_scheme(
    session: AsyncSession, scheme_id: int, subject_id: int
) -> Subject | None:
    """A gallery entry, only if it belongs to this scheme."""
    result = await session.execute(
        select(Subject).where(Subject.id == subject_id, Subject.scheme_id == scheme_id)
    )
    return result.scalar_one_or_none()
