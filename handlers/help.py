"""/help: what the bot can do for this person."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from core import texts
from core.people import PersonContext
from handlers.menu import offered_actions


async def help_command(message: Message, person: PersonContext | None = None) -> None:
    """Lists the commands this person can use."""
    if person is None or message.chat.type != "private":
        await message.answer(
            "I work in private chat: message me directly and send /help there. "
            + texts.EMERGENCY_ADVICE
        )
        return
    await message.answer(texts.help_text(offered_actions(person)))


def create_router() -> Router:
    """A fresh router with this module's handlers."""
    router = Router(name=__name__)
    router.message.register(help_command, Command("help"))
    return router
