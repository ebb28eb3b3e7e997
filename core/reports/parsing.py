"""Checks each typed answer in the report flow and turns it into a plain value."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.errors import InvalidInput

MIN_DESCRIPTION = 10
MAX_DESCRIPTION = 2000
MAX_PLACE = 200
MIN_PLACE = 3

FUTURE_TOLERANCE = timedelta(minutes=5)
OLDEST = timedelta(days=366)
EARTH_RADIUS_M = 6_371_008.8

PLACE_EXAMPLE = "Benches outside the library, Mill Road"
DESCRIPTION_EXAMPLE = "Three men drinking and shouting on the benches by the library since 6pm."

# --------------------------------------------------------------------------- postcodes

_AREA_FIRST = "[A-PR-UWYZ]"  # never Q, V, X
_AREA_SECOND = "[A-HK-Y]"  # never I, J, Z
_THIRD_IN_A9A = "[A-HJKPSTUW]"
_FOURTH_IN_AA9A = "[ABEHMNPRVWXY]"
_OUTWARD = (
    f"(?:{_AREA_FIRST}[0-9][0-9]?"
    f"|{_AREA_FIRST}{_AREA_SECOND}[0-9][0-9]?"
    f"|{_AREA_FIRST}[0-9]{_THIRD_IN_A9A}"
    f"|{_AREA_FIRST}{_AREA_SECOND}[0-9]{_FOURTH_IN_AA9A})"
)
_INWARD = "[0-9][ABD-HJLNP-UW-Z]{2}"  # never C, I, K, M, O, V
_POSTCODE = re.compile(f"(?:{_OUTWARD}{_INWARD}|GIR0AA)", re.ASCII)
_OUTWARD_ONLY = re.compile(_OUTWARD, re.ASCII)
_POSTCODE_IN_TEXT = re.compile(
    f"(?<![A-Za-z0-9])(?:({_OUTWARD}) ?({_INWARD})|(GIR) ?(0AA))(?![A-Za-z0-9])",
    re.ASCII | re.IGNORECASE,
)
_OUTWARD_LIKE = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]*", re.ASCII)


def normalise_postcode(text: str) -> str | None:
    """A full UK postcode in canonical form ("cb12ab" -> "CB1 2AB"), or None."""
    compact = "".join(text.split())
    if not compact.isascii():
        return None
    compact = compact.upper()
    if _POSTCODE.fullmatch(compact) is None:
        return None
    return f"{compact[:-3]} {compact[-3:]}"


def postcode_district(postcode: str) -> str:
    """The outward code of a postcode: "CB1 2AB" -> "CB1"."""
    canonical = normalise_postcode(postcode)
    if canonical is None:
        raise InvalidInput(_postcode_format_message())
    return canonical.split(" ")[0]


def _postcode_format_message(problem: str = "That isn't a full UK postcode.") -> str:
    return (
        f"{problem} UK postcodes look like CB1 2AB. Please send the whole postcode, "
        f"or describe the place instead, e.g. {PLACE_EXAMPLE}."
    )


# ------------------------------------------------------------------------------ places


@dataclass(frozen=True)
class Place:
    """Where it happened: described in words, a postcode, or both."""

    text: str | None
    postcode: str | None


def _collapse(text: str) -> str:
    words = " ".join(text.split())
    return "".join(char for char in words if char.isprintable())


def _has_letter(text: str) -> bool:
    return any(char.isalpha() for char in text)


_SEPARATORS = " ,;:-–—.(/"


def parse_place(text: str) -> Place:
    """Reads where it happened: a described place, a postcode, or a place with a postcode."""
    cleaned = _collapse(text)
    postcode = normalise_postcode(cleaned)
    if postcode is not None:
        return Place(text=None, postcode=postcode)

    matches = list(_POSTCODE_IN_TEXT.finditer(cleaned))
    if matches:
        found = matches[-1]
        found_postcode = normalise_postcode(found.group(0))
        assert found_postcode is not None
        before = cleaned[: found.start()].rstrip(_SEPARATORS)
        after = cleaned[found.end() :].lstrip(_SEPARATORS + ")").rstrip()
        rest = ", ".join(part for part in (before, after) if part)
        if len(rest) > MAX_PLACE:
            raise InvalidInput(_place_too_long(len(rest)))
        described = rest if len(rest) >= MIN_PLACE and _has_letter(rest) else None
        return Place(text=described, postcode=found_postcode)

    if _looks_like_postcode(cleaned):
        compact = "".join(cleaned.split()).upper()
        if _OUTWARD_ONLY.fullmatch(compact):
            raise InvalidInput(
                _postcode_format_message(f"{compact} is only the first half of a postcode.")
            )
        raise InvalidInput(_postcode_format_message(f'"{cleaned}" isn\'t a full postcode.'))

    if len(cleaned) < MIN_PLACE:
        raise InvalidInput(
            "That's too short for me to find the place. Please describe where it happened, "
            f"e.g. {PLACE_EXAMPLE}, or send a postcode like CB1 2AB."
        )
    if len(cleaned) > MAX_PLACE:
        raise InvalidInput(_place_too_long(len(cleaned)))
    if not _has_letter(cleaned):
        raise InvalidInput(
            "Please describe the place in words, e.g. "
            f"{PLACE_EXAMPLE}, or send a postcode like CB1 2AB."
        )
    return Place(text=cleaned, postcode=None)


def _looks_like_postcode(cleaned: str) -> bool:
    """A short run of letters and digits shaped like a mistyped postcode ("CB1 2A",
    "CB12 ZZZ", "C1 2AB3", "CB1"), as opposed to a road ("A14", "M6", "A1 Road")."""
    tokens = cleaned.upper().split()
    if not 1 <= len(tokens) <= 2 or not all(t.isascii() and t.isalnum() for t in tokens):
        return False
    compact = "".join(tokens)
    if len(tokens) == 1 and _OUTWARD_ONLY.fullmatch(compact):
        return not (compact[1].isdigit() and compact[-1].isdigit())
    if not 5 <= len(compact) <= 8 or _OUTWARD_LIKE.fullmatch(tokens[0]) is None:
        return False
    if len(tokens) == 2 and (len(tokens[0]) > 4 or len(tokens[1]) > 3 and tokens[1].isalpha()):
        return False
    first_digit = next(index for index, char in enumerate(compact) if char.isdigit())
    return any(char.isalpha() for char in compact[first_digit:])


def _place_too_long(length: int) -> str:
    return (
        f"That's too long for a place: at most {MAX_PLACE} characters, and yours has {length}. "
        f"Please send just the place, e.g. {PLACE_EXAMPLE}; you can describe what happened "
        "in a moment."
    )


# ------------------------------------------------------------------------------- times


@dataclass(frozen=True)
class When:
    """When it happened, in UTC, and how to show it back to the resident."""

    occurred_at: datetime
    label: str


UNREADABLE_WHEN = (
    "I couldn't read that as a date or time. Try 21/11/2026 18:30, yesterday 9pm, or just 6pm."
)
FUTURE_WHEN = (
    "That's in the future — when did it happen? For example: today 14:00, or yesterday 9pm."
)
TOO_OLD_WHEN = (
    "That was over a year ago. This service is for recent problems; "
    "for older incidents please call 101."
)
UNKNOWN_CHOICE = (
    "Please press one of the buttons (Just now, Earlier today or Yesterday), "
    "or type the date and time, e.g. 21/11/2026 18:30."
)

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_NOON = time(12, 0)


def _require_aware(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(UTC)


def _date_label(day: date) -> str:
    return f"{_WEEKDAYS[day.weekday()]} {day.day:02d} {_MONTHS[day.month - 1]} {day.year}"


def _moment_label(day: date, moment: time) -> str:
    return f"{_date_label(day)}, {moment.hour:02d}:{moment.minute:02d}"


def _lenient_utc(day: date, moment: time, tz: ZoneInfo) -> datetime:
    """A local wall time in UTC, taking the first occurrence and letting a gap slide."""
    return datetime.combine(day, moment, tzinfo=tz).astimezone(UTC)


def _strict_utc(day: date, moment: time, tz: ZoneInfo) -> datetime:
    """A local wall time in UTC: the first occurrence if the clocks went back, refused if
    the clocks jumped over it."""
    local = datetime.combine(day, moment, tzinfo=tz)  # fold=0: the first occurrence
    in_utc = local.astimezone(UTC)
    back = in_utc.astimezone(tz)
    if (back.date(), back.time()) != (day, moment):
        later = (datetime.combine(day, moment) + timedelta(hours=1)).time()
        raise InvalidInput(
            f"The clocks went forward then, so {moment:%H:%M} on {_date_label(day)} didn't "
            f"happen. Please check the time and send it again, e.g. {later:%H:%M}."
        )
    return in_utc


def quick_when(choice: str, now: datetime, tz: ZoneInfo) -> When:
    """Turns a "when" button (just now, earlier today, yesterday) into a moment."""
    now_utc = _require_aware(now)
    today = now_utc.astimezone(tz).date()
    if choice == "just_now":
        return When(occurred_at=now_utc, label="Just now")
    if choice == "earlier_today":
        midnight = _lenient_utc(today, time(0, 0), tz)
        midpoint = midnight + (now_utc - midnight) / 2
        return When(occurred_at=min(midpoint, now_utc), label="Earlier today")
    if choice == "yesterday":
        noon = _lenient_utc(today - timedelta(days=1), _NOON, tz)
        return When(occurred_at=min(noon, now_utc), label="Yesterday")
    raise InvalidInput(UNKNOWN_CHOICE)


# What a typed "when" is read as: a day (or a rule for finding one), optionally a time.

_FILLER = frozenset(
    {"at", "on", "about", "around", "approx", "approximately", "roughly", "of", "the", "ish"}
)
_PERIODS: dict[str, tuple[time, time]] = {
    # period: (when it starts, the time it means when no time is given)
    "morning": (time(5, 0), time(9, 0)),
    "afternoon": (time(12, 0), time(15, 0)),
    "evening": (time(17, 0), time(19, 0)),
    "night": (time(20, 0), time(22, 0)),
}
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_WEEKDAY_NAMES: dict[str, int] = {
    name.lower(): index for index, day in enumerate(_DAY_NAMES) for name in (day, day[:3])
} | {"tues": 1, "weds": 2, "thur": 3, "thurs": 3}
_MONTH_NUMBERS: dict[str, int] = {
    name.lower(): index
    for index, month in enumerate(_MONTH_NAMES, start=1)
    for name in (month, month[:3])
} | {"sept": 9}
_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5}

_TIME = re.compile(
    r"(?P<hour>\d{1,2})(?:[:.](?P<minute>\d{2})(?::(?P<second>\d{2}))?)?(?P<half>am|pm)?",
    re.ASCII,
)
_NUMERIC_DATE = re.compile(
    r"(?P<day>\d{1,2})(?P<sep>[/.-])(?P<month>\d{1,2})(?:(?P=sep)(?P<year>\d{4}|\d{2}))?",
    re.ASCII,
)
_ISO_DATE = re.compile(r"(?P<year>\d{4})([/-])(?P<month>\d{1,2})\2(?P<day>\d{1,2})", re.ASCII)
_YEAR = re.compile(r"\d{4}|\d{2}", re.ASCII)
_DAY = re.compile(r"\d{1,2}", re.ASCII)
_AGO = re.compile(
    r"(?P<count>\d{1,3}|a|an|one|two|three|four|five) "
    r"(?P<unit>min|mins|minute|minutes|hr|hrs|hour|hours|day|days) ago",
    re.ASCII,
)


@dataclass(frozen=True)
class _Clock:
    """A typed time of day; `half` is "am"/"pm" when given."""

    hour: int
    minute: int
    second: int
    half: str | None
    typed: str


@dataclass(frozen=True)
class _Context:
    now: datetime  # UTC
    tz: ZoneInfo

    @property
    def today(self) -> date:
        return self.now.astimezone(self.tz).date()


def _normalise_when(text: str) -> list[str]:
    lowered = "".join(char if char.isascii() else " " for char in text.lower())
    lowered = lowered.replace(",", " ")
    lowered = re.sub(r"(?<=\d)t(?=\d)", " ", lowered)  # 2026-11-21T18:30
    lowered = re.sub(r"(?<=\d)\s*([ap])\.?\s?m\b\.?", r"\1m", lowered)  # 6 p.m.
    lowered = re.sub(r"\b(\d{1,2})(?:st|nd|rd|th)\b", r"\1", lowered)  # 21st
    lowered = re.sub(r"(?<=\d)h(?=\d{2}\b)", ":", lowered)  # 18h30
    lowered = re.sub(r"[.!?]+$", "", lowered.strip())
    return [word for word in lowered.split() if word not in _FILLER]


def _read_clock(word: str) -> _Clock | None:
    if word in ("noon", "midday"):
        return _Clock(12, 0, 0, None, word)
    if word == "midnight":
        return _Clock(0, 0, 0, None, word)
    found = _TIME.fullmatch(word)
    if found is None or (found["minute"] is None and found["half"] is None):
        return None
    return _Clock(
        hour=int(found["hour"]),
        minute=int(found["minute"] or 0),
        second=int(found["second"] or 0),
        half=found["half"],
        typed=word,
    )


def _clock_time(clock: _Clock, period: str | None) -> tuple[time, int]:
    """The time of day a typed clock means, and how many days after the day it falls."""
    hour = clock.hour
    shown = clock.typed
    if clock.half is not None:
        if not 1 <= hour <= 12:
            raise InvalidInput(
                f"{shown} isn't a real time. Please use a time like 6pm, 6:30pm or 18:30."
            )
        hour = hour % 12 + (12 if clock.half == "pm" else 0)
    elif hour > 23:
        raise InvalidInput(
            f"{shown} isn't a real time: the 24-hour clock runs from 00:00 to 23:59. "
            "Please send a time like 18:30 or 6pm."
        )
    if clock.minute > 59 or clock.second > 59:
        raise InvalidInput(
            f"{shown} isn't a real time: minutes run from 00 to 59. "
            "Please send a time like 18:30 or 6pm."
        )
    later_day = 0
    # "this evening 8:30" is 20:30; "last night 2:00" is 02:00 (the next day).
    earliest_pm_hour = {"afternoon": 1, "evening": 1, "night": 6}.get(period or "", 12)
    if clock.half is None and earliest_pm_hour <= hour <= 11:
        hour += 12
    if period == "night" and hour < 6:
        later_day = 1
    return time(hour, clock.minute, clock.second), later_day


def _make_date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise InvalidInput(
            f"{day:02d}/{month:02d}/{year} isn't a real date. Please check the day and month "
            "and send it again, e.g. 21/11/2026 18:30."
        ) from None


def _full_year(text: str) -> int:
    year = int(text)
    return 2000 + year if len(text) == 2 else year


def _dated(context: _Context, day: int, month: int, year_text: str | None) -> date:
    """A typed day and month, in the given year or else the latest one not after today."""
    if year_text is not None:
        year = _full_year(year_text)
        if year > context.today.year + 1:
            raise InvalidInput(FUTURE_WHEN)
        if year < context.today.year - 2:
            raise InvalidInput(TOO_OLD_WHEN)
        return _make_date(year, month, day)
    this_year = context.today.year
    if not 1 <= month <= 12:
        _make_date(this_year, month, day)
    for year in (this_year, this_year - 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate <= context.today:
            return candidate
    if month == 2 and day == 29:
        raise InvalidInput(TOO_OLD_WHEN)
    return _make_date(this_year, month, day)


def _read_day(words: list[str], context: _Context) -> date | None:
    """The day named by the words (other than a time and a period), or None if unreadable."""
    phrase = " ".join(words)
    today = context.today
    if phrase == "today":
        return today
    if phrase == "yesterday":
        return today - timedelta(days=1)
    if phrase in ("day before yesterday", "before yesterday"):
        return today - timedelta(days=2)

    weekday: int | None = None
    if words and words[0] in _WEEKDAY_NAMES:
        weekday = _WEEKDAY_NAMES[words[0]]
        words = words[1:]
    elif len(words) >= 2 and words[0] == "last" and words[1] in _WEEKDAY_NAMES:
        if len(words) > 2:
            return None
        words = words[1:]
        weekday = _WEEKDAY_NAMES[words[0]]
        words = []
    if weekday is not None and not words:
        back = (today.weekday() - weekday) % 7 or 7
        return today - timedelta(days=back)

    found = _read_calendar_date(words, context)
    if found is not None and weekday is not None and found.weekday() != weekday:
        raise InvalidInput(
            f"{found.day} {_MONTHS[found.month - 1]} {found.year} was a "
            f"{_DAY_NAMES[found.weekday()]}, not a {_DAY_NAMES[weekday]}. Please check the date "
            "and send it again, e.g. 21/11/2026 18:30."
        )
    return found


def _read_calendar_date(words: list[str], context: _Context) -> date | None:
    if len(words) == 1:
        numeric = _NUMERIC_DATE.fullmatch(words[0])
        if numeric is not None:
            return _dated(context, int(numeric["day"]), int(numeric["month"]), numeric["year"])
        iso = _ISO_DATE.fullmatch(words[0])
        if iso is not None:
            return _dated(context, int(iso["day"]), int(iso["month"]), iso["year"])
        return None
    if len(words) not in (2, 3):
        return None
    year_text = words[2] if len(words) == 3 else None
    if year_text is not None and _YEAR.fullmatch(year_text) is None:
        return None
    first, second = words[0], words[1]
    if _DAY.fullmatch(first) and second in _MONTH_NUMBERS:
        return _dated(context, int(first), _MONTH_NUMBERS[second], year_text)
    if first in _MONTH_NUMBERS and _DAY.fullmatch(second):
        return _dated(context, int(second), _MONTH_NUMBERS[first], year_text)
    return None


def _check_range(moment: datetime, context: _Context) -> datetime:
    if moment > context.now + FUTURE_TOLERANCE:
        raise InvalidInput(FUTURE_WHEN)
    if moment < context.now - OLDEST:
        raise InvalidInput(TOO_OLD_WHEN)
    return min(moment, context.now)


def _on_day(day: date, clock: time, context: _Context) -> When:
    moment = _strict_utc(day, clock, context.tz)
    return When(occurred_at=_check_range(moment, context), label=_moment_label(day, clock))


def _relative(words: list[str], context: _Context) -> When | None:
    found = _AGO.fullmatch(" ".join(words))
    if found is None:
        return None
    count_text = found["count"]
    count = _NUMBER_WORDS[count_text] if count_text in _NUMBER_WORDS else int(count_text)
    unit = found["unit"]
    if unit.startswith("d"):
        day = context.today - timedelta(days=count)
        if (context.today - day).days > OLDEST.days:
            raise InvalidInput(TOO_OLD_WHEN)
        return _date_only(day, context)
    step = timedelta(minutes=count) if unit.startswith("m") else timedelta(hours=count)
    if step > OLDEST:
        raise InvalidInput(TOO_OLD_WHEN)
    moment = context.now - step
    local = moment.astimezone(context.tz)
    return When(occurred_at=moment, label=_moment_label(local.date(), local.time()))


def _date_only(day: date, context: _Context) -> When:
    """A day without a time: 12:00 local, or now if that is still to come today."""
    noon = _lenient_utc(day, _NOON, context.tz)
    moment = _check_range(min(noon, context.now) if day == context.today else noon, context)
    return When(occurred_at=moment, label=_date_label(day))


def parse_when(text: str, now: datetime, tz: ZoneInfo) -> When:
    """Reads when it happened from what the resident typed, in the scheme's time zone."""
    context = _Context(now=_require_aware(now), tz=tz)
    words = _normalise_when(text)
    phrase = " ".join(words)
    if any(word in ("tomorrow", "later", "next") for word in words):
        raise InvalidInput(FUTURE_WHEN)
    if phrase in ("now", "just now", "right now"):
        return quick_when("just_now", now, tz)
    if phrase in ("earlier today", "earlier"):
        return quick_when("earlier_today", now, tz)
    relative = _relative(words, context)
    if relative is not None:
        return relative

    clocks = [(index, clock) for index, word in enumerate(words) if (clock := _read_clock(word))]
    if len(clocks) > 1:
        raise InvalidInput(UNREADABLE_WHEN)
    clock = clocks[0][1] if clocks else None
    rest = [word for index, word in enumerate(words) if not clocks or index != clocks[0][0]]
    if not rest and clock is None:
        raise InvalidInput(UNREADABLE_WHEN)

    period: str | None = None
    if rest and rest[-1] in _PERIODS:
        period = rest[-1]
        rest = rest[:-1]
        if rest == ["this"] or (rest == ["last"] and period in ("night", "evening")):
            rest = ["yesterday"] if rest == ["last"] else ["today"]
        elif not rest:
            raise InvalidInput(UNREADABLE_WHEN)

    if not rest:
        assert clock is not None
        return _time_only(clock, context)
    day = _read_day(rest, context)
    if day is None:
        raise InvalidInput(UNREADABLE_WHEN)
    if clock is not None:
        moment, later_day = _clock_time(clock, period)
        return _on_day(day + timedelta(days=later_day), moment, context)
    if period is not None:
        return _in_period(day, period, context)
    return _date_only(day, context)


