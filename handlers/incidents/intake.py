"""/incident: the guided conversation in which a trader posts an incident (see intake_flow.md)."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from aiogram import BaseMiddleware, F, Router
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message, TelegramObject
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from core.clock import Clock
from core.errors import InvalidInput, NotAllowed
from core.incidents import texts
from core.incidents.choices import (
    SchemeSetup,
    gallery_choice,
    gallery_choices,
    posting_memberships,
    scheme_setup,
)
from core.incidents.draft import MAX_PEOPLE, MAX_PHOTOS, IncidentDraft
from core.incidents.filing import already_filed
from core.incidents.parsing import (
    check_clothing,
    check_features,
    check_height,
    check_place,
    check_police_reference,
    check_what_happened,
    parse_money,
    quick_incident_when,
)
from core.incidents.types import incident_type_from, type_label
from core.menu import Action
from core.people import PersonContext
from core.reports.parsing import mentions_danger, parse_when
from handlers.callbacks import MenuCallback
from handlers.incidents.callbacks import IncidentStepCallback, Step
from handlers.incidents.prompts import BUILDS, HEIGHTS, NOT_SURE, ask, draft_of, save
from handlers.incidents.prompts import photos_keyboard as photos_buttons
from handlers.incidents.states import PERSON_STEPS, IncidentFlow, short_name, step_named
from handlers.incidents.submit import submission_key, submit

FLOW_PREFIX = "IncidentFlow:"
START_PAYLOAD = "incident"

CHANGE_TARGETS: dict[str, State] = {
    "kind": IncidentFlow.kind,
    "when": IncidentFlow.when,
    "where": IncidentFlow.where,
    "what": IncidentFlow.what,
    "people": IncidentFlow.people,
    "photos": IncidentFlow.photos,
    "value": IncidentFlow.value,
    "police": IncidentFlow.police,
    "gallery": IncidentFlow.gallery,
    "business": IncidentFlow.business,
}
OPTIONAL_TAIL = (
    IncidentFlow.photos,
    IncidentFlow.value,
    IncidentFlow.police,
    IncidentFlow.gallery,
    IncidentFlow.business,
)
FORWARD: dict[State, State] = {
    IncidentFlow.scheme: IncidentFlow.kind,
    IncidentFlow.kind: IncidentFlow.when,
    IncidentFlow.when: IncidentFlow.where,
    IncidentFlow.where: IncidentFlow.what,
    IncidentFlow.what: IncidentFlow.people,
    IncidentFlow.height: IncidentFlow.build,
    IncidentFlow.build: IncidentFlow.clothing,
    IncidentFlow.clothing: IncidentFlow.features,
    IncidentFlow.features: IncidentFlow.more_people,
}
BACKWARD: dict[State, State] = {
    IncidentFlow.when: IncidentFlow.kind,
    IncidentFlow.where: IncidentFlow.when,
    IncidentFlow.what: IncidentFlow.where,
    IncidentFlow.people: IncidentFlow.what,
    IncidentFlow.build: IncidentFlow.height,
    IncidentFlow.clothing: IncidentFlow.build,
    IncidentFlow.features: IncidentFlow.clothing,
    IncidentFlow.more_people: IncidentFlow.features,
}

NOT_A_BUTTON = "Please use the buttons on my last message to answer."
WANTS = {
    IncidentFlow.when.state: "Please pick one of the buttons, or type a date and time.",
    IncidentFlow.where.state: "Please type where it happened as a text message.",
    IncidentFlow.what.state: "Please type what happened as a text message.",
    IncidentFlow.height.state: "Please pick one of the buttons, or type their height.",
    IncidentFlow.clothing.state: "Please type what they were wearing as a text message.",
    IncidentFlow.features.state: "Please type their distinguishing features, or press Skip.",
    IncidentFlow.photos.state: "Please send photos (not files), or press Skip or Done.",
    IncidentFlow.value.state: "Please type the amount, e.g. £45.50, or press Skip.",
    IncidentFlow.police.state: "Please type the police reference as text, or press Skip.",
}


# ------------------------------------------------------------------------- navigation


def _applies(step: State, draft: IncidentDraft) -> bool:
    """Whether an optional question is asked for this scheme and kind of incident."""
    if step == IncidentFlow.photos:
        return draft.photos_allowed
    if step == IncidentFlow.value:
        return draft.asks_value
    if step == IncidentFlow.gallery:
        return draft.gallery_offered
    if step == IncidentFlow.business:
        return draft.asks_business_name
    return True


def _after_people(draft: IncidentDraft) -> State:
    return next((step for step in OPTIONAL_TAIL if _applies(step, draft)), IncidentFlow.review)


def _end_of_people(draft: IncidentDraft) -> State:
    return IncidentFlow.more_people if draft.people else IncidentFlow.people


def next_step(current: State, draft: IncidentDraft, editing: bool) -> State:
    """The step after `current`: back to the summary when editing one answer."""
    if current in PERSON_STEPS:
        return FORWARD[current]
    if current in (IncidentFlow.people, IncidentFlow.more_people):
        return IncidentFlow.review if editing else _after_people(draft)
    if editing:
        if current == IncidentFlow.kind and draft.asks_value and not draft.value_answered:
            return IncidentFlow.value
        return IncidentFlow.review
    if current in FORWARD:
        return FORWARD[current]
    later = OPTIONAL_TAIL[OPTIONAL_TAIL.index(current) + 1 :]
    return next((step for step in later if _applies(step, draft)), IncidentFlow.review)


def previous_step(
    current: State, draft: IncidentDraft, editing: bool, scheme_asked: bool
) -> State | None:
    """Where Back leads from `current`; None at the first question."""
    if current == IncidentFlow.height:
        return _end_of_people(draft)
    if current in PERSON_STEPS or current == IncidentFlow.more_people:
        return BACKWARD[current]
    if editing:
        return IncidentFlow.review
    if current == IncidentFlow.kind:
        return IncidentFlow.scheme if scheme_asked else None
    if current in BACKWARD:
        return BACKWARD[current]
    if current == IncidentFlow.scheme:
        return None
    earlier = (
        OPTIONAL_TAIL
        if current == IncidentFlow.review
        else OPTIONAL_TAIL[: OPTIONAL_TAIL.index(current)]
    )
    return next(
        (step for step in reversed(earlier) if _applies(step, draft)), _end_of_people(draft)
    )


class Turn:
    """One update's view of the conversation: where it is and what has been answered."""

    def __init__(
        self,
        message: Message,
        state: FSMContext,
        session: AsyncSession,
        person: PersonContext,
        settings: Settings,
        clock: Clock,
    ) -> None:
        self.message = message
        self.state = state
        self.session = session
        self.person = person
        self.settings = settings
        self.clock = clock

    async def go_to(self, step: State, draft: IncidentDraft, **extra: Any) -> None:
        """Saves the draft and asks `step`, loading the gallery entries it lists."""
        if step == IncidentFlow.gallery:
            assert draft.scheme_id is not None
            choices = await gallery_choices(
                self.session, self.person.id, draft.scheme_id, self.clock.now()
            )
            if not choices:
                draft.gallery_offered, draft.gallery_answered = False, True
                draft.subject_id = draft.subject_label = None
                editing = extra.get("editing", (await self.state.get_data()).get("editing"))
                step = next_step(IncidentFlow.gallery, draft, bool(editing))
            extra["gallery"] = [[choice.subject_id, choice.label] for choice in choices]
        if step == IncidentFlow.review:
            extra["editing"] = False
            if draft.people_before is not None:
                draft.people_before = None
        await save(self.state, draft, self.clock.now(), **extra)
        await ask(step, self.message, self.state, tz=self.settings.tz)

    async def advance(self, current: State, draft: IncidentDraft) -> None:
        """Asks the question after `current`."""
        editing = bool((await self.state.get_data()).get("editing"))
        await self.go_to(next_step(current, draft, editing), draft)

    async def go_back(self, current: State) -> bool:
        """Asks the question before `current` (the summary when editing); False at the first."""
        data = await self.state.get_data()
        draft = IncidentDraft.from_data(data.get("draft"))
        editing = bool(data.get("editing"))
        target = previous_step(current, draft, editing, bool(data.get("schemes")))
        if target is None:
            return False
        if current == IncidentFlow.more_people and draft.people:
            draft.person = draft.people.pop()
        if current == IncidentFlow.people and editing and draft.people_before is not None:
            draft.people, draft.people_answered = draft.people_before, True
        await self.go_to(target, draft)
        return True

    async def cancel(self) -> None:
        """Discards the draft and says nothing was posted."""
        await self.state.clear()
        await self.message.answer(texts.CANCELLED)


