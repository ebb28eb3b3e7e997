"""A trader follows an invite link: their business details, the scheme's rules, then approval."""

from __future__ import annotations

import logging
import secrets

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from core.clock import Clock
from core.deeplinks import JoinScheme, parse_start_payload
from core.errors import InvalidInput
from core.people import PersonContext
from core.schemes import registration
from core.schemes.approvals import load_request
from core.schemes.registration import Application
from handlers.schemes.approvals import decision_keyboard
from handlers.schemes.callbacks import JoinCallback, JoinStep
from handlers.schemes.states import JOIN_ORDER, Joining

logger = logging.getLogger(__name__)

SHARE_PHONE = "📞 Share my phone number"
SKIP = "Skip"
BACK = "Back"
CANCEL = "Cancel"
STALE = "That button belongs to an earlier conversation. Follow your invite link again."
CANCELLED = "Cancelled. You have not joined and nothing you typed was kept."

QUESTIONS: dict[str | None, str] = {
    Joining.business.state: "What is the name of your business?",
    Joining.address.state: "What is the business's address, or its postcode?",
    Joining.job.state: "What is your role at the business? (e.g. Owner, Store manager, Security)",
    Joining.phone.state: (
        "Would you like to give the coordinator a phone number? Press the button to share "
        "the number of this Telegram account, type another number, or press Skip."
    ),
}


def _inline(flow: str, step: State, *extra: tuple[str, JoinStep]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for text, join_step in extra:
        builder.button(text=text, callback_data=JoinCallback(step=join_step, flow=flow))
    if step != Joining.business:
        # Back names the step it belongs to, so Back on an older message changes nothing.
        at = str(step.state).split(":")[-1]
        builder.button(text=BACK, callback_data=JoinCallback(step=JoinStep.BACK, flow=flow, at=at))
    builder.button(text=CANCEL, callback_data=JoinCallback(step=JoinStep.CANCEL, flow=flow))
    builder.adjust(*([2] if extra else []), 2)
    return builder.as_markup()


def _phone_keyboard() -> ReplyKeyboardMarkup:
    """A reply keyboard: Telegram only lets a bot ask for a contact this way."""
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=SHARE_PHONE, request_contact=True)],
            [KeyboardButton(text=SKIP)],
            [KeyboardButton(text=BACK), KeyboardButton(text=CANCEL)],
        ],
        resize_keyboard=True,
        input_field_placeholder="Or type a phone number",
    )


async def _application(state: FSMContext) -> Application:
    return Application.from_data((await state.get_data())["application"])


async def _ask(step: State, message: Message, state: FSMContext) -> None:
    """Moves to `step` and asks its question."""
    data = await state.get_data()
    flow = str(data["flow"])
    # Asked before the step changes, so a crash in between asks again rather than going quiet.
    if step == Joining.phone:
        await message.answer(QUESTIONS[step.state], reply_markup=_phone_keyboard())
    elif step == Joining.rules:
        await message.answer(
            f"Last step: the information-sharing rules of {data['scheme_name']}. Members must "
            f"accept them:\n\n{data['rules']}\n\nDo you accept these rules?",
            reply_markup=_inline(
                flow, step, ("I accept", JoinStep.ACCEPT), ("I decline", JoinStep.DECLINE)
            ),
        )
    else:
        await message.answer(QUESTIONS[step.state], reply_markup=_inline(flow, step))
    await state.set_state(step)


async def _next(message: Message, state: FSMContext, current: State, app: Application) -> None:
    await state.update_data(application=app.to_data())
    await _ask(JOIN_ORDER[JOIN_ORDER.index(current) + 1], message, state)


async def start_join(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    clock: Clock,
) -> None:
    """Follows an invite link: checks it, then asks for the business's details."""
    payload = parse_start_payload(command.args)
    if not isinstance(payload, JoinScheme):
        raise InvalidInput("That link is not one of ours, so I have ignored it.")
    invite = await registration.open_invite(
        session, person_id=person.id, code=payload.code, now=clock.now()
    )
    await state.clear()
    await state.update_data(
        flow=secrets.token_hex(4),
        application=Application(code=invite.code).to_data(),
        scheme_name=invite.scheme_name,
        rules=invite.sharing_rules,
    )
    await message.answer(
        f"This invite is for {invite.scheme_name}. To join, I need a few details about your "
        "business; a coordinator checks them before you are let in. You can press Back or "
        "Cancel at any step, or send /cancel."
    )
    await _ask(Joining.business, message, state)


async def business_typed(message: Message, state: FSMContext) -> None:
    """Takes the business's name."""
    app = await _application(state)
    app.business_name = registration.check_business_name(message.text or "")
    await _next(message, state, Joining.business, app)


async def address_typed(message: Message, state: FSMContext) -> None:
    """Takes the business's address or postcode."""
    app = await _application(state)
    app.address, app.postcode = registration.check_address(message.text or "")
    await _next(message, state, Joining.address, app)


async def job_typed(message: Message, state: FSMContext) -> None:
    """Takes the person's role at the business."""
    app = await _application(state)
    app.job_title = registration.check_job_title(message.text or "")
    await _next(message, state, Joining.job, app)


