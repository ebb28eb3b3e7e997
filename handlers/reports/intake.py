"""/report: the guided conversation that files a resident's report (diagram in flow.md)."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from aiogram import BaseMiddleware, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message, TelegramObject
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from core.clock import Clock
from core.errors import InvalidInput
from core.menu import Action
from core.people import PersonContext
from core.reports import texts
from core.reports.categories import category_info, subtype_at
from core.reports.draft import MAX_PHOTOS, Contact, Draft
from core.reports.filing import already_filed
from core.reports.parsing import (
    check_coordinates,
    check_description,
    mentions_danger,
    parse_place,
    parse_when,
    quick_when,
)
from handlers.callbacks import MenuCallback
from handlers.reports.callbacks import NewReportCallback, ReportStepCallback, Step
from handlers.reports.prompts import (
    BACK,
    CANCEL,
    acknowledge,
    ask,
    draft_of,
    photos_keyboard,
    save,
)
from handlers.reports.states import STEP_ORDER, ReportFlow
from handlers.reports.submit import submission_key, submit

EDIT_TARGETS: dict[str, State] = {
    "category": ReportFlow.category,
    "location": ReportFlow.location,
    "when": ReportFlow.when,
    "description": ReportFlow.description,
    "photos": ReportFlow.photos,
    "contact": ReportFlow.contact,
}

NOT_A_BUTTON = "Please use the buttons on my last message to answer."
WANTS = {
    ReportFlow.location.state: "Please share a location pin or type where it happened.",
    ReportFlow.when.state: "Please pick one of the buttons, or type a date and time.",
    ReportFlow.description.state: "Please type what happened as a text message.",
    ReportFlow.photos.state: "Please send photos (not files), or press Skip or Done.",
}


def _step_named(name: str | None) -> State | None:
    return next((step for step in STEP_ORDER if step.state == name), None)


def _editing(data: dict[str, Any]) -> bool:
    return bool(data.get("editing"))


def next_step(current: State, draft: Draft, editing: bool) -> State:
    """The step after `current`: straight back to the summary when editing one answer."""
    if current == ReportFlow.category and draft.category:
        if category_info(draft.category).subtypes:
            return ReportFlow.subtype
        return ReportFlow.review if editing else ReportFlow.location
    if editing:
        return ReportFlow.review
    return STEP_ORDER[STEP_ORDER.index(current) + 1]


def previous_step(current: str | None, draft: Draft, editing: bool) -> State | None:
    """Where Back leads from `current`; None at the first question."""
    if editing and current != ReportFlow.subtype.state:
        return ReportFlow.review
    has_subtypes = bool(draft.category and category_info(draft.category).subtypes)
    back: dict[str | None, State | None] = {
        ReportFlow.category.state: None,
        ReportFlow.subtype.state: ReportFlow.category,
        ReportFlow.location.state: ReportFlow.subtype if has_subtypes else ReportFlow.category,
        ReportFlow.when.state: ReportFlow.location,
        ReportFlow.description.state: ReportFlow.when,
        ReportFlow.photos.state: ReportFlow.description,
        ReportFlow.contact.state: ReportFlow.photos,
        ReportFlow.review.state: ReportFlow.contact,
    }
    return back.get(current)


async def _advance(
    message: Message,
    state: FSMContext,
    current: State,
    draft: Draft,
    settings: Settings,
    clock: Clock,
) -> None:
    data = await state.get_data()
    editing = _editing(data)
    step = next_step(current, draft, editing)
    await save(state, draft, clock.now(), editing=editing and step != ReportFlow.review)
    await ask(step, message, state, tz=settings.tz)


async def _cancel(message: Message, state: FSMContext) -> None:
    """Discards the draft and says nothing was filed."""
    await state.clear()
    await acknowledge(message, texts.CANCELLED)


async def _go_back(
    message: Message, state: FSMContext, current: str | None, settings: Settings, clock: Clock
) -> bool:
    """Asks the question before `current` (the summary when editing); False at the first."""
    data = await state.get_data()
    draft = Draft.from_data(data.get("draft"))
    editing = _editing(data)
    target = previous_step(current, draft, editing)
    if target is None:
        return False
    await save(state, draft, clock.now(), editing=editing and target != ReportFlow.review)
    await ask(target, message, state, tz=settings.tz)
    return True


async def _warn_if_danger(message: Message, text: str) -> None:
    if mentions_danger(text):
        await message.answer(texts.DANGER_NOW)


async def start_report(
    message: Message, state: FSMContext, settings: Settings, clock: Clock
) -> None:
    """Begins a report, or picks up the one already in progress."""
    current = await state.get_state()
    if current is not None and current.startswith("ReportFlow:"):
        await message.answer(
            "You have a report in progress: here is where you were. Send /cancel to discard it."
        )
        step = _step_named(current)
        assert step is not None
        await ask(step, message, state, tz=settings.tz)
        return
    await state.clear()
    await save(state, Draft(), clock.now(), flow=secrets.token_hex(4), editing=False)
    await ask(ReportFlow.category, message, state, tz=settings.tz)


async def start_from_button(
    query: CallbackQuery, state: FSMContext, settings: Settings, clock: Clock
) -> None:
    """Begins a report from the menu or the "Report another" button."""
    await query.answer()
    if isinstance(query.message, Message):
        await start_report(query.message, state, settings, clock)


async def on_step(
    query: CallbackQuery,
    callback_data: ReportStepCallback,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    settings: Settings,
    clock: Clock,
) -> None:
    """Handles every button of the flow, refusing buttons from older messages."""
    message = query.message
    if not isinstance(message, Message):
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    data = await state.get_data()
    current = await state.get_state()
    in_this_flow = data.get("flow") == callback_data.flow and current is not None
    if callback_data.step == Step.SUBMIT and not (
        in_this_flow and current == ReportFlow.review.state
    ):
        key = submission_key(person, callback_data.flow)
        reference = await already_filed(session, person.id, key)
        if reference is not None:
            await query.answer()
            await message.answer(f"Already submitted: your report is {reference}.")
            return
    if not in_this_flow:
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        if current is None:
            await message.answer(texts.NO_REPORT_IN_PROGRESS)
        return
    assert current is not None
    if callback_data.step == Step.SUBMIT:
        if callback_data.value != str(data.get("review_revision")):
            await query.answer(texts.OLD_SUMMARY, show_alert=True)
            await ask(ReportFlow.review, message, state, tz=settings.tz)
            return
        await query.answer()
        await submit(message, state, session, person, settings, clock, callback_data.flow)
        return
    draft = Draft.from_data(data.get("draft"))
    step = callback_data.step
    if step == Step.CANCEL:
        await query.answer()
        await _cancel(message, state)
        return
    if step == Step.BACK:
        if callback_data.value != current.split(":")[-1]:
            await query.answer(texts.STALE_BUTTON, show_alert=True)
            return
        await query.answer()
        if not await _go_back(message, state, current, settings, clock):
            await message.answer("This is the first question. Press Cancel to stop.")
        return
    handled = await _apply_button(
        query, message, state, current, draft, step, callback_data.value, settings, clock
    )
    if not handled:
        await query.answer(texts.STALE_BUTTON, show_alert=True)


async def _apply_button(
    query: CallbackQuery,
    message: Message,
    state: FSMContext,
    current: str,
    draft: Draft,
    step: Step,
    value: str,
    settings: Settings,
    clock: Clock,
) -> bool:
    """Applies a button that belongs to the current step; False if it does not."""
    if step == Step.CATEGORY and current == ReportFlow.category.state:
        info = category_info(value)
        draft.category, draft.subtype = info.category.value, None
        await query.answer(info.label)
        await _advance(message, state, ReportFlow.category, draft, settings, clock)
    elif step in (Step.SUBTYPE, Step.SKIP) and current == ReportFlow.subtype.state:
        info = category_info(draft.category or "")
        draft.subtype = subtype_at(info, _index(value)) if step == Step.SUBTYPE else None
        await query.answer()
        await _advance(message, state, ReportFlow.subtype, draft, settings, clock)
    elif step == Step.WHEN and current == ReportFlow.when.state:
        when = quick_when(value, clock.now(), settings.tz)
        draft.occurred_at, draft.occurred_label = when.occurred_at.isoformat(), when.label
        await query.answer(when.label)
        await _advance(message, state, ReportFlow.when, draft, settings, clock)
    elif step in (Step.DONE, Step.SKIP) and current == ReportFlow.photos.state:
        if step == Step.SKIP:
            draft.photos = []
        draft.photos_answered = True
        await query.answer()
        await _advance(message, state, ReportFlow.photos, draft, settings, clock)
    elif step == Step.CLEAR_PHOTOS and current == ReportFlow.photos.state:
        draft.photos = []
        await save(state, draft, clock.now(), photo_ack=None, photo_group=None)
        await query.answer("Photos removed")
        await ask(ReportFlow.photos, message, state, tz=settings.tz)
    elif step == Step.CONTACT and current == ReportFlow.contact.state:
        if value not in Contact._value2member_map_:
            raise InvalidInput("That isn't one of the choices. Please pick one of the buttons.")
        draft.contact = value
        await query.answer()
        await _advance(message, state, ReportFlow.contact, draft, settings, clock)
    elif step == Step.EDIT and current == ReportFlow.review.state and value in EDIT_TARGETS:
        await save(state, draft, clock.now(), editing=True)
        await query.answer()
        await ask(EDIT_TARGETS[value], message, state, tz=settings.tz)
    else:
        return False
    return True


def _index(value: str) -> int:
    if not value.isdecimal():
        raise InvalidInput("That isn't one of the options. Please pick one of the buttons.")
    return int(value)


async def location_given(
    message: Message, state: FSMContext, settings: Settings, clock: Clock
) -> None:
    """Takes a location pin as the answer to "where"."""
    assert message.location is not None
    latitude, longitude = check_coordinates(message.location.latitude, message.location.longitude)
    draft = await draft_of(state)
    draft.latitude, draft.longitude, draft.place, draft.postcode = latitude, longitude, None, None
    await acknowledge(message, f"Got it: pin at {latitude:.5f}, {longitude:.5f}.")
    await _advance(message, state, ReportFlow.location, draft, settings, clock)


async def place_typed(
    message: Message, state: FSMContext, settings: Settings, clock: Clock
) -> None:
    """Takes a typed place or postcode as the answer to "where"; Back and Cancel too."""
    text = message.text or ""
    if text in (BACK, CANCEL):
        await _typed_navigation(message, state, settings, clock, text)
        return
    await _warn_if_danger(message, text)
    place = parse_place(text)
    draft = await draft_of(state)
    draft.place, draft.postcode = place.text, place.postcode
    draft.latitude = draft.longitude = None
    shown = ", ".join(part for part in (place.text, place.postcode) if part)
    await acknowledge(message, f"Got it: {shown}.")
    await _advance(message, state, ReportFlow.location, draft, settings, clock)


async def _typed_navigation(
    message: Message, state: FSMContext, settings: Settings, clock: Clock, text: str
) -> None:
    if text == CANCEL:
        await _cancel(message, state)
        return
    await acknowledge(message, "Going back.")
    moved = await _go_back(message, state, ReportFlow.location.state, settings, clock)
    assert moved, "location always has an earlier question"


async def when_typed(message: Message, state: FSMContext, settings: Settings, clock: Clock) -> None:
    """Reads a typed date and time in the scheme's time zone."""
    text = message.text or ""
    await _warn_if_danger(message, text)
    when = parse_when(text, clock.now(), settings.tz)
    draft = await draft_of(state)
    draft.occurred_at, draft.occurred_label = when.occurred_at.isoformat(), None
    await message.answer(f"Got it: {when.label}.")
    await _advance(message, state, ReportFlow.when, draft, settings, clock)


