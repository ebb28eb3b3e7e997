"""Which errors mean "the database or Redis is unreachable right now", not a bug."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable

import asyncpg
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

logger = logging.getLogger(__name__)

OUTAGE_TYPES: tuple[type[BaseException], ...] = (
    OperationalError,
    OSError,  # includes TimeoutError and refused or reset connections
    PoolTimeoutError,
    RedisConnectionError,
    RedisTimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.OperatorInterventionError,  # the server shutting down or starting up
)


def is_outage(error: BaseException) -> bool:
    """True when `error` (or what caused it) says storage cannot be reached."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OUTAGE_TYPES):
            return True
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, asyncpg.InterfaceError) and "connection is closed" in str(current):
            return True
        current = current.__cause__
    return False


def survives_outages(
    name: str, job: Callable[[], Awaitable[None]]
) -> Callable[[], Awaitable[None]]:
    """A scheduled job that skips its turn, with a warning, while storage is unreachable."""

    @functools.wraps(job)
    async def run() -> None:
        try:
            await job()
        except Exception as error:
            if not is_outage(error):
                raise
            logger.warning("job %s skipped, storage unavailable: %s", name, type(error).__name__)

    return run
