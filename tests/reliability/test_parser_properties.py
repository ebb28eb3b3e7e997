"""Whatever people type, every parser gives back a usable value or refuses with a message.

Postcodes and report times have their own properties in tests/test_report_parsing.py; these
cover the other typed answers: scheme areas, incident money/references/places, broadcast times,
quiet hours and every other free-text answer a conversation takes.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from core.broadcasts.when import FURTHEST, parse_future
from core.enums import SubjectStatus
from core.errors import AppError, InvalidInput
from core.gallery import entries as gallery_entries
from core.gallery import viewing as gallery_viewing
from core.gallery.exclusions import parse_day
from core.gallery.settings import parse_hours
from core.incidents import parsing as incident_parsing
from core.incidents.parsing import (
    MAX_POLICE_REFERENCE,
    MAX_VALUE_PENCE,
    MIN_POLICE_REFERENCE,
    QUICK_WHEN_LABELS,
    check_police_reference,
    format_money,
    parse_money,
    quick_incident_when,
)
from core.incidents.search import parse_range
from core.reports import parsing as report_parsing
from core.reports.status import check_note
from core.schemes import members as scheme_members
from core.schemes import registration, setup
from core.schemes.areas import (
    MAX_AREA_NAME,
    MAX_AREAS,
    MAX_DISTRICTS,
    POSTCODE_AREAS,
    AreaSpec,
    check_district,
    describe_areas,
    parse_areas,
)
from core.subscriptions.quiet import PRESETS, describe, parse_quiet_hours, preset
from core.subscriptions.topics import TOPIC_LABELS, check_topic
from tests.support.soak import scale

# `make soak` runs thousands of examples per property.
pytestmark = pytest.mark.timeout(scale(60, 1800))
# Telegram delivers at most 4096 characters of text in one message.
typed = st.text(max_size=4096)
short_typed = st.text(max_size=300)
ZONES = [
    ZoneInfo("Europe/London"),
    ZoneInfo("UTC"),
    ZoneInfo("America/New_York"),
    ZoneInfo("Asia/Tokyo"),
    ZoneInfo("Pacific/Kiritimati"),
    ZoneInfo("Pacific/Pago_Pago"),
    ZoneInfo("Australia/Lord_Howe"),
]
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
nows = st.datetimes(
    min_value=datetime(2001, 1, 1),  # noqa: DTZ001 (Hypothesis takes naive bounds)
    max_value=datetime(2099, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)


def refused_politely(call: Callable[[], Any]) -> Any | None:
    """The value `call` returns, or None if it refused with a message for the person."""
    try:
        return call()
    except AppError as refused:
        assert refused.message.strip(), "a refusal must say why"
        assert len(refused.message) <= 1000, "a refusal must not echo a whole message back"
        return None


# ------------------------------------------------------------------ scheme areas (districts)

areas_letters = st.sampled_from(sorted(POSTCODE_AREAS))
district_tails = st.builds(
    lambda digit, extra: digit + extra,
    st.sampled_from(string.digits),
    st.sampled_from(["", *string.digits, *string.ascii_uppercase]),
)
districts = st.builds(lambda area, tail: area + tail, areas_letters, district_tails)


def as_typed(district: str) -> st.SearchStrategy[str]:
    """The district as someone might type it: any case, stray spaces around and inside."""
    return st.tuples(
        st.lists(st.booleans(), min_size=len(district), max_size=len(district)),
        st.lists(st.sampled_from(["", " ", "\u00a0"]), min_size=len(district) + 1),
    ).map(
        lambda choice: (
            "".join(
                choice[1][index] + (char.lower() if choice[0][index] else char)
                for index, char in enumerate(district)
            )
            + choice[1][len(district)]
        )
    )


@given(districts.flatmap(lambda d: st.tuples(st.just(d), as_typed(d))))
def test_a_district_typed_in_any_case_or_spacing_reads_as_itself(pair: tuple[str, str]) -> None:
    district, written = pair
    assert check_district(written) == district
    assert check_district(check_district(written)) == district


@given(short_typed)
def test_a_district_is_always_a_real_postcode_area_or_refused(text: str) -> None:
    district = refused_politely(lambda: check_district(text))
    if district is None:
        return
    assert district == district.strip().upper() and district.isascii()
    letters = district[: len(district) - len(district.lstrip(string.ascii_uppercase))]
    assert letters in POSTCODE_AREAS, (text, district)
    assert district[len(letters)].isdigit()
    assert 2 <= len(district) <= 4


@given(districts, st.sampled_from(["", " ", "  "]), st.booleans())
def test_a_full_postcode_is_refused_with_its_district_suggested(
    district: str, space: str, lower: bool
) -> None:
    written = f"{district}{space}1AB"
    with pytest.raises(InvalidInput) as refused:
        check_district(written.lower() if lower else written)
    assert f"Give just its district, {district}," in refused.value.message


area_names = st.text(
    alphabet=string.ascii_letters + string.digits + " '&-", min_size=2, max_size=MAX_AREA_NAME
).filter(lambda name: len(" ".join(name.split())) >= 2)
area_specs = st.lists(
    st.tuples(area_names, st.lists(districts, min_size=1, max_size=3, unique=True)),
    min_size=1,
    max_size=6,
    unique_by=lambda spec: " ".join(spec[0].split()).lower(),
)


@given(area_specs, st.sampled_from(["\n", ";", "\n\n", " ; "]), st.sampled_from([", ", ",", " "]))
def test_areas_written_out_read_back_as_the_same_areas(
    specs: list[tuple[str, list[str]]], line_break: str, comma: str
) -> None:
    written = line_break.join(f"{name}: {comma.join(found)}" for name, found in specs)
    areas = parse_areas(written)
    assert areas == [AreaSpec(" ".join(name.split()), tuple(found)) for name, found in specs]
    assert describe_areas(areas).count("\n") == len(areas) - 1


@given(st.one_of(typed, area_specs.map(lambda s: "\n".join(f"{n}: {' '.join(d)}" for n, d in s))))
def test_any_areas_answer_is_within_the_limits_or_refused(text: str) -> None:
    areas = refused_politely(lambda: parse_areas(text))
    if areas is None:
        return
    assert 1 <= len(areas) <= MAX_AREAS
    assert sum(len(area.districts) for area in areas) <= MAX_DISTRICTS
    assert len({area.name.lower() for area in areas}) == len(areas)
    for area in areas:
        assert area.districts and all(check_district(d) == d for d in area.districts)
        assert len(area.name) <= MAX_AREA_NAME or area.name == ", ".join(area.districts)


# --------------------------------------------------------------------------- incidents


@given(st.integers(min_value=1, max_value=MAX_VALUE_PENCE))
def test_money_as_shown_reads_back_as_the_same_amount(pence: int) -> None:
    shown = format_money(pence)
    assert parse_money(shown) == pence
    assert parse_money(shown.removeprefix("£").replace(",", "")) == pence
    assert parse_money(f" £ {pence // 100}.{pence % 100:02d} GBP") == pence


@given(st.one_of(typed, st.from_regex(r"\A£?-?[0-9,]{0,12}(\.[0-9]{0,3})?\Z")))
def test_any_money_answer_is_a_positive_amount_within_the_limit_or_refused(text: str) -> None:
    pence = refused_politely(lambda: parse_money(text))
    if pence is not None:
        assert 1 <= pence <= MAX_VALUE_PENCE
        assert parse_money(format_money(pence)) == pence


police_references = st.text(
    alphabet=string.ascii_letters + string.digits + "/-",
    min_size=MIN_POLICE_REFERENCE,
    max_size=MAX_POLICE_REFERENCE,
)


@given(police_references, st.sampled_from(["", " ", "\n", "  \t"]))
def test_a_police_reference_reads_as_itself_in_capitals(reference: str, padding: str) -> None:
    checked = check_police_reference(padding + reference + padding)
    assert checked == reference.upper()
    assert check_police_reference(checked) == checked


@given(st.one_of(short_typed, police_references))
def test_any_police_reference_answer_is_well_formed_or_refused(text: str) -> None:
    reference = refused_politely(lambda: check_police_reference(text))
    if reference is not None:
        assert MIN_POLICE_REFERENCE <= len(reference) <= MAX_POLICE_REFERENCE
        assert set(reference) <= set(string.ascii_uppercase + string.digits + "/-")


ONE_LINE_CHECKS: list[tuple[Callable[[str], str], int]] = [
    (incident_parsing.check_place, incident_parsing.MAX_PLACE),
    (incident_parsing.check_height, incident_parsing.MAX_HEIGHT),
    (incident_parsing.check_clothing, incident_parsing.MAX_CLOTHING),
    (incident_parsing.check_features, incident_parsing.MAX_FEATURES),
    (registration.check_business_name, registration.MAX_BUSINESS_NAME),
    (registration.check_job_title, registration.MAX_JOB_TITLE),
    (setup.check_name, setup.MAX_NAME),
    (scheme_members.check_search, scheme_members.MAX_SEARCH),
    (gallery_viewing.check_query, gallery_viewing.QUERY_LENGTH[1]),
]


@pytest.mark.parametrize(
    ("check", "longest"), ONE_LINE_CHECKS, ids=[check.__name__ for check, _ in ONE_LINE_CHECKS]
)
@given(text=typed)
def test_one_line_answers_come_back_tidy_and_within_their_limit(
    check: Callable[[str], str], longest: int, text: str
) -> None:
    value = refused_politely(lambda: check(text))
    if value is None:
        return
    assert 0 < len(value) <= longest
    assert "\n" not in value and value == value.strip() and "  " not in value
    assert check(value) == value, "checking an accepted answer again changes nothing"


@given(typed)
def test_an_account_of_what_happened_is_tidy_within_limits_and_stable(text: str) -> None:
    account = refused_politely(lambda: incident_parsing.check_what_happened(text))
    if account is None:
        return
    assert report_parsing.MIN_DESCRIPTION <= len(account) <= report_parsing.MAX_DESCRIPTION
    assert account == account.strip() and "\n\n\n\n" not in account and "\r" not in account
    assert incident_parsing.check_what_happened(account) == account


@given(st.one_of(st.text(max_size=10), st.sampled_from(sorted(QUICK_WHEN_LABELS))), nows)
def test_a_quick_incident_time_is_never_in_the_future(choice: str, now: datetime) -> None:
    when = refused_politely(lambda: quick_incident_when(choice, now, ZONES[0]))
    if when is None:
        assert choice not in QUICK_WHEN_LABELS
        return
    assert when.occurred_at <= now and when.label == QUICK_WHEN_LABELS[choice]


range_like = st.builds(
    lambda a, b, sep: f"{a:%d/%m/%Y}{sep}{b:%d/%m/%y}",
    st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 1, 1)),
    st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 1, 1)),
    st.sampled_from(["-", " to ", " – ", "—"]),
)


@given(st.one_of(typed, range_like), st.dates(min_value=date(2001, 1, 1)))
def test_a_typed_incident_date_range_is_ordered_and_not_in_the_future(
    text: str, today: date
) -> None:
    found = refused_politely(lambda: parse_range(text, today))
    if found is None:
        return
    first, last = (date(v // 10000, v // 100 % 100, v % 100) for v in found)
    assert date(2000, 1, 1) <= first <= last and first <= today


# ----------------------------------------------------------------- broadcast times (when)

FUTURE_WORDS = [
    "today", "tomorrow", "monday", "fri", "sunday", "next", "this", "at", "on", "in",
    "2", "hours", "minutes", "days", "30", "31", "9999", "0001", "1", "12", "24",
    "18:30", "9am", "12pm", "12am", "0:00", "23:59", "6.15pm", "13pm", "24:00",
    "21/11", "31/12/9999", "01/01/0001", "29/02/2028", "2026-11-30", "9999-12-31",
    "nov", "december", "jan", ",", "h", "m", "d",
]  # fmt: skip
future_like_text = st.lists(st.sampled_from(FUTURE_WORDS), max_size=5).map(" ".join)


@given(st.one_of(short_typed, future_like_text), nows, st.sampled_from(ZONES))
@example("31/12/9999 23:59", NOW, ZoneInfo("America/New_York"))
@example("9999-12-31 23:59", NOW, ZoneInfo("Pacific/Pago_Pago"))
@example("1/1/0001 00:00", NOW, ZoneInfo("Asia/Tokyo"))
@example("31 dec 9999 11pm", NOW, ZoneInfo("America/New_York"))
def test_a_broadcast_time_is_within_the_next_30_days_or_refused(
    text: str, now: datetime, tz: ZoneInfo
) -> None:
    at = refused_politely(lambda: parse_future(text, now, tz))
    if at is None:
        return
    assert at.utcoffset() == timedelta(0)
    assert now < at <= now + FURTHEST


@given(
    nows,
    st.sampled_from(ZONES),
    st.timedeltas(min_value=timedelta(minutes=1), max_value=FURTHEST - timedelta(minutes=1)),
)
def test_a_future_time_written_as_a_date_and_time_reads_back_as_that_time(
    now: datetime, tz: ZoneInfo, ahead: timedelta
) -> None:
    target = (now + ahead).astimezone(tz).replace(second=0, microsecond=0)
    assume(target.astimezone(UTC) > now)
    at = parse_future(f"{target:%d/%m/%Y %H:%M}", now, tz)
    assert at.astimezone(tz).replace(tzinfo=None) == target.replace(tzinfo=None)


@given(nows, st.integers(min_value=1, max_value=720), st.sampled_from(["hours", "h", "hrs"]))
def test_in_so_many_hours_is_exactly_that_far_ahead(now: datetime, hours: int, unit: str) -> None:
    assert parse_future(f"In {hours} {unit}", now, ZONES[0]) == now + timedelta(hours=hours)


# --------------------------------------------------------------------------- quiet hours

clock_times = st.times().map(lambda t: t.replace(second=0, microsecond=0))


@given(clock_times, clock_times, st.sampled_from(["-", " - ", "–", "—", " to ", "TO"]))
def test_quiet_hours_written_out_read_back_as_the_same_times(
    start: time, end: time, dash: str
) -> None:
    assume(start != end)
    assert parse_quiet_hours(f"{start:%H:%M}{dash}{end:%H:%M}") == (start, end)
    assert parse_quiet_hours(f" {start.hour}.{start:%M}{dash}{end.hour}:{end:%M} ") == (start, end)
    assert parse_quiet_hours(describe(start, end)) == (start, end)


@given(st.one_of(short_typed, st.from_regex(r"\A\d{1,2}[:.]\d{2}\s?-\s?\d{1,2}[:.]\d{2}\Z")))
def test_any_quiet_hours_answer_is_two_different_clock_times_or_refused(text: str) -> None:
    found = refused_politely(lambda: parse_quiet_hours(text))
    if found is not None:
        start, end = found
        assert start != end and start.second == end.second == 0


@given(st.one_of(st.text(max_size=10), st.sampled_from([*PRESETS, "off"])))
def test_a_quiet_hours_button_is_a_preset_off_or_refused(key: str) -> None:
    chosen = refused_politely(lambda: preset(key))
    if chosen is None:
        assert key not in PRESETS
    else:
        assert chosen == PRESETS[key]


# --------------------------------------------------------- every other typed answer


def _label(text: str) -> str:
    return gallery_entries.check_label(text, SubjectStatus.KNOWN)


OTHER_TYPED_ANSWERS: list[Callable[[str], object]] = [
    check_district,
    parse_areas,
    parse_money,
    check_police_reference,
    incident_parsing.check_what_happened,
    registration.check_address,
    registration.check_phone,
    setup.check_rules,
    setup.check_retention,
    parse_day,
    parse_hours,
    _label,
    gallery_entries.check_description,
    gallery_entries.check_reference,
    check_note,
    check_topic,
    parse_quiet_hours,
    report_parsing.check_description,
    report_parsing.parse_place,
    report_parsing.normalise_postcode,
]


@pytest.mark.parametrize(
    "check", OTHER_TYPED_ANSWERS, ids=[check.__name__ for check in OTHER_TYPED_ANSWERS]
)
@given(
    text=st.one_of(
        typed,
        st.text(alphabet=string.digits + "¹²³٣०/.-: ", max_size=12),
        st.text(alphabet="0123456789", min_size=1, max_size=40),
    )
)
def test_every_typed_answer_is_taken_or_refused_with_a_message(
    check: Callable[[str], object], text: str
) -> None:
    refused_politely(lambda: check(text))


@given(st.text(alphabet=string.digits + "²³¹٣ hours", max_size=12))
def test_gallery_hours_and_retention_months_are_whole_numbers_in_range(text: str) -> None:
    hours = refused_politely(lambda: parse_hours(text))
    assert hours is None or 1 <= hours <= 47
    months = refused_politely(lambda: setup.check_retention(text))
    assert months is None or setup.MIN_RETENTION <= months <= setup.MAX_RETENTION


@given(st.text(max_size=30))
def test_only_known_topics_are_accepted(topic: str) -> None:
    assert (refused_politely(lambda: check_topic(topic)) is not None) == (topic in TOPIC_LABELS)
