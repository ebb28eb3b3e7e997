"""Personal details in resident reports are deleted when their scheme's retention period ends."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from core.gallery.months import months_before
from core.reports import retention
from core.reports.retention import PURGED_EVENT
from storage.models import AuditEntry, JobRun, Report, ReportEvent, ReportPhoto, Scheme
from tests.support.datarights_steps import DESCRIPTION, PLACE, count, filed_report
from tests.support.town import Town

DAY = timedelta(days=1)


async def report_at(town: Town, created_at: datetime, scheme_id: int | None) -> int:
    """A resident's report with photos, filed at that moment; returns its id."""
    report = await filed_report(
        town.database,
        reporter_telegram_id=town.resident.id,
        scheme_id=scheme_id,
        created_at=created_at,
        photos=2,
        note="Thanks Rosa, we will look at number 14.",
        noted_by_telegram_id=town.coordinator.id,
    )
    return report.id


async def stored(town: Town, report_id: int) -> Report:
    async with town.database.sessions() as session:
        found = await session.get(Report, report_id)
    assert found is not None
    return found


async def assert_purged(town: Town, report_id: int, months: int) -> None:
    report = await stored(town, report_id)
    assert report.personal_data_purged_at is not None
    assert report.reporter_id is None and not report.contact_allowed
    assert report.location_text is None and report.postcode == "MT1"
    assert (report.latitude, report.longitude) == (52.21, 0.12)
    assert report.description == f"(removed after {months} months)"
    assert report.submission_key is None
    assert report.reference.startswith("SW-") and report.category.value == "street_drinking"
    assert await count(town.database, ReportPhoto, ReportPhoto.report_id == report_id) == 0
    async with town.database.sessions() as session:
        events = (
            await session.execute(
                select(ReportEvent.kind, ReportEvent.note)
                .where(ReportEvent.report_id == report_id)
                .order_by(ReportEvent.id)
            )
        ).all()
    assert [tuple(event) for event in events] == [
        ("filed", None),
        ("status", f"(removed after {months} months)"),
        (PURGED_EVENT, None),
    ]


async def assert_kept(town: Town, report_id: int) -> None:
    report = await stored(town, report_id)
    assert report.personal_data_purged_at is None
    assert report.reporter_id is not None and report.location_text == PLACE
    assert report.description == DESCRIPTION and report.postcode == "MT1 2AB"
    assert await count(town.database, ReportPhoto, ReportPhoto.report_id == report_id) == 2


async def run_twice_at_once(town: Town) -> None:
    """Two processes' schedulers firing together: the day's run happens once."""
    await asyncio.gather(
        town.live.process.run_job_now("report_retention"),
        town.live.process.run_job_now("report_retention"),
    )


async def test_reports_lose_personal_details_a_day_after_the_period_and_not_before(
    town: Town, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = town.live
    monkeypatch.setattr(retention, "BATCH", 2)  # several batches, even with a few reports
    async with town.database.sessions() as session, session.begin():
        await session.execute(
            update(Scheme)
            .where(Scheme.id == town.other_scheme_id)
            .values(report_retention_months=6)
        )
    now = live.clock.now()
    two_years, six_months = months_before(now, 24), months_before(now, 6)
    market_old = await report_at(town, two_years - DAY, town.scheme_id)
    market_recent = await report_at(town, two_years + DAY, town.scheme_id)
    riverside_old = await report_at(town, six_months - DAY, town.other_scheme_id)
    riverside_recent = await report_at(town, six_months + DAY, town.other_scheme_id)
    # Six months is Riverside's rule only: Market Town keeps the same age for two years.
    market_six_months = await report_at(town, six_months - DAY, town.scheme_id)
    loose_old = await report_at(town, two_years - DAY, None)
    loose_recent = await report_at(town, two_years + DAY, None)

    await run_twice_at_once(town)

    await assert_purged(town, market_old, 24)
    await assert_purged(town, riverside_old, 6)
    await assert_purged(town, loose_old, 24)
    for report_id in (market_recent, riverside_recent, market_six_months, loose_recent):
        await assert_kept(town, report_id)
    assert await count(town.database, JobRun, JobRun.job == "report_retention") == 1
    async with town.database.sessions() as session:
        trail = (
            await session.execute(
                select(
                    AuditEntry.action, AuditEntry.actor_id, AuditEntry.object_id, AuditEntry.details
                )
                .where(AuditEntry.action == "report.personal_data_purged")
                .order_by(AuditEntry.object_id)
            )
        ).all()
    assert [tuple(row) for row in trail] == [
        ("report.personal_data_purged", None, report_id, {})
        for report_id in sorted((market_old, riverside_old, loose_old))
    ]

    # Two days on, the reports that were a day short of the period have passed it.
    await live.advance(2 * DAY)
    await run_twice_at_once(town)

    await assert_purged(town, market_recent, 24)
    await assert_purged(town, riverside_recent, 6)
    await assert_purged(town, loose_recent, 24)
    await assert_kept(town, market_six_months)
    assert await count(town.database, JobRun, JobRun.job == "report_retention") == 2
    first = await stored(town, market_old)
    assert first.personal_data_purged_at is not None
    assert first.personal_data_purged_at < live.clock.now() - DAY, "purged once, not again"


async def test_the_reporter_no_longer_sees_a_purged_report_and_coordinators_see_no_words(
    town: Town,
) -> None:
    live, rosa = town.live, town.resident
    old = await report_at(town, months_before(live.clock.now(), 24) - DAY, town.scheme_id)
    before = await rosa.says("/myreports")
    assert before.buttons and (await stored(town, old)).reference in before.buttons[0][0]

    await live.process.run_job_now("report_retention")

    after = await rosa.says("/myreports")
    assert after.body.startswith("You have not filed any reports yet.")
    queue = await town.coordinator.says("/reports")
    reference = (await stored(town, old)).reference
    [line] = [label for row in queue.buttons for label in row if reference in label]
    opened = await town.coordinator.presses(line, on=queue)
    assert "(removed after 24 months)" in opened.body
    assert DESCRIPTION not in opened.body and PLACE not in opened.body
    assert "Reporter: anonymous" in opened.body
    assert "personal data removed" in opened.body
