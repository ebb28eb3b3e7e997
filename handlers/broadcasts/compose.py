"""/broadcast: a coordinator composes a warning, previews it, then sends or schedules it.

The steps and their order are drawn in compose_flow.md.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from core.broadcasts import compose
from core.broadcasts.draft import (
    EXPIRY_CHOICES,
    STATUS_WORDS,
    ComposeDraft,
    check_fits,
    check_headline,
    check_instruction,
    check_text,
)
from core.broadcasts.when import parse_future
from core.clock import Clock
from core.enums import AlertStatus, Role, Severity
from core.errors import AppError, InvalidInput
from core.menu import Action
from core.people import PersonContext
from handlers.broadcasts.callbacks import FollowUp, FollowUpCallback
from handlers.broadcasts.compose_callbacks import ComposeCallback, EscalateReportCallback, Step
from handlers.broadcasts.progress import start_progress
from handlers.broadcasts.prompts import (
    CHANGE_TARGETS,
    Turn,
    ask,
    local_time,
    scheme_keyboard,
    toggles_view,
)
from handlers.broadcasts.states import ComposeFlow
from handlers.callbacks import MenuCallback

STALE_BUTTON = "That button is from an older message. Please use the latest one."
CANCELLED = "Cancelled. Nothing was sent and nothing was saved."
ALREADY_SENT = "That warning has already been sent."
NOBODY = (
    "Nobody would receive this yet: choose another part of the audience (or other areas or topics)."
)
WANTS = {
    ComposeFlow.headline.state: "Please type the headline as a text message.",
    ComposeFlow.description.state: "Please type the text of the warning as a text message.",
    ComposeFlow.photo.state: "Please send a photo (not a file), or use the buttons.",
    ComposeFlow.instruction.state: "Please type what people should do, or press Skip.",
    ComposeFlow.expiry.state: "Please pick one of the buttons, or type a date and time.",
    ComposeFlow.schedule.state: "Please type the date and time it should go out.",
}
NOT_A_BUTTON = "Please use the buttons on my last message to answer."

ORDER = (
    ComposeFlow.audience,
    ComposeFlow.areas,
    ComposeFlow.topics,
    ComposeFlow.headline,
    ComposeFlow.description,
    ComposeFlow.photo,
    ComposeFlow.instruction,
    ComposeFlow.severity,
    ComposeFlow.expiry,
    ComposeFlow.status,
    ComposeFlow.preview,
)


def _named(name: str | None) -> State | None:
    return next((step for step in ComposeFlow.__states__ if step.state == name), None)


def next_step(current: State, draft: ComposeDraft, editing: bool) -> State:
    """The step after `current`: back to the preview when changing one part."""
    if current == ComposeFlow.audience and draft.subscribers:
        return ComposeFlow.areas
    if current == ComposeFlow.areas:
        return ComposeFlow.topics
    if current in (ComposeFlow.audience, ComposeFlow.topics):
        return ComposeFlow.preview if editing else ComposeFlow.headline
    if editing or current == ComposeFlow.schedule:
        return ComposeFlow.preview
    return ORDER[ORDER.index(current) + 1]


def previous_step(current: State, draft: ComposeDraft, editing: bool) -> State | None:
    """Where Back leads from `current`; None at the first question."""
    if current == ComposeFlow.areas:
        return ComposeFlow.audience
    if current == ComposeFlow.topics:
        return ComposeFlow.areas
    if editing or current == ComposeFlow.schedule:
        return ComposeFlow.preview
    if current == ComposeFlow.audience:
        return None
    if current == ComposeFlow.headline:
        if draft.fixed_audience:
            return None
        return ComposeFlow.topics if draft.subscribers else ComposeFlow.audience
    return ORDER[ORDER.index(current) - 1]


def first_gap(draft: ComposeDraft, turn: Turn) -> State:
    """The first part of a prefilled warning still to write (the preview if none)."""
    try:
        check_headline(draft.headline or "")
    except InvalidInput:
        return ComposeFlow.headline
    try:
        check_text(draft.description or "")
        check_fits(draft, anchor=turn.clock.now(), tz=turn.settings.tz)
    except InvalidInput:
        return ComposeFlow.description
    if draft.severity is None:
        return ComposeFlow.severity
    return ComposeFlow.preview


async def _advance(turn: Turn, current: State, draft: ComposeDraft) -> None:
    editing = bool((await turn.state.get_data()).get("editing"))
    await turn.save(draft)
    await ask(next_step(current, draft, editing), turn)


async def _begin(turn: Turn, draft: ComposeDraft, first: State) -> None:
    await turn.state.clear()
    await turn.state.update_data(flow=secrets.token_hex(4), draft=draft.to_data(), editing=False)
    await ask(first, turn)


async def open_composer(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    settings: Settings,
    clock: Clock,
    draft: ComposeDraft,
) -> None:
    """Opens the composer prefilled (from an incident, a report, or a sent warning)."""
    turn = Turn(message, state, session, person, settings, clock)
    current = await state.get_state()
    if current is not None and current.startswith("ComposeFlow:"):
        await message.answer("The warning you were writing before was discarded.")
    await _begin(turn, draft, first_gap(draft, turn))


async def start_broadcast(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    settings: Settings,
    clock: Clock,
) -> None:
    """Begins a new warning, or picks up the one in progress."""
    turn = Turn(message, state, session, person, settings, clock)
    current = await state.get_state()
    step = _named(current)
    if step is not None and step != ComposeFlow.scheme:
        await message.answer(
            "You have a warning in progress: here is where you were. Send /cancel to discard it."
        )
        await ask(step, turn)
        return
    schemes = await compose.coordinated_schemes(session, person.id)
    if len(schemes) == 1:
        await _begin(turn, ComposeDraft(scheme_id=schemes[0].scheme_id), ComposeFlow.audience)
        return
    await state.clear()
    flow = secrets.token_hex(4)
    await state.update_data(flow=flow)
    await state.set_state(ComposeFlow.scheme)
    await message.answer(
        "Which scheme is this warning for?", reply_markup=scheme_keyboard(flow, schemes)
    )


async def start_from_menu(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    settings: Settings,
    clock: Clock,
) -> None:
    """Begins a new warning from the main menu."""
    if not isinstance(query.message, Message):
        await query.answer(STALE_BUTTON, show_alert=True)
        return
    await start_broadcast(query.message, state, session, person, settings, clock)
    await query.answer()


async def escalate_report(
    query: CallbackQuery,
    callback_data: EscalateReportCallback,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    settings: Settings,
    clock: Clock,
) -> None:
    """Opens the composer for residents subscribed to the report's area and category."""
    draft = await compose.from_report(session, person.id, callback_data.report_id)
    if not isinstance(query.message, Message):
        await query.answer(STALE_BUTTON, show_alert=True)
        return
    await query.answer("Writing a warning")
    await open_composer(query.message, state, session, person, settings, clock, draft)


