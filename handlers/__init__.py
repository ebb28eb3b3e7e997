"""aiogram routers: parse what the person sent, call a core service, render the answer."""

from __future__ import annotations

from aiogram import Router

from handlers import (
    blocking,
    broadcasts,
    cancel,
    datarights,
    errors,
    fallback,
    gallery,
    groups,
    help,
    incidents,
    privacy,
    schemes,
    start,
    subscriptions,
)
from handlers.reports import intake, mine, queue


def get_routers() -> list[Router]:
    """Fresh routers for one dispatcher, /cancel first so it wins from any conversation state.

    Schemes and incidents come before /start because they answer its deep links.
    """
    modules = (
        cancel,
        errors,
        # Data rights answer from any step of any conversation, like /cancel.
        datarights,
        schemes,
        incidents,
        gallery,
        broadcasts,
        subscriptions,
        start,
        help,
        privacy,
        groups,
        blocking,
        intake,
        mine,
        queue,
        fallback,
    )
    return [module.create_router() for module in modules]
