"""Filing a resident's report: stored with its history, routed, linked, and case-review checked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import ReportCategory, ReportStatus
from core.errors import InvalidInput
from core.reports.categories import OPEN_STATUSES, category_info
from core.reports.draft import Draft
from core.reports.matching import CaseReviewRules, months_after, months_before, same_problem
from core.reports.parsing import haversine_m, postcode_district
from storage.models import Area, CaseReview, Report, ReportEvent, ReportPhoto
from storage.repositories import people as people_repo
from storage.repositories import reports as reports_repo

CLUSTER_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class CaseReviewNotice:
    """What the reporter is told about the ASB Case Review after filing."""

    qualifies: bool
    route: str
    count: int


@dataclass(frozen=True)
class FlaggedReview:
    """A case review threshold met: what the coordinators are shown."""

    review_id: int
    route: str
    references: list[str]
    new: bool


@dataclass(frozen=True)
class Filed:
    """The outcome of filing, for the reporter and the coordinators."""

    report_id: int
    reference: str
    duplicate: bool
    category: ReportCategory
    gets_updates: bool
    scheme_name: str | None
    coordinator_chat_ids: list[int]
    cluster_size: int
    cluster_others: int
    case_review: CaseReviewNotice | None
    flagged: FlaggedReview | None
    rules: CaseReviewRules


async def file_report(
    session: AsyncSession,
    *,
    reporter_id: int,
    draft: Draft,
    submission_key: str,
    now: datetime,
) -> Filed:
    """Files the draft once: a second submit with the same key returns the first report."""
    try:
        async with session.begin():
            existing = await reports_repo.by_submission_key(session, submission_key)
            if existing is not None:
                return _already_filed(existing, reporter_id)
            return await _file(session, reporter_id, draft, submission_key, now)
    except IntegrityError:
        # Two submits raced (two webhook instances): the other one's row won.
        async with session.begin():
            existing = await reports_repo.by_submission_key(session, submission_key)
        if existing is None:
            raise
        return _already_filed(existing, reporter_id)


async def already_filed(session: AsyncSession, reporter_id: int, submission_key: str) -> str | None:
    """The reference of the report filed under this key by this person, if any."""
    async with session.begin():
        report = await reports_repo.by_submission_key(session, submission_key)
    if report is None or report.reporter_id != reporter_id:
        return None
    return report.reference


def _already_filed(report: Report, reporter_id: int) -> Filed:
    if report.reporter_id != reporter_id:
        raise InvalidInput("That report belongs to someone else.")
    return Filed(
        report_id=report.id,
        reference=report.reference,
        duplicate=True,
        category=report.category,
        gets_updates=report.contact_allowed,
        scheme_name=None,
        coordinator_chat_ids=[],
        cluster_size=1,
        cluster_others=0,
        case_review=None,
        flagged=None,
        rules=CaseReviewRules(),
    )


def _covering(areas: list[Area], report: Report) -> Area | None:
    district = postcode_district(report.postcode) if report.postcode else None
    for area in areas:
        if district is not None and district in area.postcode_districts:
            return area
    for area in areas:
        if None in (area.centre_latitude, area.centre_longitude, area.radius_m):
            continue
        if report.latitude is None or report.longitude is None:
            continue
        assert area.centre_latitude is not None and area.centre_longitude is not None
        distance = haversine_m(
            report.latitude, report.longitude, area.centre_latitude, area.centre_longitude
        )
        if distance <= (area.radius_m or 0):
            return area
    return None


async def _file(
    session: AsyncSession, reporter_id: int, draft: Draft, submission_key: str, now: datetime
) -> Filed:
    draft.require_complete()
    info = category_info(draft.category or "")
    contact = draft.contact_choice
    occurred = draft.occurred
    assert contact is not None and occurred is not None and draft.description is not None
    report = Report(
        reference=f"SW-pending-{submission_key[:20]}",
        reporter_id=reporter_id,
        category=info.category,
        subtype=draft.subtype,
        latitude=draft.latitude,
        longitude=draft.longitude,
        location_text=draft.place,
        postcode=draft.postcode,
        occurred_at=occurred,
        occurred_label=draft.occurred_label,
        description=draft.description,
        anonymous=contact.anonymous,
        contact_allowed=contact.gets_updates,
        status=ReportStatus.RECEIVED,
        submission_key=submission_key,
        created_at=now,
        updated_at=now,
    )
    report.photos = [
        ReportPhoto(file_id=file_id, file_unique_id=unique, position=position)
        for position, (file_id, unique) in enumerate(draft.photos)
    ]
    report.events = [ReportEvent(kind="filed", to_status=ReportStatus.RECEIVED, created_at=now)]
    area = _covering(await reports_repo.areas(session), report)
    if area is not None:
        report.area_id = area.id
        report.scheme_id = area.scheme_id
    session.add(report)
    await session.flush()
    report.reference = f"SW-{now.year}-{report.id:06d}"

    scheme = area.scheme if area is not None else None
    rules = CaseReviewRules.from_scheme(scheme.case_review_rules if scheme else None)
    window_start = months_before(now, rules.window_months)
    candidates = [
        other
        for other in await reports_repo.in_category_since(session, info.category, window_start)
        if other.id != report.id
    ]
    nearby = [other for other in candidates if same_problem(other, report, rules.radius_m)]
    mine_described_alike = [
        other
        for other in candidates
        if other.reporter_id == reporter_id
        and same_problem(other, report, rules.radius_m, same_words=True)
    ]
    cluster = await _link_cluster(session, report, nearby, now)
    notice, flagged = await _check_case_review(
        session, report, nearby, mine_described_alike, rules, window_start, now
    )
    coordinators = await people_repo.coordinator_chat_ids(session, report.scheme_id)
    return Filed(
        report_id=report.id,
        reference=report.reference,
        duplicate=False,
        category=info.category,
        gets_updates=report.contact_allowed,
        scheme_name=scheme.name if scheme else None,
        coordinator_chat_ids=coordinators,
        cluster_size=len(cluster),
        cluster_others=sum(1 for other in cluster if other.reporter_id != reporter_id),
        case_review=notice,
        flagged=flagged,
        rules=rules,
    )


async def _link_cluster(
    session: AsyncSession, report: Report, same: list[Report], now: datetime
) -> list[Report]:
    """Links the report to similar open ones from the last week; returns the whole cluster."""
    similar = [
        other
        for other in same
        if other.status in OPEN_STATUSES and other.created_at >= now - CLUSTER_WINDOW
    ]
    if not similar:
        return [report]
    root = min(other.cluster_id or other.id for other in similar)
    report.cluster_id = root
    await session.flush()
    return await reports_repo.in_cluster(session, root)


def _counts_for_review(report: Report, rules: CaseReviewRules) -> bool:
    """Made within the allowed time after the incident (one month by default)."""
    return report.created_at <= months_after(report.occurred_at, rules.reported_within_months)


async def _check_case_review(
    session: AsyncSession,
    report: Report,
    same: list[Report],
    mine_alike: list[Report],
    rules: CaseReviewRules,
    window_start: datetime,
    now: datetime,
) -> tuple[CaseReviewNotice | None, FlaggedReview | None]:
    if report.category not in rules.categories:
        return None, None
    problem = [*same, report]
    mine = [other for other in [*mine_alike, report] if _counts_for_review(other, rules)]
    people = {other.reporter_id for other in problem if other.reporter_id is not None}
    if len(mine) >= rules.reports_by_one_person and _counts_for_review(report, rules):
        flagged = await _flag(session, "individual", report, mine, window_start, now)
        return CaseReviewNotice(True, "individual", len(mine)), flagged
    if len(people) >= rules.people_reporting:
        flagged = await _flag(session, "community", report, problem, window_start, now)
        return CaseReviewNotice(True, "community", len(people)), flagged
    if len(mine) == rules.tell_after and _counts_for_review(report, rules):
        return CaseReviewNotice(False, "individual", len(mine)), None
    return None, None


async def _flag(
    session: AsyncSession,
    route: str,
    report: Report,
    qualifying: list[Report],
    window_start: datetime,
    now: datetime,
) -> FlaggedReview:
    references = [other.reference for other in sorted(qualifying, key=lambda r: r.id)]
    ids = [other.id for other in qualifying]
    reporter = report.reporter_id if route == "individual" else None
    for review in await reports_repo.open_case_review(
        session, route=route, category=report.category, reporter_id=reporter, since=window_start
    ):
        if review.anchor_report_id in ids:
            review.report_ids = sorted(set(review.report_ids) | set(ids))
            return FlaggedReview(review.id, route, references, new=False)
    review = CaseReview(
        scheme_id=report.scheme_id,
        route=route,
        category=report.category,
        reporter_id=reporter,
        anchor_report_id=report.id,
        report_ids=sorted(ids),
        flagged_at=now,
    )
    session.add(review)
    await session.flush()
    return FlaggedReview(review.id, route, references, new=True)
