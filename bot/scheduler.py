"""In-process triggers for periodic jobs; each job's run is claimed in the database."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import Components
from bot.once import forget_handled_updates
from core.deletions import sweep
from core.digest import week_slot, weekly_digests
from core.gallery.retention import purge_expired
from core.jobs import prune_job_history, run_once
from core.reports.retention import purge_old_reports
from handlers.broadcasts.progress import EDIT_EVERY_SECONDS, ProgressKeeper
from handlers.gallery.jobs import remind_coordinators, telegram_deleter
from storage.outages import survives_outages

logger = logging.getLogger(__name__)

Job = Callable[[], Awaitable[None]]

DELETION_SWEEP_SECONDS = 30


def redis_turn(
    components: Components, job: str, worker: str, hold_ms: int
) -> Callable[[], Awaitable[bool]]:
    """Claims a short turn at a frequent job: one process per turn with Redis, else this one.

    A turn is a Redis key that expires by itself (SET NX PX): nothing piles up in `job_runs`.
    """
    redis = components.redis
    key = f"{components.redis_prefix}:turn:{job}"

    async def claim() -> bool:
        if redis is None:
            return True
        return bool(await redis.set(key, worker, nx=True, px=hold_ms))

    return claim


async def send_digests(bot: Bot, session: AsyncSession, now: datetime, tz: ZoneInfo) -> str:
    """Sends each coordinator their schemes' weekly digests; says how many went out."""
    sent = failed = 0
    for letter in await weekly_digests(session, now=now, tz=tz):
        try:
            await bot.send_message(letter.telegram_user_id, letter.text)
        except TelegramAPIError as error:
            logger.warning("weekly digest to %s not sent: %s", letter.telegram_user_id, error)
            failed += 1
        else:
            sent += 1
    return f"sent {sent} digests, {failed} failed"


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

    async def prune(session: AsyncSession, now: datetime) -> str:
        history = await prune_job_history(session, now)
        return f"{history}; {await forget_handled_updates(session, now)}"

    async def prune_history() -> None:
        now = clock.now()
        await run_once(
            sessions,
            job="prune_job_history",
            slot=now.date().isoformat(),
            worker=worker,
            work=lambda session: prune(session, now),
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

    async def purge_reports(session: AsyncSession, now: datetime) -> str:
        return (await purge_old_reports(session, now=now)).summary()

    async def report_retention() -> None:
        now = clock.now()
        await run_once(
            sessions,
            job="report_retention",
            slot=local_day(),
            worker=worker,
            work=lambda session: purge_reports(session, now),
        )

    jobs: list[tuple[str, Job, CronTrigger | IntervalTrigger]] = [
        ("prune_job_history", prune_history, CronTrigger(hour=3, minute=30, timezone=tz)),
        ("gallery_retention", gallery_retention, CronTrigger(hour=4, minute=0, timezone=tz)),
        ("report_retention", report_retention, CronTrigger(hour=4, minute=15, timezone=tz)),
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

        keeper = ProgressKeeper(
            bot,
            sessions,
            clock,
            redis_turn(
                components, "broadcast_progress", worker, int(EDIT_EVERY_SECONDS * 1000) - 200
            ),
        )

        async def weekly_digest() -> None:
            now = clock.now()
            await run_once(
                sessions,
                job="weekly_digest",
                slot=week_slot(now, tz),
                worker=worker,
                work=lambda session: send_digests(bot, session, now, tz),
            )

        jobs += [
            (
                "weekly_digest",
                weekly_digest,
                CronTrigger(day_of_week="mon", hour=8, minute=0, timezone=tz),
            ),
            (
                "broadcast_progress",
                keeper.run,
                IntervalTrigger(seconds=EDIT_EVERY_SECONDS),
            ),
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
            survives_outages(name, job),
            trigger,
            id=name,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=3600,
        )
    return scheduler
