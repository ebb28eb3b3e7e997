"""Cancel and Recall on an alert's progress message, each confirmed first; failed copies."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from broadcast.outbox import DeadLetter
from core.broadcasts import followups
from core.broadcasts.progress import progress_of
from core.clock import Clock
from core.errors import NotAllowed
from core.people import PersonContext
from core.schemes.access import NOT_A_MEMBER
from handlers.broadcasts.callbacks import (
    ConfirmCallback,
    FailedAction,
    FailedCallback,
    FollowUp,
    FollowUpCallback,
)
from handlers.broadcasts.progress import show_progress

FAILED_SHOWN = 20


def _known(person: PersonContext | None) -> PersonContext:
    # Anonymous group admins and automatic forwards have no person behind them.
    if person is None:
        raise NotAllowed(NOT_A_MEMBER)
    return person


def _people(number: int) -> str:
    return "1 person" if number == 1 else f"{number:,} people"


def _confirm_keyboard(alert_id: int, action: FollowUp, go_label: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=go_label, callback_data=ConfirmCallback(alert_id=alert_id, action=action, go=True)
    )
    builder.button(
        text="No, keep it",
        callback_data=ConfirmCallback(alert_id=alert_id, action=action, go=False),
    )
    builder.adjust(1)
    return builder.as_markup()


def cancel_question(target: followups.FollowUpTarget) -> str:
    """What cancelling will do, asked before it is done."""
    lines = [f"Cancel “{target.headline}”?", ""]
    if target.reached:
        lines.append(
            "This stops copies not yet sent and sends an ALL CLEAR to the "
            f"{_people(target.reached)} who got it."
        )
    else:
        lines.append("Nobody has got it yet: this stops every copy still to be sent.")
    return "\n".join(lines)


def recall_question(target: followups.FollowUpTarget) -> str:
    """What recalling will do, asked before it is done."""
    lines = [
        f"Recall “{target.headline}”?",
        "",
        "This stops copies not yet sent and deletes the copies already delivered "
        f"({target.recallable:,} can be deleted).",
    ]
    if target.too_old:
        lines.append(
            f"{target.too_old:,} were delivered more than 48 hours ago: Telegram no longer "
            "lets the bot delete them."
        )
    return "\n".join(lines)


async def ask_to_cancel(
    query: CallbackQuery,
    callback_data: FollowUpCallback,
    session: AsyncSession,
    clock: Clock,
    person: PersonContext | None = None,
) -> None:
    """Asks the coordinator to confirm cancelling the alert."""
    target = await followups.to_cancel(
        session, _known(person), callback_data.alert_id, now=clock.now()
    )
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(
            cancel_question(target),
            reply_markup=_confirm_keyboard(
                target.alert_id,
                FollowUp.CANCEL,
                "Yes, cancel it" + (" and send ALL CLEAR" if target.reached else ""),
            ),
        )


async def ask_to_recall(
    query: CallbackQuery,
    callback_data: FollowUpCallback,
    session: AsyncSession,
    clock: Clock,
    person: PersonContext | None = None,
) -> None:
    """Asks the coordinator to confirm recalling the alert."""
    target = await followups.to_recall(
        session, _known(person), callback_data.alert_id, now=clock.now()
    )
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(
            recall_question(target),
            reply_markup=_confirm_keyboard(target.alert_id, FollowUp.RECALL, "Yes, recall it"),
        )


async def _refresh(bot: Bot, session: AsyncSession, alert_id: int, clock: Clock) -> None:
    now = clock.now()
    await show_progress(bot, await progress_of(session, alert_id, now=now), now)


async def confirmed(
    query: CallbackQuery,
    callback_data: ConfirmCallback,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    bot: Bot,
    person: PersonContext | None = None,
) -> None:
    """Cancels or recalls the alert once the coordinator has confirmed it."""
    who = _known(person)
    if not callback_data.go:
        # Still checked, so a forged press learns nothing about the alert.
        await followups.check_may_change(session, who, callback_data.alert_id)
        await query.answer("Kept as it is.")
        if isinstance(query.message, Message):
            await query.message.edit_text("Nothing changed: the alert carries on.")
        return
    if callback_data.action == FollowUp.CANCEL:
        done = await followups.cancel(
            session, who, callback_data.alert_id, now=clock.now(), tz=settings.tz
        )
        answer = "Cancelled: copies not yet sent are stopped."
        if done.told:
            answer += f" An ALL CLEAR is going to the {_people(done.told)} who got it."
    elif callback_data.action == FollowUp.RECALL:
        recalled = await followups.recall(session, who, callback_data.alert_id, now=clock.now())
        answer = f"Recalling: deleting {recalled.deleting:,} delivered copies."
        if recalled.too_old:
            answer += (
                f" {recalled.too_old:,} were delivered more than 48 hours ago and cannot be "
                "deleted."
            )
    else:
        await query.answer()
        return
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(answer)
    await _refresh(bot, session, callback_data.alert_id, clock)


def _failed_text(headline: str, letters: list[DeadLetter]) -> str:
    lines = [f"Copies of “{headline}” that could not be delivered:"]
    for letter in letters[:FAILED_SHOWN]:
        lines.append(f"• chat {letter.chat_id}: {letter.last_error} ({letter.attempts} tries)")
    if len(letters) > FAILED_SHOWN:
        lines.append(f"… and {len(letters) - FAILED_SHOWN:,} more.")
    return "\n".join(lines)


async def failed_pressed(
    query: CallbackQuery,
    callback_data: FailedCallback,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
    person: PersonContext | None = None,
) -> None:
    """Shows the copies that failed for good, or sends them again."""
    who = _known(person)
    alert_id = callback_data.alert_id
    if callback_data.action == FailedAction.RETRY:
        retried = await followups.retry(session, who, alert_id, now=clock.now())
        await query.answer(f"Sending {retried:,} failed copies again.")
        if isinstance(query.message, Message):
            await query.message.edit_text(f"Sending {retried:,} failed copies again.")
        await _refresh(bot, session, alert_id, clock)
        return
    letters = await followups.failed_copies(session, who, alert_id)
    await query.answer()
    if not isinstance(query.message, Message):
        return
    if not letters:
        await query.message.answer("No copies of this alert have failed.")
        return
    progress = await progress_of(session, alert_id, now=clock.now())
    builder = InlineKeyboardBuilder()
    builder.button(
        text="Retry failed",
        callback_data=FailedCallback(alert_id=alert_id, action=FailedAction.RETRY),
    )
    await query.message.answer(
        _failed_text(progress.headline, letters), reply_markup=builder.as_markup()
    )


def create_router() -> Router:
    """A fresh router with this module's handlers."""
    router = Router(name=__name__)
    router.callback_query.register(
        ask_to_cancel, FollowUpCallback.filter(F.action == FollowUp.CANCEL)
    )
    router.callback_query.register(
        ask_to_recall, FollowUpCallback.filter(F.action == FollowUp.RECALL)
    )
    router.callback_query.register(confirmed, ConfirmCallback.filter())
    router.callback_query.register(failed_pressed, FailedCallback.filter())
    return router
