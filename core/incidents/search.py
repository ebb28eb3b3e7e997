"""/incidents: a scheme's incidents, most recent first, filtered by type, dates and business."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.enums import IncidentStatus, IncidentType
from core.errors import InvalidInput, NotAllowed
from core.incidents.types import type_label
from core.schemes.access import Permission, SchemeMember, allowed_memberships, require
from storage.models import Incident
from storage.repositories import incident_views as views_repo
from storage.repositories.incident_views import BusinessOption

PAGE_SIZE = 10
ALL_TYPES = tuple(IncidentType)
PERIOD_LABELS = {
    "all": "All dates",
    "td": "Today",
    "7d": "Last 7 days",
    "30d": "Last 30 days",
}
TYPED_RANGE = "r"
FORGED = "That button isn't one I made. Send /incidents to start the search again."
RANGE_FORMAT = (
    "Please type the dates as day/month/year, first date then last, for example "
    '"1/11/2026 - 15/11/2026".'
)
NOT_IN_SCHEME = "That business isn't a member of this scheme."
_DATE = r"(\d{1,2})[/.](\d{1,2})[/.](\d{4}|\d{2})"
_RANGE = re.compile(rf"^\s*{_DATE}\s*(?:-|–|—|to)\s*{_DATE}\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Filters:
    """What the person asked to see; every value is checked before it is used."""

    scheme_id: int
    types: int = 0
    period: str = "all"
    since: int = 0
    until: int = 0
    business: int = 0
    page: int = 0

    @property
    def chosen_types(self) -> list[IncidentType]:
        """The incident types picked (none picked means all)."""
        return [kind for bit, kind in enumerate(ALL_TYPES) if self.types & (1 << bit)]

    def toggled(self, kind: IncidentType) -> int:
        """The type bits with `kind` switched on or off."""
        return self.types ^ (1 << ALL_TYPES.index(kind))


@dataclass(frozen=True)
class IncidentLine:
    """One incident in the list."""

    incident_id: int
    summary: str


@dataclass(frozen=True)
class SearchPage:
    """A page of results and what the filters offer."""

    filters: Filters
    scheme_name: str
    lines: list[IncidentLine]
    total: int
    page: int
    pages: int
    businesses: list[BusinessOption]
    description: str


def _yyyymmdd(day: date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


def _from_yyyymmdd(value: int) -> date:
    try:
        return date(value // 10000, value // 100 % 100, value % 100)
    except ValueError as error:
        raise InvalidInput(FORGED) from error


def parse_range(text: str, today: date) -> tuple[int, int]:
    """A typed date range as (first day, last day) in YYYYMMDD; explains what is wrong."""
    match = _RANGE.match(text)
    if match is None:
        raise InvalidInput("I couldn't read those dates. " + RANGE_FORMAT)
    numbers = [int(part) for part in match.groups()]
    days: list[date] = []
    for day, month, year in (numbers[:3], numbers[3:]):
        full_year = year + 2000 if year < 100 else year
        try:
            days.append(date(full_year, month, day))
        except ValueError as error:
            raise InvalidInput(
                f"{day}/{month}/{year} isn't a real date. " + RANGE_FORMAT
            ) from error
    first, last = days
    if first > last:
        raise InvalidInput(
            f"The first date ({first:%d/%m/%Y}) is after the last ({last:%d/%m/%Y}). "
            "Please type the earlier date first."
        )
    if first > today:
        raise InvalidInput(
            f"{first:%d/%m/%Y} is in the future, so nothing can have happened yet. " + RANGE_FORMAT
        )
    if first.year < 2000:
        raise InvalidInput("Please choose dates from 2000 onwards. " + RANGE_FORMAT)
    return _yyyymmdd(first), _yyyymmdd(last)


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


def date_window(filters: Filters, now: datetime, tz: ZoneInfo) -> tuple[datetime | None, str]:
    """When a preset period starts (None for all time), and its name."""
    today = now.astimezone(tz).date()
    if filters.period == "all":
        return None, PERIOD_LABELS["all"]
    if filters.period == "td":
        return _local_midnight(today, tz), PERIOD_LABELS["td"]
    if filters.period == "7d":
        return _local_midnight(today - timedelta(days=6), tz), PERIOD_LABELS["7d"]
    if filters.period == "30d":
        return _local_midnight(today - timedelta(days=29), tz), PERIOD_LABELS["30d"]
    raise InvalidInput(FORGED)


def _validate(filters: Filters) -> None:
    if not 0 <= filters.types < (1 << len(ALL_TYPES)) or filters.page < 0:
        raise InvalidInput(FORGED)
    if filters.business < 0:
        raise InvalidInput(FORGED)
    if filters.period == TYPED_RANGE:
        if _from_yyyymmdd(filters.since) > _from_yyyymmdd(filters.until):
            raise InvalidInput(FORGED)
    elif filters.period not in PERIOD_LABELS or filters.since or filters.until:
        raise InvalidInput(FORGED)


def _summary(incident: Incident, tz: ZoneInfo) -> str:
    local = incident.occurred_at.astimezone(tz)
    mark = " · ✅ Resolved" if incident.status == IncidentStatus.RESOLVED else ""
    return (
        f"{incident.reference} · {type_label(incident.incident_type)} · {local:%d/%m %H:%M}{mark}"
    )


async def searchable_schemes(session: AsyncSession, person_id: int) -> list[SchemeMember]:
    """The schemes whose incidents the person may search; NotAllowed, with why, if none."""
    async with session.begin():
        return await allowed_memberships(session, person_id, Permission.VIEW_INCIDENTS)


async def business_options(
    session: AsyncSession, *, person_id: int, filters: Filters
) -> list[BusinessOption]:
    """Checks the filters and the person's access; the scheme's businesses to filter by."""
    _validate(filters)
    async with session.begin():
        await require(session, person_id, Permission.VIEW_INCIDENTS, filters.scheme_id)
        businesses = await views_repo.businesses(session, filters.scheme_id)
    if filters.business and filters.business not in {b.membership_id for b in businesses}:
        raise NotAllowed(NOT_IN_SCHEME)
    return businesses


async def search(
    session: AsyncSession, *, person_id: int, filters: Filters, now: datetime, tz: ZoneInfo
) -> SearchPage:
    """A page of the scheme's incidents matching the filters; the search is audited."""
    _validate(filters)
    if filters.period == TYPED_RANGE:
        first, last = _from_yyyymmdd(filters.since), _from_yyyymmdd(filters.until)
        since: datetime | None = _local_midnight(first, tz)
        until: datetime | None = _local_midnight(last + timedelta(days=1), tz)
        period = f"{first:%d/%m/%Y} to {last:%d/%m/%Y}"
    else:
        since, period = date_window(filters, now, tz)
        until = None
    async with session.begin():
        member = await require(session, person_id, Permission.VIEW_INCIDENTS, filters.scheme_id)
        coordinator = member.may(Permission.MANAGE_INCIDENTS)
        businesses = await views_repo.businesses(session, filters.scheme_id)
        business_name = None
        if filters.business:
            chosen = [b for b in businesses if b.membership_id == filters.business]
            if not chosen:
                raise NotAllowed(NOT_IN_SCHEME)
            business_name = chosen[0].business_name
        incidents, total = await views_repo.search(
            session,
            scheme_id=filters.scheme_id,
            types=filters.chosen_types,
            since=since,
            until=until,
            membership_id=filters.business or None,
            # A reporter who kept their business name off the card isn't found by it either;
            # coordinators, who approve every member, see all.
            named_only=bool(filters.business) and not coordinator,
            offset=filters.page * PAGE_SIZE,
            limit=PAGE_SIZE,
        )
        await audit.record(
            session,
            actor_id=person_id,
            scheme_id=filters.scheme_id,
            action="incident.searched",
            details={
                "types": [kind.value for kind in filters.chosen_types],
                "period": period,
                "business": business_name,
                "page": filters.page,
                "results": total,
            },
            at=now,
        )
    pages = max(1, -(-total // PAGE_SIZE))
    described = [
        ", ".join(type_label(kind) for kind in filters.chosen_types) or "All types",
        period,
    ]
    if business_name:
        described.append(business_name)
    return SearchPage(
        filters=filters,
        scheme_name=member.scheme_name,
        lines=[IncidentLine(i.id, _summary(i, tz)) for i in incidents],
        total=total,
        page=filters.page,
        pages=pages,
        businesses=businesses,
        description=" · ".join(described),
    )
