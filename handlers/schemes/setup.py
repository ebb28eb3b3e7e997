"""/newscheme: an admin or coordinator sets up a scheme, step by step (diagram in flow.md)."""

from __future__ import annotations

import secrets

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.menu import Action
from core.people import PersonContext
from core.schemes import setup
from core.schemes.areas import EXAMPLE, parse_areas
from core.schemes.setup import SchemeDraft
from handlers.callbacks import MenuCallback
from handlers.schemes.callbacks import SetupCallback, SetupStep
from handlers.schemes.states import SETUP_ORDER, NewScheme

STALE = "That button belongs to an earlier conversation. Send /newscheme to start again."
CANCELLED = "Cancelled. No scheme was created."
USE_BUTTONS = "Please answer with the buttons on my last message."
OLD_QUESTION = "That button is from an earlier question. Please answer my latest message."

RETENTION_CHOICES = ((6, "6 months"), (12, "12 months (default)"), (24, "24 months"))
EDITABLE: tuple[tuple[str, State, str], ...] = (
    ("name", NewScheme.name, "Change name"),
    ("areas", NewScheme.areas, "Change areas"),
    ("rules", NewScheme.rules, "Change rules"),
    ("keep", NewScheme.retention, "Change retention"),
    ("photos", NewScheme.photos, "Change photos"),
)

ASK_NAME = (
    "Let's set up a new Shop Watch scheme. You can press Back or Cancel at any step, or send "
    "/cancel.\n\nWhat is the scheme called? (3 to 80 characters, e.g. Leeds City Centre Shop "
    "Watch)"
)
ASK_AREAS = (
    "Which areas does it cover? Give one area per line (or separate them with ;): a name and "
    "its postcode districts, or just the districts. For example:\n" + EXAMPLE
)
ASK_RULES = (
    "What information-sharing rules must traders accept when they join? Type them, or press "
    '"Use the standard rules":\n\n' + setup.STANDARD_RULES
)
ASK_RETENTION = (
    "How long should offender information (gallery entries, exclusions) be kept after its "
    "last linked incident? Pick one, or type a number of months from 1 to 36."
)
ASK_PHOTOS = "May members share photos of offenders in this scheme?"


def _button(
    builder: InlineKeyboardBuilder, text: str, flow: str, step: SetupStep, value: str = ""
) -> None:
    builder.button(text=text, callback_data=SetupCallback(step=step, value=value, flow=flow))


