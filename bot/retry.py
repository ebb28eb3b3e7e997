"""Waiting out Telegram's flood control for conversational replies, a bounded number of times."""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

logger = logging.getLogger(__name__)


class RetryAfterMiddleware(BaseRequestMiddleware):
    """On 429, waits `retry_after` seconds and tries again; gives up past the limits."""

    def __init__(self, *, attempts: int = 3, longest_wait: float = 10.0) -> None:
        self.attempts = attempts
        self.longest_wait = longest_wait

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        for attempt in range(1, self.attempts + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                if attempt == self.attempts or error.retry_after > self.longest_wait:
                    raise
                logger.info(
                    "%s hit flood control; retrying in %ss (attempt %s of %s)",
                    type(method).__name__,
                    error.retry_after,
                    attempt,
                    self.attempts,
                )
                await asyncio.sleep(error.retry_after)
        raise AssertionError("unreachable: the loop returns or raises")
