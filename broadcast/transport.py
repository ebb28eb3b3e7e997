"""Sending and deleting alert copies through aiogram, with Telegram's errors sorted by meaning.

The transport's Bot has no retry middleware: a 429 comes back as `RATE_LIMITED` at once, so
the engine can pause every sender instead of one request sleeping while others carry on.
"""

from __future__ import annotations

import aiohttp
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramRetryAfter,
)
from aiogram.methods.base import Response
from aiogram.types import Message

from broadcast.interface import (
    DeleteOutcome,
    DeleteResult,
    OutgoingMessage,
    SendOutcome,
    SendResult,
)

# aiogram parses every answer as `Response[<result type>]`; pydantic keeps such a generic class
# only while something references it, and rebuilding it takes milliseconds. Holding them here
# spares a busy sender that rebuild after every garbage collection.
RESPONSE_TYPES = (Response[Message], Response[bool])

ERROR_LENGTH = 500
# 400 answers that mean the chat is gone for good, like a 403.
UNREACHABLE_CHAT = ("chat not found", "user not found", "peer_id_invalid", "chat_write_forbidden")
# 400 answers to deleteMessage that mean there is nothing left to delete.
ALREADY_GONE = ("message to delete not found",)


class BroadcastSession(AiohttpSession):
    """aiogram's session, closed without its 250 ms grace sleep."""

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


def build_transport_bot(api_url: str, token: str, *, timeout: float, connections: int = 100) -> Bot:
    """A Bot for broadcasting: its own connection pool, no retries, a short timeout."""
    session = BroadcastSession(
        api=TelegramAPIServer.from_base(api_url), timeout=timeout, limit=connections
    )
    return Bot(
        token=token,
        session=session,
        default=DefaultBotProperties(link_preview_is_disabled=True),
    )


class TelegramTransport:
    """Sends alert copies with a Bot and says what Telegram's answer means for the copy."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._token = bot.token

    async def send(self, message: OutgoingMessage) -> SendResult:
        """Sends one copy; never raises for anything Telegram or the network does."""
        try:
            sent = await self._send(message)
        except TelegramRetryAfter as error:
            return SendResult(
                SendOutcome.RATE_LIMITED,
                retry_after=float(error.retry_after),
                error=self._describe(error),
            )
        except TelegramForbiddenError as error:
            return SendResult(SendOutcome.BLOCKED, error=self._describe(error))
        except TelegramMigrateToChat as error:
            return SendResult(
                SendOutcome.FAILED,
                error=f"the group became supergroup {error.migrate_to_chat_id}",
            )
        except TelegramBadRequest as error:
            if any(reason in error.message.lower() for reason in UNREACHABLE_CHAT):
                return SendResult(SendOutcome.BLOCKED, error=self._describe(error))
            return SendResult(SendOutcome.FAILED, error=self._describe(error))
        except TelegramEntityTooLarge as error:
            return SendResult(SendOutcome.FAILED, error=self._describe(error))
        except (TelegramAPIError, ClientDecodeError, aiohttp.ClientError, TimeoutError) as error:
            return SendResult(SendOutcome.RETRY_LATER, error=self._describe(error))
        return SendResult(SendOutcome.SENT, message_id=sent.message_id)

    async def _send(self, message: OutgoingMessage) -> Message:
        paid = True if message.paid else None
        if message.photo_file_id is not None:
            return await self.bot.send_photo(
                message.chat_id,
                photo=message.photo_file_id,
                caption=message.text,
                disable_notification=message.silent,
                protect_content=message.protect_content,
                allow_paid_broadcast=paid,
            )
        return await self.bot.send_message(
            message.chat_id,
            message.text,
            disable_notification=message.silent,
            protect_content=message.protect_content,
            allow_paid_broadcast=paid,
        )

    async def delete(self, chat_id: int, message_id: int) -> DeleteResult:
        """Deletes one delivered copy; never raises for anything Telegram or the network does."""
        try:
            await self.bot.delete_message(chat_id, message_id)
        except TelegramRetryAfter as error:
            return DeleteResult(
                DeleteOutcome.RATE_LIMITED,
                retry_after=float(error.retry_after),
                error=self._describe(error),
            )
        except TelegramBadRequest as error:
            if any(reason in error.message.lower() for reason in ALREADY_GONE):
                return DeleteResult(DeleteOutcome.GONE, error=self._describe(error))
            return DeleteResult(DeleteOutcome.FAILED, error=self._describe(error))
        except (TelegramForbiddenError, TelegramMigrateToChat) as error:
            return DeleteResult(DeleteOutcome.FAILED, error=self._describe(error))
        except (TelegramAPIError, ClientDecodeError, aiohttp.ClientError, TimeoutError) as error:
            return DeleteResult(DeleteOutcome.RETRY_LATER, error=self._describe(error))
        return DeleteResult(DeleteOutcome.DELETED)

    async def close(self) -> None:
        """Closes the connection pool."""
        await self.bot.session.close()

    def _describe(self, error: BaseException) -> str:
        # Error texts can quote a request URL, and the bot token is part of every one.
        text = f"{type(error).__name__}: {error}".replace(self._token, "<token>")
        return text[:ERROR_LENGTH]
