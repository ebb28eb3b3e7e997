"""Coordinators answer the 6-monthly review prompt: keep the entry, or delete it."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.gallery.entries import delete_entry, keep_entry
from core.people import PersonContext
from handlers.gallery.callbacks import ReviewCallback


async def review_answered(
    query: CallbackQuery,
    callback_data: ReviewCallback,
    session: AsyncSession,
    person: PersonContext,
    clock: Clock,
) -> None:
    """Keeps the entry for another 6 months, or deletes it for real."""
    entry_id = callback_data.entry
    if callback_data.keep:
        await keep_entry(session, person.id, entry_id, clock.now())
        await query.answer("Kept")
        text = f"Gallery entry #{entry_id} is kept. I'll ask again in 6 months."
    else:
        await delete_entry(session, person.id, entry_id, clock.now())
        await query.answer("Deleted")
        text = f"Gallery entry #{entry_id} is deleted, with its photos and exclusions."
    if isinstance(query.message, Message):
        await query.message.answer(text)


def create_router() -> Router:
    """A fresh router with this module's handlers."""
    router = Router(name=__name__)
    router.callback_query.filter(F.message.chat.type == "private")
    router.callback_query.register(review_answered, ReviewCallback.filter())
    return router
