"""/members: coordinators list, search and manage their scheme's members."""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.enums import MembershipStatus
from core.errors import InvalidInput
from core.menu import Action
from core.people import PersonContext
from core.schemes.access import ROLE_NAMES
from core.schemes.members import (
    ASSIGNABLE_ROLES,
    MemberCard,
    MemberChange,
    MemberPage,
    change_member,
    check_search,
    managed_schemes,
    member_card,
    member_page,
)
from handlers.callbacks import MenuCallback
from handlers.schemes.approvals import decision_keyboard
from handlers.schemes.callbacks import MemberAction, MemberCallback, MembersCallback
from handlers.schemes.states import MemberSearch

logger = logging.getLogger(__name__)

BUSY = "You are in the middle of something else: finish it or send /cancel first."
CHANGES = {
    MemberAction.SUSPEND: MemberChange.SUSPEND,
    MemberAction.REINSTATE: MemberChange.REINSTATE,
    MemberAction.CONFIRM_REMOVE: MemberChange.REMOVE,
    MemberAction.ROLE: MemberChange.ROLE,
}


def _page_keyboard(page: MemberPage) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for line in page.lines:
        builder.button(
            text=line.label,
            callback_data=MemberCallback(
                action=MemberAction.OPEN, membership_id=line.membership_id
            ),
        )
    sizes = [1] * len(page.lines)
    navigation = 0
    if page.search is None and page.page > 0:
        builder.button(
            text="◀ Previous",
            callback_data=MembersCallback(scheme_id=page.scheme_id, page=page.page - 1),
        )
        navigation += 1
    if page.search is None and page.page + 1 < page.pages:
        builder.button(
            text="Next ▶",
            callback_data=MembersCallback(scheme_id=page.scheme_id, page=page.page + 1),
        )
        navigation += 1
    if navigation:
        sizes.append(navigation)
    builder.button(
        text="Search", callback_data=MembersCallback(scheme_id=page.scheme_id, search=True)
    )
    if page.search is not None:
        builder.button(
            text="Show everyone", callback_data=MembersCallback(scheme_id=page.scheme_id)
        )
        sizes.append(2)
    else:
        sizes.append(1)
    builder.adjust(*sizes)
    return builder.as_markup()


def _page_text(page: MemberPage) -> str:
    if page.search is not None:
        heading = f'Members of {page.scheme_name} matching "{page.search}": {page.total}.'
        if page.total > len(page.lines):
            heading += f" Showing the first {len(page.lines)}: type more of the name to narrow it."
        if not page.lines:
            heading += " Nobody matches; try part of a name or business."
        return heading
    return (
        f"Members of {page.scheme_name}: {page.total} in all, page {page.page + 1} of "
        f"{page.pages}. Requests waiting for approval come first. Tap someone to manage them."
    )


async def _show_page(
    message: Message,
    session: AsyncSession,
    person: PersonContext,
    scheme_id: int,
    page: int = 0,
    search: str | None = None,
) -> None:
    shown = await member_page(
        session, person_id=person.id, scheme_id=scheme_id, page=page, search=search
    )
    await message.answer(_page_text(shown), reply_markup=_page_keyboard(shown))


async def _offer(
    message: Message, session: AsyncSession, person: PersonContext, search: str | None
) -> None:
    schemes = await managed_schemes(session, person.id)
    if len(schemes) == 1:
        await _show_page(message, session, person, schemes[0].scheme_id, search=search)
        return
    builder = InlineKeyboardBuilder()
    for scheme in schemes:
        builder.button(text=scheme.name, callback_data=MembersCallback(scheme_id=scheme.scheme_id))
    builder.adjust(1)
    await message.answer("Which scheme's members?", reply_markup=builder.as_markup())


async def members_command(
    message: Message, command: CommandObject, session: AsyncSession, person: PersonContext
) -> None:
    """Lists the scheme's members (`/members tom` searches)."""
    search = check_search(command.args) if command.args else None
    await _offer(message, session, person, search)


async def members_from_menu(
    query: CallbackQuery, session: AsyncSession, person: PersonContext
) -> None:
    """The same, from the main menu."""
    await managed_schemes(session, person.id)
    await query.answer()
    if isinstance(query.message, Message):
        await _offer(query.message, session, person, None)


async def page_pressed(
    query: CallbackQuery,
    callback_data: MembersCallback,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
) -> None:
    """Shows another page, or asks what to search for."""
    message = query.message
    if not isinstance(message, Message):
        await query.answer("That message is too old. Send /members again.", show_alert=True)
        return
    if callback_data.search:
        await member_page(
            session, person_id=person.id, scheme_id=callback_data.scheme_id, page=0, search=None
        )
        current = await state.get_state()
        if current is not None and current != MemberSearch.term.state:
            await query.answer(BUSY, show_alert=True)
            return
        await state.set_state(MemberSearch.term)
        await state.update_data(search_scheme=callback_data.scheme_id)
        await query.answer()
        await message.answer("Type part of a name or business to search for.")
        return
    await _show_page(message, session, person, callback_data.scheme_id, page=callback_data.page)
    await query.answer()


async def search_typed(
    message: Message, state: FSMContext, session: AsyncSession, person: PersonContext
) -> None:
    """Shows the members whose name or business contains the typed text."""
    term = check_search(message.text or "")
    scheme_id = int((await state.get_data())["search_scheme"])
    await state.clear()
    await _show_page(message, session, person, scheme_id, search=term)