async def description_typed(
    message: Message, state: FSMContext, settings: Settings, clock: Clock
) -> None:
    """Takes the resident's account of what happened."""
    text = message.text or ""
    await _warn_if_danger(message, text)
    draft = await draft_of(state)
    draft.description = check_description(text)
    await _advance(message, state, ReportFlow.description, draft, settings, clock)


async def photo_sent(message: Message, state: FSMContext, settings: Settings, clock: Clock) -> None:
    """Collects photos; the parts of an album update one acknowledgement instead of many."""
    assert message.photo
    if message.caption:
        await _warn_if_danger(message, message.caption)
        if not (await state.get_data()).get("caption_told"):
            await state.update_data(caption_told=True)
            await message.answer(
                "Photo captions are not kept with the report: please put those details in "
                '"what happened" (you can change it from the summary).'
            )
    data = await state.get_data()
    draft = Draft.from_data(data.get("draft"))
    largest = message.photo[-1]
    kept = draft.add_photo(largest.file_id, largest.file_unique_id)
    flow = str(data["flow"])
    text = f"{len(draft.photos)} of up to {MAX_PHOTOS} photos added. Send more, or press Done."
    if not kept and len(draft.photos) >= MAX_PHOTOS:
        text = f"I can keep up to {MAX_PHOTOS} photos; the extra ones were not added. Press Done."
    group = message.media_group_id
    ack_id = data.get("photo_ack")
    if group is not None and group == data.get("photo_group") and ack_id:
        if message.bot is not None:
            await message.bot.edit_message_text(
                text,
                chat_id=message.chat.id,
                message_id=int(ack_id),
                reply_markup=photos_keyboard(flow, len(draft.photos)),
            )
        await save(state, draft, clock.now())
        return
    ack = await message.answer(text, reply_markup=photos_keyboard(flow, len(draft.photos)))
    await save(state, draft, clock.now(), photo_ack=ack.message_id, photo_group=group)


