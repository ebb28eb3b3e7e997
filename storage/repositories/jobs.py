"""Claimed runs of scheduled jobs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import JobRun, utcnow
from storage.repositories.upsert import insert_for


async def claim(session: AsyncSession, *, job: str, slot: str, worker: str) -> bool:
    """Claims the slot for this worker; False if another process got there first."""
    statement = (
        insert_for(session, JobRun)
        .values(job=job, slot=slot, claimed_by=worker, started_at=utcnow())
        .on_conflict_do_nothing(index_elements=[JobRun.job, JobRun.slot])
    )
    result: CursorResult[tuple[()]] = await session.execute(statement)  # type: ignore[assignment]
    return result.rowcount == 1


async def finish(session: AsyncSession, *, job: str, slot: str, outcome: str) -> None:
    """Records how the run ended."""
    await session.execute(
        update(JobRun)
        .where(JobRun.job == job, JobRun.slot == slot)
        .values(finished_at=utcnow(), outcome=outcome)
    )


async def delete_before(session: AsyncSession, cutoff: datetime) -> int:
    """Deletes runs that started before the cutoff; returns how many."""
    result: CursorResult[tuple[()]] = await session.execute(  # type: ignore[assignment]
        delete(JobRun).where(JobRun.started_at < cutoff)
    )
    return result.rowcount
