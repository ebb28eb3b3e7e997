"""Button payloads for /subscribe. Every press is re-checked against the database."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class Do(StrEnum):
    """What a subscription button does."""

    SHOW = "show"
    AREA = "area"
    TOPIC = "topic"
    SEVERITY = "sev"
    QUIET = "quiet"
    STOP_ALL = "stop"
    UNDO = "undo"
    DONE = "done"


class Screen(StrEnum):
    """The screens of /subscribe."""

    HOME = "home"
    AREAS = "areas"
    TOPICS = "topics"
    QUIET = "quiet"


# The area value of "Everywhere" (a subscription without an area).
EVERYWHERE = "any"


class SubscriptionCallback(CallbackData, prefix="s1"):
    """A press on one of the /subscribe screens."""

    do: Do
    value: str = ""
    page: int = 0
