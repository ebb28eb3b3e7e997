"""A person blocking or unblocking the bot in their private chat."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatMemberStatus
from aiogram.types import ChatMemberUpdated
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.subscriptions.blocking import bot_blocked, bot_unblocked


async def private_chat_changed(
    event: ChatMemberUpdated, session: AsyncSession, clock: Clock
) -> None:
    """Stops alerts to someone who blocked the bot, and starts them again when they unblock."""
    # In a private chat "kicked" means the person blocked the bot, "member" that they
    # unblocked (or started) it.
    status = event.new_chat_member.status
    if status == ChatMemberStatus.KICKED:
        await bot_blocked(session, event.from_user.id, now=clock.now())
    elif status == ChatMemberStatus.MEMBER:
        await bot_unblocked(session, event.from_user.id)


def create_router() -> Router:
    """A fresh router with this module's handlers."""
    router = Router(name=__name__)
    router.my_chat_member.filter(F.chat.type == "private")
    router.my_chat_member.register(private_chat_changed)
    return router
