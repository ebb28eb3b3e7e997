"""/linkgroup: a coordinator makes the group they are in their scheme's group."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import (
    CallbackQuery,
    Chat,
    ChatMemberAdministrator,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.enums import BotGroupStatus
from core.errors import NotAllowed
from core.groups import REQUIRED_RIGHTS
from core.people import PersonContext
from core.schemes.linking import (
    NOT_A_COORDINATOR,
    GroupSeen,
    LinkOutcome,
    LinkResult,
    link_group,
    schemes_to_link,
)
from handlers.schemes.callbacks import LinkCallback

GROUP_TYPES = {"group", "supergroup"}
_STATUS = {
    "creator": BotGroupStatus.ADMINISTRATOR,
    "administrator": BotGroupStatus.ADMINISTRATOR,
    "member": BotGroupStatus.MEMBER,
    "restricted": BotGroupStatus.RESTRICTED,
    "left": BotGroupStatus.LEFT,
    "kicked": BotGroupStatus.KICKED,
}

HOW_TO_LINK = "\n".join(
    [
        "To link your scheme's Telegram group:",
        "1. Add me to the group.",
        "2. Make me an admin with these rights:",
        *(f"   - {text}" for text in REQUIRED_RIGHTS.values()),
        "3. Send /linkgroup in the group (from your own account, not anonymously).",
    ]
)
ANONYMOUS = (
    "I can't tell who you are when you post as the group; switch off Remain anonymous or ask "
    "a coordinator to do it from their own account."
)
NOT_FOR_YOU = "These buttons are for the coordinator who sent /linkgroup."


async def _group_seen(bot: Bot, chat: Chat) -> GroupSeen:
    """The bot's own standing and rights in the group, asked of Telegram now."""
    member = await bot.get_chat_member(chat.id, bot.id)
    rights = (
        {right: bool(getattr(member, right, False)) for right in REQUIRED_RIGHTS}
        if isinstance(member, ChatMemberAdministrator)
        else {}
    )
    return GroupSeen(
        chat_id=chat.id,
        title=chat.title or "",
        chat_type=chat.type,
        bot_status=_STATUS[member.status],
        rights=rights,
    )


def _outcome_text(outcome: LinkOutcome) -> str:
    if outcome.result == LinkResult.ALREADY:
        return f"This group is already the group of {outcome.scheme_name}. Nothing to change."
    if outcome.result == LinkResult.MISSING_RIGHTS:
        return "\n".join(
            [
                f"I can't link this group to {outcome.scheme_name} yet. I need to be an admin "
                "here with these rights:",
                *(f"- {text}" for text in outcome.missing),
                "",
                "A group admin can grant them in the group's settings, under Administrators. "
                "Then send /linkgroup again. Nothing has been linked.",
            ]
        )
    moved = (
        f" (It was moved here from {outcome.old_group_title}.)" if outcome.old_group_title else ""
    )
    return (
        f"Done: this is now the {outcome.scheme_name} group.{moved} Approved members get a "
        "one-time link to join it, and I'll tell the coordinators if anyone else joins."
    )


async def _link(
    chat: Chat,
    bot: Bot,
    session: AsyncSession,
    person: PersonContext,
    clock: Clock,
    scheme_id: int,
    move: bool,
) -> tuple[str, InlineKeyboardMarkup | None]:
    """Links the scheme; returns what to say in the group, with buttons if it needs a choice."""
    outcome = await link_group(
        session,
        person_id=person.id,
        scheme_id=scheme_id,
        group=await _group_seen(bot, chat),
        move=move,
        now=clock.now(),
    )
    if outcome.result != LinkResult.NEEDS_MOVE:
        return _outcome_text(outcome), None
    builder = InlineKeyboardBuilder()
    builder.button(
        text="Move it here",
        callback_data=LinkCallback(
            scheme_id=scheme_id, for_user=person.telegram_user_id, move=True
        ),
    )
    builder.button(
        text="Keep it where it is",
        callback_data=LinkCallback(
            scheme_id=scheme_id, for_user=person.telegram_user_id, keep=True
        ),
    )
    return (
        f"{outcome.scheme_name} is already linked to the group {outcome.old_group_title}. "
        "Move it to this group? Members of the old group stay there until removed.",
        builder.as_markup(),
    )


async def link_command(
    message: Message,
    bot: Bot,
    session: AsyncSession,
    clock: Clock,
    person: PersonContext | None = None,
) -> None:
    """Links the group to the sender's scheme, or says exactly what stands in the way."""
    if message.chat.type not in GROUP_TYPES:
        await message.answer(HOW_TO_LINK)
        return
    if message.is_automatic_forward:
        return  # a channel post copied in by Telegram (777000): nobody asked
    if message.sender_chat is not None:
        if message.sender_chat.id == message.chat.id:
            # Anonymous group admins arrive as user 1087968824 with the group as sender_chat.
            await message.answer(ANONYMOUS)
        return  # otherwise someone posting as a channel: nobody to check
    if person is None:
        raise NotAllowed(NOT_A_COORDINATOR)
    choices = await schemes_to_link(session, person.id)
    if len(choices) == 1:
        text, markup = await _link(
            message.chat, bot, session, person, clock, choices[0].scheme_id, move=False
        )
        await message.answer(text, reply_markup=markup)
        return
    builder = InlineKeyboardBuilder()
    for choice in choices:
        builder.button(
            text=choice.name,
            callback_data=LinkCallback(
                scheme_id=choice.scheme_id, for_user=person.telegram_user_id
            ),
        )
    builder.adjust(1)
    await message.answer(
        f"{person.full_name}, which of your schemes should this group belong to?",
        reply_markup=builder.as_markup(),
    )


async def link_pressed(
    query: CallbackQuery,
    callback_data: LinkCallback,
    bot: Bot,
    session: AsyncSession,
    clock: Clock,
    person: PersonContext | None = None,
) -> None:
    """Links the chosen scheme; only the coordinator who asked may press."""
    if query.from_user.id != callback_data.for_user or person is None:
        await query.answer(NOT_FOR_YOU, show_alert=True)
        return
    message = query.message
    if not isinstance(message, Message):
        await query.answer("That message is too old. Send /linkgroup again.", show_alert=True)
        return
    if callback_data.keep:
        await query.answer()
        await message.edit_text("Nothing changed: the scheme keeps its current group.")
        return
    text, markup = await _link(
        message.chat, bot, session, person, clock, callback_data.scheme_id, callback_data.move
    )
    await query.answer()
    await message.edit_reply_markup(reply_markup=None)
    await message.answer(text, reply_markup=markup)


def create_router() -> Router:
    """A fresh router with this module's handlers."""
    router = Router(name=__name__)
    router.message.register(link_command, Command("linkgroup"))
    router.callback_query.register(
        link_pressed, LinkCallback.filter(), F.message.chat.type.in_(GROUP_TYPES)
    )
    return router
