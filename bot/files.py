"""Files too big for a bot to fetch (over 20 MB) are refused with the limit, never kept."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Message, TelegramObject

MAX_FILE_BYTES = 20 * 1024 * 1024

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


def too_big(size: int) -> str:
    """What a person is told about a file over the limit."""
    megabytes = max(21, round(size / (1024 * 1024)))
    return (
        f"That file is about {megabytes} MB, and I can only take files of up to 20 MB, so I "
        "have not kept it. Please send something smaller (pictures as photos, not as files)."
    )


def attached_size(message: Message) -> int | None:
    """The size of whatever file the message carries, if Telegram said."""
    media = (
        message.document
        or message.video
        or message.animation
        or message.audio
        or message.voice
        or message.video_note
        or (message.photo[-1] if message.photo else None)
    )
    return media.file_size if media is not None else None


class RefuseLargeFiles(BaseMiddleware):
    """Answers a file over 20 MB in private chat with the limit, whatever step the person is at."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if isinstance(event, Message) and event.chat.type == "private":
            size = attached_size(event)
            if size is not None and size > MAX_FILE_BYTES:
                await event.answer(too_big(size))
                return None
        return await handler(event, data)
