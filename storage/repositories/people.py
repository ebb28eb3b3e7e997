"""People and the roles their approved memberships give them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import MembershipStatus, Role
from storage.models import Membership, Person, utcnow
from storage.repositories.upsert import insert_for


async def upsert_telegram_person(
    session: AsyncSession,
    *,
    telegram_user_id: int,
    full_name: str,
    username: str | None,
    language_code: str | None,
) -> int:
    """Inserts the person or refreshes a changed profile; returns their id."""
    known = await session.execute(
        select(Person.id, Person.full_name, Person.username, Person.language_code).where(
            Person.telegram_user_id == telegram_user_id
        )
    )
    row = known.first()
    if row is not None and tuple(row[1:]) == (full_name, username, language_code):
        return int(row[0])
    now = utcnow()
    statement = insert_for(session, Person).values(
        telegram_user_id=telegram_user_id,
        full_name=full_name,
        username=username,
        language_code=language_code,
        created_at=now,
        updated_at=now,
    )
    statement = statement.on_conflict_do_update(
        index_elements=[Person.telegram_user_id],
        set_={
            "full_name": statement.excluded.full_name,
            "username": statement.excluded.username,
            "language_code": statement.excluded.language_code,
            "updated_at": now,
        },
    ).returning(Person.id)
    result = await session.execute(statement)
    return int(result.scalar_one())


async def by_telegram_id(session: AsyncSession, telegram_user_id: int) -> Person | None:
    """The person with this Telegram id, if they have ever talked to the bot."""
    result = await session.execute(
        select(Person).where(Person.telegram_user_id == telegram_user_id)
    )
    return result.scalar_one_or_none()


async def approved_roles(session: AsyncSession, person_id: int) -> set[Role]:
    """Roles from the person's approved memberships in any scheme."""
    result = await session.execute(
        select(Membership.role)
        .where(Membership.person_id == person_id)
        .where(Membership.status == MembershipStatus.APPROVED)
        .distinct()
    )
    return set(result.scalars())


async def coordinator_chat_ids(session: AsyncSession, scheme_id: int | None) -> list[int]:
    """Telegram ids of a scheme's approved coordinators (every scheme's when None)."""
    query = (
        select(Person.telegram_user_id)
        .join(Membership, Membership.person_id == Person.id)
        .where(
            Membership.role == Role.COORDINATOR,
            Membership.status == MembershipStatus.APPROVED,
            Person.telegram_user_id.is_not(None),
        )
        .distinct()
    )
    if scheme_id is not None:
        query = query.where(Membership.scheme_id == scheme_id)
    return [int(value) for value in (await session.execute(query)).scalars() if value]


async def coordinated_scheme_ids(session: AsyncSession, person_id: int) -> list[int]:
    """The schemes in which this person is an approved coordinator."""
    result = await session.execute(
        select(Membership.scheme_id).where(
            Membership.person_id == person_id,
            Membership.role == Role.COORDINATOR,
            Membership.status == MembershipStatus.APPROVED,
        )
    )
    return list(result.scalars())


async def telegram_id(session: AsyncSession, person_id: int) -> int | None:
    """The Telegram id of a person, if they have one."""
    return (
        await session.execute(select(Person.telegram_user_id).where(Person.id == person_id))
    ).scalar_one_or_none()
