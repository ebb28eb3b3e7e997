"""Inline button payloads. Versioned prefixes; never trusted without re-checking."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from core.menu import Action


class MenuCallback(CallbackData, prefix="m1"):
    """A press on a main-menu button."""

    action: Action
