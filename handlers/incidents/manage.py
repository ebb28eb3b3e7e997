"""Incidents: manage (being written)."""

from __future__ import annotations

from aiogram import Router


def create_router() -> Router:
    """A fresh router with this module's handlers."""
    return Router(name=__name__)
