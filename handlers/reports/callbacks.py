"""Button payloads for reports. Each carries the conversation's id, so old buttons are refused."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData

from core.enums import ReportStatus


class Step(StrEnum):
    """What a button in the report flow does."""

    CATEGORY = "cat"
    SUBTYPE = "sub"
    WHEN = "when"
    SKIP = "skip"
    DONE = "done"
    CLEAR_PHOTOS = "clear"
    CONTACT = "contact"
    BACK = "back"
    CANCEL = "cancel"
    EDIT = "edit"
    SUBMIT = "submit"


class ReportStepCallback(CallbackData, prefix="r1"):
    """A press in the report flow."""

    step: Step
    value: str = ""
    flow: str


class NewReportCallback(CallbackData, prefix="r1n"):
    """ "Report another" after submitting."""


class MyReportCallback(CallbackData, prefix="r1m"):
    """A resident opening one of their reports."""

    report_id: int


class QueueCallback(CallbackData, prefix="r1q"):
    """A coordinator paging or filtering the report queue."""

    status: str = "open"
    category: str = ""
    area: int = 0
    page: int = 0


class ReviewAction(StrEnum):
    """What a coordinator does to a report."""

    OPEN = "open"
    STATUS = "status"
    NO_NOTE = "nonote"
    CANCEL = "cancel"


class ReviewCallback(CallbackData, prefix="r1c"):
    """A coordinator acting on one report."""

    action: ReviewAction
    report_id: int
    status: ReportStatus | None = None
    expected: ReportStatus | None = None
    cluster: bool = False


class CaseReviewRequestCallback(CallbackData, prefix="r1t"):
    """A resident asking for the ASB Case Review they qualify for."""

    review_id: int
