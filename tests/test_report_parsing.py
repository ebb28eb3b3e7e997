"""The checks on each typed answer in the report flow: places, times, descriptions, pins."""

from __future__ import annotations

import math
import random
import string
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import InvalidInput
from core.reports.parsing import (
    DANGER_WORDS,
    MAX_DESCRIPTION,
    MAX_PLACE,
    MIN_DESCRIPTION,
    Place,
    When,
    check_coordinates,
    check_description,
    haversine_m,
    mentions_danger,
    normalise_postcode,
    parse_place,
    parse_when,
    postcode_district,
    quick_when,
)

LONDON = ZoneInfo("Europe/London")
# Saturday 21 November 2026, 20:00 in London (GMT, so UTC and local agree).
NOW = datetime(2026, 11, 21, 20, 0, tzinfo=UTC)
UNREADABLE = "I couldn't read that as a date or time. Try 21/11/2026 18:30"
FUTURE = "That's in the future — when did it happen?"
TOO_OLD = "That was over a year ago. This service is for recent problems"


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def refusal(call: object) -> str:
    """The message a resident is shown when `call` refuses their answer."""
    assert callable(call)
    with pytest.raises(InvalidInput) as refused:
        call()
    return refused.value.message


# ------------------------------------------------------------------------------- postcodes


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("cb12ab", "CB1 2AB"),
        (" CB1  2AB ", "CB1 2AB"),
        ("Cb1 2aB", "CB1 2AB"),
        ("m11ae", "M1 1AE"),  # A9
        ("B33 8TH", "B33 8TH"),  # A99
        ("CR2 6XH", "CR2 6XH"),  # AA9
        ("DN55 1PT", "DN55 1PT"),  # AA99
        ("W1A 0AX", "W1A 0AX"),  # A9A
        ("ec1a1bb", "EC1A 1BB"),  # AA9A
        ("sw1a 1aa", "SW1A 1AA"),
        ("gir0aa", "GIR 0AA"),
        ("CB1\u00a02AB", "CB1 2AB"),  # a no-break space from a phone keyboard
    ],
)
def test_a_full_postcode_in_any_case_or_spacing_is_normalised(typed: str, canonical: str) -> None:
    assert normalise_postcode(typed) == canonical


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "CB1",  # only the outward code
        "CB1 2A",  # inward code too short
        "CB12 ZZZ",  # inward code must be a digit and two letters
        "C1 2AB3",
        "CB1 2CA",  # C is never in the inward code
        "CB1 2AV",  # nor V
        "QA1 1AA",  # no area starts with Q
        "AI1 1AA",  # nor has I second
        "CB1 2AB X",
        "CBB1 2AB",
        "ＣＢ１ ２ＡＢ",  # full-width letters are not a postcode
        "GIR 0AB",
    ],
)
def test_anything_but_a_full_postcode_normalises_to_none(typed: str) -> None:
    assert normalise_postcode(typed) is None


@pytest.mark.parametrize(
    ("postcode", "district"),
    [("CB1 2AB", "CB1"), ("sw1a1aa", "SW1A"), ("M1 1AE", "M1"), ("DN55 1PT", "DN55")],
)
def test_the_district_is_the_outward_code(postcode: str, district: str) -> None:
    assert postcode_district(postcode) == district


def test_a_district_cannot_be_taken_from_something_that_is_not_a_postcode() -> None:
    assert "CB1 2AB" in refusal(lambda: postcode_district("Mill Road"))


