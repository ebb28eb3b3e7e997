"""Incidents: /incident, the group card and its buttons, coordinator actions, /incidents."""

from __future__ import annotations

from aiogram import Router

from handlers.incidents import card, group, intake, manage, search


def create_router() -> Router:
    """A fresh router with this package's handlers."""
    router = Router(name=__name__)
    router.include_routers(
        *(module.create_router() for module in (group, intake, card, manage, search))
    )
    return router
