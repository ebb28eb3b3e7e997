"""/mydata and /deleteme: a copy of what is held about the person, and its erasure."""

from __future__ import annotations

import logging
from datetime import timedelta
from enum import StrEnum

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from core.clock import Clock
from core.datarights import texts
from core.datarights.erase import erase, outline
from core.datarights.export import subject_access
from core.menu import Action
from core.people import PersonContext
from handlers.callbacks import MenuCallback

logger = logging.getLogger(__name__)

CONFIRM_WITHIN = timedelta(minutes=15)


class ErasureChoice(StrEnum):
    """The two answers to "erase my data?"."""

    ERASE = "erase"
    KEEP = "keep"


class ErasureCallback(CallbackData, prefix="dm1"):
    """A press on the erasure confirmation: whose it was, and when it was asked."""

    choice: ErasureChoice
    person_id: int
    asked_at: int


async def my_data(
    message: Message, session: AsyncSession, person: PersonContext, settings: Settings, clock: Clock
) -> None:
    """Sends the person a file with everything held about them."""
    copy = await subject_access(
        session,
        telegram_user_id=person.telegram_user_id,
        now=clock.now(),
        tz=settings.tz,
        via="telegram",
        only_if_held=True,
    )
    if copy.empty:
        await message.answer(texts.NOTHING_HELD)
        return
    await message.answer_document(
        BufferedInputFile(copy.content, filename=copy.file_name),
        caption=copy.caption,
        protect_content=True,
    )


async def delete_me(
    message: Message, session: AsyncSession, person: PersonContext, clock: Clock
) -> None:
    """Explains what erasure removes and keeps, then asks the person to confirm."""
    found = await outline(session, telegram_user_id=person.telegram_user_id)
    asked_at = int(clock.now().timestamp())
    builder = InlineKeyboardBuilder()
    for label, choice in (
        ("Erase my data", ErasureChoice.ERASE),
        ("Keep my data", ErasureChoice.KEEP),
    ):
        builder.button(
            text=label,
            callback_data=ErasureCallback(choice=choice, person_id=person.id, asked_at=asked_at),
        )
    await message.answer(texts.erasure_outline(found), reply_markup=builder.as_markup())


async def _close(query: CallbackQuery) -> None:
    if isinstance(query.message, Message):
        try:
            await query.message.edit_reply_markup(reply_markup=None)
        except TelegramAPIError as error:
            logger.info("erasure buttons not removed: %s", error)


async def decide(
    query: CallbackQuery,
    callback_data: ErasureCallback,
    session: AsyncSession,
    person: PersonContext,
    state: FSMContext,
    settings: Settings,
    clock: Clock,
    bot: Bot,
) -> None:
    """Erases on a fresh press of the person's own confirmation; anything else changes nothing."""
    now = clock.now()
    if callback_data.choice == ErasureChoice.KEEP:
        await query.answer()
        await _close(query)
        if isinstance(query.message, Message):
            await query.message.answer(texts.KEPT_AS_IS)
        return
    if callback_data.person_id != person.id:
        await query.answer(texts.NOT_YOURS, show_alert=True)
        return
    age = now.timestamp() - callback_data.asked_at
    if not 0 <= age <= CONFIRM_WITHIN.total_seconds():
        await query.answer(texts.EXPIRED, show_alert=True)
        return
    erased = await erase(session, telegram_user_id=person.telegram_user_id, now=now, via="telegram")
    await state.clear()
    await query.answer()
    await _close(query)
    if isinstance(query.message, Message):
        await query.message.answer(texts.ERASED)
    if erased.schemes_without_coordinator:
        await tell_admins(
            bot, settings, texts.no_coordinator_left(erased.schemes_without_coordinator)
        )


async def tell_admins(bot: Bot, settings: Settings, text: str) -> None:
    """Messages each of the deployment's administrators; one unreachable admin stops no one."""
    if not settings.admin_user_ids:
        logger.warning("no ADMIN_USER_IDS to tell: %s", text)
    for admin_id in settings.admin_user_ids:
        try:
            await bot.send_message(admin_id, text)
        except TelegramAPIError as error:
            logger.warning("admin %s not told: %s", admin_id, error)


async def my_data_button(
    query: CallbackQuery,
    session: AsyncSession,
    person: PersonContext,
    settings: Settings,
    clock: Clock,
) -> None:
    """Sends the copy when the My data button is pressed."""
    await query.answer()
    if isinstance(query.message, Message):
        await my_data(query.message, session, person, settings, clock)


async def delete_me_button(
    query: CallbackQuery, session: AsyncSession, person: PersonContext, clock: Clock
) -> None:
    """Explains erasure when the Delete my data button is pressed."""
    await query.answer()
    if isinstance(query.message, Message):
        await delete_me(query.message, session, person, clock)


def create_router() -> Router:
    """A fresh router with this module's handlers."""
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    router.message.register(my_data, Command("mydata"))
    router.message.register(delete_me, Command("deleteme"))
    router.callback_query.register(decide, ErasureCallback.filter())
    router.callback_query.register(my_data_button, MenuCallback.filter(F.action == Action.MY_DATA))
    router.callback_query.register(
        delete_me_button, MenuCallback.filter(F.action == Action.DELETE_ME)
    )
    return router
