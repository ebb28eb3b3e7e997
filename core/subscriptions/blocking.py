"""A person blocking the bot (nothing more is sent to them), unblocking it, and coming back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from broadcast.blocking import PAUSED_BY_BLOCK
from core import audit
from core.errors import InvalidInput
from storage.models import AuditEntry, Subscription
from storage.repositories import subscriptions as subscriptions_repo

NOTICE_SHOWN = "subscriptions.block_notice_shown"
RESTORED = "subscriptions.restored_after_block"


async def bot_blocked(session: AsyncSession, telegram_user_id: int, *, now: datetime) -> None:
    """Stops alerts to someone who blocked the bot; their subscriptions stay as they were."""
    async with session.begin():
        await subscriptions_repo.set_bot_blocked(session, telegram_user_id, now)


async def bot_unblocked(session: AsyncSession, telegram_user_id: int) -> None:
    """Lets alerts reach someone again once they unblock the bot."""
    async with session.begin():
        await subscriptions_repo.set_bot_blocked(session, telegram_user_id, None)


@dataclass(frozen=True)
class BlockNotice:
    """Warnings a person no longer gets because a copy found the bot blocked."""

    blocked_at: datetime
    subscriptions: int


async def _since_restored(session: AsyncSession, person_id: int) -> list[AuditEntry]:
    """The person's block entries since their warnings were last turned back on, oldest first."""
    entries = (
        await session.execute(
            select(AuditEntry)
            .where(
                AuditEntry.scheme_id.is_(None),
                AuditEntry.object_type == "person",
                AuditEntry.object_id == person_id,
                AuditEntry.action.in_((PAUSED_BY_BLOCK, NOTICE_SHOWN, RESTORED)),
            )
            .order_by(AuditEntry.id)
        )
    ).scalars()
    since: list[AuditEntry] = []
    for entry in entries:
        since = [] if entry.action == RESTORED else [*since, entry]
    return since


def _paused_ids(entries: list[AuditEntry]) -> set[int]:
    return {
        int(subscription_id)
        for entry in entries
        if entry.action == PAUSED_BY_BLOCK
        for subscription_id in entry.details.get("subscription_ids", [])
    }


async def notice_due(session: AsyncSession, person_id: int, *, now: datetime) -> BlockNotice | None:
    """The notice to give once, when someone whose warnings a block stopped talks again."""
    async with session.begin():
        switched_off = await session.scalar(
            select(Subscription.id)
            .where(Subscription.person_id == person_id, Subscription.active.is_(False))
            .limit(1)
        )
        if switched_off is None:
            return None  # the usual case, answered from an index: nothing was switched off
        entries = await _since_restored(session, person_id)
        told = [i for i, entry in enumerate(entries) if entry.action == NOTICE_SHOWN]
        fresh = entries[told[-1] + 1 :] if told else entries
        paused = [entry for entry in fresh if entry.action == PAUSED_BY_BLOCK]
        if not paused:
            return None
        await audit.record(
            session,
            actor_id=person_id,
            scheme_id=None,
            action=NOTICE_SHOWN,
            object_type="person",
            object_id=person_id,
            at=now,
        )
    return BlockNotice(blocked_at=paused[0].created_at, subscriptions=len(_paused_ids(entries)))


async def turn_back_on(session: AsyncSession, person_id: int, *, now: datetime) -> int:
    """Switches back on exactly the subscriptions a block switched off; returns how many."""
    async with session.begin():
        wanted = _paused_ids(await _since_restored(session, person_id))
        if not wanted:
            raise InvalidInput(
                "Your warnings are already on. Send /subscribe to see or change them."
            )
        result: CursorResult[tuple[()]] = await session.execute(  # type: ignore[assignment]
            update(Subscription)
            .where(
                Subscription.person_id == person_id,
                Subscription.id.in_(sorted(wanted)),
                Subscription.active.is_(False),
            )
            .values(active=True)
            .execution_options(synchronize_session=False)
        )
        await audit.record(
            session,
            actor_id=person_id,
            scheme_id=None,
            action=RESTORED,
            object_type="person",
            object_id=person_id,
            details={"subscriptions": int(result.rowcount)},
            at=now,
        )
    return int(result.rowcount)
