"""Composer button payloads. Each carries the conversation's id, so old buttons are refused."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class Step(StrEnum):
    """What a button in the composer does."""

    SCHEME = "sc"
    ROLE = "ro"
    GROUP = "gr"
    SUBSCRIBERS = "su"
    AREA = "ar"
    ALL_AREAS = "aa"
    TOPIC = "to"
    ALL_TOPICS = "at"
    NEXT = "nx"
    SKIP = "sk"
    KEEP = "kp"
    SEVERITY = "sv"
    EXPIRY = "ex"
    STATUS = "st"
    SEND = "go"
    SEND_PAID = "gp"
    SCHEDULE = "sch"
    NOW_INSTEAD = "ni"
    CHANGE = "ch"
    BACK = "bk"
    CANCEL = "cx"


class ComposeCallback(CallbackData, prefix="b1c"):
    """A press in the composer."""

    step: Step
    value: str = ""
    flow: str


class EscalateReportCallback(CallbackData, prefix="b1cr"):
    """A coordinator turning a resident's report into a warning."""

    report_id: int
