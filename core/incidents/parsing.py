"""Checks each typed answer in the incident flow and turns it into a plain value."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from core.errors import InvalidInput
from core.reports.parsing import (
    MAX_DESCRIPTION,
    MIN_DESCRIPTION,
    When,
    parse_when,
    quick_when,
)

MAX_VALUE_PENCE = 10_000_000  # £100,000: more than any shop loses to one incident
MIN_POLICE_REFERENCE = 4
MAX_POLICE_REFERENCE = 30
MIN_PLACE = 3
MAX_PLACE = 200
MAX_HEIGHT = 40
MIN_CLOTHING = 3
MAX_CLOTHING = 300
MAX_FEATURES = 300

WHAT_HAPPENED_EXAMPLE = (
    "Man filled a rucksack with shaving gel and walked out without paying at 14:10."
)
MONEY_HELP = "Please type an amount in pounds, like £45.50 or 45, or press Skip."

_MONEY = re.compile(r"(?P<pounds>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<pence>\d{1,2}))?", re.ASCII)
_POLICE_REFERENCE = re.compile(r"[A-Za-z0-9/-]+", re.ASCII)


def _collapse(text: str) -> str:
    """One line, single spaces, no control characters."""
    return " ".join("".join(char for char in text if char.isprintable() or char.isspace()).split())


def _characters(count: int) -> str:
    return f"{count} character" + ("" if count == 1 else "s")


def parse_money(text: str) -> int:
    """Reads an amount like "£45.50", "45" or "45.5" and returns it in pence."""
    cleaned = "".join(text.split())
    if cleaned.startswith("-") or cleaned.startswith("£-"):
        raise InvalidInput("The value can't be negative. " + MONEY_HELP)
    cleaned = cleaned.removeprefix("£").removesuffix("GBP").removesuffix("gbp")
    found = _MONEY.fullmatch(cleaned)
    if found is None:
        raise InvalidInput("I couldn't read that as an amount of money. " + MONEY_HELP)
    pounds = int(found["pounds"].replace(",", ""))
    pence_text = found["pence"] or "0"
    pence = int(pence_text) * (10 if len(pence_text) == 1 else 1)
    total = pounds * 100 + pence
    if total == 0:
        raise InvalidInput("That's £0. If nothing was taken, please press Skip.")
    if total > MAX_VALUE_PENCE:
        raise InvalidInput(
            f"That's more than £{MAX_VALUE_PENCE // 100:,}: please check the amount, "
            "or give the exact figure to the police and press Skip here."
        )
    return total


def format_money(pence: int) -> str:
    """Pence as a trader reads it: £45.50, £1,200.00."""
    return f"£{pence // 100:,}.{pence % 100:02d}"


def check_police_reference(text: str) -> str:
    """Checks a police crime or incident number: letters, digits, / and -, 4 to 30 long."""
    reference = text.strip().upper()
    if not _POLICE_REFERENCE.fullmatch(reference):
        raise InvalidInput(
            "A police reference is made of letters, digits, / and - only, with no spaces, "
            "e.g. CRI/12345/26. Please type it again, or press Skip."
        )
    if not MIN_POLICE_REFERENCE <= len(reference) <= MAX_POLICE_REFERENCE:
        raise InvalidInput(
            f"A police reference is {MIN_POLICE_REFERENCE} to {MAX_POLICE_REFERENCE} characters "
            f"long; that one has {len(reference)}. Please check it, or press Skip."
        )
    return reference


def check_place(text: str) -> str:
    """Checks a typed place: a few words saying where it happened."""
    place = _collapse(text)
    if len(place) < MIN_PLACE or not any(char.isalpha() for char in place):
        raise InvalidInput(
            "Please say where it happened in a few words, e.g. Co-op, 12 High Street, "
            "or press the button for your business."
        )
    if len(place) > MAX_PLACE:
        raise InvalidInput(
            f"Please keep the place to at most {MAX_PLACE} characters; yours has {len(place)}."
        )
    return place


def check_what_happened(text: str) -> str:
    """Tidies the account of what happened and checks its length."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    tidy = re.sub(r"\n{4,}", "\n\n\n", "\n".join(lines)).strip()
    length = len(tidy)
    if length < MIN_DESCRIPTION:
        raise InvalidInput(
            f"That's only {_characters(length)}: please describe what happened in at least "
            f"{MIN_DESCRIPTION}. For example: {WHAT_HAPPENED_EXAMPLE}"
        )
    if length > MAX_DESCRIPTION:
        raise InvalidInput(
            f"That's too long: please keep it to at most {MAX_DESCRIPTION} characters; "
            f"yours has {length}. Please shorten it."
        )
    if sum(char.isalpha() for char in tidy) < 3:
        raise InvalidInput(
            f"Please describe what happened in words. For example: {WHAT_HAPPENED_EXAMPLE}"
        )
    return tidy


def _check_field(text: str, name: str, shortest: int, longest: int, example: str) -> str:
    value = _collapse(text)
    if len(value) < shortest or not any(char.isalpha() for char in value):
        raise InvalidInput(f"Please describe the {name} in a few words, e.g. {example}.")
    if len(value) > longest:
        raise InvalidInput(
            f"Please keep the {name} to at most {longest} characters; yours has {len(value)}."
        )
    return value


def check_height(text: str) -> str:
    """Checks a typed height, like "about 6ft" or "shorter than me"."""
    return _check_field(text, "height", 2, MAX_HEIGHT, "about 5ft 10")


def check_clothing(text: str) -> str:
    """Checks the typed clothing description, which every described person needs."""
    return _check_field(
        text, "clothing", MIN_CLOTHING, MAX_CLOTHING, "black puffer jacket, grey joggers, white cap"
    )


def check_features(text: str) -> str:
    """Checks typed distinguishing features (scars, tattoos, a limp, a dog with them)."""
    return _check_field(text, "distinguishing features", 3, MAX_FEATURES, "tattoo on left hand")


QUICK_WHEN_LABELS = {
    "now": "Now",
    "15m": "15 minutes ago",
    "1h": "1 hour ago",
    "today": "Earlier today",
}


def quick_incident_when(choice: str, now: datetime, tz: ZoneInfo) -> When:
    """Turns a "when" button (now, 15 minutes ago, 1 hour ago, earlier today) into a moment."""
    if choice not in QUICK_WHEN_LABELS:
        raise InvalidInput("That isn't one of the choices. Please pick a button or type a time.")
    if choice == "now":
        moment = quick_when("just_now", now, tz)
    elif choice == "today":
        moment = quick_when("earlier_today", now, tz)
    else:
        moment = parse_when("15 minutes ago" if choice == "15m" else "1 hour ago", now, tz)
    return When(occurred_at=moment.occurred_at, label=QUICK_WHEN_LABELS[choice])
