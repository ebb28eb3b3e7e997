"""/myreports: a resident's reports, their status and history."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from core.menu import Action
from core.people import PersonContext
from core.reports.views import for_reporter, my_reports
from handlers.callbacks import MenuCallback
from handlers.reports.callbacks import MyReportCallback


async def list_mine(message: Message, session: AsyncSession, person: PersonContext) -> None:
    """Lists the resident's latest reports as buttons."""
    lines = await my_reports(session, person)
    if not lines:
        await message.answer("You have not filed any reports yet. Send /report to file one.")
        return
    builder = InlineKeyboardBuilder()
    for line in lines:
        builder.button(text=line.summary, callback_data=MyReportCallback(report_id=line.report_id))
    builder.adjust(1)
    await message.answer("Your reports (newest first):", reply_markup=builder.as_markup())


async def list_from_menu(
    query: CallbackQuery, session: AsyncSession, person: PersonContext
) -> None:
    """Lists the resident's reports from the main menu."""
    await query.answer()
    if isinstance(query.message, Message):
        await list_mine(query.message, session, person)


async def open_mine(
    query: CallbackQuery,
    callback_data: MyReportCallback,
    session: AsyncSession,
    person: PersonContext,
    settings: Settings,
) -> None:
    """Shows one of the resident's reports with its history."""
    text = await for_reporter(session, person, callback_data.report_id, settings.tz)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(text)


def create_router() -> Router:
    """A fresh router with this module's handlers."""
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    router.message.register(list_mine, Command("myreports"))
    router.callback_query.register(
        list_from_menu, MenuCallback.filter(F.action == Action.MY_REPORTS)
    )
    router.callback_query.register(open_mine, MyReportCallback.filter())
    return router
