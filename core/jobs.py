"""Scheduled jobs that run once per slot, however many processes trigger them."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.repositories import jobs as jobs_repo

logger = logging.getLogger(__name__)

JOB_HISTORY = timedelta(days=30)


async def run_once(
    sessions: async_sessionmaker[AsyncSession],
    *,
    job: str,
    slot: str,
    worker: str,
    work: Callable[[AsyncSession], Awaitable[str]],
) -> bool:
    """Runs `work` if no process has claimed this job's slot yet; True if it ran here."""
    async with sessions() as session:
        async with session.begin():
            claimed = await jobs_repo.claim(session, job=job, slot=slot, worker=worker)
        if not claimed:
            logger.debug("job %s slot %s already claimed elsewhere", job, slot)
            return False
        try:
            outcome = await work(session)
        except Exception:
            logger.exception("job %s slot %s failed", job, slot)
            outcome = "failed"
        async with session.begin():
            await jobs_repo.finish(session, job=job, slot=slot, outcome=outcome[:256])
    return True


async def prune_job_history(session: AsyncSession, now: datetime) -> str:
    """Forgets job runs older than the history window."""
    async with session.begin():
        removed = await jobs_repo.delete_before(session, now - JOB_HISTORY)
    return f"removed {removed} old job runs"
