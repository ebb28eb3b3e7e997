"""Submitting an incident: filed once however often Submit is pressed, then its card posted."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from core.clock import Clock
from core.incidents import texts
from core.incidents.draft import IncidentDraft
from core.incidents.filing import FiledIncident, file_incident
from core.people import PersonContext
from handlers.incidents.card import post_card

logger = logging.getLogger(__name__)


def submission_key(person: PersonContext, flow: str) -> str:
    """One key per person and conversation, so Submit files an incident at most once."""
    return f"{person.telegram_user_id}:{flow}"


async def submit(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: PersonContext,
    settings: Settings,
    clock: Clock,
    flow: str,
) -> None:
    """Files the incident under this conversation's key, confirms it, then posts its card."""
    draft = IncidentDraft.from_data((await state.get_data()).get("draft"))
    filed = await file_incident(
        session,
        reporter_id=person.id,
        draft=draft,
        submission_key=submission_key(person, flow),
        now=clock.now(),
    )
    await state.clear()
    if filed.duplicate:
        await message.answer(f"Already submitted: your incident is {filed.reference}.")
        return
    await message.answer(texts.submitted(filed.reference, draft.scheme_name))
    if message.bot is not None:
        await _post_card(message, message.bot, session, filed, draft, person, settings)


async def _post_card(
    message: Message,
    bot: Bot,
    session: AsyncSession,
    filed: FiledIncident,
    draft: IncidentDraft,
    person: PersonContext,
    settings: Settings,
) -> None:
    """Posts the card in the scheme's group; if it can't, says so to the trader and coordinators."""
    problem = await post_card(bot, session, filed.incident_id, tz=settings.tz)
    if problem is None:
        return
    await message.answer(texts.card_not_posted(filed.reference, problem))
    notice = texts.card_problem_for_coordinator(filed.reference, draft.scheme_name, problem)
    recipients = filed.coordinator_chat_ids or list(settings.admin_user_ids)
    for chat_id in recipients:
        if chat_id == person.telegram_user_id:
            continue
        try:
            await bot.send_message(chat_id, notice)
        except TelegramAPIError as error:
            # The incident is safely filed; a coordinator who blocked the bot just misses this.
            logger.warning("could not tell coordinator %s: %s", chat_id, error.message)
