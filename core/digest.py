"""The weekly digest each coordinator gets: the scheme's week in counts, nothing personal."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import (
    AlertState,
    DeliveryState,
    MembershipStatus,
    ReportCategory,
    ReportStatus,
    Role,
)
from core.incidents.types import TYPE_LABELS
from core.reports.categories import STATUS_LABELS, category_info
from storage.models import Alert, CaseReview, Delivery, Incident, Membership, Person, Report, Scheme

WEEK = timedelta(days=7)


def week_slot(now: datetime, tz: ZoneInfo) -> str:
    """The ISO week a digest covers runs are claimed by, e.g. "2026-W48"."""
    year, week, _ = now.astimezone(tz).isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class SchemeWeek:
    """One scheme's last seven days, in counts."""

    scheme_id: int
    scheme_name: str
    since: datetime
    until: datetime
    incidents: Counter[str] = field(default_factory=Counter)
    reports: dict[str, Counter[str]] = field(default_factory=dict)
    alerts: int = 0
    reached: int = 0
    blocked: int = 0
    failed: int = 0
    case_reviews: int = 0


@dataclass(frozen=True)
class DigestLetter:
    """One digest to one coordinator's private chat."""

    telegram_user_id: int
    text: str


async def _incidents(
    session: AsyncSession, scheme_id: int, since: datetime, until: datetime
) -> Counter[str]:
    rows = await session.execute(
        select(Incident.incident_type, func.count())
        .where(
            Incident.scheme_id == scheme_id,
            Incident.created_at >= since,
            Incident.created_at < until,
        )
        .group_by(Incident.incident_type)
    )
    return Counter({TYPE_LABELS[kind]: int(number) for kind, number in rows.all()})


async def _reports(
    session: AsyncSession, scheme_id: int, since: datetime, until: datetime
) -> dict[str, Counter[str]]:
    rows = await session.execute(
        select(Report.category, Report.status, func.count())
        .where(Report.scheme_id == scheme_id, Report.created_at >= since, Report.created_at < until)
        .group_by(Report.category, Report.status)
    )
    found: dict[str, Counter[str]] = {}
    for category, status, number in rows.all():
        label = category_info(ReportCategory(category).value).label
        found.setdefault(label, Counter())[STATUS_LABELS[ReportStatus(status)]] += int(number)
    return found


async def _alerts(
    session: AsyncSession, scheme_id: int, since: datetime, until: datetime
) -> tuple[int, Counter[DeliveryState]]:
    sent = (
        Alert.scheme_id == scheme_id,
        Alert.started_at >= since,
        Alert.started_at < until,
        Alert.state != AlertState.DRAFT,
    )
    alerts = await session.scalar(select(func.count()).select_from(Alert).where(*sent))
    rows = await session.execute(
        select(Delivery.state, func.count())
        .join(Alert, Alert.id == Delivery.alert_id)
        .where(*sent)
        .group_by(Delivery.state)
    )
    return int(alerts or 0), Counter({DeliveryState(state): int(n) for state, n in rows.all()})


async def _case_reviews(
    session: AsyncSession, scheme_id: int, since: datetime, until: datetime
) -> int:
    number = await session.scalar(
        select(func.count())
        .select_from(CaseReview)
        .where(
            CaseReview.scheme_id == scheme_id,
            CaseReview.flagged_at >= since,
            CaseReview.flagged_at < until,
        )
    )
    return int(number or 0)


async def scheme_week(session: AsyncSession, scheme: Scheme, now: datetime) -> SchemeWeek:
    """What happened in one scheme in the seven days before `now` (in the caller's transaction)."""
    since = now - WEEK
    alerts, deliveries = await _alerts(session, scheme.id, since, now)
    return SchemeWeek(
        scheme_id=scheme.id,
        scheme_name=scheme.name,
        since=since,
        until=now,
        incidents=await _incidents(session, scheme.id, since, now),
        reports=await _reports(session, scheme.id, since, now),
        alerts=alerts,
        reached=deliveries[DeliveryState.SENT] + deliveries[DeliveryState.RECALLED],
        blocked=deliveries[DeliveryState.BLOCKED],
        failed=deliveries[DeliveryState.FAILED],
        case_reviews=await _case_reviews(session, scheme.id, since, now),
    )


def _counted(counter: Counter[str]) -> str:
    return ", ".join(f"{label} {number:,}" for label, number in sorted(counter.items()))


def render(week: SchemeWeek, tz: ZoneInfo) -> str:
    """The digest as a coordinator reads it."""
    since = week.since.astimezone(tz)
    until = week.until.astimezone(tz)
    lines = [
        f"Weekly digest: {week.scheme_name}",
        f"{since.day} {since:%b} to {until.day} {until:%b %Y}",
        "",
    ]
    incidents = sum(week.incidents.values())
    lines.append(
        f"Incidents: {incidents:,}" + (f" ({_counted(week.incidents)})" if incidents else "")
    )
    reports = sum(sum(by_status.values()) for by_status in week.reports.values())
    lines.append(f"Residents' reports: {reports:,}")
    for category in sorted(week.reports):
        by_status = week.reports[category]
        lines.append(f"• {category}: {sum(by_status.values()):,} ({_counted(by_status)})")
    lines.append(
        f"Alerts sent: {week.alerts:,}, reaching {week.reached:,} "
        f"({week.blocked:,} blocked, {week.failed:,} failed)"
    )
    lines.append(f"Case reviews flagged: {week.case_reviews:,}")
    return "\n".join(lines)


async def weekly_digests(
    session: AsyncSession, *, now: datetime, tz: ZoneInfo
) -> list[DigestLetter]:
    """A digest per scheme for each of its approved coordinators who can be messaged."""
    async with session.begin():
        rows = await session.execute(
            select(Scheme, Person.telegram_user_id)
            .join(Membership, Membership.scheme_id == Scheme.id)
            .join(Person, Person.id == Membership.person_id)
            .where(
                Membership.role == Role.COORDINATOR,
                Membership.status == MembershipStatus.APPROVED,
                Person.telegram_user_id.is_not(None),
                Person.erased_at.is_(None),
                Person.bot_blocked_at.is_(None),
            )
            .order_by(Scheme.id, Person.id)
        )
        texts: dict[int, str] = {}
        letters: list[DigestLetter] = []
        for scheme, telegram_user_id in rows.all():
            if telegram_user_id is None:
                continue
            if scheme.id not in texts:
                texts[scheme.id] = render(await scheme_week(session, scheme, now), tz)
            letters.append(DigestLetter(telegram_user_id, texts[scheme.id]))
    return letters
