"""Rows that tests need to exist before a conversation starts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import MembershipStatus, Role
from storage.models import Area, Invite, Membership, Person, Scheme, utcnow


async def scheme(session: AsyncSession, name: str = "Market Town Shop Watch") -> Scheme:
    """A scheme with default settings."""
    async with session.begin():
        row = Scheme(name=name, sharing_rules="Share only what the scheme needs.")
        session.add(row)
    return row


async def member(
    session: AsyncSession,
    *,
    telegram_user_id: int,
    scheme_id: int,
    role: Role,
    status: MembershipStatus = MembershipStatus.APPROVED,
    name: str = "Member",
    business_name: str | None = None,
    business_postcode: str | None = None,
) -> Membership:
    """A person (new, or known by Telegram id) with a membership of the given role and status."""
    async with session.begin():
        person = (
            await session.execute(select(Person).where(Person.telegram_user_id == telegram_user_id))
        ).scalar_one_or_none()
        if person is None:
            person = Person(telegram_user_id=telegram_user_id, full_name=name)
            session.add(person)
            await session.flush()
        row = Membership(
            person_id=person.id,
            scheme_id=scheme_id,
            role=role,
            status=status,
            business_name=business_name,
            business_address=f"1 High Street, {business_postcode}" if business_postcode else None,
            business_postcode=business_postcode,
            job_title="Manager" if role == Role.TRADER else None,
            rules_accepted_at=utcnow(),
        )
        session.add(row)
    return row


async def person(session: AsyncSession, *, telegram_user_id: int, name: str) -> Person:
    """Someone who has talked to the bot but belongs to no scheme."""
    async with session.begin():
        row = Person(telegram_user_id=telegram_user_id, full_name=name)
        session.add(row)
    return row


async def area(session: AsyncSession, *, scheme_id: int, name: str, districts: list[str]) -> Area:
    """An area a scheme covers, by postcode districts."""
    async with session.begin():
        row = Area(scheme_id=scheme_id, name=name, postcode_districts=districts)
        session.add(row)
    return row


async def invite(
    session: AsyncSession,
    *,
    scheme_id: int,
    code: str,
    expires_at: datetime | None = None,
    single_use: bool = False,
    uses: int = 0,
    revoked_at: datetime | None = None,
) -> Invite:
    """An invite code for a scheme."""
    async with session.begin():
        row = Invite(
            scheme_id=scheme_id,
            code=code,
            expires_at=expires_at,
            single_use=single_use,
            uses=uses,
            revoked_at=revoked_at,
        )
        session.add(row)
    return row
