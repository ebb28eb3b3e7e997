"""Checks that need no Telegram: is the database there, is Redis there."""

from __future__ import annotations

from redis.asyncio import Redis

from storage.db import Database
from storage.redis import ping_redis


class StartupError(Exception):
    """Start-up cannot go on; the message is one line for the operator."""


def describe(error: BaseException) -> str:
    """The error's type and the first line of its message."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


async def check_database(database: Database) -> None:
    """Fails clearly if the database cannot be reached."""
    folder = database.sqlite_folder
    if folder is not None and not folder.is_dir():
        raise StartupError(
            f"Cannot reach the database at DATABASE_URL={database.safe_url} "
            f"(the folder {folder} does not exist)."
        )
    try:
        await database.ping()
    except Exception as error:
        raise StartupError(
            f"Cannot reach the database at DATABASE_URL={database.safe_url} ({describe(error)})."
        ) from None


async def check_redis(redis: Redis, url: str) -> None:
    """Fails clearly if Redis cannot be reached."""
    try:
        await ping_redis(redis)
    except Exception as error:
        raise StartupError(f"Cannot reach Redis at REDIS_URL ({describe(error)}).") from None
