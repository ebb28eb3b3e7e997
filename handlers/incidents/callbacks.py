"""Button payloads for posting an incident. Each carries the conversation's id, so old
buttons are refused."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class Step(StrEnum):
    """What a button in the incident flow does."""

    SCHEME = "scheme"
    KIND = "kind"
    WHEN = "when"
    AT_BUSINESS = "atbiz"
    DESCRIBE = "describe"
    NO_PEOPLE = "nopeople"
    HEIGHT = "height"
    BUILD = "build"
    SKIP = "skip"
    ANOTHER = "another"
    DONE = "done"
    CLEAR_PHOTOS = "clear"
    SUBJECT = "subject"
    NO_SUBJECT = "nosubject"
    SHOW_BUSINESS = "show"
    BACK = "back"
    CANCEL = "cancel"
    CHANGE = "change"
    SUBMIT = "submit"


class IncidentStepCallback(CallbackData, prefix="i1"):
    """A press in the incident flow."""

    step: Step
    value: str = ""
    flow: str