AREA_FIRST = "ABCDEFGHIJKLMNOPRSTUWYZ"
AREA_SECOND = "ABCDEFGHKLMNOPQRSTUVWXY"
THIRD_IN_A9A = "ABCDEFGHJKPSTUW"
FOURTH_IN_AA9A = "ABEHMNPRVWXY"
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
letter = st.sampled_from
digit = st.sampled_from(string.digits)
outward_codes = st.one_of(
    st.tuples(letter(AREA_FIRST), digit),
    st.tuples(letter(AREA_FIRST), digit, digit),
    st.tuples(letter(AREA_FIRST), letter(AREA_SECOND), digit),
    st.tuples(letter(AREA_FIRST), letter(AREA_SECOND), digit, digit),
    st.tuples(letter(AREA_FIRST), digit, letter(THIRD_IN_A9A)),
    st.tuples(letter(AREA_FIRST), letter(AREA_SECOND), digit, letter(FOURTH_IN_AA9A)),
).map("".join)
inward_codes = st.tuples(digit, letter(INWARD_LETTERS), letter(INWARD_LETTERS)).map("".join)
valid_postcodes = st.one_of(
    st.builds(lambda outward, inward: f"{outward} {inward}", outward_codes, inward_codes),
    st.just("GIR 0AA"),
)


@st.composite
def as_typed(draw: st.DrawFn, canonical: str) -> str:
    """A postcode as someone might type it: any case, spaces anywhere (or none)."""
    spacing = st.sampled_from(["", "", " ", "  ", "\t"])
    characters = [char for char in canonical if char != " "]
    typed = draw(spacing)
    for char in characters:
        typed += draw(st.sampled_from([char.lower(), char.upper()])) + draw(spacing)
    return typed


@given(valid_postcodes.flatmap(lambda pc: st.tuples(st.just(pc), as_typed(pc))))
def test_any_valid_postcode_typed_in_any_case_or_spacing_normalises_to_its_canonical_form(
    postcode_and_typed: tuple[str, str],
) -> None:
    canonical, typed = postcode_and_typed
    assert normalise_postcode(typed) == canonical


@given(st.one_of(st.text(), valid_postcodes.flatmap(as_typed)))
def test_normalising_is_idempotent_and_its_output_is_always_a_valid_postcode(text: str) -> None:
    normalised = normalise_postcode(text)
    if normalised is not None:
        assert normalise_postcode(normalised) == normalised
        outward, inward = normalised.split(" ")
        assert postcode_district(normalised) == outward
        assert len(inward) == 3


# ---------------------------------------------------------------------------------- places


@pytest.mark.parametrize(
    ("typed", "place"),
    [
        ("CB1 2AB", Place(None, "CB1 2AB")),
        ("  cb12ab ", Place(None, "CB1 2AB")),
        ("CB1 2AB.", Place(None, "CB1 2AB")),
        ("Mill Road, CB1 2AB", Place("Mill Road", "CB1 2AB")),
        ("Mill Road cb1 2ab", Place("Mill Road", "CB1 2AB")),
        ("Mill Road, CB1 2AB, Cambridge", Place("Mill Road, Cambridge", "CB1 2AB")),
        ("CB1 2AB - the bus shelter", Place("the bus shelter", "CB1 2AB")),
        ("Outside Tesco (CB1 2AB)", Place("Outside Tesco", "CB1 2AB")),
        (
            "  Benches   outside the library,\n Mill Road ",
            Place("Benches outside the library, Mill Road", None),
        ),
        ("Flat 3", Place("Flat 3", None)),
        ("A14", Place("A14", None)),  # a road, not a postcode
        ("A1 Road", Place("A1 Road", None)),
        ("Park", Place("Park", None)),
    ],
)
def test_a_place_is_read_as_words_a_postcode_or_both(typed: str, place: Place) -> None:
    assert parse_place(typed) == place


@pytest.mark.parametrize("typed", ["CB1 2A", "CB12 ZZZ", "C1 2AB3", "cb1 2a", "CB12AB3", "SW1A"])
def test_a_mistyped_postcode_is_refused_with_the_format_explained(typed: str) -> None:
    message = refusal(lambda: parse_place(typed))
    assert "UK postcodes look like CB1 2AB" in message
    assert "describe the place" in message


