"""/cancel: leaves any conversation from any step."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import Message, ReplyKeyboardRemove


async def cancel(message: Message, state: FSMContext) -> None:
    """Stops what the person was doing; nothing half-written is kept."""
    was_in_flow = await state.get_state() is not None
    await state.clear()
    text = (
        "Cancelled. Nothing from that conversation was saved. Send /start to see what I can do."
        if was_in_flow
        else "There is nothing to cancel. Send /start to see what I can do."
    )
    await message.answer(text, reply_markup=ReplyKeyboardRemove())


def create_router() -> Router:
    """A fresh router with this module's handlers."""
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    router.message.register(cancel, Command("cancel"))
    return router
