"""The offender gallery: /gallery, entries from incidents, exclusions, /audit."""

from __future__ import annotations

from aiogram import Router


def create_router() -> Router:
    """A fresh router with this package's handlers."""
    return Router(name=__name__)