async def contact_shared(message: Message, state: FSMContext) -> None:
    """Takes the person's own number from Telegram's contact button; nobody else's."""
    assert message.contact is not None and message.from_user is not None
    if message.contact.user_id != message.from_user.id:
        await message.answer(
            "That is someone else's contact. Please press the button to share your own "
            "number, or press Skip."
        )
        return
    app = await _application(state)
    app.phone = registration.contact_phone(message.contact.phone_number)
    await message.answer("Thanks, got your number.", reply_markup=ReplyKeyboardRemove())
    await _next(message, state, Joining.phone, app)


async def phone_typed(message: Message, state: FSMContext) -> None:
    """Takes a typed number, Skip, Back or Cancel."""
    text = (message.text or "").strip()
    if text == CANCEL:
        await state.clear()
        await message.answer(CANCELLED, reply_markup=ReplyKeyboardRemove())
        return
    if text == BACK:
        await message.answer("Going back.", reply_markup=ReplyKeyboardRemove())
        await _ask(Joining.job, message, state)
        return
    app = await _application(state)
    if text == SKIP:
        app.phone = None
        await message.answer("No phone number, then.", reply_markup=ReplyKeyboardRemove())
    else:
        app.phone = registration.check_phone(text)
        await message.answer("Thanks, got your number.", reply_markup=ReplyKeyboardRemove())
    await _next(message, state, Joining.phone, app)


async def not_an_answer(message: Message, state: FSMContext) -> None:
    """Answers anything a step did not ask for."""
    current = await state.get_state()
    if current == Joining.rules.state:
        await message.answer("Please press I accept or I decline on my last message.")
    elif current == Joining.phone.state:
        await message.answer(
            "Please press the button to share your number, type a number, or press Skip."
        )
    else:
        await message.answer("Please answer with a text message.")


async def on_step(
    query: CallbackQuery,
    callback_data: JoinCallback,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    bot: Bot,
    clock: Clock,
    settings: Settings,
) -> None:
    """Back, Cancel, Accept and Decline; buttons from an older conversation are refused."""
    message = query.message
    data = await state.get_data()
    raw_state = await state.get_state()
    current = next((s for s in JOIN_ORDER if s.state == raw_state), None)
    if (
        not isinstance(message, Message)
        or current is None
        or data.get("flow") != callback_data.flow
    ):
        await query.answer(STALE, show_alert=True)
        return
    step = callback_data.step
    if step == JoinStep.CANCEL:
        await state.clear()
        await query.answer()
        await message.answer(CANCELLED, reply_markup=ReplyKeyboardRemove())
    elif (
        step == JoinStep.BACK
        and current != Joining.business
        and callback_data.at == str(current.state).split(":")[-1]
    ):
        await query.answer()
        await _ask(JOIN_ORDER[JOIN_ORDER.index(current) - 1], message, state)
    elif step == JoinStep.DECLINE and current == Joining.rules:
        await state.clear()
        await query.answer()
        await message.edit_reply_markup(reply_markup=None)
        await message.answer(
            "You declined the rules, so you have not joined and nothing you typed was kept. "
            "If you change your mind, follow the invite link again."
        )
    elif step == JoinStep.ACCEPT and current == Joining.rules:
        submitted = await registration.submit_application(
            session, person_id=person.id, application=await _application(state), now=clock.now()
        )
        await state.clear()
        await query.answer("Sent")
        await message.edit_reply_markup(reply_markup=None)
        await message.answer(
            f"Thank you. Your request to join {submitted.scheme_name} is with its "
            "coordinators. I'll message you here as soon as they decide."
        )
        await _ask_coordinators(bot, session, submitted, settings)
    else:
        await query.answer(STALE, show_alert=True)


async def _ask_coordinators(
    bot: Bot, session: AsyncSession, submitted: registration.Submitted, settings: Settings
) -> None:
    """Sends each coordinator the request with Approve and Reject (admins if there are none)."""
    request = await load_request(session, submitted.membership_id)
    recipients = submitted.coordinator_chat_ids or list(settings.admin_user_ids)
    for chat_id in recipients:
        try:
            await bot.send_message(
                chat_id, request.text(), reply_markup=decision_keyboard(request.membership_id)
            )
        except TelegramAPIError as error:
            # The request is safely filed; it also shows in /members for every coordinator.
            logger.warning("could not ask coordinator %s: %s", chat_id, error.message)


def create_router() -> Router:
    """A fresh router with this module's handlers."""
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    typed = F.text & ~F.text.startswith("/")
    router.message.register(
        start_join, CommandStart(deep_link=True, magic=F.args.startswith("join_"))
    )
    router.callback_query.register(on_step, JoinCallback.filter())
    router.message.register(business_typed, Joining.business, typed)
    router.message.register(address_typed, Joining.address, typed)
    router.message.register(job_typed, Joining.job, typed)
    router.message.register(contact_shared, Joining.phone, F.contact)
    router.message.register(phone_typed, Joining.phone, typed)
    for step in JOIN_ORDER:
        router.message.register(not_an_answer, step, ~F.text.startswith("/"))
    return router
