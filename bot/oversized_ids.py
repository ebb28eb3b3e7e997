"""Refuses buttons carrying a number no row id can be: only a tampered client sends them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, TelegramObject

# BIGINT, the widest id column, in PostgreSQL and SQLite alike.
LARGEST_ID = 2**63 - 1
EXPIRED = "That button has expired. Send /start for the menu."

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


def carries_oversized_number(data: str) -> bool:
    """True if any part of the button data is a whole number beyond every id column."""
    for part in data.split(":"):
        digits = part.removeprefix("-")
        if digits.isdecimal() and len(digits) > 18 and int(digits) > LARGEST_ID:
            return True
    return False


class OversizedIdButtons(BaseMiddleware):
    """Answers such a press as an expired button before any handler queries the database."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if isinstance(event, CallbackQuery) and carries_oversized_number(event.data or ""):
            await event.answer(EXPIRED, show_alert=True)
            return None
        return await handler(event, data)