def test_half_a_postcode_is_refused_as_half_a_postcode() -> None:
    assert refusal(lambda: parse_place("CB1")).startswith(
        "CB1 is only the first half of a postcode."
    )


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "too short"),
        ("  ", "too short"),
        ("ab", "too short"),
        ("!!!!", "in words"),
        ("12 34 56", "in words"),
        ("x" * (MAX_PLACE + 1), f"yours has {MAX_PLACE + 1}"),
    ],
)
def test_a_place_that_is_too_short_too_long_or_wordless_is_refused(typed: str, reason: str) -> None:
    message = refusal(lambda: parse_place(typed))
    assert reason in message
    assert "Benches outside the library, Mill Road" in message


def test_a_place_of_exactly_the_limits_is_accepted() -> None:
    assert parse_place("abc") == Place("abc", None)
    assert parse_place("y" * MAX_PLACE) == Place("y" * MAX_PLACE, None)


def test_a_refusal_never_repeats_a_long_answer_back() -> None:
    typed = "Somewhere " * 50
    assert typed[:40] not in refusal(lambda: parse_place(typed))


@given(
    st.one_of(
        st.text(),
        st.tuples(st.text(max_size=30), valid_postcodes, st.text(max_size=30)).map(" ".join),
        st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ", max_size=9),
    )
)
def test_parse_place_refuses_only_with_a_message_and_always_returns_something(text: str) -> None:
    try:
        place = parse_place(text)
    except InvalidInput as refused:
        assert refused.message
        return
    assert place.text is not None or place.postcode is not None
    if place.text is not None:
        assert 3 <= len(place.text) <= MAX_PLACE
    if place.postcode is not None:
        assert normalise_postcode(place.postcode) == place.postcode


# ----------------------------------------------------------------------------------- when


@pytest.mark.parametrize(
    ("typed", "occurred_at", "label"),
    [
        ("21/11/2026 18:30", utc(2026, 11, 21, 18, 30), "Sat 21 Nov 2026, 18:30"),
        ("21/11/26 6.30pm", utc(2026, 11, 21, 18, 30), "Sat 21 Nov 2026, 18:30"),
        ("21/11 18:30", utc(2026, 11, 21, 18, 30), "Sat 21 Nov 2026, 18:30"),
        ("21-11-2026", utc(2026, 11, 21, 12), "Sat 21 Nov 2026"),
        ("2026-11-21 18:30", utc(2026, 11, 21, 18, 30), "Sat 21 Nov 2026, 18:30"),
        ("2026-11-21T18:30", utc(2026, 11, 21, 18, 30), "Sat 21 Nov 2026, 18:30"),
        ("21 Nov 2026", utc(2026, 11, 21, 12), "Sat 21 Nov 2026"),
        ("Sat 21 Nov 2026", utc(2026, 11, 21, 12), "Sat 21 Nov 2026"),
        ("21 November 6pm", utc(2026, 11, 21, 18), "Sat 21 Nov 2026, 18:00"),
        ("the 21st of November at 6 p.m.", utc(2026, 11, 21, 18), "Sat 21 Nov 2026, 18:00"),
        ("Nov 21", utc(2026, 11, 21, 12), "Sat 21 Nov 2026"),
        ("  TODAY   14:00 ", utc(2026, 11, 21, 14), "Sat 21 Nov 2026, 14:00"),
        ("yesterday 9pm", utc(2026, 11, 20, 21), "Fri 20 Nov 2026, 21:00"),
        ("Yesterday at 9:15 am", utc(2026, 11, 20, 9, 15), "Fri 20 Nov 2026, 09:15"),
        ("yesterday", utc(2026, 11, 20, 12), "Fri 20 Nov 2026"),
        ("last night", utc(2026, 11, 20, 22), "Fri 20 Nov 2026, 22:00"),
        ("last night 2am", utc(2026, 11, 21, 2), "Sat 21 Nov 2026, 02:00"),
        ("this morning", utc(2026, 11, 21, 9), "Sat 21 Nov 2026, 09:00"),
        ("this afternoon", utc(2026, 11, 21, 15), "Sat 21 Nov 2026, 15:00"),
        ("this evening", utc(2026, 11, 21, 19), "Sat 21 Nov 2026, 19:00"),
        ("yesterday evening 8:30", utc(2026, 11, 20, 20, 30), "Fri 20 Nov 2026, 20:30"),
        ("18:30", utc(2026, 11, 21, 18, 30), "Sat 21 Nov 2026, 18:30"),
        ("6pm", utc(2026, 11, 21, 18), "Sat 21 Nov 2026, 18:00"),
        ("6:30 PM", utc(2026, 11, 21, 18, 30), "Sat 21 Nov 2026, 18:30"),
        ("noon", utc(2026, 11, 21, 12), "Sat 21 Nov 2026, 12:00"),
        ("monday", utc(2026, 11, 16, 12), "Mon 16 Nov 2026"),
        ("last Monday", utc(2026, 11, 16, 12), "Mon 16 Nov 2026"),
        ("monday 8pm", utc(2026, 11, 16, 20), "Mon 16 Nov 2026, 20:00"),
        ("saturday", utc(2026, 11, 14, 12), "Sat 14 Nov 2026"),  # today is Saturday
        ("2 hours ago", utc(2026, 11, 21, 18), "Sat 21 Nov 2026, 18:00"),
        ("3 days ago", utc(2026, 11, 18, 12), "Wed 18 Nov 2026"),
    ],
)
def test_a_typed_time_is_read_in_the_schemes_time_zone(
    typed: str, occurred_at: datetime, label: str
) -> None:
    assert parse_when(typed, NOW, LONDON) == When(occurred_at, label)


