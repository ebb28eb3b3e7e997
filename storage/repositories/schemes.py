"""Schemes."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Scheme


async def by_group_id(session: AsyncSession, chat_id: int) -> Scheme | None:
    """The scheme whose Telegram group this is."""
    result = await session.execute(select(Scheme).where(Scheme.telegram_group_id == chat_id))
    return result.scalar_one_or_none()