# ------------------------------------------------------------------------------ start


def _draft_for(setup: SchemeSetup) -> IncidentDraft:
    return IncidentDraft(
        scheme_id=setup.scheme_id,
        scheme_name=setup.scheme_name,
        membership_id=setup.membership_id,
        business_name=setup.business_name,
        photos_allowed=setup.photos_allowed,
        gallery_offered=setup.gallery_offered,
    )


async def start_incident(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    settings: Settings,
    clock: Clock,
) -> None:
    """Begins an incident for a member allowed to post one, or picks up the one in progress."""
    current = await state.get_state()
    in_flow = current is not None and current.startswith(FLOW_PREFIX)
    try:
        memberships = await posting_memberships(session, person.id)
    except NotAllowed:
        if in_flow:
            await state.clear()
        raise
    turn = Turn(message, state, session, person, settings, clock)
    step = step_named(current)
    if in_flow and step is not None:
        await message.answer(texts.IN_PROGRESS)
        await ask(step, message, state, tz=settings.tz)
        return
    await state.clear()
    flow = secrets.token_hex(4)
    if len(memberships) == 1:
        setup = await scheme_setup(session, person.id, memberships[0].scheme_id)
        await turn.go_to(IncidentFlow.kind, _draft_for(setup), flow=flow, editing=False)
        return
    schemes = [[member.scheme_id, member.scheme_name] for member in memberships]
    await turn.go_to(IncidentFlow.scheme, IncidentDraft(), flow=flow, schemes=schemes)


