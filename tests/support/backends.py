"""The two storage backends every storage test runs on: SQLite + memory, PostgreSQL + Redis."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
from redis.asyncio import Redis
from sqlalchemy.engine import make_url

from storage.migrate import upgrade
from storage.models import Base

POSTGRES_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


T = TypeVar("T")


def in_fresh_loop(work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Runs a coroutine to completion on its own thread and loop (safe inside a running loop)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(work())).result()


def in_thread(work: Callable[[], T]) -> T:
    """Runs blocking set-up that may start its own event loop (Alembic) off this thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


@dataclass(frozen=True)
class Backend:
    """Where one test's data lives."""

    name: str
    database_url: str
    redis_url: str | None
    redis_prefix: str

    @property
    def is_postgres(self) -> bool:
        """True for the PostgreSQL + Redis tier."""
        return self.database_url.startswith("postgresql")


def _plain_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _services_reachable() -> str | None:
    try:
        connection = await asyncpg.connect(_plain_dsn(POSTGRES_URL), timeout=3)
        await connection.close()
    except Exception as error:
        return f"PostgreSQL at {make_url(POSTGRES_URL).render_as_string()}: {error}"
    redis = Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        await redis.ping()
    except Exception as error:
        return f"Redis at {REDIS_URL}: {error}"
    finally:
        await redis.aclose()
    return None


def postgres_problem() -> str | None:
    """Why the PostgreSQL + Redis tier cannot run here, or None if it can."""
    return in_fresh_loop(_services_reachable)


async def _create_database(name: str) -> None:
    connection = await asyncpg.connect(_plain_dsn(POSTGRES_URL))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def _drop_database(name: str) -> None:
    connection = await asyncpg.connect(_plain_dsn(POSTGRES_URL))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


def create_postgres_database(prefix: str) -> str:
    """A fresh, empty PostgreSQL database; returns its URL."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    in_fresh_loop(lambda: _create_database(name))
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    """Drops a database made by create_postgres_database."""
    name = make_url(url).database
    assert name is not None
    in_fresh_loop(lambda: _drop_database(name))


def migrated_sqlite_template(directory: Path) -> Path:
    """An SQLite file at the newest schema, to copy for each test."""
    path = directory / "template.db"
    in_thread(lambda: upgrade(f"sqlite+aiosqlite:///{path}"))
    return path


def sqlite_copy(template: Path, directory: Path) -> str:
    """A private copy of the migrated template for one test."""
    path = directory / f"test-{uuid.uuid4().hex[:8]}.db"
    shutil.copy(template, path)
    return f"sqlite+aiosqlite:///{path}"


async def truncate_all(url: str) -> None:
    """Empties every table of a PostgreSQL test database."""
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    connection = await asyncpg.connect(_plain_dsn(url))
    try:
        await connection.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    finally:
        await connection.close()


async def clear_redis_prefix(prefix: str) -> None:
    """Deletes the keys one test wrote to Redis."""
    redis = Redis.from_url(REDIS_URL)
    try:
        keys = [key async for key in redis.scan_iter(match=f"{prefix}:*", count=500)]
        if keys:
            await redis.delete(*keys)
    finally:
        await redis.aclose()
