"""The one typed answer /subscribe waits for."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class SubscriptionFlow(StatesGroup):
    """A person on the quiet-hours screen, who may type their own hours."""

    quiet_hours = State()
