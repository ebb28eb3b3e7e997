"""Scheme commands sent in a group: they work only in private chat, so say so."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import Message

from core.menu import Action

PRIVATE_ONLY = (Action.NEW_SCHEME, Action.INVITE, Action.MEMBERS)


async def private_only(message: Message) -> None:
    """Points to private chat, so that member details never appear in the group."""
    if message.is_automatic_forward:
        return  # a channel post copied in by Telegram (777000): nobody asked
    await message.answer(
        "That works only in a private chat with me, so that members' details stay out of "
        "the group. Open a chat with me and send the command there."
    )


def create_router() -> Router:
    """A fresh router with this module's handlers."""
    router = Router(name=__name__)
    router.message.filter(F.chat.type.in_({"group", "supergroup"}))
    router.message.register(private_only, Command(*(action.value for action in PRIVATE_ONLY)))
    return router
