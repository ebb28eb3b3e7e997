"""/subscribe: the areas, topics and quiet hours a person hears warnings about."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command

from core.menu import Action
from handlers.callbacks import MenuCallback
from handlers.subscriptions.callbacks import SubscriptionCallback
from handlers.subscriptions.screens import (
    on_press,
    quiet_hours_typed,
    show_from_menu,
    show_subscriptions,
)
from handlers.subscriptions.states import SubscriptionFlow


def create_router() -> Router:
    """A fresh router with this package's handlers."""
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    router.message.register(show_subscriptions, Command("subscribe"))
    router.message.register(
        quiet_hours_typed, SubscriptionFlow.quiet_hours, F.text, ~F.text.startswith("/")
    )
    router.callback_query.register(
        show_from_menu, MenuCallback.filter(F.action == Action.SUBSCRIBE)
    )
    router.callback_query.register(on_press, SubscriptionCallback.filter())
    return router
