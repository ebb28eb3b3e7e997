"""`shopwatch export subject` and `shopwatch erase subject`: data rights requests made offline."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import sys
from pathlib import Path
from typing import Any

from redis.exceptions import RedisError

from bot.settings import Settings
from core.clock import SystemClock
from core.datarights.erase import erase, outline
from core.datarights.export import subject_access
from core.datarights.texts import erasure_outline
from core.errors import AppError
from storage.db import Database

logger = logging.getLogger(__name__)

REDIS_PREFIX = "shopwatch"
TELEGRAM_ID = re.compile(r"[1-9][0-9]{0,15}")


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")


def _complain(text: str) -> None:
    sys.stderr.write(text + "\n")


def add_datarights_parsers(commands: Any) -> None:
    """Adds `export subject` and `erase subject` to the command line."""
    export = commands.add_parser("export", help="export data for a subject access request")
    exports = export.add_subparsers(dest="export_what", required=True, metavar="WHAT")
    subject = exports.add_parser("subject", help="everything held about one person, as JSON")
    subject.add_argument("telegram_id", help="the person's Telegram user id (a number)")
    subject.add_argument("--output", "-o", help="write the JSON to this new file, not stdout")
    erasing = commands.add_parser("erase", help="erase a person's data at their request")
    erasures = erasing.add_subparsers(dest="erase_what", required=True, metavar="WHAT")
    subject = erasures.add_parser("subject", help="erase one person, as /deleteme does")
    subject.add_argument("telegram_id", help="the person's Telegram user id (a number)")
    subject.add_argument(
        "--yes", action="store_true", help="really erase (without it, only show what would go)"
    )


def _telegram_id(text: str) -> int | None:
    return int(text) if TELEGRAM_ID.fullmatch(text.strip()) else None


def _bad_id(text: str) -> int:
    _complain(
        f"shopwatch: {text!r} is not a Telegram user id: it is a whole number such as "
        "123456789 (the person can see theirs with @userinfobot). Nothing was changed."
    )
    return 2


def _output_problem(path: Path) -> str | None:
    if path.exists():
        return f"{path} already exists: choose a new file name, so nothing is overwritten."
    if not path.parent.is_dir():
        return f"the folder {path.parent} does not exist."
    return None


async def _export(settings: Settings, telegram_id: int, output: Path | None) -> int:
    database = Database(settings.database_url)
    try:
        async with database.sessions() as session:
            copy = await subject_access(
                session,
                telegram_user_id=telegram_id,
                now=SystemClock().now(),
                tz=settings.tz,
                via="cli",
            )
    except AppError as error:
        _complain(f"shopwatch: {error.message}")
        return 1
    finally:
        await database.close()
    if output is None:
        sys.stdout.write(copy.content.decode("utf-8") + "\n")
        return 0
    descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(copy.content)
    _say(f"Wrote everything held about Telegram user {telegram_id} to {output}.")
    return 0


def export_subject(settings: Settings, args: argparse.Namespace) -> int:
    """Writes a person's subject access copy as JSON (stdout, or a new file); audited."""
    telegram_id = _telegram_id(args.telegram_id)
    if telegram_id is None:
        return _bad_id(args.telegram_id)
    output = Path(args.output).expanduser() if args.output else None
    if output is not None and (problem := _output_problem(output)) is not None:
        _complain(f"shopwatch: {problem} Nothing was exported.")
        return 2
    return asyncio.run(_export(settings, telegram_id, output))


async def _forget_conversation(settings: Settings, telegram_id: int) -> None:
    """Clears an unfinished conversation kept in Redis (in-memory state ends with its process)."""
    if settings.redis_url is None or settings.bot_token is None:
        return
    from aiogram.fsm.storage.base import DefaultKeyBuilder, StorageKey
    from aiogram.fsm.storage.redis import RedisStorage

    from storage.redis import connect_redis

    bot_id = int(settings.bot_token.get_secret_value().split(":", 1)[0])
    redis = connect_redis(settings.redis_url)
    storage = RedisStorage(
        redis, key_builder=DefaultKeyBuilder(prefix=REDIS_PREFIX, with_destiny=True)
    )
    try:
        key = StorageKey(bot_id=bot_id, chat_id=telegram_id, user_id=telegram_id)
        await storage.set_state(key, None)
        await storage.set_data(key, {})
    finally:
        await redis.aclose()


async def _erase(settings: Settings, telegram_id: int, really: bool) -> int:
    database = Database(settings.database_url)
    try:
        async with database.sessions() as session:
            if not really:
                found = await outline(session, telegram_user_id=telegram_id)
                _say(erasure_outline(found))
                _complain("\nNothing was erased: add --yes to erase.")
                return 1
            erased = await erase(
                session, telegram_user_id=telegram_id, now=SystemClock().now(), via="cli"
            )
    except AppError as error:
        _complain(f"shopwatch: {error.message}")
        return 1
    finally:
        await database.close()
    try:
        await _forget_conversation(settings, telegram_id)
    except (OSError, RedisError) as error:
        _complain(
            f"shopwatch: their unfinished conversation in Redis was not cleared ({error}); "
            "it expires by itself within a few hours."
        )
    _say(
        f"Erased the data of Telegram user {telegram_id} (now internal id {erased.person_id}); "
        f"{erased.reports} report(s) kept without anything that identifies them."
    )
    for scheme in erased.schemes_without_coordinator:
        _say(f"Warning: {scheme} now has no coordinator. Please appoint one.")
    return 0


def erase_subject(settings: Settings, args: argparse.Namespace) -> int:
    """Erases a person's data as /deleteme does (only with --yes); audited."""
    telegram_id = _telegram_id(args.telegram_id)
    if telegram_id is None:
        return _bad_id(args.telegram_id)
    return asyncio.run(_erase(settings, telegram_id, bool(args.yes)))
