"""The incident card in the scheme's group, its two buttons, and the private full view."""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, InputMediaPhoto
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from core.clock import Clock
from core.enums import IncidentStatus
from core.errors import AppError, NotAllowed
from core.incidents import card as card_core
from core.incidents import sightings
from core.incidents.details import IncidentDetails, open_details, record_viewed
from core.people import PersonContext
from core.schemes.access import NOT_A_MEMBER
from handlers.gallery.callbacks import AddToGalleryCallback
from handlers.incidents.card_callbacks import (
    CardAction,
    CardCallback,
    ManageAction,
    ManageCallback,
)

logger = logging.getLogger(__name__)

DEFAULT_TZ = ZoneInfo("Europe/London")
START_FIRST = (
    "Open a private chat with me first (tap my name, then Start), then press Details again"
)
TEXT_LIMIT = 4000
ALBUM_LIMIT = 10
NOT_POSTED = (
    "I couldn't post the incident in your scheme's group ({reason}). It is saved; ask your "
    "coordinator to check that I'm still in the group and allowed to post, then it can be "
    "shared again."
)


def card_keyboard(incident_id: int) -> InlineKeyboardMarkup:
    """The card's two buttons."""
    builder = InlineKeyboardBuilder()
    builder.button(
        text="👀 Seen them too",
        callback_data=CardCallback(action=CardAction.SEEN, incident_id=incident_id),
    )
    builder.button(
        text="🔒 Details",
        callback_data=CardCallback(action=CardAction.DETAILS, incident_id=incident_id),
    )
    builder.adjust(2)
    return builder.as_markup()


def _reason(error: TelegramAPIError) -> str:
    if isinstance(error, TelegramForbiddenError):
        return "I have been removed from the group or can't post there"
    if isinstance(error, TelegramBadRequest) and "rights" in error.message.lower():
        return "I'm not allowed to post in the group"
    if isinstance(error, TelegramBadRequest) and "not found" in error.message.lower():
        return "the group can't be found any more"
    return "Telegram refused the message"


async def post_card(
    bot: Bot, session: AsyncSession, incident_id: int, *, tz: ZoneInfo = DEFAULT_TZ
) -> str | None:
    """Posts the card in the scheme's group; returns a problem to tell the trader, or None."""
    card = await card_core.load_card(session, incident_id, tz)
    if card.scheme_group_id is None:
        return card_core.NO_GROUP
    try:
        sent = await bot.send_message(
            card.scheme_group_id,
            card.text,
            reply_markup=card_keyboard(card.incident_id),
            protect_content=True,
        )
    except TelegramAPIError as error:
        logger.warning(
            "could not post card for %s in %s: %s",
            card.reference,
            card.scheme_group_id,
            error.message,
        )
        return NOT_POSTED.format(reason=_reason(error))
    await card_core.record_posted(session, card.incident_id, sent.chat.id, sent.message_id)
    return None


async def refresh_card(
    bot: Bot, session: AsyncSession, incident_id: int, *, tz: ZoneInfo = DEFAULT_TZ
) -> None:
    """Edits the posted card in place so its counter and status are current."""
    card = await card_core.load_card(session, incident_id, tz)
    if card.posted_chat_id is None or card.posted_message_id is None:
        return
    try:
        await bot.edit_message_text(
            text=card.text,
            chat_id=card.posted_chat_id,
            message_id=card.posted_message_id,
            reply_markup=card_keyboard(card.incident_id),
        )
    except TelegramAPIError as error:
        # "message is not modified" is harmless: two presses raced to the same text.
        if "not modified" not in error.message.lower():
            logger.warning("could not update card for %s: %s", card.reference, error.message)


class CannotMessage(AppError):
    """The bot may not start a private chat with this person."""

    def __init__(self) -> None:
        super().__init__(START_FIRST)


def manage_keyboard(shown: IncidentDetails) -> InlineKeyboardMarkup | None:
    """A coordinator's buttons under the full incident; none for anyone else."""
    if not shown.may_manage:
        return None
    builder = InlineKeyboardBuilder()
    if shown.status == IncidentStatus.RESOLVED:
        builder.button(
            text="Reopen",
            callback_data=ManageCallback(action=ManageAction.REOPEN, incident_id=shown.incident_id),
        )
    else:
        builder.button(
            text="Mark resolved",
            callback_data=ManageCallback(
                action=ManageAction.RESOLVE, incident_id=shown.incident_id
            ),
        )
    builder.button(
        text="Escalate to alert",
        callback_data=ManageCallback(action=ManageAction.ESCALATE, incident_id=shown.incident_id),
    )
    builder.button(
        text="Add to gallery", callback_data=AddToGalleryCallback(incident_id=shown.incident_id)
    )
    builder.adjust(1)
    return builder.as_markup()


