"""Putting things right after a crash, and closing alerts that have nothing left to send.

Every worker runs these now and then, so whichever process is alive cleans up after the one
that died: copies left `sending` by a dead worker are sent again once its lease has run out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from broadcast.outbox import start_due
from storage.repositories import alerts as alerts_repo
from storage.repositories import deliveries as deliveries_repo

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepResult:
    """What one sweep changed."""

    resent: int = 0
    stopped: int = 0
    completed: int = 0
    started: int = 0


async def resend_abandoned(
    sessions: async_sessionmaker[AsyncSession], *, now: datetime, lease: timedelta, worker: str
) -> int:
    """Re-queues copies whose worker stopped renewing its lease (it died mid-send)."""
    async with sessions() as session, session.begin():
        resent = await deliveries_repo.release_abandoned(
            session, now=now, lease=lease, worker=worker
        )
    if resent:
        logger.warning("re-sending %s deliveries left behind by a stopped worker", resent)
    return resent


async def sweep(
    sessions: async_sessionmaker[AsyncSession], *, now: datetime, tz: ZoneInfo | None = None
) -> SweepResult:
    """Starts scheduled alerts that are due (given `tz`), stops copies of cancelled or expired
    alerts, and completes alerts with nothing left."""
    started = await start_due(sessions, now=now, tz=tz) if tz is not None else []
    async with sessions() as session, session.begin():
        stopped = await deliveries_repo.cancel_undeliverable(session, now=now)
    async with sessions() as session, session.begin():
        completed = await alerts_repo.complete_finished(session, now)
    return SweepResult(stopped=stopped, completed=completed, started=len(started))
