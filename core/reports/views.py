"""Reading reports back: a resident's own, one in full, and the coordinators' queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import ReportCategory, ReportStatus
from core.errors import InvalidInput, NotAllowed, NotFound
from core.people import PersonContext
from core.reports import texts
from core.reports.categories import OPEN_STATUSES, STATUS_LABELS, category_info
from core.reports.status import may_review
from storage.models import CaseReview, Person, Report
from storage.repositories import people as people_repo
from storage.repositories import reports as reports_repo

PAGE_SIZE = 5

STATUS_FILTERS: dict[str, frozenset[ReportStatus]] = {
    "open": OPEN_STATUSES,
    "all": frozenset(ReportStatus),
    **{status.value: frozenset({status}) for status in ReportStatus},
}


@dataclass(frozen=True)
class ReportLine:
    """One report in a list."""

    report_id: int
    reference: str
    summary: str


@dataclass(frozen=True)
class CoordinatorView:
    """A report as a coordinator sees it, with what they can do next."""

    report_id: int
    reference: str
    text: str
    status: ReportStatus
    cluster_size: int


@dataclass(frozen=True)
class QueuePage:
    """One page of the coordinators' report queue, and the areas it can be filtered by."""

    lines: list[ReportLine]
    total: int
    page: int
    pages: int
    areas: list[tuple[int, str]]


def _line(report: Report) -> ReportLine:
    label = category_info(report.category.value).label
    return ReportLine(
        report.id,
        report.reference,
        f"{report.reference} · {label} · {STATUS_LABELS[report.status]}",
    )


async def load_report(session: AsyncSession, report_id: int) -> Report:
    """A report with its photos and history."""
    async with session.begin():
        report = await reports_repo.get(session, report_id)
    if report is None:
        raise NotFound("That report no longer exists.")
    return report


async def my_reports(
    session: AsyncSession, person: PersonContext, limit: int = 10
) -> list[ReportLine]:
    """The resident's latest reports."""
    async with session.begin():
        reports = await reports_repo.of_reporter(session, person.id, limit)
    return [_line(report) for report in reports]


async def for_reporter(
    session: AsyncSession, person: PersonContext, report_id: int, tz: ZoneInfo
) -> str:
    """One of the resident's own reports in full; nobody else's."""
    report = await load_report(session, report_id)
    if report.reporter_id != person.id:
        raise NotAllowed("You can only open your own reports.")
    return texts.report_detail(report, tz, for_coordinator=False, reporter_name=None)


async def for_coordinator(
    session: AsyncSession, person: PersonContext, report_id: int, tz: ZoneInfo
) -> CoordinatorView:
    """A report in full for a coordinator of its scheme, with its cluster size."""
    async with session.begin():
        report = await reports_repo.get(session, report_id)
        if report is None:
            raise NotFound("That report no longer exists.")
        if not await may_review(session, person, report):
            raise NotAllowed("Only the scheme's coordinators can open this report.")
        name = None
        if not report.anonymous and report.reporter_id is not None:
            reporter = await session.get(Person, report.reporter_id)
            name = reporter.full_name if reporter else None
        cluster = await reports_repo.in_cluster(session, report.cluster_id or report.id)
    text = texts.report_detail(report, tz, for_coordinator=True, reporter_name=name)
    if len(cluster) > 1:
        others = ", ".join(other.reference for other in cluster if other.id != report.id)
        text += f"\n\nLinked similar reports: {others}"
    return CoordinatorView(report.id, report.reference, text, report.status, len(cluster))


async def queue(
    session: AsyncSession,
    person: PersonContext,
    *,
    status: str,
    category: str,
    page: int,
    area: int = 0,
) -> QueuePage:
    """A page of reports the coordinator may review, filtered by status, category and area."""
    statuses = STATUS_FILTERS.get(status)
    if statuses is None:
        raise InvalidInput("That isn't a status filter I know.")
    chosen = ReportCategory(category_info(category).category) if category else None
    async with session.begin():
        scheme_ids = (
            None
            if person.is_admin
            else await people_repo.coordinated_scheme_ids(session, person.id)
        )
        if scheme_ids is not None and not scheme_ids:
            raise NotAllowed("Only coordinators can review reports.")
        areas = [
            (row.id, row.name)
            for row in await reports_repo.areas(session)
            if scheme_ids is None or row.scheme_id in scheme_ids
        ]
        if area and area not in {area_id for area_id, _ in areas}:
            raise NotAllowed("That area is not one of your scheme's.")
        reports, total = await reports_repo.page(
            session,
            statuses=statuses,
            category=chosen,
            area_id=area or None,
            scheme_ids=scheme_ids,
            offset=max(page, 0) * PAGE_SIZE,
            limit=PAGE_SIZE,
        )
    pages = max(1, -(-total // PAGE_SIZE))
    return QueuePage(
        [_line(report) for report in reports], total, min(max(page, 0), pages - 1), pages, areas
    )


async def request_case_review(
    session: AsyncSession, person: PersonContext, review_id: int, now: datetime
) -> tuple[list[int], list[str]]:
    """Records a resident's request for their case review; returns coordinators and reports."""
    async with session.begin():
        review = await session.get(CaseReview, review_id)
        if review is None:
            raise NotFound("That case review no longer exists.")
        if review.route == "individual" and review.reporter_id != person.id:
            raise NotAllowed("Only the person it belongs to can ask for this case review.")
        if review.route == "community":
            mine = await reports_repo.of_reporter(session, person.id, 1000)
            if not {report.id for report in mine} & set(review.report_ids):
                raise NotAllowed("Only people who reported this problem can ask for the review.")
        already = review.status == "requested"
        review.status = "requested"
        coordinators = await people_repo.coordinator_chat_ids(session, review.scheme_id)
        references = [
            report.reference
            for report_id in review.report_ids
            if (report := await session.get(Report, report_id)) is not None
        ]
    if already:
        raise InvalidInput("You have already asked for this case review; a coordinator has it.")
    return coordinators, references