def _chunks(text: str) -> list[str]:
    parts: list[str] = []
    while len(text) > TEXT_LIMIT:
        cut = text.rfind("\n", 0, TEXT_LIMIT)
        cut = cut if cut > 0 else TEXT_LIMIT
        parts.append(text[:cut])
        text = text[cut:].lstrip("\n")
    parts.append(text)
    return parts


async def _send_photos(bot: Bot, chat_id: int, file_ids: list[str]) -> list[int]:
    sent: list[int] = []
    for start in range(0, len(file_ids), ALBUM_LIMIT):
        batch = file_ids[start : start + ALBUM_LIMIT]
        try:
            if len(batch) == 1:
                message = await bot.send_photo(chat_id, batch[0], protect_content=True)
                sent.append(message.message_id)
            else:
                album = await bot.send_media_group(
                    chat_id,
                    [InputMediaPhoto(media=file_id) for file_id in batch],
                    protect_content=True,
                )
                sent.extend(message.message_id for message in album)
        except TelegramAPIError as error:
            logger.warning("could not send incident photos to %s: %s", chat_id, error.message)
    return sent


async def send_details(
    bot: Bot,
    session: AsyncSession,
    person: PersonContext | None,
    incident_id: int,
    *,
    settings: Settings,
    clock: Clock,
    via: str,
) -> None:
    """Sends the full incident to the person's private chat, audited and set to be deleted."""
    if person is None:
        raise NotAllowed(NOT_A_MEMBER)
    shown = await open_details(
        session, person_id=person.id, incident_id=incident_id, tz=settings.tz
    )
    chat_id = person.telegram_user_id
    parts = _chunks(shown.text)
    sent: list[int] = []
    try:
        for number, part in enumerate(parts, 1):
            message = await bot.send_message(
                chat_id,
                part,
                protect_content=True,
                reply_markup=manage_keyboard(shown) if number == len(parts) else None,
            )
            sent.append(message.message_id)
    except TelegramForbiddenError as error:
        if not sent:
            raise CannotMessage() from error
        logger.warning("incident details to %s cut short: %s", chat_id, error.message)
    if sent:
        sent += await _send_photos(bot, chat_id, shown.photo_file_ids)
    await record_viewed(
        session,
        person_id=person.id,
        shown=shown,
        chat_id=chat_id,
        message_ids=sent,
        now=clock.now(),
        via=via,
    )


async def seen_them_too(
    query: CallbackQuery,
    callback_data: CardCallback,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    person: PersonContext | None = None,
) -> None:
    """Records that the presser's business saw these people too, and updates the counter."""
    if person is None:
        await query.answer(NOT_A_MEMBER[:200], show_alert=True)
        return
    noted = await sightings.add(
        session,
        person_id=person.id,
        incident_id=callback_data.incident_id,
        now=clock.now(),
        tz=settings.tz,
    )
    await query.answer(f"Thanks, noted at {card_core.clock_text(noted.seen_at, settings.tz)}")
    if query.bot is not None:
        await refresh_card(query.bot, session, callback_data.incident_id, tz=settings.tz)


async def details(
    query: CallbackQuery,
    callback_data: CardCallback,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    person: PersonContext | None = None,
) -> None:
    """Sends the full incident to the presser privately, if they may see it."""
    assert query.bot is not None
    try:
        await send_details(
            query.bot,
            session,
            person,
            callback_data.incident_id,
            settings=settings,
            clock=clock,
            via="card",
        )
    except CannotMessage:
        await query.answer(START_FIRST, show_alert=True)
        return
    except AppError as error:
        await query.answer(error.message[:200], show_alert=True)
        return
    await query.answer("Sent to you privately")


def create_router() -> Router:
    """A fresh router with this module's handlers."""
    router = Router(name=__name__)
    router.callback_query.register(seen_them_too, CardCallback.filter(F.action == CardAction.SEEN))
    router.callback_query.register(details, CardCallback.filter(F.action == CardAction.DETAILS))
    return router