def _time_only(clock: _Clock, context: _Context) -> When:
    """A time alone: today, or yesterday if today's would still be to come."""
    moment, _ = _clock_time(clock, None)
    today = context.today
    try:
        return _on_day(today, moment, context)
    except InvalidInput as problem:
        if problem.message != FUTURE_WHEN:
            raise
    return _on_day(today - timedelta(days=1), moment, context)


def _in_period(day: date, period: str, context: _Context) -> When:
    """ "This morning" and the like: the period's usual time, or now if the period has begun
    but that time has not come yet."""
    starts, usual = _PERIODS[period]
    moment = _strict_utc(day, usual, context.tz)
    if moment > context.now and _lenient_utc(day, starts, context.tz) <= context.now:
        local = context.now.astimezone(context.tz)
        return When(occurred_at=context.now, label=_moment_label(local.date(), local.time()))
    return _on_day(day, usual, context)


# ------------------------------------------------------------------------- description


def _characters(count: int) -> str:
    return f"{count} character" + ("" if count == 1 else "s")


def check_description(text: str) -> str:
    """Tidies what the resident wrote about what happened and checks its length."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    tidy = re.sub(r"\n{4,}", "\n\n\n", "\n".join(lines)).strip()
    length = len(tidy)
    if length < MIN_DESCRIPTION:
        raise InvalidInput(
            f"That's only {_characters(length)}: please describe what happened in at least "
            f"{MIN_DESCRIPTION}. For example: {DESCRIPTION_EXAMPLE}"
        )
    if length > MAX_DESCRIPTION:
        raise InvalidInput(
            f"That's too long: please keep it to at most {MAX_DESCRIPTION} characters; "
            f"yours has {length}. Please shorten it."
        )
    if sum(char.isalpha() for char in tidy) < 3:
        raise InvalidInput(
            f"Please describe what happened in words. For example: {DESCRIPTION_EXAMPLE}"
        )
    return tidy


# ------------------------------------------------------------------------- coordinates

BAD_PIN = "That location pin isn't valid; please share it again or type the place."


def check_coordinates(latitude: float, longitude: float) -> tuple[float, float]:
    """Checks a shared location pin and rounds it to 6 decimal places (about 10 cm)."""
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        raise InvalidInput(BAD_PIN)
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise InvalidInput(BAD_PIN)
    return round(latitude, 6), round(longitude, 6)


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance in metres between two points given in degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, max(0.0, a))))


# ------------------------------------------------------------------------------ danger

DANGER_WORDS: frozenset[str] = frozenset(
    {
        "knife",
        "knives",
        "knifed",
        "knifepoint",
        "blade",
        "blades",
        "machete",
        "machetes",
        "sword",
        "swords",
        "weapon",
        "weapons",
        "armed",
        "gun",
        "guns",
        "gunman",
        "gunmen",
        "gunpoint",
        "gunshot",
        "gunshots",
        "firearm",
        "firearms",
        "pistol",
        "pistols",
        "rifle",
        "shotgun",
        "shooting",
        "stab",
        "stabbed",
        "stabbing",
        "stabbings",
        "attack",
        "attacks",
        "attacking",
        "attacked",
        "attacker",
        "attackers",
        "assault",
        "assaulted",
        "assaulting",
        "beating",
        "fight",
        "fighting",
        "fire",
        "fires",
        "burning",
        "ablaze",
        "arson",
        "explosion",
        "bomb",
        "bleeding",
        "blood",
        "unconscious",
        "unresponsive",
        "overdose",
        "hurt",
        "hurting",
        "injured",
        "injury",
        "injuries",
        "wounded",
        "kill",
        "kills",
        "killing",
        "killed",
        "murder",
        "threaten",
        "threatens",
        "threatening",
        "threatened",
        "acid",
        "kidnap",
        "kidnapped",
        "kidnapping",
        "abducted",
        "hostage",
        "rape",
        "raped",
        "strangling",
        "choking",
        "drowning",
        "dying",
    }
)

_WORD = re.compile(r"[^\W\d_]+")


def mentions_danger(text: str) -> bool:
    """Whether the text suggests someone is in danger now (so 999 advice is repeated)."""
    return any(word in DANGER_WORDS for word in _WORD.findall(text.casefold()))
