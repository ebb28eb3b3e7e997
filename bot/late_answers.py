"""A button press handled again after a crash can't be answered twice: that is no failure.

Telegram refuses a second answer to a callback query, or one after about 15 seconds, with
"query is too old ...". When a press is delivered again (the process died after answering
it, or was down for a while), the handler must still run to the end; otherwise the update
fails every time it is delivered and blocks everything queued behind it.
"""

from __future__ import annotations

import logging
from typing import cast

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import AnswerCallbackQuery, Response, TelegramMethod
from aiogram.methods.base import TelegramType

logger = logging.getLogger(__name__)

TOO_LATE = "query is too old"


class LateAnswersAreNoFailure(BaseRequestMiddleware):
    """Treats a refused answerCallbackQuery as done: the toast can no longer be shown."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        try:
            return await make_request(bot, method)
        except TelegramBadRequest as error:
            if not isinstance(method, AnswerCallbackQuery) or TOO_LATE not in error.message:
                raise
            logger.info("button press %s answered too late; carrying on", method.callback_query_id)
            return cast(Response[TelegramType], Response[bool](ok=True, result=True))
