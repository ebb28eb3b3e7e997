"""Coordinators' tools on /gallery: export, message time, links, exclusions, deletion."""

from __future__ import annotations

from datetime import date

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from core.clock import Clock
from core.gallery import texts
from core.gallery.entries import delete_entry, entry_to_manage, link_incident
from core.gallery.exclusions import add_exclusion, check_start, end_exclusion, parse_day
from core.gallery.export import export_gallery
from core.gallery.settings import CHOICES, message_time, parse_hours, set_message_time
from core.people import PersonContext
from handlers.gallery.callbacks import GalleryAction, GalleryCallback, MessageTimeCallback
from handlers.gallery.common import (
    chat_of,
    forget_if_refused,
    local_today,
    stop_typing_keyboard,
)
from handlers.gallery.outbox import protected
from handlers.gallery.states import GalleryTyping, is_busy_elsewhere

TYPING_WANTS = {
    GalleryTyping.search.state: "Please type what to search for, or press Cancel.",
    GalleryTyping.reference.state: "Please type the incident reference, or press Cancel.",
    GalleryTyping.exclusion_starts.state: "Please type the start date as dd/mm/yyyy.",
    GalleryTyping.exclusion_ends.state: "Please type the end date as dd/mm/yyyy.",
    GalleryTyping.hours.state: "Please pick one of the buttons or type a number of hours.",
}


async def _await_typing(
    query: CallbackQuery, state: FSMContext, step: State, question: str, **data: int | str
) -> None:
    """Waits for a typed answer, unless the person is in the middle of something else."""
    if is_busy_elsewhere(await state.get_state()):
        await query.answer(texts.BUSY, show_alert=True)
        return
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(question, reply_markup=stop_typing_keyboard())
    # Set after asking, so a crash in between asks again rather than waiting silently.
    await state.set_state(step)
    await state.set_data(dict(data))


def _hours_keyboard(scheme_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for hours in CHOICES:
        builder.button(
            text=f"{hours} h", callback_data=MessageTimeCallback(scheme=scheme_id, hours=hours)
        )
    builder.button(text="Cancel", callback_data=GalleryCallback(action=GalleryAction.STOP_TYPING))
    builder.adjust(len(CHOICES), 1)
    return builder.as_markup()


async def ask_message_time(
    query: CallbackQuery,
    callback_data: GalleryCallback,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
) -> None:
    """Shows how long gallery messages stay and offers to change it."""
    current = await message_time(session, person.id, callback_data.scheme)
    if is_busy_elsewhere(await state.get_state()):
        await query.answer(texts.BUSY, show_alert=True)
        return
    await state.set_state(GalleryTyping.hours)
    await state.set_data({"scheme_id": current.scheme_id})
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(
            f"{current.scheme_name}: gallery messages are deleted {current.hours} hours after "
            f"they are sent.\n\n{texts.ASK_HOURS}",
            reply_markup=_hours_keyboard(current.scheme_id),
        )


async def _set_hours(
    message: Message,
    session: AsyncSession,
    person: PersonContext,
    clock: Clock,
    scheme_id: int,
    hours: int,
) -> None:
    changed = await set_message_time(session, person.id, scheme_id, hours, clock.now())
    unit = "hour" if changed.hours == 1 else "hours"
    await message.answer(
        f"Done: {changed.scheme_name} gallery messages will now be deleted {changed.hours} "
        f"{unit} after they are sent. Messages already sent keep their time."
    )


async def message_time_chosen(
    query: CallbackQuery,
    callback_data: MessageTimeCallback,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    clock: Clock,
) -> None:
    """Sets the time from a button."""
    if isinstance(query.message, Message):
        await _set_hours(
            query.message, session, person, clock, callback_data.scheme, callback_data.hours
        )
    if await state.get_state() == GalleryTyping.hours.state:
        await state.clear()
    await query.answer()


async def hours_typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    clock: Clock,
) -> None:
    """Sets the time from a typed number of hours (1 to 47)."""
    hours = parse_hours(message.text or "")
    scheme_id = int((await state.get_data())["scheme_id"])
    async with forget_if_refused(state):
        await _set_hours(message, session, person, clock, scheme_id, hours)
    await state.clear()


async def export(
    query: CallbackQuery,
    callback_data: GalleryCallback,
    session: AsyncSession,
    person: PersonContext,
    clock: Clock,
    settings: Settings,
) -> None:
    """Sends the coordinator the gallery as a CSV file (no photos)."""
    made = await export_gallery(
        session,
        person.id,
        callback_data.scheme,
        today=local_today(clock, settings),
        now=clock.now(),
    )
    await query.answer("Exporting")
    async with protected(
        query.bot, chat_of(query), scheme_id=made.scheme_id, session=session, clock=clock
    ) as out:
        await out.document(
            made.file_name,
            made.content,
            f"{made.scheme_name} gallery: {made.entries} entries, without photos.\n"
            + texts.deletion_note(made.keep_hours),
        )


async def ask_reference(
    query: CallbackQuery,
    callback_data: GalleryCallback,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
) -> None:
    """Asks which incident to link to the entry."""
    entry = await entry_to_manage(session, person.id, callback_data.entry)
    await _await_typing(
        query, state, GalleryTyping.reference, texts.ASK_REFERENCE, entry_id=entry.subject_id
    )


