"""Turns errors into replies: a person's mistake gets its explanation, ours an apology."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent

from bot.once import UpdateStillHandling
from core.errors import AppError
from storage.outages import is_outage

logger = logging.getLogger(__name__)

SORRY = (
    "Sorry, something went wrong on our side. Please try that again; anything you had "
    "already confirmed is safe."
)
STORAGE_DOWN = (
    "Sorry, I couldn't handle that just now because of a problem on our side. Please send "
    "it again in a minute; anything you had already confirmed is safe."
)


async def _tell(event: ErrorEvent, text: str) -> None:
    update = event.update
    if update.message is not None:
        await update.message.answer(text)
    elif update.callback_query is not None:
        query = update.callback_query
        await query.answer(text[:200], show_alert=True)


async def app_error(event: ErrorEvent) -> None:
    """Tells the person what was wrong with what they sent."""
    assert isinstance(event.exception, AppError)
    await _tell(event, event.exception.message)


async def unexpected_error(event: ErrorEvent, telegram_redelivers: bool = False) -> None:
    """Logs the failure; if the database is unreachable, lets Telegram deliver it again."""
    exception = event.exception
    if isinstance(exception, UpdateStillHandling):
        raise exception
    if is_outage(exception):
        logger.warning(
            "update %s not handled, storage unavailable: %s",
            event.update.update_id,
            type(exception).__name__,
        )
        if telegram_redelivers:
            raise exception
        # A polled update is not delivered again: ask for it instead.
        await _tell(event, STORAGE_DOWN)
        return
    logger.error(
        "update %s (%s) failed",
        event.update.update_id,
        event.update.event_type,
        exc_info=(type(exception), exception, exception.__traceback__),
    )
    await _tell(event, SORRY)


def create_router() -> Router:
    """A fresh router with this module's handlers."""
    router = Router(name=__name__)
    router.errors.register(app_error, ExceptionTypeFilter(AppError))
    router.errors.register(unexpected_error)
    return router
