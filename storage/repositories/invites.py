"""Scheme invite codes."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from storage.models import Invite


async def by_code(session: AsyncSession, code: str) -> Invite | None:
    """The invite with this code, with its scheme loaded."""
    result = await session.execute(
        select(Invite).options(joinedload(Invite.scheme)).where(Invite.code == code)
    )
    return result.scalar_one_or_none()
