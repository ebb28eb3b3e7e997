"""Asks each question of the /broadcast composer, with the buttons that answer it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from core.broadcasts import compose
from core.broadcasts.draft import (
    AUDIENCE_ROLES,
    EXPIRY_CHOICES,
    GROUP_LABEL,
    SEVERITY_WORDS,
    STATUS_WORDS,
    SUBSCRIBERS_LABEL,
    TOPIC_LABELS,
    ComposeDraft,
    audience_summary,
    expiry_label,
    preview_text,
)
from core.clock import Clock
from core.enums import AlertStatus, Severity
from core.people import PersonContext
from core.schemes.access import SchemeMember
from handlers.broadcasts.compose_callbacks import ComposeCallback, Step
from handlers.broadcasts.states import ComposeFlow

BACK = "Back"
CANCEL = "Cancel"
CHOSEN = "✅ "

CHANGEABLE = (
    ("audience", "Change audience"),
    ("headline", "Change headline"),
    ("description", "Change text"),
    ("photo", "Change photo"),
    ("instruction", "Change instruction"),
    ("severity", "Change severity"),
    ("expiry", "Change expiry"),
    ("status", "Change status"),
)
CHANGE_TARGETS: dict[str, State] = {
    "audience": ComposeFlow.audience,
    "headline": ComposeFlow.headline,
    "description": ComposeFlow.description,
    "photo": ComposeFlow.photo,
    "instruction": ComposeFlow.instruction,
    "severity": ComposeFlow.severity,
    "expiry": ComposeFlow.expiry,
    "status": ComposeFlow.status,
}


@dataclass
class Turn:
    """One update in the composer: where to answer, and what the handler was given."""

    message: Message
    state: FSMContext
    session: AsyncSession
    person: PersonContext
    settings: Settings
    clock: Clock

    async def draft(self) -> ComposeDraft:
        """The draft stored in the conversation."""
        return ComposeDraft.from_data(dict((await self.state.get_data())["draft"]))

    async def save(self, draft: ComposeDraft, **extra: Any) -> None:
        """Stores the draft."""
        await self.state.update_data(draft=draft.to_data(), **extra)

    async def flow(self) -> str:
        """This conversation's id, carried by every button."""
        return str((await self.state.get_data())["flow"])


def local_time(moment: datetime, settings: Settings) -> str:
    """ "18:30 on 21 Nov 2026" in the scheme's time zone."""
    local = moment.astimezone(settings.tz)
    return f"{local:%H:%M} on {local.day} {local:%b %Y}"


def _button(
    builder: InlineKeyboardBuilder, text: str, flow: str, step: Step, value: str = ""
) -> None:
    builder.button(text=text, callback_data=ComposeCallback(step=step, value=value, flow=flow))


def _nav(builder: InlineKeyboardBuilder, flow: str, back_from: State | None) -> int:
    if back_from is not None:
        # Back names the step it belongs to, so Back on an older message changes nothing.
        _button(builder, BACK, flow, Step.BACK, str(back_from.state).split(":")[-1])
    _button(builder, CANCEL, flow, Step.CANCEL)
    return 2 if back_from is not None else 1


