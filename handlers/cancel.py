"""/cancel: leaves any conversation from any step."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import Message, ReplyKeyboardRemove

from bot.settings import Settings
from core.clock import Clock
from handlers.lost_conversations import Services, lost_flow
from storage.db import Database


async def cancel(
    message: Message,
    state: FSMContext,
    raw_state: str | None,
    database: Database,
    settings: Settings,
    clock: Clock,
) -> None:
    """Stops what the person was doing; nothing half-written is kept."""
    if raw_state is not None:
        await state.clear()
        text = (
            "Cancelled. Nothing from that conversation was saved. Send /start to see what I can do."
        )
    elif message.from_user is not None and (
        lost := await lost_flow(
            Services(raw_state, database, settings, clock), message.chat.id, message.from_user.id
        )
    ):
        text = (
            f"I had already lost track of {lost.what} after a restart on our side, so there "
            "is nothing to cancel. Nothing you had confirmed is lost. "
            "Send /start to see what I can do."
        )
    else:
        text = "There is nothing to cancel. Send /start to see what I can do."
    await message.answer(text, reply_markup=ReplyKeyboardRemove())


def create_router() -> Router:
    """A fresh router with this module's handlers."""
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    router.message.register(cancel, Command("cancel"))
    return router
