"""Memberships: who belongs to which scheme, in what role and standing."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from core.enums import MembershipStatus, Role
from storage.models import Membership, Person


async def get(session: AsyncSession, membership_id: int) -> Membership | None:
    """A membership with its person and scheme loaded."""
    result = await session.execute(
        select(Membership)
        .options(joinedload(Membership.person), joinedload(Membership.scheme))
        .where(Membership.id == membership_id)
    )
    return result.scalar_one_or_none()


async def get_for_update(session: AsyncSession, membership_id: int) -> Membership | None:
    """A membership locked for a decision (PostgreSQL row lock; SQLite locks the file)."""
    result = await session.execute(
        select(Membership).where(Membership.id == membership_id).with_for_update()
    )
    membership = result.scalar_one_or_none()
    if membership is None:
        return None
    # Load the person and scheme separately: PostgreSQL refuses FOR UPDATE with outer joins.
    await session.refresh(membership, ["person", "scheme"])
    return membership


async def of_person_in_scheme(
    session: AsyncSession, person_id: int, scheme_id: int
) -> Membership | None:
    """The person's membership of this scheme, whatever its standing."""
    result = await session.execute(
        select(Membership).where(
            Membership.person_id == person_id, Membership.scheme_id == scheme_id
        )
    )
    return result.scalar_one_or_none()


async def approved_coordinator_count(session: AsyncSession, scheme_id: int) -> int:
    """How many approved coordinators the scheme has."""
    result = await session.execute(
        select(func.count())
        .select_from(Membership)
        .where(
            Membership.scheme_id == scheme_id,
            Membership.role == Role.COORDINATOR,
            Membership.status == MembershipStatus.APPROVED,
        )
    )
    return int(result.scalar_one())


async def is_approved_member(session: AsyncSession, scheme_id: int, telegram_user_id: int) -> bool:
    """Whether this Telegram user is an approved member of the scheme."""
    result = await session.execute(
        select(Membership.id)
        .join(Person, Person.id == Membership.person_id)
        .where(
            Membership.scheme_id == scheme_id,
            Membership.status == MembershipStatus.APPROVED,
            Person.telegram_user_id == telegram_user_id,
        )
        .limit(1)
    )
    return result.first() is not None


def _search(term: str) -> ColumnElement[bool]:
    pattern = "%" + term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(
        func.lower(Person.full_name).like(pattern, escape="\\"),
        func.lower(func.coalesce(Membership.business_name, "")).like(pattern, escape="\\"),
    )


async def page(
    session: AsyncSession, *, scheme_id: int, search: str | None, offset: int, limit: int
) -> tuple[list[tuple[Membership, Person]], int]:
    """One page of a scheme's memberships (pending first, then by name) and the total."""
    query = (
        select(Membership, Person)
        .join(Person, Person.id == Membership.person_id)
        .where(Membership.scheme_id == scheme_id)
    )
    if search:
        query = query.where(_search(search))
    total = await session.execute(select(func.count()).select_from(query.subquery()))
    pending_first = (Membership.status != MembershipStatus.PENDING).asc()
    rows = await session.execute(
        query.order_by(pending_first, func.lower(Person.full_name), Membership.id)
        .offset(offset)
        .limit(limit)
    )
    return [(row[0], row[1]) for row in rows.all()], int(total.scalar_one())