async def reference_typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    clock: Clock,
) -> None:
    """Links the typed incident to the entry."""
    entry_id = int((await state.get_data())["entry_id"])
    async with forget_if_refused(state):
        reference = await link_incident(
            session, person.id, entry_id, message.text or "", clock.now()
        )
    await state.clear()
    await message.answer(f"Linked {reference} to gallery entry #{entry_id}.")


async def ask_exclusion_start(
    query: CallbackQuery,
    callback_data: GalleryCallback,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
) -> None:
    """Asks when the new exclusion starts."""
    entry = await entry_to_manage(session, person.id, callback_data.entry)
    await _await_typing(
        query,
        state,
        GalleryTyping.exclusion_starts,
        texts.ASK_START,
        entry_id=entry.subject_id,
    )


async def exclusion_start_typed(
    message: Message, state: FSMContext, clock: Clock, settings: Settings
) -> None:
    """Takes the start date and asks for the end."""
    starts_on = check_start(parse_day(message.text or ""), local_today(clock, settings))
    await state.update_data(starts_on=starts_on.isoformat())
    await state.set_state(GalleryTyping.exclusion_ends)
    await message.answer(texts.ASK_END, reply_markup=stop_typing_keyboard())


async def exclusion_end_typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    clock: Clock,
    settings: Settings,
) -> None:
    """Records the exclusion."""
    data = await state.get_data()
    entry_id = int(data["entry_id"])
    starts_on = date.fromisoformat(str(data["starts_on"]))
    ends_on = parse_day(message.text or "")
    async with forget_if_refused(state):
        await add_exclusion(
            session,
            person.id,
            entry_id,
            starts_on=starts_on,
            ends_on=ends_on,
            today=local_today(clock, settings),
            now=clock.now(),
        )
    await state.clear()
    await message.answer(
        f"Exclusion recorded on gallery entry #{entry_id}: {texts.day(starts_on)} to "
        f"{texts.day(ends_on)}. Coordinators will be reminded 14 days before it ends."
    )


async def end_exclusion_pressed(
    query: CallbackQuery,
    callback_data: GalleryCallback,
    session: AsyncSession,
    person: PersonContext,
    clock: Clock,
    settings: Settings,
) -> None:
    """Ends the entry's exclusion now."""
    await end_exclusion(
        session,
        person.id,
        callback_data.entry,
        today=local_today(clock, settings),
        now=clock.now(),
    )
    await query.answer("Exclusion ended")
    if isinstance(query.message, Message):
        await query.message.answer(f"The exclusion on gallery entry #{callback_data.entry} ended.")


async def ask_delete(
    query: CallbackQuery,
    callback_data: GalleryCallback,
    session: AsyncSession,
    person: PersonContext,
) -> None:
    """Asks the coordinator to confirm deleting the entry."""
    entry = await entry_to_manage(session, person.id, callback_data.entry)
    builder = InlineKeyboardBuilder()
    builder.button(
        text="Yes, delete it",
        callback_data=GalleryCallback(action=GalleryAction.CONFIRM_DELETE, entry=entry.subject_id),
    )
    builder.button(
        text="No, keep it",
        callback_data=GalleryCallback(action=GalleryAction.KEEP, entry=entry.subject_id),
    )
    builder.adjust(2)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(
            f"Delete gallery entry #{entry.subject_id} for good? Its photos, exclusions and "
            "incident links are deleted with it; this can't be undone.",
            reply_markup=builder.as_markup(),
        )


async def delete_confirmed(
    query: CallbackQuery,
    callback_data: GalleryCallback,
    session: AsyncSession,
    person: PersonContext,
    clock: Clock,
) -> None:
    """Deletes the entry for real."""
    await delete_entry(session, person.id, callback_data.entry, clock.now())
    await query.answer("Deleted")
    if isinstance(query.message, Message):
        await query.message.answer(
            f"Gallery entry #{callback_data.entry} is deleted, with its photos and exclusions."
        )


async def delete_declined(query: CallbackQuery) -> None:
    """Leaves the entry as it is."""
    await query.answer("Nothing was deleted")


async def typing_expected(message: Message, state: FSMContext) -> None:
    """Asks again for the typed answer the gallery is waiting for."""
    await message.answer(
        TYPING_WANTS.get(await state.get_state() or "", "Please type your answer."),
        reply_markup=stop_typing_keyboard(),
    )


def create_router() -> Router:
    """A fresh router with this module's handlers."""
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    actions = (
        (GalleryAction.SETTINGS, ask_message_time),
        (GalleryAction.EXPORT, export),
        (GalleryAction.LINK, ask_reference),
        (GalleryAction.EXCLUDE, ask_exclusion_start),
        (GalleryAction.END_EXCLUSION, end_exclusion_pressed),
        (GalleryAction.DELETE, ask_delete),
        (GalleryAction.CONFIRM_DELETE, delete_confirmed),
        (GalleryAction.KEEP, delete_declined),
    )
    for action, handler in actions:
        router.callback_query.register(handler, GalleryCallback.filter(F.action == action))
    router.callback_query.register(message_time_chosen, MessageTimeCallback.filter())
    typed = (F.text, ~F.text.startswith("/"))
    router.message.register(hours_typed, GalleryTyping.hours, *typed)
    router.message.register(reference_typed, GalleryTyping.reference, *typed)
    router.message.register(exclusion_start_typed, GalleryTyping.exclusion_starts, *typed)
    router.message.register(exclusion_end_typed, GalleryTyping.exclusion_ends, *typed)
    for step in GalleryTyping.__states__:
        router.message.register(typing_expected, step, ~F.text.startswith("/"))
    return router
