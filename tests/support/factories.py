"""Rows that tests need to exist before a conversation starts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import MembershipStatus, Role
from storage.models import Invite, Membership, Person, Scheme


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
) -> Membership:
    """A person with a membership of the given role and status."""
    async with session.begin():
        person = Person(telegram_user_id=telegram_user_id, full_name=name)
        session.add(person)
        await session.flush()
        row = Membership(person_id=person.id, scheme_id=scheme_id, role=role, status=status)
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
