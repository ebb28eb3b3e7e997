"""Coordinators approve or reject requests to join; the trader hears the outcome."""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.errors import AppError, InvalidInput
from core.people import PersonContext
from core.schemes.approvals import Decision, decide, keep_group_link, pending_request
from handlers.schemes.callbacks import DecisionAction, DecisionCallback
from handlers.schemes.states import RejectReason

logger = logging.getLogger(__name__)

REASONS = (
    "Not a business in the scheme's area",
    "I couldn't verify the business",
    "Already a member under another account",
)
BUSY = "You are in the middle of something else: finish it or send /cancel first."


def decision_keyboard(membership_id: int) -> InlineKeyboardMarkup:
    """Approve and Reject under a request to join."""
    builder = InlineKeyboardBuilder()
    builder.button(
        text="Approve",
        callback_data=DecisionCallback(action=DecisionAction.APPROVE, membership_id=membership_id),
    )
    builder.button(
        text="Reject",
        callback_data=DecisionCallback(action=DecisionAction.REJECT, membership_id=membership_id),
    )
    return builder.as_markup()


async def _tell(bot: Bot, chat_id: int | None, text: str) -> bool:
    """Sends a message; False if Telegram would not deliver it (blocked, deactivated...)."""
    if chat_id is None:
        return False
    try:
        await bot.send_message(chat_id, text)
    except TelegramAPIError as error:
        logger.warning("could not tell %s about a membership decision: %s", chat_id, error.message)
        return False
    return True


async def _group_link(
    bot: Bot, session: AsyncSession, decision: Decision
) -> tuple[str | None, str | None]:
    """A one-person, one-time link to the scheme's group, or what went wrong."""
    if decision.group_chat_id is None or decision.member_chat_id is None:
        return None, None
    try:
        # Someone removed earlier and now approved again must be unbanned to use a link.
        await bot.unban_chat_member(
            decision.group_chat_id, decision.member_chat_id, only_if_banned=True
        )
    except TelegramAPIError as error:
        logger.info(
            "could not unban %s before inviting: %s", decision.member_chat_id, error.message
        )
    try:
        link = await bot.create_chat_invite_link(
            decision.group_chat_id, name=decision.member_name[:32], member_limit=1
        )
    except TelegramAPIError as error:
        return None, error.message
    await keep_group_link(session, decision.membership_id, link.invite_link)
    return link.invite_link, None


async def approve_pressed(
    query: CallbackQuery,
    callback_data: DecisionCallback,
    bot: Bot,
    session: AsyncSession,
    person: PersonContext,
    clock: Clock,
) -> None:
    """Approves the request, welcomes the trader and sends them their link to the group."""
    decision = await decide(
        session,
        coordinator_id=person.id,
        membership_id=callback_data.membership_id,
        approve=True,
        reason=None,
        now=clock.now(),
    )
    await query.answer("Approved")
    message = query.message
    if isinstance(message, Message):
        await message.edit_text(
            f"{message.text}\n\nApproved by {person.full_name}.", reply_markup=None
        )
    link, problem = await _group_link(bot, session, decision)
    welcome = f"Good news: your request to join {decision.scheme_name} has been approved."
    if link is not None:
        welcome += (
            f"\n\nHere is your link to the scheme's Telegram group. It works once, and only "
            f"for you:\n{link}"
        )
    elif decision.group_chat_id is not None:
        welcome += "\n\nA coordinator will add you to the scheme's Telegram group."
    welcome += "\n\nSend /start to see what you can do now."
    told = await _tell(bot, decision.member_chat_id, welcome)
    notes = []
    if problem is not None:
        notes.append(
            f"I couldn't create a link to the scheme's group for {decision.member_name} "
            f"(Telegram said: {problem}). Check that I am still an admin there with "
            '"Invite users via link", and add them to the group yourself.'
        )
    if not told:
        notes.append(f"I couldn't message {decision.member_name}: please let them know.")
    if notes and isinstance(message, Message):
        await message.answer("\n\n".join(notes))