async def start_from_button(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    settings: Settings,
    clock: Clock,
) -> None:
    """Begins an incident from the main menu."""
    await query.answer()
    if isinstance(query.message, Message):
        await start_incident(query.message, state, session, person, settings, clock)


# ---------------------------------------------------------------------------- buttons


async def on_step(
    query: CallbackQuery,
    callback_data: IncidentStepCallback,
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
    current = step_named(await state.get_state())
    in_this_flow = data.get("flow") == callback_data.flow and current is not None
    if callback_data.step == Step.SUBMIT and not (in_this_flow and current == IncidentFlow.review):
        key = submission_key(person, callback_data.flow)
        reference = await already_filed(session, person.id, key)
        if reference is not None:
            await query.answer()
            await message.answer(f"Already submitted: your incident is {reference}.")
            return
    if not in_this_flow:
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        if current is None:
            await message.answer(texts.NO_INCIDENT_IN_PROGRESS)
        return
    assert current is not None
    turn = Turn(message, state, session, person, settings, clock)
    step, value = callback_data.step, callback_data.value
    if step == Step.CANCEL:
        await query.answer()
        await turn.cancel()
        return
    if step == Step.BACK:
        if value != short_name(current):
            await query.answer(texts.STALE_BUTTON, show_alert=True)
            return
        await query.answer()
        if not await turn.go_back(current):
            await message.answer("This is the first question. Press Cancel to stop.")
        return
    if step == Step.SUBMIT:
        if value != str(data.get("review_revision")):
            await query.answer(texts.OLD_SUMMARY, show_alert=True)
            await ask(IncidentFlow.review, message, state, tz=settings.tz)
            return
        await query.answer()
        await submit(message, state, session, person, settings, clock, callback_data.flow)
        return
    draft = IncidentDraft.from_data(data.get("draft"))
    handler = BUTTONS.get((current, step))
    if handler is None:
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    toast = await handler(turn, draft, value)
    await query.answer(toast)


ButtonHandler = Callable[[Turn, IncidentDraft, str], Awaitable[str | None]]


def _choice(value: str, options: tuple[str, ...]) -> str:
    if value not in options:
        raise InvalidInput("That isn't one of the choices. Please pick one of the buttons.")
    return value


def _number(value: str) -> int:
    if not value.isdecimal() or len(value) > 18:
        raise InvalidInput("That isn't one of the choices. Please pick one of the buttons.")
    return int(value)


async def _scheme_chosen(turn: Turn, draft: IncidentDraft, value: str) -> str | None:
    setup = await scheme_setup(turn.session, turn.person.id, _number(value))
    await turn.go_to(IncidentFlow.kind, _draft_for(setup))
    return setup.scheme_name


async def _kind_chosen(turn: Turn, draft: IncidentDraft, value: str) -> str | None:
    draft.set_type(incident_type_from(value))
    await turn.advance(IncidentFlow.kind, draft)
    return type_label(value)


async def _when_chosen(turn: Turn, draft: IncidentDraft, value: str) -> str | None:
    when = quick_incident_when(value, turn.clock.now(), turn.settings.tz)
    draft.occurred_at, draft.occurred_label = when.occurred_at.isoformat(), when.label
    await turn.advance(IncidentFlow.when, draft)
    return when.label


async def _at_business(turn: Turn, draft: IncidentDraft, value: str) -> str | None:
    if not draft.business_name:
        raise InvalidInput("Please type where it happened.")
    draft.location_text, draft.at_business = draft.business_name, True
    await turn.advance(IncidentFlow.where, draft)
    return None


async def _describe(turn: Turn, draft: IncidentDraft, value: str) -> str | None:
    draft.people, draft.person = [], {}
    await turn.go_to(IncidentFlow.height, draft)
    return None


async def _no_people(turn: Turn, draft: IncidentDraft, value: str) -> str | None:
    draft.people, draft.person, draft.people_answered = [], {}, True
    await turn.advance(IncidentFlow.people, draft)
    return None


async def _height_chosen(turn: Turn, draft: IncidentDraft, value: str) -> str | None:
    height = _choice(value, HEIGHTS)
    _set_person_field(draft, "height", None if height == NOT_SURE else height)
    await turn.advance(IncidentFlow.height, draft)
    return None


async def _build_chosen(turn: Turn, draft: IncidentDraft, value: str) -> str | None:
    build = _choice(value, BUILDS)
    _set_person_field(draft, "build", None if build == NOT_SURE else build)
    await turn.advance(IncidentFlow.build, draft)
    return None


async def _features_skipped(turn: Turn, draft: IncidentDraft, value: str) -> str | None:
    _set_person_field(draft, "features", None)
    draft.finish_person()
    await turn.advance(IncidentFlow.features, draft)
    return None


async def _another_person(turn: Turn, draft: IncidentDraft, value: str) -> str | None:
    if len(draft.people) >= MAX_PEOPLE:
        raise InvalidInput(texts.MAX_PEOPLE_REACHED)
    draft.person = {}
    await turn.go_to(IncidentFlow.height, draft)
    return None


async def _people_done(turn: Turn, draft: IncidentDraft, value: str) -> str | None:
    draft.people_answered = True
    await turn.advance(IncidentFlow.more_people, draft)
    return None


async def _photos_done(turn: Turn, draft: IncidentDraft, value: str) -> str | None:
    draft.photos_answered = True
    await turn.advance(IncidentFlow.photos, draft)
    return None


async def _photos_skipped(turn: Turn, draft: IncidentDraft, value: str) -> str | None:
    draft.photos, draft.photos_answered = [], True
    await turn.advance(IncidentFlow.photos, draft)
    return None


async def _photos_cleared(turn: Turn, draft: IncidentDraft, value: str) -> str | None:
    draft.photos = []
    await turn.go_to(IncidentFlow.photos, draft, photo_ack=None, photo_group=None)
    return "Photos removed"


async def _value_skipped(turn: Turn, draft: IncidentDraft, value: str) -> str | None:
    draft.value_pence, draft.value_answered = None, True
    await turn.advance(IncidentFlow.value, draft)
    return None


async def _police_skipped(turn: Turn, draft: IncidentDraft, value: str) -> str | None:
    draft.police_reference, draft.police_answered = None, True
    await turn.advance(IncidentFlow.police, draft)
    return None


async def _subject_chosen(turn: Turn, draft: IncidentDraft, value: str) -> str | None:
    assert draft.scheme_id is not None
    choice = await gallery_choice(turn.session, turn.person.id, draft.scheme_id, _number(value))
    draft.subject_id, draft.subject_label, draft.gallery_answered = (
        choice.subject_id,
        choice.label,
        True,
    )
    await turn.advance(IncidentFlow.gallery, draft)
    return None


async def _no_subject(turn: Turn, draft: IncidentDraft, value: str) -> str | None:
    draft.subject_id, draft.subject_label, draft.gallery_answered = None, None, True
    await turn.advance(IncidentFlow.gallery, draft)
    return None


async def _business_chosen(turn: Turn, draft: IncidentDraft, value: str) -> str | None:
    draft.show_business_name = _choice(value, ("yes", "no")) == "yes"
    await turn.advance(IncidentFlow.business, draft)
    return None


async def _change(turn: Turn, draft: IncidentDraft, value: str) -> str | None:
    target = CHANGE_TARGETS.get(value)
    if target is None or not _applies(target, draft):
        raise InvalidInput("That isn't one of the choices. Please pick one of the buttons.")
    if target == IncidentFlow.people:
        draft.people_before, draft.people, draft.person = draft.people, [], {}
    await turn.go_to(target, draft, editing=True)
    return None


BUTTONS: dict[tuple[State, Step], ButtonHandler] = {
    (IncidentFlow.scheme, Step.SCHEME): _scheme_chosen,
    (IncidentFlow.kind, Step.KIND): _kind_chosen,
    (IncidentFlow.when, Step.WHEN): _when_chosen,
    (IncidentFlow.where, Step.AT_BUSINESS): _at_business,
    (IncidentFlow.people, Step.DESCRIBE): _describe,
    (IncidentFlow.people, Step.NO_PEOPLE): _no_people,
    (IncidentFlow.height, Step.HEIGHT): _height_chosen,
    (IncidentFlow.build, Step.BUILD): _build_chosen,
    (IncidentFlow.features, Step.SKIP): _features_skipped,
    (IncidentFlow.more_people, Step.ANOTHER): _another_person,
    (IncidentFlow.more_people, Step.DONE): _people_done,
    (IncidentFlow.photos, Step.DONE): _photos_done,
    (IncidentFlow.photos, Step.SKIP): _photos_skipped,
    (IncidentFlow.photos, Step.CLEAR_PHOTOS): _photos_cleared,
    (IncidentFlow.value, Step.SKIP): _value_skipped,
    (IncidentFlow.police, Step.SKIP): _police_skipped,
    (IncidentFlow.gallery, Step.SUBJECT): _subject_chosen,
    (IncidentFlow.gallery, Step.NO_SUBJECT): _no_subject,
    (IncidentFlow.business, Step.SHOW_BUSINESS): _business_chosen,
    (IncidentFlow.review, Step.CHANGE): _change,
}


def _set_person_field(draft: IncidentDraft, name: str, value: str | None) -> None:
    if value is None:
        draft.person.pop(name, None)
    else:
        draft.person[name] = value


# ------------------------------------------------------------------------ typed answers


async def _typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    settings: Settings,
    clock: Clock,
) -> tuple[Turn, IncidentDraft, str]:
    return (
        Turn(message, state, session, person, settings, clock),
        await draft_of(state),
        message.text or "",
    )