@pytest.mark.parametrize(
    ("typed", "now", "occurred_at"),
    [
        ("01/07/2026 18:30", utc(2026, 7, 15, 12), utc(2026, 7, 1, 17, 30)),  # BST
        ("01/12/2026 18:30", utc(2026, 12, 15, 12), utc(2026, 12, 1, 18, 30)),  # GMT
        ("yesterday 00:30", utc(2026, 7, 2, 12), utc(2026, 6, 30, 23, 30)),
        ("25/10/2026 01:30", NOW, utc(2026, 10, 25, 0, 30)),  # clocks went back: first 01:30
    ],
)
def test_local_times_convert_to_utc_across_summer_and_winter_time(
    typed: str, now: datetime, occurred_at: datetime
) -> None:
    assert parse_when(typed, now, LONDON).occurred_at == occurred_at


def test_a_time_the_clocks_skipped_is_refused_with_a_suggestion() -> None:
    message = refusal(lambda: parse_when("29/03/2026 01:30", NOW, LONDON))
    assert message == (
        "The clocks went forward then, so 01:30 on Sun 29 Mar 2026 didn't happen. "
        "Please check the time and send it again, e.g. 02:30."
    )


def test_the_same_words_mean_a_different_utc_time_in_another_time_zone() -> None:
    new_york = ZoneInfo("America/New_York")
    assert parse_when("21/11/2026 9am", NOW, new_york).occurred_at == utc(2026, 11, 21, 14)


@pytest.mark.parametrize(
    ("typed", "accepted"),
    [
        ("21/11/2026 20:05", True),  # five minutes ahead: a slow phone clock
        ("21/11/2026 20:06", False),
        ("today 23:00", False),
        ("22/11/2026", False),
        ("21/11/2027 10:00", False),
    ],
)
def test_only_five_minutes_into_the_future_is_tolerated(typed: str, accepted: bool) -> None:
    if accepted:
        assert parse_when(typed, NOW, LONDON).occurred_at == NOW
    else:
        assert refusal(lambda: parse_when(typed, NOW, LONDON)).startswith(FUTURE)


