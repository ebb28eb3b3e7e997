"""When two reports are about the same problem, and the scheme's case review thresholds."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from core.enums import ReportCategory
from core.reports.parsing import haversine_m

# Categories that count towards an ASB Case Review unless a scheme says otherwise.
ASB_CATEGORIES = frozenset(
    {
        ReportCategory.ASB,
        ReportCategory.STREET_DRINKING,
        ReportCategory.DRUG_DEALING,
        ReportCategory.NOISE,
        ReportCategory.VANDALISM,
        ReportCategory.HATE_INCIDENT,
    }
)


class Located(Protocol):
    """Anything with a category and a place: a report or a draft being filed."""

    @property
    def category(self) -> ReportCategory: ...
    @property
    def latitude(self) -> float | None: ...
    @property
    def longitude(self) -> float | None: ...
    @property
    def postcode(self) -> str | None: ...
    @property
    def location_text(self) -> str | None: ...


@dataclass(frozen=True)
class CaseReviewRules:
    """A scheme's local thresholds (defaults are the commonly used ones)."""

    reports_by_one_person: int = 3
    people_reporting: int = 5
    window_months: int = 6
    reported_within_months: int = 1
    radius_m: float = 150.0
    tell_after: int = 2
    categories: frozenset[ReportCategory] = ASB_CATEGORIES

    @classmethod
    def from_scheme(cls, stored: dict[str, Any] | None) -> CaseReviewRules:
        """The scheme's rules, with defaults for anything it does not set."""
        stored = stored or {}
        defaults = cls()
        categories = stored.get("categories")
        return cls(
            reports_by_one_person=int(
                stored.get("reports_by_one_person", defaults.reports_by_one_person)
            ),
            people_reporting=int(stored.get("people_reporting", defaults.people_reporting)),
            window_months=int(stored.get("window_months", defaults.window_months)),
            reported_within_months=int(
                stored.get("reported_within_months", defaults.reported_within_months)
            ),
            radius_m=float(stored.get("radius_m", defaults.radius_m)),
            tell_after=int(stored.get("tell_after", defaults.tell_after)),
            categories=(
                frozenset(ReportCategory(value) for value in categories)
                if categories is not None
                else defaults.categories
            ),
        )


def _place_key(text: str | None) -> str:
    return " ".join((text or "").lower().split())


def same_problem(a: Located, b: Located, radius_m: float, *, same_words: bool = False) -> bool:
    """Same category, and within the radius or at the same postcode.

    With `same_words`, the same typed place also counts: only for one person's own reports,
    since the same words from different people can mean different towns.
    """
    if a.category != b.category:
        return False
    if None not in (a.latitude, a.longitude, b.latitude, b.longitude):
        assert a.latitude is not None and a.longitude is not None
        assert b.latitude is not None and b.longitude is not None
        if haversine_m(a.latitude, a.longitude, b.latitude, b.longitude) <= radius_m:
            return True
    if a.postcode and a.postcode == b.postcode:
        return True
    place = _place_key(a.location_text)
    return same_words and bool(place) and place == _place_key(b.location_text)


def months_before(moment: datetime, months: int) -> datetime:
    """The same time of day `months` calendar months earlier (31 Aug - 6 months = 28/29 Feb)."""
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def months_after(moment: datetime, months: int) -> datetime:
    """The same time of day `months` calendar months later."""
    return months_before(moment, -months)
