"""A person blocking or unblocking the bot, and being told what a block switched off."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, F, Router
from aiogram.enums import ChatMemberStatus
from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    CallbackQuery,
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    TelegramObject,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from core.clock import Clock
from core.people import PersonContext
from core.subscriptions.blocking import (
    BlockNotice,
    bot_blocked,
    bot_unblocked,
    notice_due,
    turn_back_on,
)

TURN_BACK_ON = "Turn my warnings back on"

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class RestoreCallback(CallbackData, prefix="b1u"):
    """The press that switches back on what a block switched off."""


def notice_text(notice: BlockNotice, settings: Settings) -> str:
    """Why warnings stopped, and the one button that brings them back."""
    local = notice.blocked_at.astimezone(settings.tz)
    count = notice.subscriptions
    which = "your subscription was" if count == 1 else f"your {count} subscriptions were"
    return (
        f"Welcome back. Your warnings stopped because the bot was blocked in this chat on "
        f"{local.day} {local:%b %Y}: {which} switched off then. Press the button to get them "
        "again, or send /subscribe to choose afresh."
    )


class BlockNoticeMiddleware(BaseMiddleware):
    """Tells someone whose warnings a block stopped, once, the first time they write again."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        person: PersonContext | None = data.get("person")
        if isinstance(event, Message) and event.chat.type == "private" and person is not None:
            clock: Clock = data["clock"]
            notice = await notice_due(data["session"], person.id, now=clock.now())
            if notice is not None:
                markup = InlineKeyboardMarkup(
                    inline_keyboard=[
                        [
                            InlineKeyboardButton(
                                text=TURN_BACK_ON, callback_data=RestoreCallback().pack()
                            )
                        ]
                    ]
                )
                await event.answer(notice_text(notice, data["settings"]), reply_markup=markup)
        return await handler(event, data)


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


async def restore_pressed(
    query: CallbackQuery, session: AsyncSession, person: PersonContext, clock: Clock
) -> None:
    """Switches back on exactly what the block switched off."""
    restored = await turn_back_on(session, person.id, now=clock.now())
    await query.answer("Warnings back on")
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
        what = "subscription is" if restored == 1 else "subscriptions are"
        await query.message.answer(
            f"Done: your {restored} {what} back on, as you had them. "
            "Send /subscribe to see or change them."
            if restored
            else "Those subscriptions have since been removed: send /subscribe to choose again."
        )


def create_router() -> Router:
    """A fresh router with this module's handlers."""
    router = Router(name=__name__)
    router.my_chat_member.filter(F.chat.type == "private")
    router.my_chat_member.register(private_chat_changed)
    router.callback_query.filter(F.message.chat.type == "private")
    router.callback_query.register(restore_pressed, RestoreCallback.filter())
    return router
