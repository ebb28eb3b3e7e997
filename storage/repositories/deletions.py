"""Messages waiting to be deleted, claimed by one process at a time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import MessageDeletion


async def claim_due(
    session: AsyncSession, *, token: str, now: datetime, stale_before: datetime, limit: int
) -> int:
    """Marks up to `limit` due, unclaimed (or abandoned) rows as this run's; returns how many.

    The claim condition is repeated in the UPDATE itself, so a row another run claimed in
    the meantime is skipped instead of taken twice.
    """
    claimable = or_(MessageDeletion.claimed_by.is_(None), MessageDeletion.claimed_at < stale_before)
    due_ids = (
        select(MessageDeletion.id)
        .where(MessageDeletion.delete_at <= now, claimable)
        .order_by(MessageDeletion.delete_at, MessageDeletion.id)
        .limit(limit)
        .scalar_subquery()
    )
    result: CursorResult[tuple[()]] = await session.execute(  # type: ignore[assignment]
        update(MessageDeletion)
        .where(MessageDeletion.id.in_(due_ids), claimable)
        .values(claimed_by=token, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


async def claimed(session: AsyncSession, token: str) -> list[MessageDeletion]:
    """The rows this run claimed."""
    result = await session.execute(
        select(MessageDeletion)
        .where(MessageDeletion.claimed_by == token)
        .order_by(MessageDeletion.delete_at, MessageDeletion.id)
    )
    return list(result.scalars())


async def remove(session: AsyncSession, deletion_id: int, token: str) -> None:
    """Forgets a row this run has dealt with."""
    await session.execute(
        delete(MessageDeletion)
        .where(MessageDeletion.id == deletion_id, MessageDeletion.claimed_by == token)
        .execution_options(synchronize_session=False)
    )


async def release(session: AsyncSession, deletion_id: int, token: str) -> None:
    """Gives a row back for the next run, counting the failed attempt."""
    await session.execute(
        update(MessageDeletion)
        .where(MessageDeletion.id == deletion_id, MessageDeletion.claimed_by == token)
        .values(claimed_by=None, claimed_at=None, attempts=MessageDeletion.attempts + 1)
        .execution_options(synchronize_session=False)
    )


async def for_chat(session: AsyncSession, chat_id: int) -> list[MessageDeletion]:
    """Deletions still waiting in one chat, soonest first."""
    result = await session.execute(
        select(MessageDeletion)
        .where(MessageDeletion.chat_id == chat_id)
        .order_by(MessageDeletion.delete_at, MessageDeletion.message_id)
    )
    return list(result.scalars())