@pytest.mark.parametrize(
    ("typed", "accepted"),
    [
        ("20/11/2025 20:00", True),  # exactly 366 days ago
        ("20/11/2025 19:59", False),
        ("19/11/2025 20:00", False),  # 367 days ago
        ("01/01/1999", False),
        ("500 days ago", False),
    ],
)
def test_only_the_last_366_days_are_accepted(typed: str, accepted: bool) -> None:
    if accepted:
        assert parse_when(typed, NOW, LONDON).occurred_at == NOW - timedelta(days=366)
    else:
        message = refusal(lambda: parse_when(typed, NOW, LONDON))
        assert message.startswith(TOO_OLD)
        assert message.endswith("for older incidents please call 101.")


@pytest.mark.parametrize(
    ("typed", "now", "occurred_at"),
    [
        ("21:00", NOW, utc(2026, 11, 20, 21)),  # an hour from now: must be last night
        ("20:05", NOW, utc(2026, 11, 21, 20)),  # within the tolerance: today, now
        ("23:59", utc(2026, 11, 21, 0, 10), utc(2026, 11, 20, 23, 59)),
        ("00:05", utc(2026, 11, 21, 0, 10), utc(2026, 11, 21, 0, 5)),
    ],
)
def test_a_time_alone_that_is_still_to_come_today_means_yesterday(
    typed: str, now: datetime, occurred_at: datetime
) -> None:
    assert parse_when(typed, now, LONDON).occurred_at == occurred_at


def test_this_morning_said_early_in_the_morning_means_now() -> None:
    early = utc(2026, 11, 21, 7, 30)
    assert parse_when("this morning", early, LONDON).occurred_at == early


def test_today_without_a_time_is_never_later_than_now() -> None:
    morning = utc(2026, 11, 21, 10)
    assert parse_when("today", morning, LONDON) == When(morning, "Sat 21 Nov 2026")


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("31/02/2026", "31/02/2026 isn't a real date."),
        ("32/01/2026 10:00", "32/01/2026 isn't a real date."),
        ("21/13/2026", "21/13/2026 isn't a real date."),
        ("31 Apr", "31/04/2026 isn't a real date."),
        ("25:00", "25:00 isn't a real time"),
        ("yesterday 18:60", "18:60 isn't a real time"),
        ("13pm", "13pm isn't a real time"),
        ("Mon 21 Nov 2026", "21 Nov 2026 was a Saturday, not a Monday."),
    ],
)
def test_an_impossible_date_or_time_is_refused_saying_what_is_wrong(
    typed: str, message: str
) -> None:
    refused = refusal(lambda: parse_when(typed, NOW, LONDON))
    assert refused.startswith(message)
    assert "18:30" in refused  # an example to copy


@pytest.mark.parametrize(
    "typed", ["", "tonight", "soon", "6", "last tuesday week", "18:30 6pm", "the other day"]
)
def test_an_unreadable_time_is_refused_with_examples(typed: str) -> None:
    assert refusal(lambda: parse_when(typed, NOW, LONDON)).startswith(UNREADABLE)


@pytest.mark.parametrize(
    ("choice", "now", "occurred_at", "label"),
    [
        ("just_now", NOW, NOW, "Just now"),
        ("earlier_today", NOW, utc(2026, 11, 21, 10), "Earlier today"),
        ("yesterday", NOW, utc(2026, 11, 20, 12), "Yesterday"),
        # Half a minute after midnight: earlier today is a quarter of a minute after it.
        (
            "earlier_today",
            utc(2026, 11, 21, 0, 0, 30),
            utc(2026, 11, 21, 0, 0, 15),
            "Earlier today",
        ),
        ("earlier_today", utc(2026, 11, 21), utc(2026, 11, 21), "Earlier today"),
        ("yesterday", utc(2026, 11, 21, 0, 0, 30), utc(2026, 11, 20, 12), "Yesterday"),
        # 00:30 BST on 2 July is still 1 July in UTC; "today" is the local day.
        ("earlier_today", utc(2026, 7, 1, 23, 30), utc(2026, 7, 1, 23, 15), "Earlier today"),
        ("yesterday", utc(2026, 7, 1, 23, 30), utc(2026, 7, 1, 11), "Yesterday"),
    ],
)
def test_the_quick_when_buttons_give_a_moment_on_the_local_day(
    choice: str, now: datetime, occurred_at: datetime, label: str
) -> None:
    assert quick_when(choice, now, LONDON) == When(occurred_at, label)