async def update_sent(
    query: CallbackQuery,
    callback_data: FollowUpCallback,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    settings: Settings,
    clock: Clock,
) -> None:
    """Opens the composer for an update that goes to exactly those who got the original."""
    draft = await compose.for_update(session, person.id, callback_data.alert_id)
    if not isinstance(query.message, Message):
        await query.answer(STALE_BUTTON, show_alert=True)
        return
    await query.answer("Writing an update")
    await open_composer(query.message, state, session, person, settings, clock, draft)


async def on_step(
    query: CallbackQuery,
    callback_data: ComposeCallback,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    settings: Settings,
    clock: Clock,
) -> None:
    """Handles every button of the composer, refusing buttons from older messages."""
    message = query.message
    if not isinstance(message, Message):
        await query.answer(STALE_BUTTON, show_alert=True)
        return
    data = await state.get_data()
    current = _named(await state.get_state())
    if current is None or data.get("flow") != callback_data.flow:
        sent = (
            callback_data.step in (Step.SEND, Step.SEND_PAID)
            and data.get("sent_flow") == callback_data.flow
        )
        await query.answer(ALREADY_SENT if sent else STALE_BUTTON, show_alert=True)
        return
    turn = Turn(message, state, session, person, settings, clock)
    step, value = callback_data.step, callback_data.value
    if step == Step.CANCEL:
        await state.clear()
        await query.answer("Cancelled")
        await message.answer(CANCELLED)
        return
    if step == Step.BACK:
        await _back(query, turn, current, value)
        return
    if current == ComposeFlow.scheme:
        await _choose_scheme(query, turn, step, value)
        return
    draft = await turn.draft()
    if current in (ComposeFlow.audience, ComposeFlow.areas, ComposeFlow.topics):
        await _toggle(query, turn, current, draft, step, value)
        return
    if current == ComposeFlow.preview:
        await _on_preview(query, turn, draft, step, value)
        return
    if not await _answer_step(turn, current, draft, step, value):
        await query.answer(STALE_BUTTON, show_alert=True)
        return
    await query.answer()


