"""/subscribe: shows a person's choices and redraws the screen after every press."""

from __future__ import annotations

import secrets
from dataclasses import replace

from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import StorageKey
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import Severity
from core.errors import InvalidInput
from core.people import PersonContext
from core.subscriptions import choices as subscriptions
from core.subscriptions import texts
from core.subscriptions.choices import Choices
from core.subscriptions.quiet import describe, parse_quiet_hours, preset
from handlers.subscriptions import keyboards
from handlers.subscriptions.callbacks import EVERYWHERE, Do, Screen, SubscriptionCallback
from handlers.subscriptions.states import SubscriptionFlow

# Undo data lives beside the conversation state, so /cancel or another flow keeps it.
UNDO_DESTINY = "subscriptions_undo"


async def _area_names(session: AsyncSession) -> dict[int, str]:
    return {option.area_id: option.label for option in await subscriptions.area_options(session)}


async def _screen(
    session: AsyncSession, person: PersonContext, screen: Screen, page: int = 0
) -> tuple[str, InlineKeyboardMarkup]:
    choices = await subscriptions.current(session, person.id)
    return await _draw(session, choices, screen, page)


async def _draw(
    session: AsyncSession, choices: Choices, screen: Screen, page: int = 0
) -> tuple[str, InlineKeyboardMarkup]:
    if screen == Screen.AREAS:
        options = await subscriptions.area_options(session)
        return texts.AREAS_PROMPT, keyboards.areas(choices, options, page)
    if screen == Screen.TOPICS:
        return texts.TOPICS_PROMPT, keyboards.topics(choices)
    if screen == Screen.QUIET:
        now = f"Quiet hours: {describe(choices.quiet_start, choices.quiet_end)}"
        text = f"{now}\n\n{texts.QUIET_EXPLAINED}\n\n{texts.QUIET_PROMPT}"
        return text, keyboards.quiet(choices)
    return texts.overview(choices, await _area_names(session)), keyboards.home(choices)


async def _redraw(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None) -> None:
    message = query.message
    if not isinstance(message, Message):
        await query.answer(texts.STALE, show_alert=True)
        return
    try:
        await message.edit_text(text, reply_markup=markup)
    except TelegramBadRequest as error:
        # Telegram refuses an edit that changes nothing; the screen is already right.
        if "message is not modified" not in error.message:
            raise
    await query.answer()


async def _leave_typing(state: FSMContext) -> None:
    if await state.get_state() == SubscriptionFlow.quiet_hours.state:
        await state.clear()


def _undo_context(state: FSMContext) -> FSMContext:
    key: StorageKey = replace(state.key, destiny=UNDO_DESTINY)
    return FSMContext(storage=state.storage, key=key)


async def show_subscriptions(
    message: Message, session: AsyncSession, person: PersonContext, state: FSMContext
) -> None:
    """Shows what the person hears about, with buttons to change it."""
    await _leave_typing(state)
    text, markup = await _screen(session, person, Screen.HOME)
    await message.answer(text, reply_markup=markup)


async def show_from_menu(
    query: CallbackQuery, session: AsyncSession, person: PersonContext, state: FSMContext
) -> None:
    """Shows the person's subscriptions from the main menu."""
    await query.answer()
    if isinstance(query.message, Message):
        await show_subscriptions(query.message, session, person, state)


def _area_value(value: str) -> int | None:
    if value == EVERYWHERE:
        return None
    if not value.isdecimal():
        raise InvalidInput("That area is not one you can choose, so nothing changed.")
    return int(value)


def _screen_value(value: str) -> Screen:
    try:
        return Screen(value)
    except ValueError:
        raise InvalidInput(texts.STALE) from None


async def on_press(
    query: CallbackQuery,
    callback_data: SubscriptionCallback,
    session: AsyncSession,
    person: PersonContext,
    state: FSMContext,
) -> None:
    """Handles every /subscribe button against the choices as they are now."""
    do, value, page = callback_data.do, callback_data.value, callback_data.page
    if do == Do.SHOW:
        screen = _screen_value(value)
        if screen == Screen.QUIET:
            await state.set_state(SubscriptionFlow.quiet_hours)
        else:
            await _leave_typing(state)
        await _redraw(query, *await _screen(session, person, screen, page))
        return
    if do == Do.AREA:
        choices = await subscriptions.toggle_area(session, person.id, _area_value(value))
        await _redraw(query, *await _draw(session, choices, Screen.AREAS, page))
        return
    if do == Do.TOPIC:
        choices = await subscriptions.toggle_topic(session, person.id, value)
        await _redraw(query, *await _draw(session, choices, Screen.TOPICS))
        return
    if do == Do.SEVERITY:
        choices = await subscriptions.set_severity(session, person.id, _severity(value))
        await _redraw(query, *await _draw(session, choices, Screen.HOME))
        return
    if do == Do.QUIET:
        choices = await subscriptions.set_quiet_hours(session, person.id, preset(value))
        await _leave_typing(state)
        await _redraw(query, *await _draw(session, choices, Screen.HOME))
        return
    if do == Do.STOP_ALL:
        await _unsubscribe_all(query, session, person, state)
        return
    if do == Do.UNDO:
        await _undo(query, value, session, person, state)
        return
    await _leave_typing(state)
    choices = await subscriptions.current(session, person.id)
    summary = texts.overview(choices, await _area_names(session))
    await _redraw(query, f"{texts.DONE} {summary}", None)


def _severity(value: str) -> Severity:
    try:
        return Severity(value)
    except ValueError:
        raise InvalidInput("That is not one of the choices, so nothing changed.") from None


async def _unsubscribe_all(
    query: CallbackQuery, session: AsyncSession, person: PersonContext, state: FSMContext
) -> None:
    were_on = await subscriptions.unsubscribe_all(session, person.id)
    token = secrets.token_hex(4)
    await _undo_context(state).set_data({"token": token, "ids": list(were_on)})
    await _leave_typing(state)
    await _redraw(query, texts.unsubscribed(len(were_on)), keyboards.undo(token))


async def _undo(
    query: CallbackQuery,
    token: str,
    session: AsyncSession,
    person: PersonContext,
    state: FSMContext,
) -> None:
    undo = _undo_context(state)
    data = await undo.get_data()
    if not token or data.get("token") != token:
        raise InvalidInput("That can no longer be undone. Send /subscribe to choose again.")
    ids = [int(item) for item in data.get("ids", [])]
    choices = await subscriptions.restore(session, person.id, ids)
    await undo.set_data({})
    text, markup = await _draw(session, choices, Screen.HOME)
    await _redraw(query, f"Your subscriptions are back.\n\n{text}", markup)


async def quiet_hours_typed(
    message: Message, session: AsyncSession, person: PersonContext, state: FSMContext
) -> None:
    """Stores quiet hours typed as "21:30-06:45" and shows the choices again."""
    hours = parse_quiet_hours(message.text or "")
    choices = await subscriptions.set_quiet_hours(session, person.id, hours)
    await state.clear()
    text, markup = await _draw(session, choices, Screen.HOME)
    await message.answer(f"Quiet hours set.\n\n{text}", reply_markup=markup)
