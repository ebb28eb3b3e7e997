"""The coordinator's buttons under the full incident, and opening an incident from a list."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from core.broadcasts.compose import from_incident
from core.clock import Clock
from core.enums import IncidentStatus
from core.incidents import actions
from core.people import PersonContext
from core.schemes.access import NOT_A_MEMBER
from handlers.broadcasts.compose import open_composer
from handlers.incidents.card import refresh_card, send_details
from handlers.incidents.card_callbacks import ManageAction, ManageCallback, OpenIncidentCallback

logger = logging.getLogger(__name__)


async def open_incident(
    query: CallbackQuery,
    callback_data: OpenIncidentCallback,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    person: PersonContext | None = None,
) -> None:
    """Opens one incident from the /incidents list."""
    assert query.bot is not None
    await send_details(
        query.bot,
        session,
        person,
        callback_data.incident_id,
        settings=settings,
        clock=clock,
        via="search",
    )
    await query.answer()


def _reopen_keyboard(incident_id: int, status: IncidentStatus) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    if status == IncidentStatus.RESOLVED:
        builder.button(
            text="Reopen",
            callback_data=ManageCallback(action=ManageAction.REOPEN, incident_id=incident_id),
        )
    else:
        builder.button(
            text="Mark resolved",
            callback_data=ManageCallback(action=ManageAction.RESOLVE, incident_id=incident_id),
        )
    return builder.as_markup()


async def resolve_or_reopen(
    query: CallbackQuery,
    callback_data: ManageCallback,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    person: PersonContext | None = None,
) -> None:
    """Marks the incident resolved, or open again, and updates its card in the group."""
    if person is None:
        await query.answer(NOT_A_MEMBER[:200], show_alert=True)
        return
    resolved = callback_data.action == ManageAction.RESOLVE
    changed = await actions.set_resolved(
        session,
        person_id=person.id,
        incident_id=callback_data.incident_id,
        resolved=resolved,
        now=clock.now(),
    )
    await query.answer("Marked resolved" if resolved else "Reopened")
    if query.bot is not None:
        await refresh_card(query.bot, session, changed.incident_id, tz=settings.tz)
    if isinstance(query.message, Message):
        await query.message.answer(
            f"{changed.reference} is marked resolved; its card in the group now says so."
            if resolved
            else f"{changed.reference} is open again; its card in the group shows it as open.",
            reply_markup=_reopen_keyboard(changed.incident_id, changed.status),
        )


async def escalate(
    query: CallbackQuery,
    callback_data: ManageCallback,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    person: PersonContext | None = None,
) -> None:
    """Opens the /broadcast composer with a warning written from the incident."""
    if person is None:
        await query.answer(NOT_A_MEMBER[:200], show_alert=True)
        return
    made = await actions.escalate(
        session, person_id=person.id, incident_id=callback_data.incident_id, now=clock.now()
    )
    await query.answer("Writing a warning")
    if isinstance(query.message, Message):
        await open_composer(
            query.message, state, session, person, settings, clock, from_incident(made)
        )


def create_router() -> Router:
    """A fresh router with this module's handlers."""
    router = Router(name=__name__)
    router.callback_query.filter(F.message.chat.type == "private")
    router.callback_query.register(open_incident, OpenIncidentCallback.filter())
    router.callback_query.register(
        resolve_or_reopen,
        ManageCallback.filter(F.action.in_({ManageAction.RESOLVE, ManageAction.REOPEN})),
    )
    router.callback_query.register(
        escalate, ManageCallback.filter(F.action == ManageAction.ESCALATE)
    )
    return router