def test_an_unknown_when_button_is_refused() -> None:
    assert "Just now" in refusal(lambda: quick_when("tomorrow", NOW, LONDON))


ZONES = [LONDON, ZoneInfo("UTC"), ZoneInfo("America/New_York"), ZoneInfo("Australia/Lord_Howe")]
nows = st.datetimes(
    min_value=datetime(2001, 1, 1),  # noqa: DTZ001 (Hypothesis takes naive bounds)
    max_value=datetime(2099, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)
WHEN_WORDS = [
    "today", "yesterday", "last", "night", "this", "morning", "evening", "monday", "sun",
    "nov", "february", "21", "29", "31", "2", "00", "2026", "26", "21/11", "29/02/2028",
    "31/12/2025", "2026-03-29", "6pm", "12am", "0:30", "1:30", "23:59", "18.30", "noon",
    "midnight", "ago", "hours", "days", "at", "the", "tonight", ",", "t", "pm",
]  # fmt: skip
when_like_text = st.lists(st.sampled_from(WHEN_WORDS), max_size=5).map(" ".join)


@given(st.one_of(st.text(), when_like_text), nows, st.sampled_from(ZONES))
def test_parse_when_never_gives_a_future_or_naive_time_and_only_refuses_politely(
    text: str, now: datetime, tz: ZoneInfo
) -> None:
    try:
        when = parse_when(text, now, tz)
    except InvalidInput as refused:
        assert refused.message
        return
    assert when.occurred_at.utcoffset() == timedelta(0)
    assert now - timedelta(days=366) <= when.occurred_at <= now
    assert when.label


@given(st.sampled_from(["just_now", "earlier_today", "yesterday"]), nows, st.sampled_from(ZONES))
def test_quick_when_is_never_in_the_future(choice: str, now: datetime, tz: ZoneInfo) -> None:
    when = quick_when(choice, now, tz)
    assert when.occurred_at.tzinfo is not None
    assert now - timedelta(days=2) <= when.occurred_at <= now


# ---------------------------------------------------------------------------- description


@pytest.mark.parametrize(
    ("length", "accepted"),
    [(9, False), (MIN_DESCRIPTION, True), (MAX_DESCRIPTION, True), (2001, False)],
)
def test_a_description_must_be_between_the_limits(length: int, accepted: bool) -> None:
    text = ("abcd " * 500)[: length - 1] + "z"
    if accepted:
        assert check_description(text) == text
    else:
        refusal(lambda: check_description(text))


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("Too loud", "That's only 8 characters: please describe what happened in at least 10."),
        ("   x     ", "That's only 1 character: please describe what happened in at least 10."),
        (
            "a" * 2412,
            "That's too long: please keep it to at most 2000 characters; yours has 2412. "
            "Please shorten it.",
        ),
        ("12345 67890 !!", "Please describe what happened in words."),
        ("ab 1234567890", "Please describe what happened in words."),
    ],
)
def test_a_refused_description_says_why_and_how_long(typed: str, message: str) -> None:
    assert refusal(lambda: check_description(typed)).startswith(message)


@pytest.mark.parametrize(
    ("typed", "tidy"),
    [
        ("  People drinking on the benches  \n", "People drinking on the benches"),
        ("First line\r\nsecond line", "First line\nsecond line"),
        ("Para one\n\n\nPara two", "Para one\n\n\nPara two"),
        ("Para one\n\n\n\n\n\n\nPara two", "Para one\n\n\nPara two"),
        ("Para one\n  \n \n\t\n\nPara two", "Para one\n\n\nPara two"),
    ],
)
def test_a_description_is_trimmed_and_long_runs_of_blank_lines_collapsed(
    typed: str, tidy: str
) -> None:
    assert check_description(typed) == tidy


