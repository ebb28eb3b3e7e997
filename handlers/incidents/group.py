"""/incident in a group: points the member to a private chat, so no details are typed there."""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.types import InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from core.incidents import texts
from handlers.incidents.intake import START_PAYLOAD

logger = logging.getLogger(__name__)

# Automatic forwards from a linked channel arrive as this user: never a member asking.
AUTOMATIC_FORWARD = 777000


async def private_link(bot: Bot) -> InlineKeyboardMarkup:
    """A button that opens the private chat with the bot and starts an incident there."""
    me = await bot.me()
    builder = InlineKeyboardBuilder()
    builder.button(
        text=texts.OPEN_PRIVATELY, url=f"https://t.me/{me.username}?start={START_PAYLOAD}"
    )
    return builder.as_markup()


async def incident_in_group(message: Message, command: CommandObject, bot: Bot) -> None:
    """Answers /incident in a group with a button to report it privately instead."""
    if message.from_user is not None and message.from_user.id == AUTOMATIC_FORWARD:
        return
    if message.is_automatic_forward:
        return
    markup = await private_link(bot)
    # Anonymous group admins post as the group itself (sender_chat), not as a person.
    if message.sender_chat is not None:
        await message.reply(texts.ANONYMOUS_ADMIN, reply_markup=markup)
        return
    if command.args and await _removed(message):
        await message.answer(texts.GROUP_REDIRECT_REMOVED, reply_markup=markup)
        return
    await message.reply(texts.GROUP_REDIRECT, reply_markup=markup)


async def _removed(message: Message) -> bool:
    """Deletes a /incident that carried details; False if the bot may not."""
    try:
        await message.delete()
    except TelegramAPIError as error:
        logger.info("could not remove /incident details in %s: %s", message.chat.id, error.message)
        return False
    return True


def create_router() -> Router:
    """A fresh router with this module's handlers."""
    router = Router(name=__name__)
    router.message.filter(F.chat.type.in_({"group", "supergroup"}))
    router.message.register(incident_in_group, Command("incident"))
    return router
