"""The steps of the /broadcast composer (see compose_flow.md for the diagram)."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class ComposeFlow(StatesGroup):
    """A coordinator writing a warning, one part at a time."""

    scheme = State()
    audience = State()
    areas = State()
    topics = State()
    headline = State()
    description = State()
    photo = State()
    instruction = State()
    severity = State()
    expiry = State()
    status = State()
    preview = State()
    schedule = State()
