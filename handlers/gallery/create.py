"""Adding a person from an incident to the gallery, one answer at a time (see flow.md)."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from core.clock import Clock
from core.enums import SubjectStatus
from core.errors import InvalidInput
from core.gallery import texts
from core.gallery.entries import (
    NewEntry,
    check_description,
    check_label,
    create_entry,
    incident_for_gallery,
)
from core.gallery.exclusions import check_end, check_start, parse_day
from core.people import PersonContext
from handlers.gallery.callbacks import (
    AddToGalleryCallback,
    EntryStep,
    GalleryAction,
    GalleryCallback,
    NewEntryCallback,
)
from handlers.gallery.common import chat_of, forget_if_refused, local_today
from handlers.gallery.outbox import protected
from handlers.gallery.states import NewEntryFlow, is_busy_elsewhere

YES, NO = "yes", "no"
USE_INCIDENT_TEXT = "Use the incident's description"
WANTS = {
    NewEntryFlow.label.state: "Please type the name or label as text.",
    NewEntryFlow.description.state: "Please type the description as text.",
    NewEntryFlow.starts.state: "Please type the start date as dd/mm/yyyy.",
    NewEntryFlow.ends.state: "Please type the end date as dd/mm/yyyy.",
}
BUTTON_STEPS = {
    EntryStep.STATUS: NewEntryFlow.status.state,
    EntryStep.USE_INCIDENT_TEXT: NewEntryFlow.description.state,
    EntryStep.PHOTOS: NewEntryFlow.photos.state,
    EntryStep.EXCLUSION: NewEntryFlow.exclusion.state,
    EntryStep.SAVE: NewEntryFlow.review.state,
}


def _keyboard(flow: str, *buttons: tuple[str, EntryStep, str]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for text, step, value in buttons:
        builder.button(text=text, callback_data=NewEntryCallback(step=step, value=value, flow=flow))
    builder.button(text="Cancel", callback_data=NewEntryCallback(step=EntryStep.CANCEL, flow=flow))
    builder.adjust(1)
    return builder.as_markup()


def _summary(data: dict[str, Any]) -> str:
    status = SubjectStatus(data["status"])
    photos = int(data["photo_count"]) if data.get("use_photos") else 0
    lines = [
        "Please check the new gallery entry:",
        "",
        f"{texts.status_label(status)}: {data['label']}",
        f"Description: {data['description']}",
        f"Photos: {photos} from {data['reference']}" if photos else "Photos: none",
    ]
    if data.get("starts_on") and data.get("ends_on"):
        starts_on = date.fromisoformat(str(data["starts_on"]))
        ends_on = date.fromisoformat(str(data["ends_on"]))
        lines.append(f"Exclusion: {texts.day(starts_on)} to {texts.day(ends_on)}")
    else:
        lines.append("Exclusion: none")
    lines += [
        f"Linked incident: {data['reference']}",
        "",
        f"Save it to the {data['scheme_name']} gallery?",
    ]
    return "\n".join(lines)


async def _ask(
    step: State,
    bot: Bot | None,
    chat_id: int,
    state: FSMContext,
    session: AsyncSession,
    clock: Clock,
) -> None:
    """Moves to `step` and asks its question."""
    assert bot is not None
    await state.set_state(step)
    data = await state.get_data()
    flow = str(data["flow"])
    if step == NewEntryFlow.label:
        known = data.get("status") == SubjectStatus.KNOWN.value
        await bot.send_message(
            chat_id, texts.ASK_NAME if known else texts.ASK_LABEL, reply_markup=_keyboard(flow)
        )
    elif step == NewEntryFlow.description:
        if data.get("people"):
            # The incident's descriptions of people are personal data: protected like the gallery.
            async with protected(
                bot, chat_id, scheme_id=int(data["scheme_id"]), session=session, clock=clock
            ) as out:
                await out.text(
                    texts.ASK_DESCRIPTION_WITH_INCIDENT.format(people=data["people"]),
                    _keyboard(flow, (USE_INCIDENT_TEXT, EntryStep.USE_INCIDENT_TEXT, "")),
                )
        else:
            await bot.send_message(chat_id, texts.ASK_DESCRIPTION, reply_markup=_keyboard(flow))
    elif step == NewEntryFlow.photos:
        await bot.send_message(
            chat_id,
            texts.ASK_PHOTOS.format(reference=data["reference"], count=data["photo_count"]),
            reply_markup=_keyboard(
                flow,
                ("Use the incident's photos", EntryStep.PHOTOS, YES),
                ("No photos", EntryStep.PHOTOS, NO),
            ),
        )
    elif step == NewEntryFlow.exclusion:
        await bot.send_message(
            chat_id,
            texts.ASK_EXCLUSION,
            reply_markup=_keyboard(
                flow, ("No", EntryStep.EXCLUSION, NO), ("Yes", EntryStep.EXCLUSION, YES)
            ),
        )
    elif step == NewEntryFlow.starts:
        await bot.send_message(chat_id, texts.ASK_START, reply_markup=_keyboard(flow))
    elif step == NewEntryFlow.ends:
        await bot.send_message(chat_id, texts.ASK_END, reply_markup=_keyboard(flow))
    elif step == NewEntryFlow.review:
        async with protected(
            bot, chat_id, scheme_id=int(data["scheme_id"]), session=session, clock=clock
        ) as out:
            await out.text(_summary(data), _keyboard(flow, ("Save", EntryStep.SAVE, "")))


async def _after_description(
    bot: Bot | None, chat_id: int, state: FSMContext, session: AsyncSession, clock: Clock
) -> None:
    data = await state.get_data()
    step = NewEntryFlow.photos if int(data["photo_count"]) > 0 else NewEntryFlow.exclusion
    await _ask(step, bot, chat_id, state, session, clock)


async def start(
    query: CallbackQuery,
    callback_data: AddToGalleryCallback,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    clock: Clock,
) -> None:
    """Begins adding someone from the incident, for a coordinator of its scheme."""
    incident = await incident_for_gallery(
        session, person.id, callback_data.incident_id, clock.now()
    )
    current = await state.get_state()
    if is_busy_elsewhere(current):
        adding = current is not None and current.startswith(f"{NewEntryFlow.__name__}:")
        await query.answer(texts.ALREADY_ADDING if adding else texts.BUSY, show_alert=True)
        return
    flow = secrets.token_hex(4)
    await state.set_state(NewEntryFlow.status)
    await state.set_data(
        {
            "flow": flow,
            "incident_id": incident.incident_id,
            "scheme_id": incident.scheme_id,
            "scheme_name": incident.scheme_name,
            "reference": incident.reference,
            "people": incident.people_text,
            "photo_count": incident.photo_count,
        }
    )
    await query.answer()
    assert query.bot is not None
    await query.bot.send_message(
        chat_of(query),
        texts.ASK_STATUS.format(reference=incident.reference, scheme=incident.scheme_name),
        reply_markup=_keyboard(
            flow,
            ("Known: I can name them", EntryStep.STATUS, SubjectStatus.KNOWN.value),
            ("ID sought: identity unknown", EntryStep.STATUS, SubjectStatus.ID_SOUGHT.value),
        ),
    )


async def on_step(
    query: CallbackQuery,
    callback_data: NewEntryCallback,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    clock: Clock,
    settings: Settings,
) -> None:
    """Handles every button of the conversation, refusing buttons from older ones."""
    data = await state.get_data()
    current = await state.get_state()
    step = callback_data.step
    if (
        data.get("flow") != callback_data.flow
        or current is None
        or (step in BUTTON_STEPS and BUTTON_STEPS[step] != current)
    ):
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    chat_id = chat_of(query)
    value = callback_data.value
    if step == EntryStep.CANCEL:
        await state.clear()
        await query.answer("Cancelled")
        await _tell(query, texts.CANCELLED)
        return
    if step == EntryStep.SAVE:
        await _save(query, state, session, person, clock, settings, data)
        return
    if step == EntryStep.STATUS:
        if value not in SubjectStatus._value2member_map_:
            raise InvalidInput("That isn't one of the choices. Please pick one of the buttons.")
        await query.answer()
        await state.update_data(status=value)
        await _ask(NewEntryFlow.label, query.bot, chat_id, state, session, clock)
    elif step == EntryStep.USE_INCIDENT_TEXT:
        people = data.get("people")
        if not people:
            raise InvalidInput("The incident describes nobody. Please type the description.")
        await query.answer()
        await state.update_data(description=str(people)[:1000])
        await _after_description(query.bot, chat_id, state, session, clock)
    elif step == EntryStep.PHOTOS:
        await query.answer()
        await state.update_data(use_photos=value == YES)
        await _ask(NewEntryFlow.exclusion, query.bot, chat_id, state, session, clock)
    elif step == EntryStep.EXCLUSION:
        await query.answer()
        if value == YES:
            await _ask(NewEntryFlow.starts, query.bot, chat_id, state, session, clock)
        else:
            await state.update_data(starts_on=None, ends_on=None)
            await _ask(NewEntryFlow.review, query.bot, chat_id, state, session, clock)


async def _tell(query: CallbackQuery, text: str) -> None:
    if query.bot is not None:
        await query.bot.send_message(chat_of(query), text)


async def _save(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    clock: Clock,
    settings: Settings,
    data: dict[str, Any],
) -> None:
    starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
    entry = NewEntry(
        incident_id=int(data["incident_id"]),
        status=SubjectStatus(data["status"]),
        label=str(data["label"]),
        description=str(data["description"]),
        use_photos=bool(data.get("use_photos")),
        starts_on=date.fromisoformat(str(starts_on)) if starts_on else None,
        ends_on=date.fromisoformat(str(ends_on)) if ends_on else None,
    )
    async with forget_if_refused(state):
        saved = await create_entry(
            session, person.id, entry, today=local_today(clock, settings), now=clock.now()
        )
    await state.clear()
    await query.answer("Saved")
    builder = InlineKeyboardBuilder()
    builder.button(
        text=f"Open entry #{saved.subject_id}",
        callback_data=GalleryCallback(action=GalleryAction.OPEN, entry=saved.subject_id),
    )
    if query.bot is not None:
        await query.bot.send_message(
            chat_of(query),
            f"Saved as gallery entry #{saved.subject_id} in the {data['scheme_name']} gallery. "
            "Members see it with /gallery.",
            reply_markup=builder.as_markup(),
        )


async def label_typed(
    message: Message, state: FSMContext, session: AsyncSession, clock: Clock
) -> None:
    """Takes the name (Known) or the label (ID sought)."""
    data = await state.get_data()
    label = check_label(message.text or "", SubjectStatus(data["status"]))
    await state.update_data(label=label)
    await _ask(NewEntryFlow.description, message.bot, message.chat.id, state, session, clock)


async def description_typed(
    message: Message, state: FSMContext, session: AsyncSession, clock: Clock
) -> None:
    """Takes the typed description."""
    description = check_description(message.text or "")
    await state.update_data(description=description)
    await _after_description(message.bot, message.chat.id, state, session, clock)


async def start_typed(
    message: Message, state: FSMContext, session: AsyncSession, clock: Clock, settings: Settings
) -> None:
    """Takes the exclusion's start date."""
    starts_on = check_start(parse_day(message.text or ""), local_today(clock, settings))
    await state.update_data(starts_on=starts_on.isoformat())
    await _ask(NewEntryFlow.ends, message.bot, message.chat.id, state, session, clock)


