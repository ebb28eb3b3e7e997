"""Sending and deleting alert copies over the Bot API, with Telegram's errors sorted by meaning.

The transport speaks to the Bot API directly with aiohttp (the HTTP client aiogram itself
uses, with the same kind of pooled keep-alive connector) and reads only the fields it needs
from each answer. It does not import aiogram: aiogram's pydantic models for every Telegram
type take about 155 MB of a process that only sends alert copies, and validating a whole
`Message` per copy cost the worker more CPU than the rest of its bookkeeping.

It never retries: a 429 comes back as `RATE_LIMITED` at once, so the engine can pause every
sender instead of one request sleeping while others carry on.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from yarl import URL

from broadcast.interface import (
    DeleteOutcome,
    DeleteResult,
    OutgoingMessage,
    SendOutcome,
    SendResult,
)

ERROR_LENGTH = 500
# 400 answers that mean the chat is gone for good, like a 403.
UNREACHABLE_CHAT = ("chat not found", "user not found", "peer_id_invalid", "chat_write_forbidden")
# 400 answers to deleteMessage that mean there is nothing left to delete.
ALREADY_GONE = ("message to delete not found",)
JSON_HEADERS = {"Content-Type": "application/json"}
NO_LINK_PREVIEW = {"is_disabled": True}


class BotApiError(Exception):
    """Telegram answered a request with an error (or with something that is not an answer)."""

    def __init__(
        self,
        status: int,
        description: str,
        *,
        retry_after: float | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id

    def __str__(self) -> str:
        return f"Telegram server says ({self.status}) - {self.description}"


class BotConnection:
    """One bot's pool of keep-alive connections to the Bot API, with a timeout per request."""

    def __init__(self, api_url: str, token: str, *, timeout: float, connections: int) -> None:
        self.token = token
        self._base = f"{api_url.rstrip('/')}/bot{token}/"
        self._urls: dict[str, URL] = {}
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections, ttl_dns_cache=3600),
                timeout=self._timeout,
            )
        return self._session

    async def call(self, method: str, body: bytes) -> Any:
        """The `result` of one Bot API call with a JSON body; raises BotApiError for errors."""
        url = self._urls.get(method)
        if url is None:
            url = self._urls[method] = URL(self._base + method)
        async with self._client().post(url, data=body, headers=JSON_HEADERS) as response:
            status = response.status
            raw = await response.read()
        try:
            answer = json.loads(raw)
        except ValueError as error:
            raise BotApiError(status, f"not a Bot API answer: {raw[:200]!r}") from error
        if not isinstance(answer, dict):
            raise BotApiError(status, f"not a Bot API answer: {raw[:200]!r}")
        if 200 <= status <= 226 and answer.get("ok") is True:
            return answer.get("result")
        parameters = answer.get("parameters")
        if not isinstance(parameters, dict):
            parameters = {}
        retry_after = parameters.get("retry_after")
        migrate_to = parameters.get("migrate_to_chat_id")
        raise BotApiError(
            status,
            str(answer.get("description") or "no description"),
            retry_after=float(retry_after) if isinstance(retry_after, int | float) else None,
            migrate_to_chat_id=migrate_to if isinstance(migrate_to, int) else None,
        )

    async def close(self) -> None:
        """Closes the connection pool (no grace sleep: the API is plain HTTP or short-lived)."""
        if self._session is not None and not self._session.closed:
            await self._session.close()


def build_transport_bot(
    api_url: str, token: str, *, timeout: float, connections: int = 100
) -> BotConnection:
    """A connection for broadcasting: its own connection pool, no retries, a short timeout."""
    return BotConnection(api_url, token, timeout=timeout, connections=connections)