async def _back(query: CallbackQuery, turn: Turn, current: State, value: str) -> None:
    if value != str(current.state).split(":")[-1]:
        await query.answer(STALE_BUTTON, show_alert=True)
        return
    data = await turn.state.get_data()
    target = previous_step(current, await turn.draft(), bool(data.get("editing")))
    await query.answer()
    if target is None:
        await turn.message.answer("This is the first question. Press Cancel to stop.")
        return
    if target == ComposeFlow.preview:
        await turn.state.update_data(editing=False)
    await ask(target, turn)


async def _choose_scheme(query: CallbackQuery, turn: Turn, step: Step, value: str) -> None:
    if step != Step.SCHEME or not value.isdecimal():
        await query.answer(STALE_BUTTON, show_alert=True)
        return
    choices = await compose.choices(turn.session, turn.person.id, int(value))
    await query.answer(choices.name)
    await turn.save(ComposeDraft(scheme_id=choices.scheme_id))
    await ask(ComposeFlow.audience, turn)


async def _toggle(
    query: CallbackQuery, turn: Turn, current: State, draft: ComposeDraft, step: Step, value: str
) -> None:
    if step == Step.NEXT:
        await toggles_view(current, turn, draft)
        if int((await turn.state.get_data()).get("last_count", 0)) == 0:
            await query.answer(NOBODY, show_alert=True)
            return
        await query.answer()
        await _advance(turn, current, draft)
        return
    if current == ComposeFlow.audience and step == Step.ROLE:
        if value not in {role.value for role in (Role.TRADER, Role.PARTNER, Role.COORDINATOR)}:
            raise InvalidInput("That isn't one of the choices. Please use the buttons.")
        draft.toggle_role(Role(value))
    elif current == ComposeFlow.audience and step == Step.GROUP:
        draft.include_group = not draft.include_group
    elif current == ComposeFlow.audience and step == Step.SUBSCRIBERS:
        draft.subscribers = not draft.subscribers
    elif current == ComposeFlow.areas and step == Step.AREA:
        choices = await compose.choices(turn.session, turn.person.id, draft.scheme_id)
        if not value.isdecimal() or int(value) not in choices.area_names:
            raise InvalidInput("That area isn't one of the scheme's. Please use the buttons.")
        draft.toggle_area(int(value))
    elif current == ComposeFlow.areas and step == Step.ALL_AREAS:
        draft.area_ids = []
    elif current == ComposeFlow.topics and step == Step.TOPIC:
        draft.toggle_topic(value)
    elif current == ComposeFlow.topics and step == Step.ALL_TOPICS:
        draft.topics = []
    else:
        await query.answer(STALE_BUTTON, show_alert=True)
        return
    await turn.save(draft)
    text, markup = await toggles_view(current, turn, draft)
    await query.answer()
    try:
        await turn.message.edit_text(text, reply_markup=markup)
    except TelegramBadRequest as error:
        if "not modified" not in error.message:
            raise


async def _answer_step(
    turn: Turn, current: State, draft: ComposeDraft, step: Step, value: str
) -> bool:
    """Applies a button that belongs to the current step; False if it does not."""
    kept = {
        ComposeFlow.headline: draft.headline,
        ComposeFlow.description: draft.description,
        ComposeFlow.photo: draft.photo_file_id,
        ComposeFlow.instruction: draft.instruction,
    }
    if step == Step.KEEP and kept.get(current):
        pass
    elif step == Step.SKIP and current == ComposeFlow.photo:
        draft.photo_file_id = None
    elif step == Step.SKIP and current == ComposeFlow.instruction:
        draft.instruction = None
    elif step == Step.SEVERITY and current == ComposeFlow.severity:
        draft.severity = Severity(value).value if value in Severity._value2member_map_ else None
        if draft.severity is None:
            raise InvalidInput("That isn't one of the severities. Please use the buttons.")
    elif step == Step.EXPIRY and current == ComposeFlow.expiry:
        if not value.isdecimal() or int(value) not in EXPIRY_CHOICES:
            raise InvalidInput("That isn't one of the choices. Please use the buttons.")
        draft.expiry_hours, draft.expires_at = int(value), None
    elif step == Step.STATUS and current == ComposeFlow.status:
        statuses = {status.value for status in STATUS_WORDS}
        if value not in statuses:
            raise InvalidInput("That isn't one of the choices. Please use the buttons.")
        draft.status = AlertStatus(value).value
        if draft.is_test:
            await turn.message.answer(
                f"{STATUS_WORDS[AlertStatus(value)]}: it will be labelled and go only to "
                f"{compose.TEST_AUDIENCE}, not to the audience you chose."
            )
    else:
        return False
    await _advance(turn, current, draft)
    return True