async def end_typed(
    message: Message, state: FSMContext, session: AsyncSession, clock: Clock, settings: Settings
) -> None:
    """Takes the exclusion's end date and shows the summary."""
    data = await state.get_data()
    starts_on = date.fromisoformat(str(data["starts_on"]))
    ends_on = check_end(starts_on, parse_day(message.text or ""), local_today(clock, settings))
    await state.update_data(ends_on=ends_on.isoformat())
    await _ask(NewEntryFlow.review, message.bot, message.chat.id, state, session, clock)


async def unexpected(message: Message, state: FSMContext) -> None:
    """Answers anything the step did not ask for."""
    current = await state.get_state() or ""
    flow = str((await state.get_data()).get("flow", ""))
    await message.answer(
        WANTS.get(current, "Please use the buttons on my last message to answer."),
        reply_markup=_keyboard(flow) if flow else None,
    )


def create_router() -> Router:
    """A fresh router with this module's handlers."""
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    router.callback_query.register(start, AddToGalleryCallback.filter())
    router.callback_query.register(on_step, NewEntryCallback.filter())
    typed = (F.text, ~F.text.startswith("/"))
    router.message.register(label_typed, NewEntryFlow.label, *typed)
    router.message.register(description_typed, NewEntryFlow.description, *typed)
    router.message.register(start_typed, NewEntryFlow.starts, *typed)
    router.message.register(end_typed, NewEntryFlow.ends, *typed)
    for step in NewEntryFlow.__states__:
        router.message.register(unexpected, step, ~F.text.startswith("/"))
    return router
