"""Asks each question of the report flow, with the buttons that answer it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import (
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder

from core.reports import texts
from core.reports.categories import CATEGORIES, category_info
from core.reports.draft import CONTACT_LABELS, Contact, Draft
from handlers.reports.callbacks import ReportStepCallback, Step
from handlers.reports.states import ReportFlow

SHARE_LOCATION = "📍 Share my location"
BACK = "Back"
CANCEL = "Cancel"

EDITABLE = (
    ("category", "Edit what"),
    ("location", "Edit where"),
    ("when", "Edit when"),
    ("description", "Edit what happened"),
    ("photos", "Edit photos"),
    ("contact", "Edit contact"),
)


async def draft_of(state: FSMContext) -> Draft:
    """The draft stored in the conversation."""
    return Draft.from_data((await state.get_data()).get("draft"))


async def save(state: FSMContext, draft: Draft, now: datetime, **extra: Any) -> None:
    """Stores the draft and notes the time, for the idle expiry."""
    await state.update_data(draft=draft.to_data(), touched=now.isoformat(), **extra)


def _nav(builder: InlineKeyboardBuilder, flow: str, *, back_from: State | None = None) -> None:
    if back_from is not None:
        # Back names the step it belongs to, so Back on an older message changes nothing.
        builder.button(
            text=BACK,
            callback_data=ReportStepCallback(
                step=Step.BACK, value=str(back_from.state).split(":")[-1], flow=flow
            ),
        )
    builder.button(text=CANCEL, callback_data=ReportStepCallback(step=Step.CANCEL, flow=flow))


def category_keyboard(flow: str) -> InlineKeyboardMarkup:
    """Every category, two to a row, then Cancel."""
    builder = InlineKeyboardBuilder()
    for info in CATEGORIES:
        builder.button(
            text=info.label,
            callback_data=ReportStepCallback(step=Step.CATEGORY, value=info.category, flow=flow),
        )
    _nav(builder, flow)
    builder.adjust(2)
    return builder.as_markup()


def subtype_keyboard(draft: Draft, flow: str) -> InlineKeyboardMarkup:
    """The chosen category's sub-types, then Skip, Back and Cancel."""
    builder = InlineKeyboardBuilder()
    info = category_info(draft.category or "")
    for index, subtype in enumerate(info.subtypes):
        builder.button(
            text=subtype,
            callback_data=ReportStepCallback(step=Step.SUBTYPE, value=str(index), flow=flow),
        )
    builder.button(text="Skip", callback_data=ReportStepCallback(step=Step.SKIP, flow=flow))
    _nav(builder, flow, back_from=ReportFlow.subtype)
    builder.adjust(1)
    return builder.as_markup()


def location_keyboard() -> ReplyKeyboardMarkup:
    """A reply keyboard: Telegram only lets a bot ask for a location pin this way."""
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=SHARE_LOCATION, request_location=True)],
            [KeyboardButton(text=BACK), KeyboardButton(text=CANCEL)],
        ],
        resize_keyboard=True,
        one_time_keyboard=False,
        input_field_placeholder="Type the place or a postcode",
    )


def when_keyboard(flow: str) -> InlineKeyboardMarkup:
    """Quick answers for when it happened."""
    builder = InlineKeyboardBuilder()
    for value, label in (
        ("just_now", "Just now"),
        ("earlier_today", "Earlier today"),
        ("yesterday", "Yesterday"),
    ):
        builder.button(
            text=label, callback_data=ReportStepCallback(step=Step.WHEN, value=value, flow=flow)
        )
    _nav(builder, flow, back_from=ReportFlow.when)
    builder.adjust(3, 2)
    return builder.as_markup()


def photos_keyboard(flow: str, count: int) -> InlineKeyboardMarkup:
    """Done (or Skip with none yet), Remove all, Back and Cancel."""
    builder = InlineKeyboardBuilder()
    if count:
        builder.button(text="Done", callback_data=ReportStepCallback(step=Step.DONE, flow=flow))
        builder.button(
            text="Remove all", callback_data=ReportStepCallback(step=Step.CLEAR_PHOTOS, flow=flow)
        )
    else:
        builder.button(text="Skip", callback_data=ReportStepCallback(step=Step.SKIP, flow=flow))
    _nav(builder, flow, back_from=ReportFlow.photos)
    builder.adjust(2)
    return builder.as_markup()


def contact_keyboard(flow: str) -> InlineKeyboardMarkup:
    """The three contact choices."""
    builder = InlineKeyboardBuilder()
    for choice in Contact:
        builder.button(
            text=CONTACT_LABELS[choice],
            callback_data=ReportStepCallback(step=Step.CONTACT, value=choice, flow=flow),
        )
    _nav(builder, flow, back_from=ReportFlow.contact)
    builder.adjust(1, 1, 1, 2)
    return builder.as_markup()


def review_keyboard(flow: str, revision: int) -> InlineKeyboardMarkup:
    """Submit (for this version of the summary only), an Edit button for each part, Cancel."""
    builder = InlineKeyboardBuilder()
    builder.button(
        text="Submit",
        callback_data=ReportStepCallback(step=Step.SUBMIT, value=str(revision), flow=flow),
    )
    for field, label in EDITABLE:
        builder.button(
            text=label, callback_data=ReportStepCallback(step=Step.EDIT, value=field, flow=flow)
        )
    _nav(builder, flow, back_from=ReportFlow.review)
    builder.adjust(1, 2, 2, 2, 2)
    return builder.as_markup()


async def ask(step: State, message: Message, state: FSMContext, *, tz: Any) -> None:
    """Moves the conversation to `step` and asks its question."""
    data = await state.get_data()
    flow = str(data["flow"])
    draft = Draft.from_data(data.get("draft"))
    # The question goes out before the step changes: if the process dies in between, or the
    # message fails, the same answer (redelivered or sent again) asks again instead of
    # meeting a step whose question the person never saw.
    if step == ReportFlow.category:
        await message.answer(texts.INTRO, reply_markup=category_keyboard(flow))
    elif step == ReportFlow.subtype:
        await message.answer(texts.ASK_SUBTYPE, reply_markup=subtype_keyboard(draft, flow))
    elif step == ReportFlow.location:
        await message.answer(texts.ASK_LOCATION, reply_markup=location_keyboard())
    elif step == ReportFlow.when:
        await message.answer(texts.ASK_WHEN, reply_markup=when_keyboard(flow))
    elif step == ReportFlow.description:
        builder = InlineKeyboardBuilder()
        _nav(builder, flow, back_from=ReportFlow.description)
        await message.answer(texts.ASK_DESCRIPTION, reply_markup=builder.as_markup())
    elif step == ReportFlow.photos:
        await message.answer(
            texts.ASK_PHOTOS, reply_markup=photos_keyboard(flow, len(draft.photos))
        )
    elif step == ReportFlow.contact:
        await message.answer(texts.ASK_CONTACT, reply_markup=contact_keyboard(flow))
    elif step == ReportFlow.review:
        # Each summary gets a number: Submit on an older summary must not file newer answers.
        revision = int(data.get("review_revision", 0)) + 1
        await message.answer(texts.review(draft, tz), reply_markup=review_keyboard(flow, revision))
        await state.update_data(review_revision=revision)
    await state.set_state(step)


async def acknowledge(message: Message, text: str) -> None:
    """Confirms an answer and takes away the location keyboard if it was showing."""
    await message.answer(text, reply_markup=ReplyKeyboardRemove())
