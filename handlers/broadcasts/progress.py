"""The coordinator's live progress message for an alert, edited until every copy is settled."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.broadcasts.followups import top_up_follow_ups
from core.broadcasts.progress import (
    AlertProgress,
    progress_of,
    remember_message,
    render,
    started_without_progress,
    watched,
)
from core.clock import Clock
from core.enums import AlertMessageType
from handlers.broadcasts.callbacks import FailedAction, FailedCallback, FollowUp, FollowUpCallback

logger = logging.getLogger(__name__)

# Telegram's answer when an edit would not change the message (another process got there first).
NOT_MODIFIED = "message is not modified"
EDIT_EVERY_SECONDS = 3.0
# A message that finished this recently still gets its final summary.
FINISHED_WINDOW = timedelta(minutes=10)
# A scheduled alert that started this recently, with no progress message, gets one.
STARTED_WINDOW = timedelta(hours=1)


def create_router() -> Router:
    """A fresh router with this module's handlers."""
    # Cancel and Recall live in their own module, which uses this one's progress message.
    from handlers.broadcasts import followups

    router = Router(name=__name__)
    router.include_router(followups.create_router())
    return router


def progress_keyboard(progress: AlertProgress) -> InlineKeyboardMarkup | None:
    """The buttons under a progress message: what can still usefully be done."""
    builder = InlineKeyboardBuilder()
    alert_id = progress.alert_id
    is_all_clear = progress.message_type == AlertMessageType.CANCEL
    if not progress.cancelled and not is_all_clear:
        builder.button(
            text="Send an update",
            callback_data=FollowUpCallback(alert_id=alert_id, action=FollowUp.UPDATE),
        )
    if progress.may_cancel:
        builder.button(
            text="Cancel alert",
            callback_data=FollowUpCallback(alert_id=alert_id, action=FollowUp.CANCEL),
        )
    if progress.may_recall or (progress.recall is None and progress.counts.remaining > 0):
        builder.button(
            text="Recall",
            callback_data=FollowUpCallback(alert_id=alert_id, action=FollowUp.RECALL),
        )
    if progress.counts.remaining == 0 and progress.counts.failed:
        builder.button(
            text="Show failed",
            callback_data=FailedCallback(alert_id=alert_id, action=FailedAction.SHOW),
        )
    if not builder.buttons:
        return None
    builder.adjust(1)
    return builder.as_markup()


async def start_progress(
    bot: Bot,
    session: AsyncSession,
    alert_id: int,
    chat_id: int,
    *,
    clock: Clock | None = None,
) -> None:
    """Sends the coordinator the live progress message for this alert (edited until done)."""
    now = clock.now() if clock is not None else None
    progress = await progress_of(session, alert_id, now=now)
    text = render(progress, now)
    message = await bot.send_message(chat_id, text, reply_markup=progress_keyboard(progress))
    await remember_message(session, alert_id, chat_id=chat_id, message_id=message.message_id)
    editor.remember(alert_id, text)


async def show_progress(bot: Bot, progress: AlertProgress, now: datetime | None) -> bool:
    """Brings one progress message up to date; False if Telegram would not take the edit."""
    if progress.progress_chat_id is None or progress.progress_message_id is None:
        return True
    text = render(progress, now)
    try:
        await bot.edit_message_text(
            text=text,
            chat_id=progress.progress_chat_id,
            message_id=progress.progress_message_id,
            reply_markup=progress_keyboard(progress),
        )
    except TelegramBadRequest as error:
        if NOT_MODIFIED not in error.message.lower():
            logger.warning("could not edit progress of alert %s: %s", progress.alert_id, error)
            return False
    except TelegramAPIError as error:
        logger.warning("could not edit progress of alert %s: %s", progress.alert_id, error)
        return False
    editor.remember(progress.alert_id, text)
    return True


@dataclass
class _Shown:
    text: str
    at: float


class ProgressEditor:
    """What this process last showed in each progress message, and when."""

    def __init__(self) -> None:
        self._shown: dict[int, _Shown] = {}

    def remember(self, alert_id: int, text: str) -> None:
        """Notes an edit (or the first message) just made."""
        self._shown[alert_id] = _Shown(text, time.monotonic())

    def wants_edit(self, alert_id: int, text: str) -> bool:
        """The text changed and the last edit was long enough ago."""
        shown = self._shown.get(alert_id)
        if shown is None:
            return True
        if shown.text == text:
            return False
        return time.monotonic() - shown.at >= EDIT_EVERY_SECONDS - 0.1

    def forget_except(self, alert_ids: set[int]) -> None:
        """Drops what is known about messages no longer watched."""
        for alert_id in [known for known in self._shown if known not in alert_ids]:
            del self._shown[alert_id]


# One per process: the scheduler's job and the press handlers share what was last shown.
editor = ProgressEditor()


class ProgressKeeper:
    """The 3-second job: edits progress messages and starts those of scheduled alerts."""

    def __init__(
        self,
        bot: Bot,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        claim: Callable[[], Awaitable[bool]],
    ) -> None:
        self.bot = bot
        self.sessions = sessions
        self.clock = clock
        self.claim = claim
        self._running = asyncio.Lock()
        self._unreachable: set[int] = set()

    async def run(self) -> None:
        """One round, unless another process (or this one) is already doing it."""
        if self._running.locked():
            return
        async with self._running:
            if not await self.claim():
                return
            await self._start_scheduled()
            await self._top_up()
            await self._refresh()

    async def _top_up(self) -> None:
        async with self.sessions() as session:
            added = await top_up_follow_ups(session, now=self.clock.now())
        if added:
            logger.info("added %s late recipients to updates and all clears", added)

    async def _start_scheduled(self) -> None:
        now = self.clock.now()
        async with self.sessions() as session:
            started = await started_without_progress(session, since=now - STARTED_WINDOW)
            for alert in started:
                if alert.alert_id in self._unreachable:
                    continue
                try:
                    await start_progress(
                        self.bot, session, alert.alert_id, alert.telegram_user_id, clock=self.clock
                    )
                except TelegramAPIError as error:
                    logger.warning("cannot show progress of alert %s: %s", alert.alert_id, error)
                    self._unreachable.add(alert.alert_id)

    async def _refresh(self) -> None:
        now = self.clock.now()
        async with self.sessions() as session:
            alerts = await watched(session, now=now, finished_since=now - FINISHED_WINDOW)
        editor.forget_except({progress.alert_id for progress in alerts})
        for progress in alerts:
            if editor.wants_edit(progress.alert_id, render(progress, now)):
                await show_progress(self.bot, progress, now)