async def _on_preview(
    query: CallbackQuery, turn: Turn, draft: ComposeDraft, step: Step, value: str
) -> None:
    if step == Step.SEND:
        await _send(query, turn, draft, value)
    elif step == Step.SEND_PAID:
        await _send(query, turn, draft, value, paid=True)
    elif step == Step.SCHEDULE:
        await query.answer()
        await ask(ComposeFlow.schedule, turn)
    elif step == Step.NOW_INSTEAD:
        draft.scheduled_for = None
        await turn.save(draft)
        await query.answer()
        await ask(ComposeFlow.preview, turn)
    elif step == Step.CHANGE and value in CHANGE_TARGETS:
        if value == "audience" and draft.fixed_audience:
            raise InvalidInput("An update goes to the people who got the original warning.")
        await turn.state.update_data(editing=True)
        await query.answer()
        await ask(CHANGE_TARGETS[value], turn)
    else:
        await query.answer(STALE_BUTTON, show_alert=True)


async def _send(
    query: CallbackQuery, turn: Turn, draft: ComposeDraft, revision: str, *, paid: bool = False
) -> None:
    """Queues the warning once, however often Send is pressed."""
    data = await turn.state.get_data()
    if revision != str(data.get("preview_revision")):
        await query.answer("That preview is out of date: here is the latest one.", show_alert=True)
        await ask(ComposeFlow.preview, turn)
        return
    anchor = datetime.fromisoformat(str(data["anchor"]))
    # Cleared before queueing: a second press finds no conversation and queues nothing.
    await turn.state.clear()
    await turn.state.update_data(sent_flow=data["flow"])
    try:
        sent = await compose.send(
            turn.session,
            draft,
            person_id=turn.person.id,
            sender_chat_id=turn.person.telegram_user_id,
            anchor=anchor,
            now=turn.clock.now(),
            tz=turn.settings.tz,
            paid=paid,
        )
    except AppError:
        await turn.state.set_data(data)
        await turn.state.set_state(ComposeFlow.preview)
        raise
    fast = ", fast (paid)" if paid else ""
    if sent.scheduled_for is not None:
        await query.answer("Scheduled")
        await turn.message.answer(
            f"Scheduled for {local_time(sent.scheduled_for, turn.settings)}{fast}; "
            f"{sent.recipients:,} recipients; you'll get the progress here when it starts."
        )
        return
    await query.answer("Sending")
    await turn.message.answer(f"Sending to {sent.recipients:,} recipients{fast}.")
    bot = turn.message.bot
    assert bot is not None
    await start_progress(bot, turn.session, sent.alert_id, turn.message.chat.id, clock=turn.clock)


def _turn(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    settings: Settings,
    clock: Clock,
) -> Turn:
    return Turn(message, state, session, person, settings, clock)


async def headline_typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    settings: Settings,
    clock: Clock,
) -> None:
    """Takes the headline."""
    turn = _turn(message, state, session, person, settings, clock)
    draft = await turn.draft()
    draft.headline = check_headline(message.text or "")
    check_fits(draft, anchor=clock.now(), tz=settings.tz)
    await _advance(turn, ComposeFlow.headline, draft)


async def description_typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    settings: Settings,
    clock: Clock,
) -> None:
    """Takes the text of the warning."""
    turn = _turn(message, state, session, person, settings, clock)
    draft = await turn.draft()
    draft.description = check_text(message.text or "")
    check_fits(draft, anchor=clock.now(), tz=settings.tz)
    await _advance(turn, ComposeFlow.description, draft)


