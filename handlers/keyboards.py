"""Inline keyboards shared by several handlers."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from core.menu import LABELS, Action
from handlers.callbacks import MenuCallback


def main_menu(actions: Sequence[Action]) -> InlineKeyboardMarkup:
    """The main actions as buttons, two to a row."""
    builder = InlineKeyboardBuilder()
    for action in actions:
        builder.button(text=LABELS[action], callback_data=MenuCallback(action=action))
    builder.adjust(2)
    return builder.as_markup()
