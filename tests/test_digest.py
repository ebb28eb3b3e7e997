"""Each coordinator gets one weekly digest of their scheme, in counts, once a week."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select

from core.digest import week_slot
from core.enums import DeliveryState, IncidentType, ReportCategory, ReportStatus
from storage.models import CaseReview, JobRun, Report
from tests.support import factories
from tests.support.town import Town
from tests.test_broadcast_progress import WAIT, crowd, queue, states


async def report(town: Town, category: ReportCategory, status: ReportStatus, at: datetime) -> None:
    """A resident's report filed with the scheme at `at`."""
    async with town.database.sessions() as session, session.begin():
        session.add(
            Report(
                reference=f"RPT-{uuid.uuid4().hex[:10]}",
                scheme_id=town.scheme_id,
                category=category,
                occurred_at=at,
                description="Bins set alight behind the parade.",
                status=status,
                created_at=at,
                updated_at=at,
            )
        )


async def case_review(town: Town, at: datetime) -> None:
    """A case review flagged to the scheme at `at`."""
    async with town.database.sessions() as session, session.begin():
        session.add(
            CaseReview(
                scheme_id=town.scheme_id,
                route="reporter",
                category=ReportCategory.ASB,
                report_ids=[],
                flagged_at=at,
            )
        )


async def a_known_week(town: Town) -> dict[DeliveryState, int]:
    """Incidents, reports, a case review and an alert, this week and before it."""
    now = town.live.clock.now()
    async with town.database.sessions() as session:
        for kind, days_ago in (
            (IncidentType.THEFT, 1),
            (IncidentType.THEFT, 2),
            (IncidentType.AGGRESSION, 3),
            (IncidentType.THEFT, 10),
        ):
            await factories.incident(
                session,
                scheme_id=town.scheme_id,
                incident_type=kind,
                occurred_at=now - timedelta(days=days_ago),
            )
        await factories.incident(
            session, scheme_id=town.other_scheme_id, occurred_at=now - timedelta(days=1)
        )
    await report(town, ReportCategory.ASB, ReportStatus.RECEIVED, now - timedelta(days=1))
    await report(town, ReportCategory.ASB, ReportStatus.CLOSED, now - timedelta(days=2))
    await report(town, ReportCategory.FLY_TIPPING, ReportStatus.RECEIVED, now - timedelta(days=3))
    await report(town, ReportCategory.NOISE, ReportStatus.RECEIVED, now - timedelta(days=9))
    await case_review(town, now - timedelta(days=2))
    await case_review(town, now - timedelta(days=20))

    people = await crowd(town, 3)
    await town.live.sandbox.block(people[0])
    queued = await queue(town, people)

    async def settled() -> bool:
        found = await states(town, queued.alert_id)
        return not found.get(DeliveryState.PENDING) and not found.get(DeliveryState.SENDING)

    await town.live.eventually(settled, within=WAIT)
    return await states(town, queued.alert_id)


async def test_each_coordinator_gets_their_schemes_week_once(town: Town) -> None:
    reach = await a_known_week(town)
    await town.coordinator.says("/help")
    await town.other_coordinator.says("/help")

    await asyncio.gather(
        town.live.process.run_job_now("weekly_digest"),
        town.live.process.run_job_now("weekly_digest"),
    )

    digest = await town.coordinator.next_reply()
    assert digest.body.startswith("Weekly digest: Market Town Shop Watch")
    assert "Incidents: 3 (Aggression or abuse 1, Theft 2)" in digest.body
    assert "Residents' reports: 3" in digest.body
    assert "• Anti-social behaviour: 2 (Closed - no further action 1, Received 1)" in digest.body
    assert "• Fly tipping: 1 (Received 1)" in digest.body
    # Two of the three copies arrive and one is blocked (unless the machine is very slow).
    assert (
        f"Alerts sent: 1, reaching {reach.get(DeliveryState.SENT, 0)} "
        f"({reach.get(DeliveryState.BLOCKED, 0)} blocked, {reach.get(DeliveryState.FAILED, 0)} "
        "failed)"
    ) in digest.body
    assert reach.get(DeliveryState.BLOCKED) == 1
    assert "Case reviews flagged: 1" in digest.body
    assert "Bins" not in digest.body and "whisky" not in digest.body

    other = await town.other_coordinator.next_reply()
    assert other.body.startswith("Weekly digest: Riverside Shop Watch")
    assert "Incidents: 1 (Theft 1)" in other.body
    assert "Alerts sent: 0, reaching 0" in other.body

    # Only one of the two runs sent anything, and only coordinators hear of it.
    await town.coordinator.hears_nothing()
    await town.other_coordinator.hears_nothing()
    await town.trader.hears_nothing()
    async with town.database.sessions() as session:
        runs = (
            (await session.execute(select(JobRun).where(JobRun.job == "weekly_digest")))
            .scalars()
            .all()
        )
    assert [run.slot for run in runs] == [week_slot(town.live.clock.now(), town.live.settings.tz)]


async def test_the_next_digest_comes_the_next_week(town: Town) -> None:
    await town.coordinator.says("/help")
    await town.live.process.run_job_now("weekly_digest")
    first = await town.coordinator.next_reply()
    assert "Incidents: 0" in first.body and "Case reviews flagged: 0" in first.body

    await town.live.process.run_job_now("weekly_digest")
    await town.coordinator.hears_nothing()

    await town.live.advance(timedelta(days=7))
    await town.live.process.run_job_now("weekly_digest")
    assert (await town.coordinator.next_reply()).body.startswith("Weekly digest:")


async def test_the_digest_is_due_on_monday_mornings(town: Town) -> None:
    scheduler = town.live.process.scheduler
    assert scheduler is not None
    job = scheduler.get_job("weekly_digest")
    assert job is not None
    trigger = str(job.trigger)
    assert "day_of_week='mon'" in trigger and "hour='8'" in trigger
    assert "interval[0:00:03]" in str(scheduler.get_job("broadcast_progress").trigger)