async def when_typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    settings: Settings,
    clock: Clock,
) -> None:
    """Reads a typed date and time in the scheme's time zone."""
    turn, draft, text = await _typed(message, state, session, person, settings, clock)
    when = parse_when(text, clock.now(), settings.tz)
    draft.occurred_at, draft.occurred_label = when.occurred_at.isoformat(), None
    await message.answer(f"Got it: {when.label}.")
    await turn.advance(IncidentFlow.when, draft)


async def where_typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    settings: Settings,
    clock: Clock,
) -> None:
    """Takes a typed place as the answer to "where"."""
    turn, draft, text = await _typed(message, state, session, person, settings, clock)
    draft.location_text, draft.at_business = check_place(text), False
    await turn.advance(IncidentFlow.where, draft)


async def what_typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    settings: Settings,
    clock: Clock,
) -> None:
    """Takes the trader's account of what happened."""
    turn, draft, text = await _typed(message, state, session, person, settings, clock)
    if mentions_danger(text):
        await message.answer(texts.DANGER_NOW)
    draft.description = check_what_happened(text)
    await turn.advance(IncidentFlow.what, draft)


async def height_typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    settings: Settings,
    clock: Clock,
) -> None:
    """Takes a typed height for the person being described."""
    turn, draft, text = await _typed(message, state, session, person, settings, clock)
    _set_person_field(draft, "height", check_height(text))
    await turn.advance(IncidentFlow.height, draft)