async def reject_pressed(
    query: CallbackQuery,
    callback_data: DecisionCallback,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
) -> None:
    """Asks the coordinator for the reason the trader will be given."""
    request = await pending_request(
        session, coordinator_id=person.id, membership_id=callback_data.membership_id
    )
    current = await state.get_state()
    if current is not None and current != RejectReason.reason.state:
        await query.answer(BUSY, show_alert=True)
        return
    message = query.message
    await state.set_state(RejectReason.reason)
    await state.update_data(
        reject_membership=request.membership_id,
        reject_message=message.message_id if isinstance(message, Message) else None,
    )
    await query.answer()
    builder = InlineKeyboardBuilder()
    for index, reason in enumerate(REASONS):
        builder.button(
            text=reason,
            callback_data=DecisionCallback(
                action=DecisionAction.REASON, membership_id=request.membership_id, reason=index
            ),
        )
    builder.button(
        text="Don't reject",
        callback_data=DecisionCallback(
            action=DecisionAction.CANCEL, membership_id=request.membership_id
        ),
    )
    builder.adjust(1)
    if isinstance(message, Message):
        await message.answer(
            f"Why are you rejecting {request.name} ({request.business_name})? They will see "
            "the reason. Pick one, or type your own.",
            reply_markup=builder.as_markup(),
        )


async def _reject(
    message: Message,
    bot: Bot,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    clock: Clock,
    membership_id: int,
    reason: str,
) -> None:
    decision = await decide(
        session,
        coordinator_id=person.id,
        membership_id=membership_id,
        approve=False,
        reason=reason,
        now=clock.now(),
    )
    data = await state.get_data()
    if data.get("reject_membership") == membership_id:
        await state.clear()
        request_message = data.get("reject_message")
        if request_message is not None:
            try:
                await bot.edit_message_reply_markup(
                    chat_id=message.chat.id, message_id=int(request_message), reply_markup=None
                )
            except TelegramAPIError as error:
                logger.info("request message not tidied: %s", error.message)
    told = await _tell(
        bot,
        decision.member_chat_id,
        f"Sorry, your request to join {decision.scheme_name} was not approved.\n"
        f"Reason: {decision.reason}\n\n"
        "If you think this is a mistake, please contact the scheme coordinator.",
    )
    await message.answer(
        f"Rejected {decision.member_name}'s request. "
        + ("I've told them the reason." if told else "I couldn't message them, though.")
    )


async def reason_pressed(
    query: CallbackQuery,
    callback_data: DecisionCallback,
    bot: Bot,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    clock: Clock,
) -> None:
    """Rejects with one of the preset reasons."""
    if not 0 <= callback_data.reason < len(REASONS) or not isinstance(query.message, Message):
        raise InvalidInput("That isn't one of the reasons. Press Reject again.")
    await pending_request(
        session, coordinator_id=person.id, membership_id=callback_data.membership_id
    )
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)
    await _reject(
        query.message,
        bot,
        state,
        session,
        person,
        clock,
        callback_data.membership_id,
        REASONS[callback_data.reason],
    )


async def keep_pressed(
    query: CallbackQuery, callback_data: DecisionCallback, state: FSMContext
) -> None:
    """Leaves the request waiting."""
    if (await state.get_data()).get("reject_membership") == callback_data.membership_id:
        await state.clear()
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(
            "Not rejected: the request is still waiting for a decision.", reply_markup=None
        )


async def reason_typed(
    message: Message,
    bot: Bot,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    clock: Clock,
) -> None:
    """Rejects with the coordinator's own words."""
    membership_id = int((await state.get_data())["reject_membership"])
    try:
        await pending_request(session, coordinator_id=person.id, membership_id=membership_id)
    except AppError:
        await state.clear()
        raise
    await _reject(message, bot, state, session, person, clock, membership_id, message.text or "")


async def reason_not_text(message: Message) -> None:
    """Asks for the reason as text."""
    await message.answer("Please type the reason as a text message, or pick one of the buttons.")


def create_router() -> Router:
    """A fresh router with this module's handlers."""
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    router.callback_query.register(
        approve_pressed, DecisionCallback.filter(F.action == DecisionAction.APPROVE)
    )
    router.callback_query.register(
        reject_pressed, DecisionCallback.filter(F.action == DecisionAction.REJECT)
    )
    router.callback_query.register(
        reason_pressed, DecisionCallback.filter(F.action == DecisionAction.REASON)
    )
    router.callback_query.register(
        keep_pressed, DecisionCallback.filter(F.action == DecisionAction.CANCEL)
    )
    router.message.register(reason_typed, RejectReason.reason, F.text & ~F.text.startswith("/"))
    router.message.register(reason_not_text, RejectReason.reason, ~F.text.startswith("/"))
    return router