def _card_keyboard(card: MemberCard) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    if card.status == MembershipStatus.PENDING:
        for row in decision_keyboard(card.membership_id).inline_keyboard:
            for button in row:
                builder.add(button)
    else:

        def add(text: str, action: MemberAction) -> None:
            builder.button(
                text=text,
                callback_data=MemberCallback(
                    action=action, membership_id=card.membership_id, expected=card.status
                ),
            )

        if card.status == MembershipStatus.APPROVED:
            add("Suspend", MemberAction.SUSPEND)
        if card.status == MembershipStatus.SUSPENDED:
            add("Reinstate", MemberAction.REINSTATE)
        if card.status in (MembershipStatus.APPROVED, MembershipStatus.SUSPENDED):
            add("Remove", MemberAction.REMOVE)
            add("Change role", MemberAction.ROLES)
    actions = len(list(builder.buttons))
    builder.button(text="Back to the list", callback_data=MembersCallback(scheme_id=card.scheme_id))
    builder.adjust(*([2] * (actions // 2) + [1] * (actions % 2)), 1)
    return builder.as_markup()


async def _confirm_remove(message: Message, card: MemberCard) -> None:
    builder = InlineKeyboardBuilder()
    builder.button(
        text="Yes, remove them",
        callback_data=MemberCallback(
            action=MemberAction.CONFIRM_REMOVE,
            membership_id=card.membership_id,
            expected=card.status,
        ),
    )
    builder.button(
        text="Keep them",
        callback_data=MemberCallback(action=MemberAction.OPEN, membership_id=card.membership_id),
    )
    await message.answer(
        f"Remove {card.name} from the scheme? They lose access to everything the scheme "
        "shares and are banned from its Telegram group.",
        reply_markup=builder.as_markup(),
    )


async def _choose_role(message: Message, card: MemberCard) -> None:
    builder = InlineKeyboardBuilder()
    for role in ASSIGNABLE_ROLES:
        if role != card.role:
            builder.button(
                text=ROLE_NAMES[role].capitalize(),
                callback_data=MemberCallback(
                    action=MemberAction.ROLE,
                    membership_id=card.membership_id,
                    expected=card.status,
                    role=role,
                ),
            )
    builder.button(
        text="Keep the role",
        callback_data=MemberCallback(action=MemberAction.OPEN, membership_id=card.membership_id),
    )
    builder.adjust(2, 1)
    await message.answer(
        f"{card.name} is a {ROLE_NAMES[card.role]}. Which role should they have?",
        reply_markup=builder.as_markup(),
    )


async def member_pressed(
    query: CallbackQuery,
    callback_data: MemberCallback,
    bot: Bot,
    session: AsyncSession,
    person: PersonContext,
    clock: Clock,
) -> None:
    """Opens a member, or changes their standing or role once the coordinator confirms."""
    message = query.message
    if not isinstance(message, Message):
        await query.answer("That message is too old. Send /members again.", show_alert=True)
        return
    action = callback_data.action
    if action in CHANGES:
        if callback_data.expected is None:
            raise InvalidInput("That button is out of date. Open the member again.")
        changed = await change_member(
            session,
            person_id=person.id,
            membership_id=callback_data.membership_id,
            change=CHANGES[action],
            expected=callback_data.expected,
            role=callback_data.role,
            now=clock.now(),
        )
        await query.answer("Done")
        await message.edit_reply_markup(reply_markup=None)
        notes = [changed.done]
        if changed.change == MemberChange.REMOVE and changed.group_chat_id is not None:
            notes.append(await _ban(bot, changed.group_chat_id, changed.member_chat_id))
        if not await _tell_member(bot, changed.member_chat_id, changed.message_to_member):
            notes.append("I couldn't message them about it, though.")
        await message.answer(" ".join(notes))
        await message.answer(changed.card.text, reply_markup=_card_keyboard(changed.card))
        return
    card = await member_card(
        session, person_id=person.id, membership_id=callback_data.membership_id
    )
    if action != MemberAction.OPEN and callback_data.expected != card.status:
        raise InvalidInput(
            f"{card.name}'s standing changed since that message. Open them again from /members."
        )
    await query.answer()
    if action == MemberAction.REMOVE:
        await _confirm_remove(message, card)
    elif action == MemberAction.ROLES:
        await _choose_role(message, card)
    else:
        await message.answer(card.text, reply_markup=_card_keyboard(card))


async def _ban(bot: Bot, group_chat_id: int, member_chat_id: int | None) -> str:
    """Bans a removed member from the scheme's group; says whether it worked."""
    if member_chat_id is None:
        return "They have no Telegram account on record, so there was nobody to ban."
    try:
        await bot.ban_chat_member(group_chat_id, member_chat_id)
    except TelegramAPIError as error:
        return (
            f"I couldn't ban them from the scheme's group (Telegram said: {error.message}). "
            "Please remove them from the group yourself."
        )
    return "They are banned from the scheme's group."


async def _tell_member(bot: Bot, chat_id: int | None, text: str) -> bool:
    if chat_id is None:
        return False
    try:
        await bot.send_message(chat_id, text)
    except TelegramAPIError as error:
        logger.warning("could not tell member %s about a change: %s", chat_id, error.message)
        return False
    return True


def create_router() -> Router:
    """A fresh router with this module's handlers."""
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    router.message.register(members_command, Command(Action.MEMBERS.value))
    router.callback_query.register(
        members_from_menu, MenuCallback.filter(F.action == Action.MEMBERS)
    )
    router.callback_query.register(page_pressed, MembersCallback.filter())
    router.callback_query.register(member_pressed, MemberCallback.filter())
    router.message.register(search_typed, MemberSearch.term, F.text & ~F.text.startswith("/"))
    return router
