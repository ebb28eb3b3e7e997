"""Anything no other handler understood, in private chat."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message

from bot.settings import Settings
from core.clock import Clock
from handlers.lost_conversations import Services, tell_if_lost
from storage.db import Database


async def not_understood(
    message: Message,
    raw_state: str | None,
    database: Database,
    settings: Settings,
    clock: Clock,
) -> None:
    """Says what to do instead of staying silent."""
    if await tell_if_lost(message, Services(raw_state, database, settings, clock)):
        return
    command, _, _ = (message.text or "").partition(" ")
    if command.startswith("/") and "@" in command:
        addressee = command.split("@", 1)[1]
        await message.answer(
            f"That command is addressed to @{addressee}, not to me. Send /help to see mine."
        )
        return
    await message.answer(
        "Sorry, I didn't understand that. Send /start for the menu or /help for what I can do."
    )


async def old_button(query: CallbackQuery) -> None:
    """Answers a button from a message that no longer does anything."""
    await query.answer("That button has expired. Send /start for the menu.", show_alert=True)


def create_router() -> Router:
    """A fresh router with this module's handlers; it must be included last."""
    router = Router(name=__name__)
    router.message.register(not_understood, F.chat.type == "private")
    router.callback_query.register(old_button)
    return router
