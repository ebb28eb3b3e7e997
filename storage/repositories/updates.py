"""Claims on Telegram updates, so each update_id has one effect."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import HandledUpdate
from storage.repositories.upsert import insert_for

HANDLING = "handling"
DONE = "done"


async def claim(session: AsyncSession, *, update_id: int, worker: str, now: datetime) -> bool:
    """Claims the update for this worker; False if a claim on it exists already."""
    statement = (
        insert_for(session, HandledUpdate)
        .values(update_id=update_id, state=HANDLING, claimed_by=worker, claimed_at=now)
        .on_conflict_do_nothing(index_elements=[HandledUpdate.update_id])
    )
    result: CursorResult[Any] = await session.execute(statement)  # type: ignore[assignment]
    return result.rowcount == 1


async def current(session: AsyncSession, update_id: int) -> HandledUpdate | None:
    """The claim on an update, if any."""
    return (
        await session.execute(select(HandledUpdate).where(HandledUpdate.update_id == update_id))
    ).scalar_one_or_none()


async def take_over(
    session: AsyncSession, *, stale: HandledUpdate, worker: str, now: datetime
) -> bool:
    """Takes a claim whose holder stopped answering; False if someone else took it first."""
    result: CursorResult[Any] = await session.execute(  # type: ignore[assignment]
        update(HandledUpdate)
        .where(
            HandledUpdate.update_id == stale.update_id,
            HandledUpdate.state == HANDLING,
            HandledUpdate.claimed_by == stale.claimed_by,
            HandledUpdate.claimed_at == stale.claimed_at,
        )
        .values(claimed_by=worker, claimed_at=now)
    )
    return result.rowcount == 1


async def finish(session: AsyncSession, *, update_id: int, worker: str, now: datetime) -> None:
    """Marks this worker's claim as handled."""
    await session.execute(
        update(HandledUpdate)
        .where(HandledUpdate.update_id == update_id, HandledUpdate.claimed_by == worker)
        .values(state=DONE, finished_at=now)
    )


async def renew(session: AsyncSession, *, worker: str, now: datetime) -> None:
    """Shows that this worker is still handling the updates it claimed."""
    await session.execute(
        update(HandledUpdate)
        .where(HandledUpdate.claimed_by == worker, HandledUpdate.state == HANDLING)
        .values(claimed_at=now)
    )


async def release(session: AsyncSession, *, update_id: int, worker: str) -> None:
    """Gives up this worker's claim, so a redelivered copy is handled afresh."""
    await session.execute(
        delete(HandledUpdate).where(
            HandledUpdate.update_id == update_id,
            HandledUpdate.claimed_by == worker,
            HandledUpdate.state == HANDLING,
        )
    )


async def delete_before(session: AsyncSession, cutoff: datetime) -> int:
    """Forgets claims made before the cutoff; returns how many."""
    result: CursorResult[Any] = await session.execute(  # type: ignore[assignment]
        delete(HandledUpdate).where(HandledUpdate.claimed_at < cutoff)
    )
    return result.rowcount
