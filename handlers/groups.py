"""The bot's own standing in Telegram groups, and who joins a scheme's group."""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import IS_MEMBER, IS_NOT_MEMBER, ChatMemberUpdatedFilter
from aiogram.types import CallbackQuery, ChatMemberAdministrator, ChatMemberUpdated, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from core import texts
from core.clock import Clock
from core.enums import BotGroupStatus
from core.groups import (
    REQUIRED_RIGHTS,
    check_join,
    record_bot_status,
    record_removal,
    removal_target,
)
from core.people import PersonContext
from handlers.schemes.callbacks import RemoveNewcomerCallback

logger = logging.getLogger(__name__)

_STATUS = {
    "creator": BotGroupStatus.ADMINISTRATOR,
    "administrator": BotGroupStatus.ADMINISTRATOR,
    "member": BotGroupStatus.MEMBER,
    "restricted": BotGroupStatus.RESTRICTED,
    "left": BotGroupStatus.LEFT,
    "kicked": BotGroupStatus.KICKED,
}


async def bot_membership_changed(event: ChatMemberUpdated, session: AsyncSession) -> None:
    """Records the group and tells its members which admin rights the bot still needs."""
    member = event.new_chat_member
    status = _STATUS[member.status]
    rights = {
        right: bool(getattr(member, right, False))
        for right in REQUIRED_RIGHTS
        if isinstance(member, ChatMemberAdministrator)
    }
    check = await record_bot_status(
        session,
        chat_id=event.chat.id,
        title=event.chat.title or "",
        chat_type=event.chat.type,
        status=status,
        rights=rights,
        changed_by_telegram_id=event.from_user.id,
    )
    logger.info("bot is now %s in group %s", status.value, event.chat.id)
    if not check.present or status == BotGroupStatus.RESTRICTED:
        return
    if check.missing:
        await event.answer(texts.group_needs_rights(check.missing))
    else:
        await event.answer(texts.group_ready(check.scheme_name))


async def someone_joined(
    event: ChatMemberUpdated, bot: Bot, session: AsyncSession, clock: Clock
) -> None:
    """Tells the coordinators when someone who is not an approved member joins the group."""
    newcomer = event.new_chat_member.user
    if newcomer.is_bot:
        return
    alert = await check_join(
        session, chat_id=event.chat.id, telegram_user_id=newcomer.id, now=clock.now()
    )
    if alert is None:
        return
    handle = f" (@{newcomer.username})" if newcomer.username else ""
    text = (
        f"{newcomer.full_name}{handle} joined {alert.group_title} but is not an approved member "
        f"of {alert.scheme_name}. If you don't know them, remove them; if they should be a "
        "member, send them an invite with /invite."
    )
    builder = InlineKeyboardBuilder()
    builder.button(
        text="Remove from group",
        callback_data=RemoveNewcomerCallback(scheme_id=alert.scheme_id, user_id=newcomer.id),
    )
    for chat_id in alert.coordinator_chat_ids:
        try:
            await bot.send_message(chat_id, text, reply_markup=builder.as_markup())
        except TelegramAPIError as error:
            logger.warning("could not alert coordinator %s: %s", chat_id, error.message)


async def remove_newcomer(
    query: CallbackQuery,
    callback_data: RemoveNewcomerCallback,
    bot: Bot,
    session: AsyncSession,
    clock: Clock,
    person: PersonContext | None = None,
) -> None:
    """Removes them from the group (ban, then unban, so a proper invite still works later)."""
    chat_id = await removal_target(
        session,
        person_id=person.id if person is not None else None,
        scheme_id=callback_data.scheme_id,
        telegram_user_id=callback_data.user_id,
    )
    try:
        await bot.ban_chat_member(chat_id, callback_data.user_id)
        await bot.unban_chat_member(chat_id, callback_data.user_id, only_if_banned=True)
    except TelegramAPIError as error:
        problem = (
            f"I couldn't remove them (Telegram said: {error.message}). Check that I am an "
            'admin of the group with "Ban users".'
        )
        await query.answer(problem[:200], show_alert=True)
        return
    await record_removal(
        session,
        person_id=person.id if person is not None else None,
        scheme_id=callback_data.scheme_id,
        telegram_user_id=callback_data.user_id,
        now=clock.now(),
    )
    await query.answer("Removed from the group")
    message = query.message
    if isinstance(message, Message):
        who = person.full_name if person is not None else "a coordinator"
        await message.edit_text(f"{message.text}\n\nRemoved from the group by {who}.")


def create_router() -> Router:
    """A fresh router with this module's handlers."""
    router = Router(name=__name__)
    groups = F.chat.type.in_({"group", "supergroup"})
    router.my_chat_member.filter(groups)
    router.my_chat_member.register(bot_membership_changed)
    router.chat_member.filter(groups)
    router.chat_member.register(someone_joined, ChatMemberUpdatedFilter(IS_NOT_MEMBER >> IS_MEMBER))
    router.callback_query.register(
        remove_newcomer, RemoveNewcomerCallback.filter(), F.message.chat.type == "private"
    )
    return router
