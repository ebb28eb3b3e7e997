"""Broadcasts: /broadcast, its preview and sending, live progress, update, cancel and recall."""

from __future__ import annotations

from aiogram import Router

from handlers.broadcasts import compose, progress


def create_router() -> Router:
    """A fresh router with this package's handlers."""
    router = Router(name=__name__)
    router.include_routers(compose.create_router(), progress.create_router())
    return router
