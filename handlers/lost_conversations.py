"""Telling someone whose unfinished conversation was lost (Redis restarted or was flushed)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.state import StatesGroup
from aiogram.types import CallbackQuery, Message, TelegramObject

from bot.conversation_marks import take_lost_mark
from bot.settings import Settings
from core.clock import Clock
from handlers.broadcasts.compose_callbacks import ComposeCallback
from handlers.broadcasts.states import ComposeFlow
from handlers.gallery.callbacks import NewEntryCallback
from handlers.gallery.states import GalleryTyping, NewEntryFlow
from handlers.incidents.callbacks import IncidentStepCallback
from handlers.incidents.search import IncidentSearch
from handlers.incidents.states import IncidentFlow
from handlers.reports.callbacks import ReportStepCallback
from handlers.reports.states import ReportFlow, StatusNote
from handlers.schemes.callbacks import JoinCallback, SetupCallback
from handlers.schemes.states import Joining, MemberSearch, NewScheme, RejectReason
from handlers.subscriptions.states import SubscriptionFlow
from storage.db import Database

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


@dataclass(frozen=True)
class Flow:
    """What a conversation was, how to start it again, and the buttons that need its state."""

    what: str
    again: str
    button_prefixes: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """The one message the person gets instead of "I didn't understand"."""
        return (
            f"I lost track of {self.what} after a restart on our side. Nothing you had "
            f"confirmed is lost. Please {self.again}."
        )


def _name(group: type[StatesGroup]) -> str:
    return group.__name__


FLOWS: dict[str, Flow] = {
    _name(ReportFlow): Flow(
        "your unfinished report", "start again with /report", (ReportStepCallback.__prefix__,)
    ),
    _name(IncidentFlow): Flow(
        "your unfinished incident",
        "start again with /incident",
        (IncidentStepCallback.__prefix__,),
    ),
    _name(ComposeFlow): Flow(
        "the warning you were writing (nothing was sent)",
        "start again with /broadcast",
        (ComposeCallback.__prefix__,),
    ),
    _name(NewScheme): Flow(
        "the scheme you were setting up",
        "start again with /newscheme",
        (SetupCallback.__prefix__,),
    ),
    _name(Joining): Flow(
        "your unfinished request to join a scheme",
        "open the invite link you were given to start again",
        (JoinCallback.__prefix__,),
    ),
    _name(NewEntryFlow): Flow(
        "the gallery entry you were adding",
        'start again with "Add to gallery" on the incident',
        (NewEntryCallback.__prefix__,),
    ),
    _name(GalleryTyping): Flow(
        "what you were about to type for the gallery", "start again from /gallery"
    ),
    _name(StatusNote): Flow(
        "the note you were about to add to a report", "start again from /reports"
    ),
    _name(RejectReason): Flow(
        "the reason you were about to give for turning down a request to join",
        "press Reject on the request again",
    ),
    _name(MemberSearch): Flow("your member search", "search again from /members"),
    _name(IncidentSearch): Flow("the dates you were about to type", "search again from /incidents"),
    _name(SubscriptionFlow): Flow(
        "the quiet hours you were about to type", "set them again from /subscribe"
    ),
}

UNKNOWN_FLOW = Flow("what we were in the middle of", "start again from /start")

BUTTON_PREFIXES = frozenset(prefix for flow in FLOWS.values() for prefix in flow.button_prefixes)


def state_lifetime(settings: Settings) -> timedelta:
    """How long Redis keeps an idle conversation (as bot.app.build_dispatcher sets it)."""
    return timedelta(hours=settings.report_idle_hours) + timedelta(hours=1)


@dataclass(frozen=True)
class Services:
    """What looking up a lost conversation needs from the dispatcher's data."""

    raw_state: str | None
    database: Database
    settings: Settings
    clock: Clock

    @classmethod
    def of(cls, data: dict[str, Any]) -> Services:
        """Picks them out of a middleware's data."""
        return cls(data.get("raw_state"), data["database"], data["settings"], data["clock"])


async def lost_flow(services: Services, chat_id: int, user_id: int) -> Flow | None:
    """The conversation this person was in, if its state is gone; told once only."""
    if services.raw_state is not None:
        return None
    async with services.database.sessions() as session:
        mark = await take_lost_mark(
            session,
            chat_id=chat_id,
            user_id=user_id,
            clock=services.clock,
            keep_for=state_lifetime(services.settings),
        )
    if mark is None:
        return None
    return FLOWS.get(mark.flow, UNKNOWN_FLOW)


async def tell_if_lost(message: Message, services: Services) -> bool:
    """Tells the sender their conversation was lost, if it was; True when told."""
    if message.from_user is None:
        return False
    flow = await lost_flow(services, message.chat.id, message.from_user.id)
    if flow is None:
        return False
    await message.answer(flow.text)
    return True


class LostConversationButtons(BaseMiddleware):
    """A press on a conversation's button after its state was lost gets the explanation."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if not (
            isinstance(event, CallbackQuery)
            and data.get("raw_state") is None
            and (event.data or "").split(":", 1)[0] in BUTTON_PREFIXES
            and isinstance(event.message, Message)
            and event.message.chat.type == "private"
        ):
            return await handler(event, data)
        flow = await lost_flow(Services.of(data), event.message.chat.id, event.from_user.id)
        if flow is None:
            return await handler(event, data)
        await event.answer()
        await event.message.answer(flow.text)
        return None
