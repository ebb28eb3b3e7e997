"""Calendar-month arithmetic for retention and exclusion periods."""

from __future__ import annotations

from calendar import monthrange
from datetime import date, datetime
from typing import TypeVar

Day = TypeVar("Day", date, datetime)


def add_months(moment: Day, months: int) -> Day:
    """The same day `months` calendar months later (earlier if negative), clamped to month end.

    31 March minus one month is 28 (or 29) February; the time of day is kept.
    """
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    day = min(moment.day, monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def months_before(moment: Day, months: int) -> Day:
    """The same day `months` calendar months earlier, clamped to month end."""
    return add_months(moment, -months)
