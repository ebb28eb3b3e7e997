"""The steps of the report conversation (see flow.md for the diagram)."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class ReportFlow(StatesGroup):
    """A resident writing a report, one answer at a time."""

    category = State()
    subtype = State()
    location = State()
    when = State()
    description = State()
    photos = State()
    contact = State()
    review = State()


class StatusNote(StatesGroup):
    """A coordinator typing an optional note to go with a status change."""

    note = State()


STEP_ORDER = (
    ReportFlow.category,
    ReportFlow.subtype,
    ReportFlow.location,
    ReportFlow.when,
    ReportFlow.description,
    ReportFlow.photos,
    ReportFlow.contact,
    ReportFlow.review,
)