def send_body(message: OutgoingMessage) -> tuple[str, bytes]:
    """The Bot API method and JSON body that send one copy."""
    fields: dict[str, Any] = {"chat_id": message.chat_id}
    if message.photo_file_id is not None:
        method = "sendPhoto"
        fields["photo"] = message.photo_file_id
        fields["caption"] = message.text
    else:
        method = "sendMessage"
        fields["text"] = message.text
        fields["link_preview_options"] = NO_LINK_PREVIEW
    fields["disable_notification"] = message.silent
    fields["protect_content"] = message.protect_content
    if message.paid:
        fields["allow_paid_broadcast"] = True
    return method, json.dumps(fields, ensure_ascii=False).encode()


class TelegramTransport:
    """Sends alert copies over one bot connection and says what Telegram's answer means."""

    def __init__(self, bot: BotConnection) -> None:
        self.bot = bot
        self._token = bot.token

    async def send(self, message: OutgoingMessage) -> SendResult:
        """Sends one copy; never raises for anything Telegram or the network does."""
        method, body = send_body(message)
        try:
            sent = await self.bot.call(method, body)
        except BotApiError as error:
            return self._send_failure(error)
        except (aiohttp.ClientError, TimeoutError) as error:
            return SendResult(SendOutcome.RETRY_LATER, error=self._describe(error))
        message_id = sent.get("message_id") if isinstance(sent, dict) else None
        if not isinstance(message_id, int):
            # Telegram took the copy but the answer does not say which message it became.
            return SendResult(SendOutcome.SENT, error="the answer had no message_id")
        return SendResult(SendOutcome.SENT, message_id=message_id)

    def _send_failure(self, error: BotApiError) -> SendResult:
        if error.retry_after is not None:
            return SendResult(
                SendOutcome.RATE_LIMITED, retry_after=error.retry_after, error=self._describe(error)
            )
        if error.migrate_to_chat_id is not None:
            return SendResult(
                SendOutcome.FAILED,
                error=f"the group became supergroup {error.migrate_to_chat_id}",
            )
        if error.status == 403:
            return SendResult(SendOutcome.BLOCKED, error=self._describe(error))
        if error.status == 400:
            if any(reason in error.description.lower() for reason in UNREACHABLE_CHAT):
                return SendResult(SendOutcome.BLOCKED, error=self._describe(error))
            return SendResult(SendOutcome.FAILED, error=self._describe(error))
        if error.status == 413:
            return SendResult(SendOutcome.FAILED, error=self._describe(error))
        # 401, 404, 409, 5xx and answers that are not the Bot API's: worth another try later.
        return SendResult(SendOutcome.RETRY_LATER, error=self._describe(error))

    async def delete(self, chat_id: int, message_id: int) -> DeleteResult:
        """Deletes one delivered copy; never raises for anything Telegram or the network does."""
        body = json.dumps({"chat_id": chat_id, "message_id": message_id}).encode()
        try:
            await self.bot.call("deleteMessage", body)
        except BotApiError as error:
            if error.retry_after is not None:
                return DeleteResult(
                    DeleteOutcome.RATE_LIMITED,
                    retry_after=error.retry_after,
                    error=self._describe(error),
                )
            if error.migrate_to_chat_id is not None or error.status == 403:
                return DeleteResult(DeleteOutcome.FAILED, error=self._describe(error))
            if error.status == 400:
                if any(reason in error.description.lower() for reason in ALREADY_GONE):
                    return DeleteResult(DeleteOutcome.GONE, error=self._describe(error))
                return DeleteResult(DeleteOutcome.FAILED, error=self._describe(error))
            return DeleteResult(DeleteOutcome.RETRY_LATER, error=self._describe(error))
        except (aiohttp.ClientError, TimeoutError) as error:
            return DeleteResult(DeleteOutcome.RETRY_LATER, error=self._describe(error))
        return DeleteResult(DeleteOutcome.DELETED)

    async def close(self) -> None:
        """Closes the connection pool."""
        await self.bot.close()

    def _describe(self, error: BaseException) -> str:
        # Error texts can quote a request URL, and the bot token is part of every one.
        name = type(error).__name__
        if isinstance(error, TimeoutError):
            text = f"{name}: no answer from Telegram in time"
        else:
            text = f"{name}: {error}"
        return text.replace(self._token, "<token>")[:ERROR_LENGTH]
