"""Telegram groups the bot knows about."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import BotGroupStatus
from storage.models import TelegramGroup, utcnow


async def get(session: AsyncSession, chat_id: int) -> TelegramGroup | None:
    """The group with this Telegram chat id."""
    return await session.get(TelegramGroup, chat_id)


async def save(
    session: AsyncSession,
    *,
    chat_id: int,
    title: str,
    chat_type: str,
    status: BotGroupStatus,
    missing: list[str],
    changed_by_telegram_id: int | None,
) -> TelegramGroup:
    """Creates or updates the group's record."""
    group = await session.get(TelegramGroup, chat_id)
    if group is None:
        group = TelegramGroup(chat_id=chat_id, added_by_telegram_id=changed_by_telegram_id)
        session.add(group)
    group.title = title[:256]
    group.chat_type = chat_type
    group.bot_status = status
    group.missing_rights = missing
    group.updated_at = utcnow()
    return group


async def linked_to_schemes(session: AsyncSession) -> list[TelegramGroup]:
    """Groups that belong to a scheme, whose rights matter at start-up."""
    result = await session.execute(
        select(TelegramGroup).where(TelegramGroup.scheme_id.is_not(None))
    )
    return list(result.scalars())
