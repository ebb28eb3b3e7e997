"""Sends gallery messages that can't be forwarded or saved, and has them deleted on time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
)
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.gallery.viewing import delete_later

logger = logging.getLogger(__name__)

ALBUM_LIMIT = 10


def sent_at(message: Message) -> datetime:
    """When Telegram says the message was sent: the deletion countdown starts there."""
    moment = message.date
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class ProtectedReplies:
    """Messages to one private chat, each with protect_content, remembered for deletion."""

    def __init__(self, bot: Bot, chat_id: int) -> None:
        self.bot = bot
        self.chat_id = chat_id
        self.sent: list[int] = []
        self.first_sent_at: datetime | None = None

    def _keep(self, message: Message) -> None:
        self.sent.append(message.message_id)
        if self.first_sent_at is None:
            self.first_sent_at = sent_at(message)

    async def text(self, text: str, markup: InlineKeyboardMarkup | None = None) -> Message:
        """Sends a text message."""
        message = await self.bot.send_message(
            self.chat_id, text, reply_markup=markup, protect_content=True
        )
        self._keep(message)
        return message

    async def photos(self, file_ids: Sequence[str]) -> bool:
        """Sends photos (an album when several); False if Telegram would not show them."""
        try:
            if len(file_ids) == 1:
                message = await self.bot.send_photo(self.chat_id, file_ids[0], protect_content=True)
                self._keep(message)
            elif file_ids:
                album = await self.bot.send_media_group(
                    self.chat_id,
                    [InputMediaPhoto(media=file_id) for file_id in file_ids[:ALBUM_LIMIT]],
                    protect_content=True,
                )
                for part in album:
                    self._keep(part)
        except TelegramBadRequest as error:
            logger.warning("gallery photos not shown in chat %s: %s", self.chat_id, error.message)
            return False
        return True

    async def document(self, file_name: str, content: bytes, caption: str) -> Message:
        """Sends a file."""
        message = await self.bot.send_document(
            self.chat_id,
            BufferedInputFile(content, filename=file_name),
            caption=caption,
            protect_content=True,
        )
        self._keep(message)
        return message


@asynccontextmanager
async def protected(
    bot: Bot | None, chat_id: int, *, scheme_id: int, session: AsyncSession, clock: Clock
) -> AsyncIterator[ProtectedReplies]:
    """Replies whose messages are scheduled for deletion, even if a later one fails."""
    assert bot is not None, "handlers always have a bot"
    replies = ProtectedReplies(bot, chat_id)
    try:
        yield replies
    finally:
        await delete_later(
            session,
            scheme_id=scheme_id,
            chat_id=chat_id,
            message_ids=replies.sent,
            sent_at=replies.first_sent_at or clock.now(),
        )