def _pairs(count: int) -> list[int]:
    return [2] * (count // 2) + [1] * (count % 2)


def _mark(chosen: bool, label: str) -> str:
    return CHOSEN + label if chosen else label


def _count_line(count: int, draft: ComposeDraft) -> str:
    if draft.severity is None:
        return f"Recipients now: up to {count:,} (exact once you choose the severity)."
    return f"Recipients now: {count:,}."


def scheme_keyboard(flow: str, schemes: list[SchemeMember]) -> InlineKeyboardMarkup:
    """One button per scheme the coordinator runs."""
    builder = InlineKeyboardBuilder()
    for member in schemes:
        _button(builder, member.scheme_name, flow, Step.SCHEME, str(member.scheme_id))
    _nav(builder, flow, None)
    builder.adjust(1)
    return builder.as_markup()


def audience_view(
    flow: str, draft: ComposeDraft, choices: compose.SchemeChoices, count: int, editing: bool
) -> tuple[str, InlineKeyboardMarkup]:
    """The audience toggles and the live count."""
    builder = InlineKeyboardBuilder()
    for role, label in AUDIENCE_ROLES:
        _button(builder, _mark(role.value in draft.roles, label), flow, Step.ROLE, role.value)
    buttons = len(AUDIENCE_ROLES)
    if choices.has_group:
        _button(builder, _mark(draft.include_group, GROUP_LABEL), flow, Step.GROUP)
        buttons += 1
    _button(builder, _mark(draft.subscribers, SUBSCRIBERS_LABEL), flow, Step.SUBSCRIBERS)
    _button(builder, "Next", flow, Step.NEXT)
    nav = _nav(builder, flow, ComposeFlow.audience if editing else None)
    builder.adjust(*_pairs(buttons + 1), 1, nav)
    text = (
        f"New warning for {choices.name}.\nWho should get it? Tap to choose (✅ = chosen), "
        f"then Next.\n{_count_line(count, draft)}"
    )
    return text, builder.as_markup()


def areas_view(
    flow: str, draft: ComposeDraft, choices: compose.SchemeChoices, count: int
) -> tuple[str, InlineKeyboardMarkup]:
    """The scheme's areas as toggles (none chosen means all of them)."""
    builder = InlineKeyboardBuilder()
    for area_id, name in choices.areas:
        _button(builder, _mark(area_id in draft.area_ids, name), flow, Step.AREA, str(area_id))
    _button(builder, _mark(not draft.area_ids, "All areas"), flow, Step.ALL_AREAS)
    _button(builder, "Next", flow, Step.NEXT)
    nav = _nav(builder, flow, ComposeFlow.areas)
    builder.adjust(*_pairs(len(choices.areas) + 1), 1, nav)
    text = (
        "Which areas? Subscribed residents of the chosen areas get it (and those who chose "
        f"everywhere). Then Next.\n{_count_line(count, draft)}"
    )
    return text, builder.as_markup()


def topics_view(flow: str, draft: ComposeDraft, count: int) -> tuple[str, InlineKeyboardMarkup]:
    """The topics residents subscribe to, as toggles (none chosen means every topic)."""
    builder = InlineKeyboardBuilder()
    for topic, label in TOPIC_LABELS.items():
        _button(builder, _mark(topic in draft.topics, label), flow, Step.TOPIC, topic)
    _button(builder, _mark(not draft.topics, "All topics"), flow, Step.ALL_TOPICS)
    _button(builder, "Next", flow, Step.NEXT)
    nav = _nav(builder, flow, ComposeFlow.topics)
    builder.adjust(*_pairs(len(TOPIC_LABELS) + 1), 1, nav)
    text = (
        "Which topics? Residents subscribed to the chosen topics get it (and those who chose "
        f"everything). Then Next.\n{_count_line(count, draft)}"
    )
    return text, builder.as_markup()


def _simple(
    flow: str, back_from: State | None, *extra: tuple[str, Step, str]
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for text, step, value in extra:
        _button(builder, text, flow, step, value)
    nav = _nav(builder, flow, back_from)
    builder.adjust(*([1] * len(extra)), nav)
    return builder.as_markup()


def severity_keyboard(flow: str) -> InlineKeyboardMarkup:
    """The four CAP severities."""
    builder = InlineKeyboardBuilder()
    for severity in (Severity.EXTREME, Severity.SEVERE, Severity.MODERATE, Severity.MINOR):
        _button(builder, SEVERITY_WORDS[severity], flow, Step.SEVERITY, severity.value)
    nav = _nav(builder, flow, ComposeFlow.severity)
    builder.adjust(2, 2, nav)
    return builder.as_markup()


def expiry_keyboard(flow: str, draft: ComposeDraft) -> InlineKeyboardMarkup:
    """1 h, 6 h, 24 h (the default) or 3 days."""
    builder = InlineKeyboardBuilder()
    for hours in EXPIRY_CHOICES:
        chosen = draft.expires_at is None and draft.expiry_hours == hours
        _button(builder, _mark(chosen, expiry_label(hours)), flow, Step.EXPIRY, str(hours))
    nav = _nav(builder, flow, ComposeFlow.expiry)
    builder.adjust(4, nav)
    return builder.as_markup()


def status_keyboard(flow: str) -> InlineKeyboardMarkup:
    """Actual, Test or Exercise."""
    builder = InlineKeyboardBuilder()
    for status, word in STATUS_WORDS.items():
        _button(builder, word, flow, Step.STATUS, status.value)
    nav = _nav(builder, flow, ComposeFlow.status)
    builder.adjust(3, nav)
    return builder.as_markup()


def preview_keyboard(
    flow: str,
    draft: ComposeDraft,
    revision: int,
    count: int,
    settings: Settings,
    paid: compose.PaidOffer | None = None,
) -> InlineKeyboardMarkup:
    """Send now or Schedule (for this version of the preview only), Change …, Cancel."""
    builder = InlineKeyboardBuilder()
    schedule = draft.schedule_time
    sizes: list[int] = []
    fast = (
        f", fast (paid: {paid.needed:,} of {paid.left:,} left)"
        if paid is not None and paid.offered and paid.left is not None
        else None
    )
    if schedule is None:
        _button(builder, f"Send now ({count:,} recipients)", flow, Step.SEND, str(revision))
        if fast:
            _button(builder, f"Send now{fast}", flow, Step.SEND_PAID, str(revision))
            sizes.append(1)
        _button(builder, "Schedule", flow, Step.SCHEDULE)
        sizes += [1, 1]
    else:
        when = local_time(schedule, settings)
        _button(
            builder, f"Schedule for {when} ({count:,} recipients)", flow, Step.SEND, str(revision)
        )
        if fast:
            _button(builder, f"Schedule for {when}{fast}", flow, Step.SEND_PAID, str(revision))
            sizes.append(1)
        _button(builder, "Change time", flow, Step.SCHEDULE)
        _button(builder, "Send now instead", flow, Step.NOW_INSTEAD)
        sizes += [1, 2]
    changes = [item for item in CHANGEABLE if not (draft.fixed_audience and item[0] == "audience")]
    for target, label in changes:
        _button(builder, label, flow, Step.CHANGE, target)
    sizes += _pairs(len(changes))
    sizes.append(_nav(builder, flow, ComposeFlow.preview))
    builder.adjust(*sizes)
    return builder.as_markup()


def paid_line(offer: compose.PaidOffer) -> str | None:
    """Why fast (paid) sending is not offered, when the scheme has a paid budget at all."""
    if offer.left is None or offer.offered or offer.needed == 0:
        return None
    return (
        f"Fast (paid) sending is not offered: it would take {offer.needed:,} paid messages "
        f"and the scheme's budget has {offer.left:,} left."
    )


QUESTIONS: dict[str | None, str] = {
    ComposeFlow.headline.state: (
        'Type the headline (5-120 characters), e.g. "Shoplifter active on the High Street".'
    ),
    ComposeFlow.description.state: (
        "Type the text of the warning: what is happening (10-2000 characters)."
    ),
    ComposeFlow.instruction.state: (
        'What should people do? e.g. "Keep spirits behind the counter and call 101." '
        "Type it, or press Skip."
    ),
    ComposeFlow.severity.state: "How severe is it?",
    ComposeFlow.expiry.state: (
        'When does the warning expire? Pick one, or type a date and time (e.g. "tomorrow '
        '18:00"). After that it is never sent.'
    ),
    ComposeFlow.status.state: (
        "Is this a real warning (Actual), or a Test or Exercise? A Test or Exercise is "
        f"labelled TEST or EXERCISE and goes only to {compose.TEST_AUDIENCE}."
    ),
    ComposeFlow.schedule.state: (
        'When should it go out? Type a date and time, e.g. "18:30", "tomorrow 9am" or '
        '"21/11/2026 18:30" (local time).'
    ),
}


async def ask(step: State, turn: Turn) -> None:
    """Moves the composer to `step` and asks its question."""
    data = await turn.state.get_data()
    flow = str(data["flow"])
    draft = await turn.draft()
    await turn.state.set_state(step)
    message = turn.message
    if step == ComposeFlow.audience or step == ComposeFlow.areas or step == ComposeFlow.topics:
        text, markup = await toggles_view(step, turn, draft)
        await message.answer(text, reply_markup=markup)
    elif step == ComposeFlow.headline:
        back = None if draft.fixed_audience else ComposeFlow.headline
        extra = [("Keep the headline", Step.KEEP, "")] if draft.headline else []
        text = QUESTIONS[step.state]
        await message.answer(text, reply_markup=_simple(flow, back, *extra))
    elif step == ComposeFlow.description:
        extra = [("Keep the current text", Step.KEEP, "")] if draft.description else []
        text = QUESTIONS[step.state]
        if draft.headline and not draft.description:
            text = f"Headline: {draft.headline}\n{text}"
        await message.answer(text, reply_markup=_simple(flow, ComposeFlow.description, *extra))
    elif step == ComposeFlow.photo:
        if draft.photo_file_id:
            extra = [("Keep the photo", Step.KEEP, ""), ("Remove the photo", Step.SKIP, "")]
            text = "Send a new photo, or keep or remove the current one."
        else:
            extra = [("Skip", Step.SKIP, "")]
            text = "Send a photo to go with the warning (as a photo, not a file), or press Skip."
        await message.answer(text, reply_markup=_simple(flow, ComposeFlow.photo, *extra))
    elif step == ComposeFlow.instruction:
        extra = [("Skip", Step.SKIP, "")]
        if draft.instruction:
            extra = [("Keep the instruction", Step.KEEP, ""), ("No instruction", Step.SKIP, "")]
        await message.answer(
            QUESTIONS[step.state], reply_markup=_simple(flow, ComposeFlow.instruction, *extra)
        )
    elif step == ComposeFlow.severity:
        await message.answer(QUESTIONS[step.state], reply_markup=severity_keyboard(flow))
    elif step == ComposeFlow.expiry:
        await message.answer(QUESTIONS[step.state], reply_markup=expiry_keyboard(flow, draft))
    elif step == ComposeFlow.status:
        await message.answer(QUESTIONS[step.state], reply_markup=status_keyboard(flow))
    elif step == ComposeFlow.schedule:
        await message.answer(
            QUESTIONS[step.state], reply_markup=_simple(flow, ComposeFlow.schedule)
        )
    elif step == ComposeFlow.preview:
        await show_preview(turn, draft, flow, int(data.get("preview_revision", 0)) + 1)


async def toggles_view(
    step: State, turn: Turn, draft: ComposeDraft
) -> tuple[str, InlineKeyboardMarkup]:
    """The audience, areas or topics question as it stands, with the live count."""
    flow = await turn.flow()
    choices = await compose.choices(turn.session, turn.person.id, draft.scheme_id)
    # The count is for the chosen audience (not a test's), at the most severe level until the
    # severity is chosen, since subscribers can ask for serious warnings only.
    counted = ComposeDraft.from_data(
        {
            **draft.to_data(),
            "severity": draft.severity or Severity.EXTREME.value,
            "status": AlertStatus.ACTUAL.value,
        }
    )
    count = await compose.count(
        turn.session,
        counted,
        sender_chat_id=turn.person.telegram_user_id,
        now=turn.clock.now(),
        tz=turn.settings.tz,
    )
    await turn.state.update_data(last_count=count)
    if step == ComposeFlow.audience:
        editing = bool((await turn.state.get_data()).get("editing"))
        return audience_view(flow, draft, choices, count, editing)
    if step == ComposeFlow.areas:
        return areas_view(flow, draft, choices, count)
    return topics_view(flow, draft, count)


async def show_preview(turn: Turn, draft: ComposeDraft, flow: str, revision: int) -> None:
    """Sends the warning exactly as recipients will see it, then Send, Schedule and Change."""
    now = turn.clock.now()
    # The expiry counts from this moment (or the scheduled time), so what is sent is what
    # was previewed.
    anchor_at = draft.schedule_time or now
    count = await compose.count(
        turn.session,
        draft,
        sender_chat_id=turn.person.telegram_user_id,
        now=now,
        tz=turn.settings.tz,
    )
    await turn.state.update_data(
        preview_revision=revision, anchor=anchor_at.isoformat(), editing=False
    )
    text = preview_text(draft, anchor=anchor_at, tz=turn.settings.tz)
    bot = turn.message.bot
    assert bot is not None
    chat_id = turn.message.chat.id
    if draft.photo_file_id:
        await bot.send_photo(chat_id, draft.photo_file_id, caption=text, protect_content=True)
    else:
        await bot.send_message(chat_id, text, protect_content=True)
    choices = await compose.choices(turn.session, turn.person.id, draft.scheme_id)
    lines = ["Above is exactly what recipients will see."]
    if draft.is_test:
        lines.append(
            f"{draft.status.upper()}: it goes only to {compose.TEST_AUDIENCE} "
            f"({count:,} recipients)."
        )
    else:
        summary = audience_summary(draft, choices.area_names)
        lines.append(f"To: {summary} ({count:,} recipients).")
    if draft.schedule_time is not None:
        lines.append(f"Scheduled for {local_time(draft.schedule_time, turn.settings)}.")
    offer = None
    if not draft.is_test:
        offer = await compose.paid_offer(turn.session, draft.scheme_id, count)
        refused = paid_line(offer)
        if refused is not None:
            lines.append(refused)
    await turn.message.answer(
        "\n".join(lines),
        reply_markup=preview_keyboard(flow, draft, revision, count, turn.settings, offer),
    )