def test_a_description_is_counted_after_trimming() -> None:
    assert "only 9 characters" in refusal(lambda: check_description("   abcdefghi    "))


# ---------------------------------------------------------------------------- coordinates


@pytest.mark.parametrize(
    ("latitude", "longitude", "rounded"),
    [
        (52.2053371234, 0.1218123456, (52.205337, 0.121812)),
        (90.0, 180.0, (90.0, 180.0)),
        (-90.0, -180.0, (-90.0, -180.0)),
        (0, 0, (0.0, 0.0)),
    ],
)
def test_a_valid_pin_is_rounded_to_six_places(
    latitude: float, longitude: float, rounded: tuple[float, float]
) -> None:
    assert check_coordinates(latitude, longitude) == rounded


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [(90.0001, 0), (-91, 0), (0, 180.5), (0, -181), (math.nan, 0), (0, math.inf)],
)
def test_an_impossible_pin_is_refused(latitude: float, longitude: float) -> None:
    assert refusal(lambda: check_coordinates(latitude, longitude)) == (
        "That location pin isn't valid; please share it again or type the place."
    )


@given(st.floats(), st.floats())
def test_check_coordinates_accepts_exactly_the_valid_ranges(
    latitude: float, longitude: float
) -> None:
    valid = -90 <= latitude <= 90 and -180 <= longitude <= 180  # false for nan
    try:
        rounded = check_coordinates(latitude, longitude)
    except InvalidInput:
        assert not valid
        return
    assert valid
    assert rounded == (round(latitude, 6), round(longitude, 6))


# --------------------------------------------------------------------------------- danger


@pytest.mark.parametrize(
    ("text", "danger"),
    [
        ("He has a KNIFE", True),
        ("two knives on the wall", True),
        ("someone got stabbed", True),
        ("they are attacking a man", True),
        ("the bins are on fire!", True),
        ("a man is bleeding", True),
        ("she's unconscious", True),
        ("threatening people with a machete", True),
        ("Gun.", True),
        ("kids letting off fireworks", False),
        ("Gunnar the dog keeps barking", False),
        ("bottles left on the wall", False),
        ("skill and patience", False),
        ("", False),
    ],
)
def test_danger_words_match_whole_words_only(text: str, danger: bool) -> None:
    assert mentions_danger(text) is danger


@given(
    st.sampled_from(sorted(DANGER_WORDS)),
    st.text(alphabet=" .,!?'\n", max_size=3),
    st.text(alphabet=" .,!?'\n", max_size=3),
    st.randoms(use_true_random=False),
)
def test_a_danger_word_matches_in_any_case(
    word: str, before: str, after: str, shuffle: random.Random
) -> None:
    mixed = "".join(char.upper() if shuffle.random() < 0.5 else char for char in word)
    assert mentions_danger(f"There is{before or ' '}{mixed}{after}")


@given(st.text(alphabet=string.printable))
def test_mentions_danger_ignores_case(text: str) -> None:
    assert mentions_danger(text) == mentions_danger(text.upper()) == mentions_danger(text.lower())


# ------------------------------------------------------------------------------- distance


def test_distance_to_the_same_point_is_zero() -> None:
    assert haversine_m(52.2, 0.12, 52.2, 0.12) == 0


def test_one_degree_of_latitude_is_about_111_km() -> None:
    assert haversine_m(0, 0, 1, 0) == pytest.approx(6_371_008.8 * math.pi / 180)


def test_distance_is_symmetric_and_antipodes_are_half_the_circumference_apart() -> None:
    cambridge_to_london = haversine_m(52.2053, 0.1218, 51.5072, -0.1276)
    assert cambridge_to_london == pytest.approx(haversine_m(51.5072, -0.1276, 52.2053, 0.1218))
    assert cambridge_to_london == pytest.approx(79_500, rel=0.02)
    assert haversine_m(0, 0, 0, 180) == pytest.approx(math.pi * 6_371_008.8)
