"""Asks each question of the incident flow, with the buttons that answer it."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from core.incidents import texts
from core.incidents.draft import MAX_PEOPLE, IncidentDraft
from core.incidents.types import TYPE_LABELS
from handlers.incidents.callbacks import IncidentStepCallback, Step
from handlers.incidents.states import IncidentFlow, short_name

BACK = "Back"
CANCEL = "Cancel"

WHEN_CHOICES = (
    ("now", "Now"),
    ("15m", "15 minutes ago"),
    ("1h", "1 hour ago"),
    ("today", "Earlier today"),
)
HEIGHTS = ("Short", "Average", "Tall", "Not sure")
BUILDS = ("Slim", "Medium", "Heavy", "Not sure")
NOT_SURE = "Not sure"

CHANGEABLE = (
    ("kind", "Change type"),
    ("when", "Change when"),
    ("where", "Change where"),
    ("what", "Change what happened"),
    ("people", "Change people"),
    ("photos", "Change photos"),
    ("value", "Change value"),
    ("police", "Change police ref"),
    ("gallery", "Change gallery link"),
    ("business", "Change business name"),
)


async def draft_of(state: FSMContext) -> IncidentDraft:
    """The draft stored in the conversation."""
    return IncidentDraft.from_data((await state.get_data()).get("draft"))


async def save(state: FSMContext, draft: IncidentDraft, now: datetime, **extra: Any) -> None:
    """Stores the draft and notes the time, for the idle expiry."""
    await state.update_data(draft=draft.to_data(), touched=now.isoformat(), **extra)


def _button(
    builder: InlineKeyboardBuilder, text: str, step: Step, flow: str, value: str = ""
) -> None:
    builder.button(text=text, callback_data=IncidentStepCallback(step=step, value=value, flow=flow))


def _nav(builder: InlineKeyboardBuilder, flow: str, back_from: State | None) -> None:
    if back_from is not None:
        # Back names the step it belongs to, so Back on an older message changes nothing.
        _button(builder, BACK, Step.BACK, flow, short_name(back_from))
    _button(builder, CANCEL, Step.CANCEL, flow)


def _keyboard(
    flow: str,
    step: State,
    choices: list[tuple[str, Step, str]],
    *,
    has_back: bool = True,
    width: int = 2,
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for text, action, value in choices:
        _button(builder, text, action, flow, value)
    _nav(builder, flow, step if has_back else None)
    builder.adjust(*_rows(len(choices), width), 2)
    return builder.as_markup()


def _rows(count: int, width: int) -> list[int]:
    """Row sizes for `count` buttons, `width` to a row, the last row holding the rest."""
    return [width] * (count // width) + ([count % width] if count % width else [])


def scheme_keyboard(flow: str, schemes: list[tuple[int, str]]) -> InlineKeyboardMarkup:
    """One button per scheme the trader may post to."""
    choices = [(name, Step.SCHEME, str(scheme_id)) for scheme_id, name in schemes]
    return _keyboard(flow, IncidentFlow.scheme, choices, has_back=False, width=1)


def kind_keyboard(flow: str, has_back: bool) -> InlineKeyboardMarkup:
    """Every kind of incident, two to a row."""
    choices = [(label, Step.KIND, kind.value) for kind, label in TYPE_LABELS.items()]
    return _keyboard(flow, IncidentFlow.kind, choices, has_back=has_back)


def photos_keyboard(flow: str, count: int) -> InlineKeyboardMarkup:
    """Done (or Skip with none yet), Remove all, Back and Cancel."""
    if count:
        choices = [("Done", Step.DONE, ""), ("Remove all", Step.CLEAR_PHOTOS, "")]
    else:
        choices = [("Skip", Step.SKIP, "")]
    return _keyboard(flow, IncidentFlow.photos, choices)


def review_keyboard(flow: str, revision: int, draft: IncidentDraft) -> InlineKeyboardMarkup:
    """Submit (for this version of the summary only), a Change button for each part, Cancel."""
    shown = {
        "photos": draft.photos_allowed,
        "value": draft.asks_value,
        "gallery": draft.gallery_offered,
        "business": draft.asks_business_name,
    }
    choices = [("Submit", Step.SUBMIT, str(revision))]
    choices += [
        (label, Step.CHANGE, field) for field, label in CHANGEABLE if shown.get(field, True)
    ]
    builder = InlineKeyboardBuilder()
    for text, action, value in choices:
        _button(builder, text, action, flow, value)
    _nav(builder, flow, IncidentFlow.review)
    builder.adjust(1, *_rows(len(choices) - 1, 2), 2)
    return builder.as_markup()


def _question(
    step: State, draft: IncidentDraft, flow: str, data: dict[str, Any]
) -> tuple[str, InlineKeyboardMarkup]:
    if step == IncidentFlow.scheme:
        schemes = [(int(scheme_id), str(name)) for scheme_id, name in data.get("schemes", [])]
        return texts.ASK_SCHEME, scheme_keyboard(flow, schemes)
    if step == IncidentFlow.kind:
        return texts.INTRO, kind_keyboard(flow, has_back=bool(data.get("schemes")))
    if step == IncidentFlow.when:
        choices = [(label, Step.WHEN, value) for value, label in WHEN_CHOICES]
        return texts.ASK_WHEN, _keyboard(flow, step, choices)
    if step == IncidentFlow.where:
        choices = (
            [(f"At {draft.business_name}", Step.AT_BUSINESS, "")] if draft.business_name else []
        )
        return texts.ASK_WHERE, _keyboard(flow, step, choices, width=1)
    if step == IncidentFlow.what:
        return texts.ASK_WHAT, _keyboard(flow, step, [])
    if step == IncidentFlow.people:
        choices = [
            ("Describe a person", Step.DESCRIBE, ""),
            ("No one to describe", Step.NO_PEOPLE, ""),
        ]
        return texts.ASK_PEOPLE, _keyboard(flow, step, choices, width=1)
    if step == IncidentFlow.height:
        choices = [(label, Step.HEIGHT, label) for label in HEIGHTS]
        return texts.number_of(texts.ASK_HEIGHT, draft), _keyboard(flow, step, choices)
    if step == IncidentFlow.build:
        choices = [(label, Step.BUILD, label) for label in BUILDS]
        return texts.number_of(texts.ASK_BUILD, draft), _keyboard(flow, step, choices)
    if step == IncidentFlow.clothing:
        return texts.number_of(texts.ASK_CLOTHING, draft), _keyboard(flow, step, [])
    if step == IncidentFlow.features:
        choices = [("Skip", Step.SKIP, "")]
        return texts.number_of(texts.ASK_FEATURES, draft), _keyboard(flow, step, choices)
    if step == IncidentFlow.more_people:
        choices = [("Done", Step.DONE, "")]
        if len(draft.people) < MAX_PEOPLE:
            choices.insert(0, ("Add another person", Step.ANOTHER, ""))
        return texts.people_so_far(draft), _keyboard(flow, step, choices)
    if step == IncidentFlow.photos:
        return texts.ASK_PHOTOS, photos_keyboard(flow, len(draft.photos))
    if step == IncidentFlow.value:
        return texts.ask_value(draft), _keyboard(flow, step, [("Skip", Step.SKIP, "")])
    if step == IncidentFlow.police:
        return texts.ASK_POLICE, _keyboard(flow, step, [("Skip", Step.SKIP, "")])
    if step == IncidentFlow.gallery:
        choices = [(str(label), Step.SUBJECT, str(sid)) for sid, label in data.get("gallery", [])]
        choices.append(("None", Step.NO_SUBJECT, ""))
        return texts.ASK_GALLERY, _keyboard(flow, step, choices, width=1)
    if step == IncidentFlow.business:
        choices = [("Yes, show it", Step.SHOW_BUSINESS, "yes"), ("No", Step.SHOW_BUSINESS, "no")]
        return texts.ask_business(draft), _keyboard(flow, step, choices)
    raise ValueError(f"no question for {step.state}")


async def ask(step: State, message: Message, state: FSMContext, *, tz: ZoneInfo) -> None:
    """Moves the conversation to `step` and asks its question."""
    data = await state.get_data()
    flow = str(data["flow"])
    draft = IncidentDraft.from_data(data.get("draft"))
    # The question goes out before the step changes: if the process dies in between, or the
    # message fails, the same answer (redelivered or sent again) asks again instead of
    # meeting a step whose question the person never saw.
    if step == IncidentFlow.review:
        # Each summary gets a number: Submit on an older summary must not file newer answers.
        revision = int(data.get("review_revision", 0)) + 1
        # The summary repeats the descriptions of people and the gallery entry: not forwardable.
        await message.answer(
            texts.review(draft, tz),
            reply_markup=review_keyboard(flow, revision, draft),
            protect_content=True,
        )
        await state.update_data(review_revision=revision)
    else:
        text, keyboard = _question(step, draft, flow, data)
        # The gallery question lists gallery entries by name: protected like the gallery.
        await message.answer(
            text, reply_markup=keyboard, protect_content=step == IncidentFlow.gallery
        )
    await state.set_state(step)