async def clothing_typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    settings: Settings,
    clock: Clock,
) -> None:
    """Takes what the person being described was wearing."""
    turn, draft, text = await _typed(message, state, session, person, settings, clock)
    _set_person_field(draft, "clothing", check_clothing(text))
    await turn.advance(IncidentFlow.clothing, draft)


async def features_typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    settings: Settings,
    clock: Clock,
) -> None:
    """Takes the distinguishing features of the person being described."""
    turn, draft, text = await _typed(message, state, session, person, settings, clock)
    _set_person_field(draft, "features", check_features(text))
    draft.finish_person()
    await turn.advance(IncidentFlow.features, draft)


async def value_typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    settings: Settings,
    clock: Clock,
) -> None:
    """Takes the value stolen, in pounds."""
    turn, draft, text = await _typed(message, state, session, person, settings, clock)
    draft.value_pence, draft.value_answered = parse_money(text), True
    await turn.advance(IncidentFlow.value, draft)


async def police_typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    settings: Settings,
    clock: Clock,
) -> None:
    """Takes the police crime or incident number."""
    turn, draft, text = await _typed(message, state, session, person, settings, clock)
    draft.police_reference, draft.police_answered = check_police_reference(text), True
    await turn.advance(IncidentFlow.police, draft)


