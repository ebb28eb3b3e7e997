"""Reading a typed time in the future ("18:30", "tomorrow 9am", "21/11/2026 18:30")."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.errors import InvalidInput

FURTHEST = timedelta(days=30)
EXAMPLES = 'e.g. "18:30", "tomorrow 9am", "in 2 hours" or "21/11/2026 18:30"'

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_WEEKDAYS = {
    name: number
    for number, names in enumerate(
        (
            ("mon", "monday"),
            ("tue", "tues", "tuesday"),
            ("wed", "wednesday"),
            ("thu", "thur", "thurs", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        )
    )
    for name in names
}
_CLOCK = re.compile(r"(?P<hour>\d{1,2})(?:[:.](?P<minute>\d{2}))?\s*(?P<half>am|pm)?")
_IN = re.compile(r"in (?P<count>\d{1,4}) ?(?P<unit>minutes?|mins?|m|hours?|hrs?|h|days?|d)")
_NUMERIC_DATE = re.compile(r"(?P<day>\d{1,2})[/.-](?P<month>\d{1,2})(?:[/.-](?P<year>\d{2,4}))?")
_ISO_DATE = re.compile(r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})")


def _unreadable() -> InvalidInput:
    return InvalidInput(f"I couldn't read that date and time. Please type it like {EXAMPLES}.")


def _clock(text: str) -> time | None:
    match = _CLOCK.fullmatch(text)
    if match is None:
        return None
    hour, minute = int(match["hour"]), int(match["minute"] or 0)
    half = match["half"]
    if half is None and match["minute"] is None:
        return None
    if half is not None:
        if not 1 <= hour <= 12:
            raise _unreadable()
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        raise _unreadable()
    return time(hour, minute)


def _year(text: str | None, today: date) -> int:
    if text is None:
        return today.year
    return int(text) + (2000 if len(text) == 2 else 0)


def _day(words: list[str], today: date) -> tuple[date, bool]:
    """The day named by `words`, and whether its year was left out."""
    phrase = " ".join(words)
    if phrase in ("", "today"):
        return today, False
    if phrase == "tomorrow":
        return today + timedelta(days=1), False
    if phrase in _WEEKDAYS:
        ahead = (_WEEKDAYS[phrase] - today.weekday()) % 7 or 7
        return today + timedelta(days=ahead), False
    try:
        if len(words) == 1 and (iso := _ISO_DATE.fullmatch(phrase)):
            return date(int(iso["year"]), int(iso["month"]), int(iso["day"])), False
        if len(words) == 1 and (numeric := _NUMERIC_DATE.fullmatch(phrase)):
            year = numeric["year"]
            day = date(_year(year, today), int(numeric["month"]), int(numeric["day"]))
            return day, year is None
        if len(words) in (2, 3):
            year_text = words[2] if len(words) == 3 else None
            if year_text is not None and not year_text.isdigit():
                raise _unreadable()
            first, second = words[0], words[1]
            if first.isdigit() and second in _MONTHS:
                day = date(_year(year_text, today), _MONTHS[second], int(first))
                return day, year_text is None
            if first in _MONTHS and second.isdigit():
                day = date(_year(year_text, today), _MONTHS[first], int(second))
                return day, year_text is None
    except ValueError as error:
        raise InvalidInput(f"That date doesn't exist. Please type it like {EXAMPLES}.") from error
    raise _unreadable()


def _words(text: str) -> list[str]:
    cleaned = text.casefold().replace(",", " ").replace(" at ", " ")
    cleaned = re.sub(r"(\d)\s+(am|pm)\b", r"\1\2", cleaned)
    return [word for word in cleaned.split() if word not in ("at", "on", "next", "this")]


def parse_future(text: str, now: datetime, tz: ZoneInfo) -> datetime:
    """A moment in the next 30 days from what the coordinator typed, in local time `tz`."""
    phrase = " ".join(text.casefold().split())
    relative = _IN.fullmatch(phrase)
    if relative is not None:
        count, unit = int(relative["count"]), relative["unit"][0]
        step = {"m": timedelta(minutes=count), "h": timedelta(hours=count)}.get(
            unit, timedelta(days=count)
        )
        return _checked(now + step, now)
    words = _words(text)
    clocks = [(index, found) for index, word in enumerate(words) if (found := _clock(word))]
    if len(clocks) != 1:
        raise _unreadable()
    index, moment = clocks[0]
    rest = words[:index] + words[index + 1 :]
    today = now.astimezone(tz).date()
    day, year_left_out = _day(rest, today)
    # Days far from today (year 1 or 9999) would overflow when converted to UTC.
    if day < today - timedelta(days=2) and not year_left_out:
        raise _checked_error(passed=True)
    if day > today + FURTHEST + timedelta(days=2):
        raise _checked_error(passed=False)
    at = datetime.combine(day, moment, tzinfo=tz).astimezone(UTC)
    if at <= now and not rest:
        at = datetime.combine(day + timedelta(days=1), moment, tzinfo=tz).astimezone(UTC)
    elif at <= now and year_left_out:
        at = datetime.combine(day.replace(year=day.year + 1), moment, tzinfo=tz).astimezone(UTC)
    return _checked(at, now)


def _checked_error(*, passed: bool) -> InvalidInput:
    if passed:
        return InvalidInput(
            f"That time has already passed. Please type a time in the future, {EXAMPLES}."
        )
    return InvalidInput("That is more than 30 days away. Please choose a time within 30 days.")


def _checked(at: datetime, now: datetime) -> datetime:
    if at <= now:
        raise _checked_error(passed=True)
    if at - now > FURTHEST:
        raise _checked_error(passed=False)
    return at
