"""The Telegram side of the gallery's scheduled jobs: deleting messages, reminding coordinators."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from core.deletions import MessageDeleter, Outcome
from core.gallery.reminders import Notice, exclusion_reminders, review_prompts
from core.gallery.viewing import delete_later
from handlers.gallery.callbacks import ReviewCallback
from handlers.gallery.outbox import sent_at

logger = logging.getLogger(__name__)

# Telegram's answers when there is nothing left to delete.
GONE = ("message to delete not found", "message can't be deleted")


def telegram_deleter(bot: Bot) -> MessageDeleter:
    """Deletes a message with the Bot API and sorts the answer into deleted, gone or retry."""

    async def delete(chat_id: int, message_id: int) -> Outcome:
        try:
            await bot.delete_message(chat_id, message_id)
        except TelegramBadRequest as error:
            if any(reason in error.message.lower() for reason in GONE):
                return Outcome.GONE
            logger.warning("could not delete %s in %s: %s", message_id, chat_id, error.message)
            return Outcome.RETRY
        except TelegramForbiddenError as error:
            # The person blocked the bot or left: the bot can no longer reach the chat.
            logger.warning("cannot reach chat %s to delete: %s", chat_id, error.message)
            return Outcome.GONE
        except TelegramAPIError as error:
            logger.warning("could not delete %s in %s: %s", message_id, chat_id, error.message)
            return Outcome.RETRY
        return Outcome.DELETED

    return delete


def _review_keyboard(subject_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text="Keep", callback_data=ReviewCallback(entry=subject_id, keep=True))
    builder.button(text="Delete", callback_data=ReviewCallback(entry=subject_id, keep=False))
    builder.adjust(2)
    return builder.as_markup()


async def _send(bot: Bot, session: AsyncSession, notice: Notice) -> int:
    """Sends a notice to each coordinator, protected and deleted like gallery messages."""
    told = 0
    markup = (
        _review_keyboard(notice.review_subject_id) if notice.review_subject_id is not None else None
    )
    for chat_id in notice.chat_ids:
        try:
            sent = await bot.send_message(
                chat_id, notice.text, reply_markup=markup, protect_content=True
            )
        except TelegramAPIError as error:
            logger.warning("could not remind coordinator %s: %s", chat_id, error.message)
            continue
        await delete_later(
            session,
            scheme_id=notice.scheme_id,
            chat_id=chat_id,
            message_ids=[sent.message_id],
            sent_at=sent_at(sent),
        )
        told += 1
    return told


async def remind_coordinators(bot: Bot, session: AsyncSession, now: datetime, tz: ZoneInfo) -> str:
    """Tells coordinators about exclusions ending within 14 days and entries due for review."""
    today = now.astimezone(tz).date()
    notices = await exclusion_reminders(session, today=today, now=now)
    notices += await review_prompts(session, now=now)
    told = 0
    for notice in notices:
        told += await _send(bot, session, notice)
    return f"{len(notices)} reminders, {told} messages sent"