async def file_sent(message: Message) -> None:
    """Refuses photos sent as files: their location data would travel with them."""
    await message.answer(
        "Please send pictures as photos, not as files (in Telegram choose Photo, or untick "
        '"send as file"), so that hidden location data is not passed on.'
    )


async def unexpected(message: Message, state: FSMContext, settings: Settings) -> None:
    """Answers anything a step did not ask for, then asks the question again."""
    group = message.media_group_id
    if group is not None:
        if (await state.get_data()).get("unexpected_group") == group:
            return  # one answer per album, not one per photo in it
        await state.update_data(unexpected_group=group)
    current = await state.get_state()
    await message.answer(WANTS.get(current or "", NOT_A_BUTTON))
    step = _step_named(current)
    if step is not None and current not in WANTS:
        await ask(step, message, state, tz=settings.tz)


Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


def _starts_a_report(event: TelegramObject) -> bool:
    if isinstance(event, Message):
        return (event.text or "").startswith("/report")
    if isinstance(event, CallbackQuery):
        data = event.data or ""
        return (
            data == NewReportCallback().pack() or data == MenuCallback(action=Action.REPORT).pack()
        )
    return False


class IdleExpiry(BaseMiddleware):
    """Discards a report left untouched for longer than REPORT_IDLE_HOURS, and says so."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        state: FSMContext | None = data.get("state")
        raw = data.get("raw_state")
        if state is None or not (isinstance(raw, str) and raw.startswith("ReportFlow:")):
            return await handler(event, data)
        settings: Settings = data["settings"]
        clock: Clock = data["clock"]
        touched = (await state.get_data()).get("touched")
        idle = timedelta(hours=settings.report_idle_hours)
        if touched and clock.now() - datetime.fromisoformat(touched) > idle:
            await state.clear()
            data["raw_state"] = None
            target = event.message if isinstance(event, CallbackQuery) else event
            if isinstance(event, CallbackQuery):
                await event.answer()
            if isinstance(target, Message):
                await target.answer(texts.EXPIRED)
            if not _starts_a_report(event):
                return None
        return await handler(event, data)


def create_router() -> Router:
    """A fresh router with this module's handlers."""
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    expiry = IdleExpiry()
    router.message.outer_middleware(expiry)
    router.callback_query.outer_middleware(expiry)

    not_command = ~F.text.startswith("/")
    router.message.register(start_report, Command("report"))
    router.callback_query.register(
        start_from_button, MenuCallback.filter(F.action == Action.REPORT)
    )
    router.callback_query.register(start_from_button, NewReportCallback.filter())
    router.callback_query.register(on_step, ReportStepCallback.filter())
    router.message.register(location_given, ReportFlow.location, F.location)
    router.message.register(place_typed, ReportFlow.location, F.text, not_command)
    router.message.register(when_typed, ReportFlow.when, F.text, not_command)
    router.message.register(description_typed, ReportFlow.description, F.text, not_command)
    router.message.register(photo_sent, ReportFlow.photos, F.photo)
    router.message.register(file_sent, ReportFlow.photos, F.document)
    for step in ReportFlow.__states__:
        router.message.register(unexpected, step, ~(F.text.startswith("/")))
    return router
