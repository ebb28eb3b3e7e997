"""Submitting a report: filed once however often Submit is pressed, then everyone is told."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.context import FSMContext
from aiogram.types import InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from core.clock import Clock
from core.people import PersonContext
from core.reports import texts
from core.reports.draft import Draft
from core.reports.filing import Filed, file_report
from core.reports.views import load_report
from handlers.reports.callbacks import (
    CaseReviewRequestCallback,
    NewReportCallback,
    ReviewAction,
    ReviewCallback,
)

logger = logging.getLogger(__name__)


def _after_filing(filed: Filed) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text="Report another problem", callback_data=NewReportCallback())
    return builder.as_markup()


def _open_button(report_id: int, reference: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=f"Open {reference}",
        callback_data=ReviewCallback(action=ReviewAction.OPEN, report_id=report_id),
    )
    return builder.as_markup()


def submission_key(person: PersonContext, flow: str) -> str:
    """One key per person and conversation, so Submit files a report at most once."""
    return f"{person.telegram_user_id}:{flow}"


async def submit(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    settings: Settings,
    clock: Clock,
    flow: str,
) -> None:
    """Files the report under this conversation's key; a repeat press gets the same reference."""
    draft = Draft.from_data((await state.get_data()).get("draft"))
    filed = await file_report(
        session,
        reporter_id=person.id,
        draft=draft,
        submission_key=submission_key(person, flow),
        now=clock.now(),
    )
    await state.clear()
    if filed.duplicate:
        await message.answer(f"Already submitted: your report is {filed.reference}.")
        return
    await message.answer(texts.submitted(filed), reply_markup=_after_filing(filed))
    if filed.case_review is not None:
        markup = None
        if filed.case_review.qualifies and filed.flagged is not None:
            builder = InlineKeyboardBuilder()
            builder.button(
                text="Ask for a case review",
                callback_data=CaseReviewRequestCallback(review_id=filed.flagged.review_id),
            )
            markup = builder.as_markup()
        await message.answer(
            texts.case_review_notice(filed.case_review, filed.rules), reply_markup=markup
        )
    if message.bot is not None:
        await notify_coordinators(message.bot, session, filed, settings, clock)


async def notify_coordinators(
    bot: Bot, session: AsyncSession, filed: Filed, settings: Settings, clock: Clock
) -> None:
    """Tells the scheme's coordinators (or the admins, if there are none) about a new report."""
    report = await load_report(session, filed.report_id)
    recipients = filed.coordinator_chat_ids or list(settings.admin_user_ids)
    text = texts.new_report_for_coordinator(report, filed, settings.tz)
    flag = (
        texts.case_review_flag(filed.flagged, settings.tz, clock.now())
        if filed.flagged is not None and filed.flagged.new
        else None
    )
    for chat_id in recipients:
        try:
            await bot.send_message(
                chat_id, text, reply_markup=_open_button(report.id, report.reference)
            )
            if flag is not None:
                await bot.send_message(chat_id, flag)
        except TelegramAPIError as error:
            # The report is safely filed; a coordinator who blocked the bot just misses this.
            logger.warning("could not notify coordinator %s: %s", chat_id, error.message)
