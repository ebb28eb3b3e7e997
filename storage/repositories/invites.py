"""Scheme invite codes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from core.enums import Role
from storage.models import Invite


async def by_code(session: AsyncSession, code: str) -> Invite | None:
    """The invite with this code, with its scheme loaded."""
    result = await session.execute(
        select(Invite).options(joinedload(Invite.scheme)).where(Invite.code == code)
    )
    return result.scalar_one_or_none()


async def get(session: AsyncSession, invite_id: int) -> Invite | None:
    """The invite with this id."""
    return await session.get(Invite, invite_id)


async def add(
    session: AsyncSession,
    *,
    scheme_id: int,
    code: str,
    role: Role,
    created_by_id: int,
    single_use: bool,
    expires_at: datetime | None,
    now: datetime,
) -> Invite:
    """A new invite (flushed, so it has an id)."""
    invite = Invite(
        scheme_id=scheme_id,
        code=code,
        role=role,
        created_by_id=created_by_id,
        single_use=single_use,
        expires_at=expires_at,
        created_at=now,
    )
    session.add(invite)
    await session.flush()
    return invite


async def use(session: AsyncSession, invite_id: int, now: datetime) -> bool:
    """Counts one use if the invite is still usable; False if it is not (or someone beat us).

    One conditional UPDATE, so two people racing on a single-use link cannot both use it.
    """
    result: CursorResult[tuple[()]] = await session.execute(  # type: ignore[assignment]
        update(Invite)
        .where(
            Invite.id == invite_id,
            Invite.revoked_at.is_(None),
            or_(Invite.expires_at.is_(None), Invite.expires_at > now),
            or_(Invite.single_use.is_(False), Invite.uses == 0),
        )
        .values(uses=Invite.uses + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
