"""In-process triggers for periodic jobs; each job's run is claimed in the database."""

from __future__ import annotations

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.app import Components
from core.jobs import prune_job_history, run_once


def build_scheduler(components: Components, worker: str) -> AsyncIOScheduler:
    """A scheduler whose jobs run once per slot even when several processes trigger them."""
    scheduler = AsyncIOScheduler(timezone=components.settings.tz)
    sessions = components.database.sessions
    clock = components.clock

    async def prune_history() -> None:
        now = clock.now()
        await run_once(
            sessions,
            job="prune_job_history",
            slot=now.date().isoformat(),
            worker=worker,
            work=lambda session: prune_job_history(session, now),
        )

    scheduler.add_job(
        prune_history,
        CronTrigger(hour=3, minute=30, timezone=components.settings.tz),
        id="prune_job_history",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=3600,
    )
    return scheduler
