"""/invite: a coordinator gets a deep link that lets traders ask to join their scheme."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from core.clock import Clock
from core.errors import InvalidInput
from core.invites import INVITE_KIND_LABELS, InviteKind, create_invite, revoke_invite
from core.menu import Action
from core.people import PersonContext
from core.schemes.members import ManagedScheme, managed_schemes
from handlers.callbacks import MenuCallback
from handlers.schemes.callbacks import InviteCallback, RevokeInviteCallback


def _kinds(scheme: ManagedScheme) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    for kind, label in INVITE_KIND_LABELS.items():
        builder.button(
            text=label, callback_data=InviteCallback(scheme_id=scheme.scheme_id, kind=kind.value)
        )
    builder.adjust(1)
    return (
        f"What kind of invite link for {scheme.name}? Whoever follows it can ask to join as a "
        "trader; a coordinator approves each request.",
        builder.as_markup(),
    )


async def _offer(message: Message, schemes: list[ManagedScheme]) -> None:
    if len(schemes) == 1:
        text, markup = _kinds(schemes[0])
        await message.answer(text, reply_markup=markup)
        return
    builder = InlineKeyboardBuilder()
    for scheme in schemes:
        builder.button(text=scheme.name, callback_data=InviteCallback(scheme_id=scheme.scheme_id))
    builder.adjust(1)
    await message.answer("Which scheme is the invite for?", reply_markup=builder.as_markup())


async def invite_command(message: Message, session: AsyncSession, person: PersonContext) -> None:
    """Offers the kinds of invite link, after the scheme if the coordinator runs several."""
    await _offer(message, await managed_schemes(session, person.id))


async def invite_from_menu(
    query: CallbackQuery, session: AsyncSession, person: PersonContext
) -> None:
    """The same, from the main menu."""
    schemes = await managed_schemes(session, person.id)
    await query.answer()
    if isinstance(query.message, Message):
        await _offer(query.message, schemes)


async def invite_pressed(
    query: CallbackQuery,
    callback_data: InviteCallback,
    bot: Bot,
    session: AsyncSession,
    person: PersonContext,
    settings: Settings,
    clock: Clock,
) -> None:
    """Makes the invite (or, with only a scheme chosen, asks which kind)."""
    schemes = {s.scheme_id: s for s in await managed_schemes(session, person.id)}
    scheme = schemes.get(callback_data.scheme_id)
    if scheme is None:
        raise InvalidInput("You are not a coordinator of that scheme, so you can't invite to it.")
    message = query.message
    if not callback_data.kind:
        await query.answer()
        if isinstance(message, Message):
            text, markup = _kinds(scheme)
            await message.answer(text, reply_markup=markup)
        return
    if callback_data.kind not in InviteKind._value2member_map_:
        raise InvalidInput("That isn't one of the choices. Send /invite to start again.")
    created = await create_invite(
        session,
        person_id=person.id,
        scheme_id=scheme.scheme_id,
        kind=InviteKind(callback_data.kind),
        now=clock.now(),
    )
    await query.answer()
    username = (await bot.me()).username
    link = f"https://t.me/{username}?start=join_{created.code}"
    until = (
        created.expires_at.astimezone(settings.tz).strftime("%d %b %Y, %H:%M")
        if created.expires_at is not None
        else None
    )
    builder = InlineKeyboardBuilder()
    builder.button(
        text="Revoke this link", callback_data=RevokeInviteCallback(invite_id=created.invite_id)
    )
    if isinstance(message, Message):
        await message.answer(
            f"Invite link for {created.scheme_name} ({INVITE_KIND_LABELS[created.kind]}):\n"
            f"{link}\n\n"
            f"{created.allows(until)} Send it to the trader yourself, e.g. by text or email. "
            "I'll send you their details to approve or reject.",
            reply_markup=builder.as_markup(),
        )


async def revoke_pressed(
    query: CallbackQuery,
    callback_data: RevokeInviteCallback,
    session: AsyncSession,
    person: PersonContext,
    clock: Clock,
) -> None:
    """Stops an invite link from working."""
    scheme_name = await revoke_invite(
        session, person_id=person.id, invite_id=callback_data.invite_id, now=clock.now()
    )
    await query.answer("Revoked")
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
        await query.message.answer(
            f"That invite link for {scheme_name} no longer works. Anyone who already asked to "
            "join through it is still waiting for a decision."
        )


def create_router() -> Router:
    """A fresh router with this module's handlers."""
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    router.message.register(invite_command, Command(Action.INVITE.value))
    router.callback_query.register(invite_from_menu, MenuCallback.filter(F.action == Action.INVITE))
    router.callback_query.register(invite_pressed, InviteCallback.filter())
    router.callback_query.register(revoke_pressed, RevokeInviteCallback.filter())
    return router
