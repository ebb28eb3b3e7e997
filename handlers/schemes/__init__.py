"""Schemes: /newscheme, /linkgroup, /invite, trader registration, approvals, /members."""

from __future__ import annotations

from aiogram import Router

from handlers.schemes import (
    approvals,
    group_commands,
    invites,
    linking,
    members,
    registration,
    setup,
)


def create_router() -> Router:
    """A fresh router with this package's handlers."""
    router = Router(name=__name__)
    router.include_routers(
        registration.create_router(),
        setup.create_router(),
        linking.create_router(),
        invites.create_router(),
        approvals.create_router(),
        members.create_router(),
        group_commands.create_router(),
    )
    return router
