"""Messages the bot must delete later: offender details do not stay on members' phones."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import MessageDeletion
from storage.repositories import deletions as deletions_repo

logger = logging.getLogger(__name__)

# Telegram lets a bot delete its own messages for 48 hours; an hour's margin for retries.
LONGEST_KEEP = timedelta(hours=47)
# A run that claimed rows and then died leaves them claimed; another run takes them over.
CLAIM_TIMEOUT = timedelta(minutes=5)
SWEEP_BATCH = 200
# Telegram refuses to delete a bot's message once it is 48 hours old: only then stop trying.
# (The sweep runs every 30 s, so counting failed tries would give up within minutes of an
# outage and leave offender details on members' phones.)
DELETABLE_FOR = timedelta(hours=48)


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
                reason=reason[:32],
                delete_at=delete_at,
                created_at=sent_at,
            )
        )


class Outcome(StrEnum):
    """What became of one attempt to delete a message."""

    DELETED = "deleted"
    GONE = "gone"  # already deleted, or no longer deletable: nothing more can be done
    RETRY = "retry"


class MessageDeleter(Protocol):
    """Deletes one message in the messenger and says how it went (never raises)."""

    async def __call__(self, chat_id: int, message_id: int) -> Outcome: ...


@dataclass(frozen=True)
class Sweep:
    """What one run of the sweeper did."""

    claimed: int = 0
    deleted: int = 0
    gone: int = 0
    retrying: int = 0
    given_up: int = 0

    def summary(self) -> str:
        """One line for the logs."""
        return (
            f"claimed {self.claimed}: deleted {self.deleted}, already gone {self.gone}, "
            f"retrying {self.retrying}, given up {self.given_up}"
        )


async def sweep(
    sessions: async_sessionmaker[AsyncSession],
    *,
    delete: MessageDeleter,
    now: datetime,
    worker: str,
    batch: int = SWEEP_BATCH,
) -> Sweep:
    """Deletes every message that is due, each claimed by exactly one run."""
    token = f"{worker[:50]}:{secrets.token_hex(6)}"
    counts = {outcome: 0 for outcome in Outcome}
    given_up = 0
    async with sessions() as session:
        async with session.begin():
            count = await deletions_repo.claim_due(
                session, token=token, now=now, stale_before=now - CLAIM_TIMEOUT, limit=batch
            )
        if count == 0:
            return Sweep()
        async with session.begin():
            rows = await deletions_repo.claimed(session, token)
        for row in rows:
            outcome = await _attempt(delete, row)
            counts[outcome] += 1
            async with session.begin():
                if outcome != Outcome.RETRY:
                    await deletions_repo.remove(session, row.id, token)
                elif now >= row.created_at + DELETABLE_FOR:
                    logger.warning(
                        "giving up deleting message %s in chat %s after %s attempts: "
                        "it is too old for Telegram to delete",
                        row.message_id,
                        row.chat_id,
                        row.attempts + 1,
                    )
                    given_up += 1
                    await deletions_repo.remove(session, row.id, token)
                else:
                    await deletions_repo.release(session, row.id, token)
    result = Sweep(
        claimed=len(rows),
        deleted=counts[Outcome.DELETED],
        gone=counts[Outcome.GONE],
        retrying=counts[Outcome.RETRY] - given_up,
        given_up=given_up,
    )
    logger.info("message deletions: %s", result.summary())
    return result


async def _attempt(delete: MessageDeleter, row: MessageDeletion) -> Outcome:
    try:
        return await delete(row.chat_id, row.message_id)
    except Exception:
        logger.exception("deleting message %s in chat %s failed", row.message_id, row.chat_id)
        return Outcome.RETRY