async def photo_sent(message: Message, state: FSMContext, clock: Clock) -> None:
    """Collects photos; the parts of an album update one acknowledgement instead of many."""
    assert message.photo
    if message.caption:
        if mentions_danger(message.caption):
            await message.answer(texts.DANGER_NOW)
        if not (await state.get_data()).get("caption_told"):
            await state.update_data(caption_told=True)
            await message.answer(texts.CAPTIONS_NOT_KEPT)
    data = await state.get_data()
    draft = IncidentDraft.from_data(data.get("draft"))
    largest = message.photo[-1]
    kept = draft.add_photo(largest.file_id, largest.file_unique_id)
    flow = str(data["flow"])
    text = texts.photos_added(len(draft.photos))
    if not kept and len(draft.photos) >= MAX_PHOTOS:
        text = texts.too_many_photos()
    group = message.media_group_id
    ack_id = data.get("photo_ack")
    keyboard = photos_buttons(flow, len(draft.photos))
    if group is not None and group == data.get("photo_group") and ack_id:
        if message.bot is not None:
            await message.bot.edit_message_text(
                text, chat_id=message.chat.id, message_id=int(ack_id), reply_markup=keyboard
            )
        await save(state, draft, clock.now())
        return
    ack = await message.answer(text, reply_markup=keyboard)
    await save(state, draft, clock.now(), photo_ack=ack.message_id, photo_group=group)


