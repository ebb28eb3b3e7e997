"""In-process triggers for periodic jobs; each job's run is claimed in the database."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from aiogram import Bot
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import Components
from core.deletions import sweep
from core.gallery.retention import purge_expired
from core.jobs import prune_job_history, run_once
from handlers.gallery.jobs import remind_coordinators, telegram_deleter

Job = Callable[[], Awaitable[None]]

DELETION_SWEEP_SECONDS = 30


def build_scheduler(
    components: Components, worker: str, bot: Bot | None = None
) -> AsyncIOScheduler:
    """A scheduler whose jobs run once per slot even when several processes trigger them."""
    scheduler = AsyncIOScheduler(timezone=components.settings.tz)
    sessions = components.database.sessions
    clock = components.clock
    tz = components.settings.tz

    def local_day() -> str:
        return clock.now().astimezone(tz).date().isoformat()

    async def prune_history() -> None:
        now = clock.now()
        await run_once(
            sessions,
            job="prune_job_history",
            slot=now.date().isoformat(),
            worker=worker,
            work=lambda session: prune_job_history(session, now),
        )

    async def retain(session: AsyncSession, now: datetime) -> str:
        purged = await purge_expired(session, now=now, today=now.astimezone(tz).date())
        return purged.summary()

    async def gallery_retention() -> None:
        now = clock.now()
        await run_once(
            sessions,
            job="gallery_retention",
            slot=local_day(),
            worker=worker,
            work=lambda session: retain(session, now),
        )

    jobs: list[tuple[str, Job, CronTrigger | IntervalTrigger]] = [
        ("prune_job_history", prune_history, CronTrigger(hour=3, minute=30, timezone=tz)),
        ("gallery_retention", gallery_retention, CronTrigger(hour=4, minute=0, timezone=tz)),
    ]

    if bot is not None:
        deleter = telegram_deleter(bot)

        async def delete_expired_messages() -> None:
            await sweep(sessions, delete=deleter, now=clock.now(), worker=worker)

        async def gallery_reminders() -> None:
            now = clock.now()
            await run_once(
                sessions,
                job="gallery_reminders",
                slot=local_day(),
                worker=worker,
                work=lambda session: remind_coordinators(bot, session, now, tz),
            )

        jobs += [
            (
                "delete_expired_messages",
                delete_expired_messages,
                IntervalTrigger(seconds=DELETION_SWEEP_SECONDS),
            ),
            # Reminders go out in the morning, when coordinators are at work.
            ("gallery_reminders", gallery_reminders, CronTrigger(hour=9, minute=0, timezone=tz)),
        ]

    for name, job, trigger in jobs:
        scheduler.add_job(
            job,
            trigger,
            id=name,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=3600,
        )
    return scheduler
