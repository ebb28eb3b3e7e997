"""Quiet hours: when warnings arrive without a sound (local time, may cross midnight)."""

from __future__ import annotations

import re
from datetime import time

from core.errors import InvalidInput

PRESETS: dict[str, tuple[time, time]] = {
    "22-07": (time(22, 0), time(7, 0)),
    "23-08": (time(23, 0), time(8, 0)),
}

_RANGE = re.compile(r"\s*(\d{1,2})[:.](\d{2})\s*(?:-|–|—|to)\s*(\d{1,2})[:.](\d{2})\s*", re.I)

EXAMPLE = "21:30-06:45"


def parse_quiet_hours(text: str) -> tuple[time, time]:
    """Start and end from text like "21:30-06:45", or why they cannot be used."""
    match = _RANGE.fullmatch(text)
    if match is None:
        raise InvalidInput(
            f'I could not read "{text.strip()[:40]}" as quiet hours. Type a start and an end '
            f"time, like {EXAMPLE}, or press one of the buttons."
        )
    hour_1, minute_1, hour_2, minute_2 = (int(part) for part in match.groups())
    if hour_1 > 23 or hour_2 > 23 or minute_1 > 59 or minute_2 > 59:
        raise InvalidInput(
            f"Times go from 00:00 to 23:59, so {text.strip()[:40]} cannot be used. "
            f"Try something like {EXAMPLE}."
        )
    start, end = time(hour_1, minute_1), time(hour_2, minute_2)
    if start == end:
        raise InvalidInput(
            "Quiet hours need to start and end at different times. "
            f"Try something like {EXAMPLE}, or press Off."
        )
    return start, end


def preset(key: str) -> tuple[time, time] | None:
    """A preset's times; None for "off"; refuses anything else."""
    if key == "off":
        return None
    if key not in PRESETS:
        raise InvalidInput("That is not one of the quiet-hours choices, so nothing changed.")
    return PRESETS[key]


def describe(start: time | None, end: time | None) -> str:
    """E.g. "22:00–07:00", or "off"."""
    if start is None or end is None:
        return "off"
    return f"{start:%H:%M}–{end:%H:%M}"
