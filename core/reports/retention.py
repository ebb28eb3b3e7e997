"""Report retention: personal details in resident reports are deleted on time, or on request."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.gallery.months import months_before
from core.reports.parsing import normalise_postcode
from core.texts import DEFAULT_REPORT_RETENTION_MONTHS
from storage.models import CaseReview, Report, ReportEvent, ReportPhoto, Scheme

logger = logging.getLogger(__name__)

PURGED_EVENT = "personal data removed"
ON_REQUEST = "(removed at the reporter's request)"
# Two decimal places of a degree is about a kilometre: the neighbourhood, never the house.
COORDINATE_PLACES = 2
# Reports anonymised per statement: well inside every database's limit on bound parameters.
BATCH = 500


def removed_after(months: int) -> str:
    """What replaces a report's free text once its retention period is over."""
    return f"(removed after {months} months)"


def district_only(postcode: str | None) -> str | None:
    """The postcode district ("CB1 2AB" -> "CB1"): enough for statistics, not an address."""
    if not postcode:
        return None
    canonical = normalise_postcode(postcode)
    return (canonical or postcode).strip().split(" ")[0].upper() or None


def coarse(value: float | None) -> float | None:
    """A coordinate rounded to about a kilometre."""
    return None if value is None else round(value, COORDINATE_PLACES)


@dataclass(frozen=True)
class ReportsPurged:
    """What one report retention run deleted."""

    reports: int = 0

    def summary(self) -> str:
        """One line for the job log."""
        return f"removed personal data from {self.reports} resident reports"


async def anonymise_reports(
    session: AsyncSession, report_ids: Sequence[int], *, now: datetime, replacement: str
) -> None:
    """Strips reports down to what statistics need: no reporter, photos, place or own words."""
    for start in range(0, len(report_ids), BATCH):
        batch = list(report_ids[start : start + BATCH])
        places = await session.execute(
            select(Report.id, Report.postcode, Report.latitude, Report.longitude).where(
                Report.id.in_(batch)
            )
        )
        await session.execute(delete(ReportPhoto).where(ReportPhoto.report_id.in_(batch)))
        await session.execute(
            update(ReportEvent)
            .where(ReportEvent.report_id.in_(batch), ReportEvent.note.is_not(None))
            .values(note=replacement)
            .execution_options(synchronize_session=False)
        )
        await session.execute(
            update(CaseReview)
            .where(CaseReview.anchor_report_id.in_(batch), CaseReview.reporter_id.is_not(None))
            .values(reporter_id=None)
            .execution_options(synchronize_session=False)
        )
        changes = [
            {
                "id": report_id,
                "reporter_id": None,
                "anonymous": True,
                "contact_allowed": False,
                "location_text": None,
                "postcode": district_only(postcode),
                "latitude": coarse(latitude),
                "longitude": coarse(longitude),
                "description": replacement,
                # The key embeds the reporter's Telegram id.
                "submission_key": None,
                "personal_data_purged_at": now,
                "updated_at": now,
            }
            for report_id, postcode, latitude, longitude in places.all()
        ]
        if not changes:
            continue
        await session.execute(update(Report), changes)
        await session.execute(
            insert(ReportEvent),
            [
                {"report_id": change["id"], "kind": PURGED_EVENT, "created_at": now}
                for change in changes
            ],
        )


async def _expired_reports(
    session: AsyncSession, scheme_id: int | None, cutoff: datetime
) -> list[int]:
    query = select(Report.id).where(
        Report.personal_data_purged_at.is_(None), Report.created_at < cutoff
    )
    query = query.where(
        Report.scheme_id.is_(None) if scheme_id is None else Report.scheme_id == scheme_id
    )
    return [
        int(report_id) for report_id in (await session.execute(query.order_by(Report.id))).scalars()
    ]


async def purge_old_reports(session: AsyncSession, *, now: datetime) -> ReportsPurged:
    """Deletes personal details from reports filed longer ago than their scheme keeps them."""
    async with session.begin():
        rows = await session.execute(select(Scheme.id, Scheme.report_retention_months))
        periods: list[tuple[int | None, int]] = [(int(i), int(m)) for i, m in rows.all()]
    periods.append((None, DEFAULT_REPORT_RETENTION_MONTHS))
    purged = 0
    for scheme_id, months in periods:
        async with session.begin():
            expired = await _expired_reports(session, scheme_id, months_before(now, months))
        # One short transaction per batch: SQLite has one writer, and the bot must keep answering.
        for start in range(0, len(expired), BATCH):
            batch = expired[start : start + BATCH]
            async with session.begin():
                await anonymise_reports(session, batch, now=now, replacement=removed_after(months))
                for report_id in batch:
                    # Only the id: the audit log must not keep what retention deleted.
                    await audit.record(
                        session,
                        actor_id=None,
                        scheme_id=scheme_id,
                        action="report.personal_data_purged",
                        object_type="report",
                        object_id=report_id,
                        at=now,
                    )
            purged += len(batch)
    result = ReportsPurged(purged)
    logger.info("report retention: %s", result.summary())
    return result
