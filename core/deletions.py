"""Messages the bot must delete later: offender details do not stay on members' phones."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import MessageDeletion

# Telegram lets a bot delete its own messages for 48 hours; an hour's margin for retries.
LONGEST_KEEP = timedelta(hours=47)


def keep_for(hours: int) -> timedelta:
    """How long a message may stay, never beyond what the bot can still delete."""
    return min(timedelta(hours=max(hours, 0)), LONGEST_KEEP)


async def schedule(
    session: AsyncSession,
    *,
    chat_id: int,
    message_ids: Iterable[int],
    scheme_id: int | None,
    reason: str,
    sent_at: datetime,
    keep: timedelta,
) -> None:
    """Records messages to delete `keep` after `sent_at`, in the caller's transaction."""
    delete_at = sent_at + min(keep, LONGEST_KEEP)
    for message_id in message_ids:
        session.add(
            MessageDeletion(
                chat_id=chat_id,
                message_id=message_id,
                scheme_id=scheme_id,
                reason=reason,
                delete_at=delete_at,
                created_at=sent_at,
            )
        )
