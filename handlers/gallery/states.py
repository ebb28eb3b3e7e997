"""The typed answers the gallery waits for (see flow.md for the "add to gallery" diagram)."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class NewEntryFlow(StatesGroup):
    """A coordinator adding someone from an incident to the gallery, one answer at a time."""

    status = State()
    label = State()
    description = State()
    photos = State()
    exclusion = State()
    starts = State()
    ends = State()
    review = State()


class GalleryTyping(StatesGroup):
    """A single typed answer: a search, an incident reference, dates, or hours."""

    search = State()
    reference = State()
    exclusion_starts = State()
    exclusion_ends = State()
    hours = State()


def is_busy_elsewhere(current: str | None) -> bool:
    """True while the person is in another conversation that a gallery button must not end.

    A single typed gallery answer is given up freely; the "add to gallery" conversation
    and other features' conversations are not.
    """
    return current is not None and not current.startswith(f"{GalleryTyping.__name__}:")