def _keyboard(step: State, flow: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    sizes: list[int] = []
    if step == NewScheme.rules:
        _button(builder, "Use the standard rules", flow, SetupStep.STANDARD_RULES)
        sizes.append(1)
    elif step == NewScheme.retention:
        for months, label in RETENTION_CHOICES:
            _button(builder, label, flow, SetupStep.RETENTION, str(months))
        sizes.append(len(RETENTION_CHOICES))
    elif step == NewScheme.photos:
        _button(builder, "Yes", flow, SetupStep.PHOTOS, "yes")
        _button(builder, "No", flow, SetupStep.PHOTOS, "no")
        sizes.append(2)
    elif step == NewScheme.review:
        _button(builder, "Create the scheme", flow, SetupStep.CREATE)
        for field, _state, label in EDITABLE:
            _button(builder, label, flow, SetupStep.EDIT, field)
        _button(builder, "Cancel", flow, SetupStep.CANCEL)
        builder.adjust(1, 2, 2, 1, 1)
        return builder.as_markup()
    if step != NewScheme.name:
        # Back names the step it belongs to, so Back on an older message changes nothing.
        _button(builder, "Back", flow, SetupStep.BACK, str(step.state).split(":")[-1])
    _button(builder, "Cancel", flow, SetupStep.CANCEL)
    sizes.append(2 if step != NewScheme.name else 1)
    builder.adjust(*sizes)
    return builder.as_markup()


QUESTIONS: dict[str | None, str] = {
    NewScheme.name.state: ASK_NAME,
    NewScheme.areas.state: ASK_AREAS,
    NewScheme.rules.state: ASK_RULES,
    NewScheme.retention.state: ASK_RETENTION,
    NewScheme.photos.state: ASK_PHOTOS,
}


async def _draft(state: FSMContext) -> SchemeDraft:
    return SchemeDraft.from_data((await state.get_data()).get("draft"))


async def _ask(step: State, message: Message, state: FSMContext) -> None:
    """Moves to `step` and asks its question (the summary for the review)."""
    data = await state.get_data()
    flow = str(data["flow"])
    if step == NewScheme.review:
        text = SchemeDraft.from_data(data.get("draft")).summary()
    else:
        text = QUESTIONS[step.state]
    # Asked before the step changes, so a crash in between asks again rather than going quiet.
    await message.answer(text, reply_markup=_keyboard(step, flow))
    await state.set_state(step)


async def _answered(
    message: Message, state: FSMContext, current: State, draft: SchemeDraft
) -> None:
    """Keeps the answer and asks the next question (the summary again when changing one)."""
    data = await state.get_data()
    editing = bool(data.get("editing"))
    following = NewScheme.review if editing else SETUP_ORDER[SETUP_ORDER.index(current) + 1]
    await state.update_data(draft=draft.to_data(), editing=False)
    await _ask(following, message, state)


async def start_setup(
    message: Message, state: FSMContext, session: AsyncSession, person: PersonContext
) -> None:
    """Begins setting up a scheme, for admins and coordinators only."""
    await setup.check_may_create(session, person.id, is_admin=person.is_admin)
    await state.clear()
    await state.update_data(flow=secrets.token_hex(4), draft=SchemeDraft().to_data())
    await _ask(NewScheme.name, message, state)


async def start_from_menu(
    query: CallbackQuery, state: FSMContext, session: AsyncSession, person: PersonContext
) -> None:
    """Begins setting up a scheme from the main menu."""
    await setup.check_may_create(session, person.id, is_admin=person.is_admin)
    await query.answer()
    if isinstance(query.message, Message):
        await start_setup(query.message, state, session, person)


async def name_typed(message: Message, state: FSMContext, session: AsyncSession) -> None:
    """Takes the scheme's name if no other scheme has it."""
    draft = await _draft(state)
    draft.name = await setup.check_name_free(session, message.text or "")
    await _answered(message, state, NewScheme.name, draft)


async def areas_typed(message: Message, state: FSMContext) -> None:
    """Takes the areas and their postcode districts."""
    draft = await _draft(state)
    draft.areas = parse_areas(message.text or "")
    await _answered(message, state, NewScheme.areas, draft)


async def rules_typed(message: Message, state: FSMContext) -> None:
    """Takes the scheme's own information-sharing rules."""
    draft = await _draft(state)
    draft.rules = setup.check_rules(message.text or "")
    await _answered(message, state, NewScheme.rules, draft)


async def retention_typed(message: Message, state: FSMContext) -> None:
    """Takes a typed number of months."""
    draft = await _draft(state)
    draft.retention_months = setup.check_retention(message.text or "")
    await _answered(message, state, NewScheme.retention, draft)


async def not_an_answer(message: Message, state: FSMContext) -> None:
    """Answers anything a step did not ask for."""
    current = await state.get_state()
    if current in (NewScheme.photos.state, NewScheme.review.state):
        await message.answer(USE_BUTTONS)
        return
    await message.answer("Please answer with a text message.")


def _step(name: str | None) -> State | None:
    return next((step for step in SETUP_ORDER if step.state == name), None)


async def on_step(
    query: CallbackQuery,
    callback_data: SetupCallback,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    clock: Clock,
) -> None:
    """Handles every button of the conversation, refusing buttons from older ones."""
    message = query.message
    data = await state.get_data()
    current = _step(await state.get_state())
    if (
        not isinstance(message, Message)
        or current is None
        or data.get("flow") != callback_data.flow
    ):
        await query.answer(STALE, show_alert=True)
        return
    step, value = callback_data.step, callback_data.value
    draft = SchemeDraft.from_data(data.get("draft"))
    if step == SetupStep.CANCEL:
        await state.clear()
        await query.answer()
        await message.answer(CANCELLED)
    elif step == SetupStep.BACK:
        if value != str(current.state).split(":")[-1] or current == NewScheme.name:
            await query.answer(OLD_QUESTION, show_alert=True)
            return
        await query.answer()
        target = (
            NewScheme.review if data.get("editing") else SETUP_ORDER[SETUP_ORDER.index(current) - 1]
        )
        await state.update_data(editing=False)
        await _ask(target, message, state)
    elif step == SetupStep.STANDARD_RULES and current == NewScheme.rules:
        draft.rules = setup.STANDARD_RULES
        await query.answer("Standard rules")
        await _answered(message, state, current, draft)
    elif step == SetupStep.RETENTION and current == NewScheme.retention:
        draft.retention_months = setup.check_retention(value)
        await query.answer()
        await _answered(message, state, current, draft)
    elif step == SetupStep.PHOTOS and current == NewScheme.photos:
        draft.photos_allowed = value == "yes"
        await query.answer()
        await _answered(message, state, current, draft)
    elif step == SetupStep.EDIT and current == NewScheme.review:
        chosen = next((s for field, s, _label in EDITABLE if field == value), None)
        if chosen is None:
            await query.answer(STALE, show_alert=True)
            return
        await query.answer()
        await state.update_data(editing=True)
        await _ask(chosen, message, state)
    elif step == SetupStep.CREATE and current == NewScheme.review:
        created = await setup.create_scheme(
            session, person_id=person.id, is_admin=person.is_admin, draft=draft, now=clock.now()
        )
        await state.clear()
        await query.answer("Created")
        await message.edit_reply_markup(reply_markup=None)
        await message.answer(
            f"Done: {created.name} is set up and you are its coordinator.\n\n"
            "Next:\n"
            "1. Add me to the scheme's Telegram group as an admin, then send /linkgroup in "
            "the group.\n"
            "2. Send /invite here to get a link for traders to join."
        )
    else:
        await query.answer(OLD_QUESTION, show_alert=True)


def create_router() -> Router:
    """A fresh router with this module's handlers."""
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    typed = F.text & ~F.text.startswith("/")
    router.message.register(start_setup, Command(Action.NEW_SCHEME.value))
    router.callback_query.register(
        start_from_menu, MenuCallback.filter(F.action == Action.NEW_SCHEME)
    )
    router.callback_query.register(on_step, SetupCallback.filter())
    router.message.register(name_typed, NewScheme.name, typed)
    router.message.register(areas_typed, NewScheme.areas, typed)
    router.message.register(rules_typed, NewScheme.rules, typed)
    router.message.register(retention_typed, NewScheme.retention, typed)
    for step in SETUP_ORDER:
        router.message.register(not_an_answer, step, ~F.text.startswith("/"))
    return router
