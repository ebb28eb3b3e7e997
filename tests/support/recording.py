"""A Bot API session that records calls instead of sending them (handler-level tests)."""

from __future__ import annotations

import itertools
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Any, cast

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteWebhook,
    GetMe,
    SendMessage,
    SetMyCommands,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import Chat, InlineKeyboardMarkup, Message, User

BOT_USER = User(id=424242, is_bot=True, first_name="ShopWatch", username="shopwatch_test_bot")


class RecordingSession(BaseSession):
    """Answers the few methods handlers use, and keeps every call for assertions."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[TelegramMethod[Any]] = []
        self._message_ids = itertools.count(1000)

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 (aiogram's signature)
    ) -> TelegramType:
        self.calls.append(method)
        return cast(TelegramType, self._answer(method))

    def _answer(self, method: TelegramMethod[Any]) -> Any:
        if isinstance(method, SendMessage):
            chat_id = int(method.chat_id)
            return Message(
                message_id=next(self._message_ids),
                date=datetime.now(UTC),
                chat=Chat(id=chat_id, type="private" if chat_id > 0 else "supergroup"),
                from_user=BOT_USER,
                text=method.text,
                reply_markup=(
                    method.reply_markup
                    if isinstance(method.reply_markup, InlineKeyboardMarkup)
                    else None
                ),
            )
        if isinstance(method, AnswerCallbackQuery | SetMyCommands | DeleteWebhook):
            return True
        if isinstance(method, GetMe):
            return BOT_USER
        raise AssertionError(f"unexpected Bot API call {type(method).__name__}")

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,  # noqa: ASYNC109 (aiogram's signature)
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        for _ in ():
            yield b""
        raise AssertionError("tests do not download files through the recording session")

    async def close(self) -> None:
        return None

    def sent(self) -> list[SendMessage]:
        """Every sendMessage so far."""
        return [call for call in self.calls if isinstance(call, SendMessage)]