async def instruction_typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    settings: Settings,
    clock: Clock,
) -> None:
    """Takes what people should do."""
    turn = _turn(message, state, session, person, settings, clock)
    draft = await turn.draft()
    draft.instruction = check_instruction(message.text or "")
    check_fits(draft, anchor=clock.now(), tz=settings.tz)
    await _advance(turn, ComposeFlow.instruction, draft)


async def photo_sent(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    settings: Settings,
    clock: Clock,
) -> None:
    """Takes one photo; the whole message must then fit in a caption."""
    assert message.photo
    turn = _turn(message, state, session, person, settings, clock)
    draft = await turn.draft()
    draft.photo_file_id = message.photo[-1].file_id
    check_fits(draft, anchor=clock.now(), tz=settings.tz)
    await state.update_data(photo_group=message.media_group_id)
    if message.media_group_id is not None:
        await message.answer("Only one photo goes with a warning: I kept the first.")
    else:
        await message.answer("Photo added.")
    await _advance(turn, ComposeFlow.photo, draft)


async def file_sent(message: Message) -> None:
    """Refuses pictures sent as files: their hidden location data would travel with them."""
    await message.answer(
        "Please send the picture as a photo, not as a file (in Telegram choose Photo, or "
        'untick "send as file").'
    )


async def expiry_typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    settings: Settings,
    clock: Clock,
) -> None:
    """Takes a typed expiry: in the future, and after the scheduled time if there is one."""
    turn = _turn(message, state, session, person, settings, clock)
    draft = await turn.draft()
    expires = parse_future(message.text or "", clock.now(), settings.tz)
    schedule = draft.schedule_time
    if schedule is not None and expires <= schedule:
        raise InvalidInput(
            f"It is scheduled for {local_time(schedule, settings)}, so it must expire after "
            "that. Please type a later time."
        )
    draft.expires_at, draft.expiry_hours = expires.isoformat(), None
    await message.answer(f"It expires at {local_time(expires, settings)}.")
    await _advance(turn, ComposeFlow.expiry, draft)


async def schedule_typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    settings: Settings,
    clock: Clock,
) -> None:
    """Takes the time the warning goes out: in the future, and before it expires."""
    turn = _turn(message, state, session, person, settings, clock)
    draft = await turn.draft()
    at = parse_future(message.text or "", clock.now(), settings.tz)
    if draft.expires_at is not None and datetime.fromisoformat(draft.expires_at) <= at:
        expires = datetime.fromisoformat(draft.expires_at)
        raise InvalidInput(
            f"It expires at {local_time(expires, settings)}, so it must go out before then. "
            "Type an earlier time, or change the expiry."
        )
    draft.scheduled_for = at.isoformat()
    await _advance(turn, ComposeFlow.schedule, draft)


async def unexpected(message: Message, state: FSMContext) -> None:
    """Answers anything a step did not ask for."""
    data = await state.get_data()
    group = message.media_group_id
    if group is not None and group == data.get("photo_group"):
        return  # the rest of an album whose first photo was taken
    current = await state.get_state()
    await message.answer(WANTS.get(current or "", NOT_A_BUTTON))


def create_router() -> Router:
    """A fresh router with this module's handlers."""
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    not_command = ~F.text.startswith("/")
    router.message.register(start_broadcast, Command("broadcast"))
    router.callback_query.register(
        start_from_menu, MenuCallback.filter(F.action == Action.BROADCAST)
    )
    router.callback_query.register(escalate_report, EscalateReportCallback.filter())
    router.callback_query.register(
        update_sent, FollowUpCallback.filter(F.action == FollowUp.UPDATE)
    )
    router.callback_query.register(on_step, ComposeCallback.filter())
    router.message.register(headline_typed, ComposeFlow.headline, F.text, not_command)
    router.message.register(description_typed, ComposeFlow.description, F.text, not_command)
    router.message.register(instruction_typed, ComposeFlow.instruction, F.text, not_command)
    router.message.register(photo_sent, ComposeFlow.photo, F.photo)
    router.message.register(file_sent, ComposeFlow.photo, F.document)
    router.message.register(expiry_typed, ComposeFlow.expiry, F.text, not_command)
    router.message.register(schedule_typed, ComposeFlow.schedule, F.text, not_command)
    for step in ComposeFlow.__states__:
        router.message.register(unexpected, step, not_command)
    return router
