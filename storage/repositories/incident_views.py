"""Reading incidents back: the group card, sightings, the full view and the search."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core.enums import AlertState, IncidentType, MembershipStatus, Role
from storage.models import (
    Alert,
    Incident,
    IncidentSubject,
    Membership,
    Person,
    Scheme,
    Sighting,
    Subject,
)


@dataclass(frozen=True)
class BusinessOption:
    """A member business that has posted incidents, as a search filter offers it."""

    membership_id: int
    business_name: str


async def get(session: AsyncSession, incident_id: int) -> Incident | None:
    """An incident with its photos."""
    result = await session.execute(
        select(Incident).options(selectinload(Incident.photos)).where(Incident.id == incident_id)
    )
    return result.scalar_one_or_none()


async def get_for_update(session: AsyncSession, incident_id: int) -> Incident | None:
    """An incident locked for a change of status (PostgreSQL row lock; SQLite locks the file)."""
    result = await session.execute(
        select(Incident).where(Incident.id == incident_id).with_for_update()
    )
    return result.scalar_one_or_none()


async def scheme(session: AsyncSession, scheme_id: int) -> Scheme | None:
    """The scheme an incident belongs to."""
    return await session.get(Scheme, scheme_id)


async def business_of(session: AsyncSession, membership_id: int | None) -> str | None:
    """The business name on a membership, if there is one."""
    if membership_id is None:
        return None
    result = await session.execute(
        select(Membership.business_name).where(Membership.id == membership_id)
    )
    return result.scalar_one_or_none()


async def sighting_count(session: AsyncSession, incident_id: int) -> int:
    """How many members have said they saw the people in an incident too."""
    result = await session.execute(
        select(func.count()).select_from(Sighting).where(Sighting.incident_id == incident_id)
    )
    return int(result.scalar_one())


async def sightings(session: AsyncSession, incident_id: int) -> list[Sighting]:
    """An incident's sightings, earliest first."""
    result = await session.execute(
        select(Sighting)
        .where(Sighting.incident_id == incident_id)
        .order_by(Sighting.seen_at, Sighting.id)
    )
    return list(result.scalars())


async def sighting_by(session: AsyncSession, incident_id: int, person_id: int) -> Sighting | None:
    """The person's sighting on an incident, if they already recorded one."""
    result = await session.execute(
        select(Sighting).where(Sighting.incident_id == incident_id, Sighting.person_id == person_id)
    )
    return result.scalar_one_or_none()


async def gallery_labels(session: AsyncSession, incident_id: int) -> list[str]:
    """The labels of gallery entries linked to an incident."""
    result = await session.execute(
        select(Subject.label)
        .join(IncidentSubject, IncidentSubject.subject_id == Subject.id)
        .where(IncidentSubject.incident_id == incident_id)
        .order_by(Subject.id)
    )
    return list(result.scalars())


async def draft_alert_for(session: AsyncSession, incident_id: int) -> Alert | None:
    """The draft alert already made from an incident, if any."""
    result = await session.execute(
        select(Alert)
        .where(Alert.source_incident_id == incident_id, Alert.state == AlertState.DRAFT)
        .order_by(Alert.id)
        .limit(1)
    )
    return result.scalar_one_or_none()


async def approved_member_chat_ids(
    session: AsyncSession, scheme_id: int, roles: Collection[Role]
) -> list[int]:
    """Telegram ids of a scheme's approved members in the given roles."""
    result = await session.execute(
        select(Person.telegram_user_id)
        .join(Membership, Membership.person_id == Person.id)
        .where(
            Membership.scheme_id == scheme_id,
            Membership.status == MembershipStatus.APPROVED,
            Membership.role.in_(list(roles)),
            Person.telegram_user_id.is_not(None),
        )
    )
    return [chat_id for chat_id in result.scalars() if chat_id is not None]


async def businesses(session: AsyncSession, scheme_id: int) -> list[BusinessOption]:
    """The scheme's member businesses (any standing that once posted, or approved now)."""
    result = await session.execute(
        select(Membership.id, Membership.business_name)
        .where(
            Membership.scheme_id == scheme_id,
            Membership.business_name.is_not(None),
            Membership.business_name != "",
            (Membership.status == MembershipStatus.APPROVED)
            | Membership.id.in_(
                select(Incident.membership_id).where(Incident.scheme_id == scheme_id)
            ),
        )
        .order_by(Membership.business_name, Membership.id)
    )
    return [BusinessOption(row_id, name) for row_id, name in result.all() if name]


def _search(
    scheme_id: int,
    types: Collection[IncidentType],
    since: datetime | None,
    until: datetime | None,
    membership_id: int | None,
    named_only: bool,
) -> Select[Incident]:
    query = select(Incident).where(Incident.scheme_id == scheme_id)
    if types:
        query = query.where(Incident.incident_type.in_(list(types)))
    if since is not None:
        query = query.where(Incident.occurred_at >= since)
    if until is not None:
        query = query.where(Incident.occurred_at < until)
    if membership_id is not None:
        query = query.where(Incident.membership_id == membership_id)
    if named_only:
        query = query.where(Incident.show_business_name.is_(True))
    return query


async def search(
    session: AsyncSession,
    *,
    scheme_id: int,
    types: Collection[IncidentType],
    since: datetime | None,
    until: datetime | None,
    membership_id: int | None,
    named_only: bool = False,
    offset: int,
    limit: int,
) -> tuple[list[Incident], int]:
    """A page of a scheme's incidents matching the filters, most recent first, and the total."""
    query = _search(scheme_id, types, since, until, membership_id, named_only)
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    result = await session.execute(
        query.order_by(Incident.occurred_at.desc(), Incident.id.desc()).offset(offset).limit(limit)
    )
    return list(result.scalars()), int(total)
