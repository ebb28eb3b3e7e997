"""/audit: coordinators read who viewed, searched, exported or changed what, and when."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from core.gallery import texts
from core.gallery.audit_log import AuditPage, audit_page, audit_schemes
from core.menu import Action
from core.people import PersonContext
from handlers.callbacks import MenuCallback
from handlers.gallery.callbacks import AuditCallback
from handlers.gallery.common import chat_of


def _keyboard(page: AuditPage) -> InlineKeyboardMarkup | None:
    builder = InlineKeyboardBuilder()
    if page.page > 0:
        builder.button(
            text="◀ Newer", callback_data=AuditCallback(scheme=page.scheme_id, page=page.page - 1)
        )
    if page.has_older:
        builder.button(
            text="Older ▶", callback_data=AuditCallback(scheme=page.scheme_id, page=page.page + 1)
        )
    if not page.page and not page.has_older:
        return None
    builder.adjust(2)
    return builder.as_markup()


async def _show(
    bot: Bot | None,
    chat_id: int,
    session: AsyncSession,
    person: PersonContext,
    settings: Settings,
    scheme_id: int,
    page: int,
) -> None:
    assert bot is not None
    shown = await audit_page(session, person.id, scheme_id, page=page, tz=settings.tz)
    # Who looked at what is personal data about members: not for forwarding.
    await bot.send_message(chat_id, shown.text, reply_markup=_keyboard(shown), protect_content=True)


async def audit_command(
    message: Message, session: AsyncSession, person: PersonContext, settings: Settings
) -> None:
    """Shows the newest audit entries of the coordinator's scheme (or asks which scheme)."""
    members = await audit_schemes(session, person.id)
    if len(members) == 1:
        await _show(
            message.bot, message.chat.id, session, person, settings, members[0].scheme_id, 0
        )
        return
    builder = InlineKeyboardBuilder()
    for member in members:
        builder.button(
            text=member.scheme_name, callback_data=AuditCallback(scheme=member.scheme_id)
        )
    builder.adjust(1)
    await message.answer(texts.CHOOSE_AUDIT_SCHEME, reply_markup=builder.as_markup())


async def audit_from_menu(
    query: CallbackQuery, session: AsyncSession, person: PersonContext, settings: Settings
) -> None:
    """Shows the audit log when the Audit log button is pressed."""
    await query.answer()
    if isinstance(query.message, Message):
        await audit_command(query.message, session, person, settings)


async def audit_page_pressed(
    query: CallbackQuery,
    callback_data: AuditCallback,
    session: AsyncSession,
    person: PersonContext,
    settings: Settings,
) -> None:
    """Shows newer or older entries."""
    await _show(
        query.bot,
        chat_of(query),
        session,
        person,
        settings,
        callback_data.scheme,
        callback_data.page,
    )
    await query.answer()


def create_router() -> Router:
    """A fresh router with this module's handlers."""
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    router.message.register(audit_command, Command("audit"))
    router.callback_query.register(audit_page_pressed, AuditCallback.filter())
    router.callback_query.register(audit_from_menu, MenuCallback.filter(F.action == Action.AUDIT))
    return router