async def file_sent(message: Message) -> None:
    """Refuses photos sent as files: their location data would travel with them."""
    await message.answer(texts.PHOTOS_AS_FILES)


async def unexpected(message: Message, state: FSMContext, settings: Settings) -> None:
    """Answers anything a step did not ask for, then asks the question again if it has buttons."""
    group = message.media_group_id
    if group is not None:
        if (await state.get_data()).get("unexpected_group") == group:
            return  # one answer per album, not one per photo in it
        await state.update_data(unexpected_group=group)
    current = await state.get_state()
    await message.answer(WANTS.get(current or "", NOT_A_BUTTON))
    step = step_named(current)
    if step is not None and current not in WANTS:
        await ask(step, message, state, tz=settings.tz)


# ------------------------------------------------------------------------ idle expiry

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


def _part_of_the_flow(event: TelegramObject) -> bool:
    """An answer or a press meant for the incident flow (rather than another command)."""
    if isinstance(event, CallbackQuery):
        return (event.data or "").startswith(IncidentStepCallback.__prefix__ + ":")
    if isinstance(event, Message):
        return not (event.text or "").startswith("/")
    return False


def _starts_an_incident(event: TelegramObject) -> bool:
    if isinstance(event, Message):
        command = (event.text or "").split(" ")[0]
        return command == "/incident" or event.text == f"/start {START_PAYLOAD}"
    if isinstance(event, CallbackQuery):
        return event.data == MenuCallback(action=Action.INCIDENT).pack()
    return False


class IdleExpiry(BaseMiddleware):
    """Discards an incident left untouched for longer than REPORT_IDLE_HOURS, and says so."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        state: FSMContext | None = data.get("state")
        raw = data.get("raw_state")
        if state is None or not (isinstance(raw, str) and raw.startswith(FLOW_PREFIX)):
            return await handler(event, data)
        settings: Settings = data["settings"]
        clock: Clock = data["clock"]
        touched = (await state.get_data()).get("touched")
        idle = timedelta(hours=settings.report_idle_hours)
        if touched and clock.now() - datetime.fromisoformat(touched) > idle:
            await state.clear()
            data["raw_state"] = None
            target = event.message if isinstance(event, CallbackQuery) else event
            if isinstance(event, CallbackQuery) and _part_of_the_flow(event):
                await event.answer()
            if isinstance(target, Message):
                await target.answer(texts.EXPIRED)
            if _part_of_the_flow(event) and not _starts_an_incident(event):
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
    router.message.register(
        start_incident, CommandStart(deep_link=True, magic=F.args == START_PAYLOAD)
    )
    router.message.register(start_incident, Command("incident"))
    router.callback_query.register(
        start_from_button, MenuCallback.filter(F.action == Action.INCIDENT)
    )
    router.callback_query.register(on_step, IncidentStepCallback.filter())
    for step, handler in (
        (IncidentFlow.when, when_typed),
        (IncidentFlow.where, where_typed),
        (IncidentFlow.what, what_typed),
        (IncidentFlow.height, height_typed),
        (IncidentFlow.clothing, clothing_typed),
        (IncidentFlow.features, features_typed),
        (IncidentFlow.value, value_typed),
        (IncidentFlow.police, police_typed),
    ):
        router.message.register(handler, step, F.text, not_command)
    router.message.register(photo_sent, IncidentFlow.photos, F.photo)
    router.message.register(file_sent, IncidentFlow.photos, F.document)
    for state in IncidentFlow.__states__:
        router.message.register(unexpected, state, not_command)
    return router
