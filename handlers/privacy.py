"""/privacy: the privacy notice."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from core import texts


async def privacy(message: Message) -> None:
    """Shows what is stored, why, for how long, who sees it, and the person's rights."""
    await message.answer(texts.privacy_notice())


def create_router() -> Router:
    """A fresh router with this module's handlers."""
    router = Router(name=__name__)
    router.message.register(privacy, Command("privacy"))
    return router
