"""Small helpers the gallery handlers share."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date

from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.settings import Settings
from core.clock import Clock
from core.errors import NotAllowed, NotFound
from handlers.gallery.callbacks import GalleryAction, GalleryCallback
from handlers.gallery.states import GalleryTyping


def local_today(clock: Clock, settings: Settings) -> date:
    """Today's date where the scheme is."""
    return clock.now().astimezone(settings.tz).date()


def chat_of(query: CallbackQuery) -> int:
    """The private chat a button was pressed in."""
    if isinstance(query.message, Message):
        return query.message.chat.id
    return query.from_user.id


def stop_typing_keyboard() -> InlineKeyboardMarkup:
    """A Cancel button under a question that waits for typing."""
    builder = InlineKeyboardBuilder()
    builder.button(text="Cancel", callback_data=GalleryCallback(action=GalleryAction.STOP_TYPING))
    return builder.as_markup()


async def drop_typing(state: FSMContext) -> None:
    """Forgets a single typed answer the gallery was waiting for, if any."""
    current = await state.get_state()
    if current is not None and current.startswith(f"{GalleryTyping.__name__}:"):
        await state.clear()


@asynccontextmanager
async def forget_if_refused(state: FSMContext) -> AsyncIterator[None]:
    """Stops waiting for an answer that can no longer be used (access lost, entry gone)."""
    try:
        yield
    except (NotAllowed, NotFound):
        await state.clear()
        raise
