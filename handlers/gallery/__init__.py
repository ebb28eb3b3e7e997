"""The offender gallery: /gallery, entries from incidents, exclusions, /audit."""

from __future__ import annotations

from aiogram import Router

from handlers.gallery import audit, browse, create, manage, review


def create_router() -> Router:
    """A fresh router with this package's handlers."""
    router = Router(name=__name__)
    for module in (browse, create, manage, review, audit):
        router.include_router(module.create_router())
    return router
