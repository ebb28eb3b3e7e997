"""Waiting out Telegram's flood control and failures for conversational replies, for a while."""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiohttp import ClientConnectorError

logger = logging.getLogger(__name__)


class RetryAfterMiddleware(BaseRequestMiddleware):
    """On 429, waits `retry_after` seconds and tries again; gives up past the limits.

    A 5xx, an unreadable answer (a proxy's error page), a timeout or a dropped connection
    is tried again too, after a short growing pause: a reply sent twice beats a reply lost.
    Past `give_up_after` seconds the last error is raised, and after `connect_attempts`
    refused connections (nothing listening: a wrong TELEGRAM_API_URL fails fast).
    """

    def __init__(
        self,
        *,
        longest_wait: float = 10.0,
        first_pause: float = 0.5,
        longest_pause: float = 2.0,
        give_up_after: float = 60.0,
        connect_attempts: int = 3,
    ) -> None:
        self.longest_wait = longest_wait
        self.first_pause = first_pause
        self.longest_pause = longest_pause
        self.give_up_after = give_up_after
        self.connect_attempts = connect_attempts

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.give_up_after
        pause = self.first_pause
        attempt = refused = 0
        while True:
            attempt += 1
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                wait = float(error.retry_after)
                if wait > self.longest_wait or loop.time() + wait > deadline:
                    raise
                logger.info(
                    "%s hit flood control; retrying in %ss (attempt %s)",
                    type(method).__name__,
                    error.retry_after,
                    attempt,
                )
            except (TelegramServerError, TelegramNetworkError, ClientDecodeError) as error:
                wait, pause = pause, min(pause * 2, self.longest_pause)
                not_listening = isinstance(error.__cause__, ClientConnectorError)
                refused += not_listening
                if loop.time() + wait > deadline or refused >= self.connect_attempts:
                    raise
                # Quiet for a refused connection: if it persists, the error says it all.
                logger.log(
                    logging.DEBUG if not_listening else logging.INFO,
                    "%s failed (%s); retrying in %ss (attempt %s)",
                    type(method).__name__,
                    type(error).__name__,
                    wait,
                    attempt,
                )
            await asyncio.sleep(wait)
