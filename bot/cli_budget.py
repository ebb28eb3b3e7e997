"""`shopwatch budget`: the operator sets how many paid-broadcast messages a scheme may send.

Paid broadcasts cost the deployment's Telegram Stars, so only whoever runs the deployment
sets the budget, from the command line; each change is audited (numbers only, no names).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime

from sqlalchemy import select

from bot.settings import Settings
from core import audit
from core.errors import InvalidInput, NotFound
from storage.db import Database
from storage.models import BroadcastBudget, Scheme
from storage.repositories import alerts as alerts_repo

MAX_MESSAGES = 1_000_000_000
USAGE = "usage: shopwatch budget <scheme id or exact name> [<messages>]"


def add_budget_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds `shopwatch budget` to the command line."""
    budget_command = commands.add_parser(
        "budget",
        help="show or set a scheme's paid-broadcast budget (messages; 0.1 Star each)",
    )
    budget_command.add_argument("scheme", help="the scheme's id or exact name")
    budget_command.add_argument(
        "messages", nargs="?", help="how many paid messages it may send from now (omit to show)"
    )


def parse_messages(text: str) -> int:
    """A whole number of messages, 0 or more."""
    cleaned = text.strip().replace(",", "").replace("_", "")
    if not cleaned.lstrip("-").isdigit():
        raise InvalidInput(
            f'"{text}" is not a number of messages: give a whole number such as 5000 '
            "(0 switches paid broadcasting off)."
        )
    messages = int(cleaned)
    if messages < 0:
        raise InvalidInput(
            f"A budget cannot be negative ({messages:,}): give 0 to switch paid "
            "broadcasting off, or a positive number of messages."
        )
    if messages > MAX_MESSAGES:
        raise InvalidInput(f"That is more than {MAX_MESSAGES:,} messages: please check it.")
    return messages


async def _find_scheme(database: Database, wanted: str) -> Scheme:
    async with database.sessions() as session, session.begin():
        found = None
        if wanted.strip().isdigit():
            found = await session.get(Scheme, int(wanted.strip()))
        if found is None:
            found = await session.scalar(select(Scheme).where(Scheme.name == wanted.strip()))
    if found is None:
        raise NotFound(
            f'There is no scheme "{wanted}": give its id or its exact name '
            "(shopwatch budget shows one scheme; names are case-sensitive)."
        )
    return found


async def budget_of(database: Database, wanted: str, messages: str | None) -> str:
    """Shows the scheme's budget, or sets it and says what it was; nothing changes on bad input."""
    amount = None if messages is None else parse_messages(messages)
    scheme = await _find_scheme(database, wanted)
    now = datetime.now(UTC)
    async with database.sessions() as session, session.begin():
        before = await session.scalar(
            select(BroadcastBudget.paid_messages_left).where(BroadcastBudget.scheme_id == scheme.id)
        )
        shown = "no paid budget" if before is None else f"{before:,} paid messages left"
        if amount is None:
            return f"{scheme.name} (id {scheme.id}): {shown}."
        await alerts_repo.set_paid_budget(session, scheme.id, amount, now)
        await audit.record(
            session,
            actor_id=None,
            scheme_id=scheme.id,
            action="budget.set",
            object_type="scheme",
            object_id=scheme.id,
            details={"messages": amount, "before": before},
            at=now,
        )
    return f"{scheme.name} (id {scheme.id}): {amount:,} paid messages left (was: {shown})."


async def _run(settings: Settings, args: argparse.Namespace) -> str:
    database = Database(settings.database_url)
    try:
        return await budget_of(database, args.scheme, args.messages)
    finally:
        await database.close()


def budget(settings: Settings, args: argparse.Namespace) -> int:
    """Shows or sets a scheme's paid-broadcast budget; exit 2 on bad input."""
    try:
        sys.stdout.write(asyncio.run(_run(settings, args)) + "\n")
    except (InvalidInput, NotFound) as error:
        sys.stderr.write(f"shopwatch: {error}\n{USAGE}\n")
        return 2
    return 0
