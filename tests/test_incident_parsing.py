"""The incident flow's typed answers: money, police references, places and descriptions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.enums import IncidentType
from core.errors import InvalidInput
from core.incidents.draft import IncidentDraft
from core.incidents.parsing import (
    check_clothing,
    check_place,
    check_police_reference,
    format_money,
    parse_money,
    quick_incident_when,
)

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "pence"),
    [
        ("£45.50", 4550),
        ("45", 4500),
        ("45.5", 4550),
        (" £ 1,200 ", 120_000),
        ("0.99", 99),
        ("£100,000", 10_000_000),
    ],
)
def test_amounts_are_read_in_pence(typed: str, pence: int) -> None:
    assert parse_money(typed) == pence


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("£abc", "couldn't read that as an amount"),
        ("-5", "can't be negative"),
        ("£-5", "can't be negative"),
        ("£100,000.01", "more than £100,000"),
        ("99999999999", "more than £100,000"),
        ("0", "press Skip"),
        ("45.555", "couldn't read"),
        ("1,20", "couldn't read"),
        ("", "couldn't read"),
    ],
)
def test_bad_amounts_are_refused(typed: str, problem: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_money(typed)
    assert problem in refused.value.message


def test_money_is_shown_in_pounds() -> None:
    assert format_money(4550) == "£45.50"
    assert format_money(120_000) == "£1,200.00"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("cri/12345/26", "CRI/12345/26"), (" 4455 ", "4455"), ("MT-2026-0042", "MT-2026-0042")],
)
def test_police_references_are_kept_in_capitals(typed: str, stored: str) -> None:
    assert check_police_reference(typed) == stored


@pytest.mark.parametrize("typed", ["CRI 12345", "abc", "A" * 31, "crime#1", "ref: 1234", ""])
def test_bad_police_references_are_refused(typed: str) -> None:
    with pytest.raises(InvalidInput):
        check_police_reference(typed)


def test_places_and_clothing_are_tidied_and_checked() -> None:
    assert check_place("  Car park\nbehind   the Co-op ") == "Car park behind the Co-op"
    assert check_clothing("Green  parka") == "Green parka"
    for bad in ("x", "12", "y" * 201):
        with pytest.raises(InvalidInput):
            check_place(bad)
    with pytest.raises(InvalidInput):
        check_clothing("a" * 301)


def test_the_quick_when_buttons() -> None:
    assert quick_incident_when("now", NOW, LONDON).occurred_at == NOW
    assert quick_incident_when("15m", NOW, LONDON).occurred_at == NOW - timedelta(minutes=15)
    assert quick_incident_when("1h", NOW, LONDON).label == "1 hour ago"
    assert quick_incident_when("today", NOW, LONDON).occurred_at < NOW
    with pytest.raises(InvalidInput):
        quick_incident_when("tomorrow", NOW, LONDON)


def test_a_draft_survives_json_and_drops_the_value_when_the_type_has_none() -> None:
    draft = IncidentDraft(scheme_id=1, business_name="Tom's News")
    draft.set_type(IncidentType.THEFT)
    draft.value_pence, draft.value_answered = 4550, True
    draft.person = {"clothing": "Red coat"}
    draft.finish_person()

    again = IncidentDraft.from_data({**draft.to_data(), "unknown": 1})
    assert again == draft and again.people == [{"clothing": "Red coat"}]
    again.set_type(IncidentType.CRIMINAL_DAMAGE)
    assert again.value_pence is None and not again.asks_value
    assert "whether to show your business name" in again.missing()
