"""Shared fixtures: no network but loopback, and every storage test on both backends."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from redis.asyncio import Redis

from storage.db import Database
from storage.migrate import upgrade
from tests.support import network_guard
from tests.support.backends import (
    IN_CI,
    REDIS_URL,
    Backend,
    clear_redis_prefix,
    create_postgres_database,
    drop_postgres_database,
    in_thread,
    migrated_sqlite_template,
    postgres_problem,
    sqlite_copy,
    truncate_all,
)
from tests.support.live import LiveBot, running_bot
from tests.support.soak import SOAK
from tests.support.town import Town, build_town

SETTINGS_VARIABLES = (
    "BOT_TOKEN",
    "TELEGRAM_API_URL",
    "DATABASE_URL",
    "REDIS_URL",
    "WEBHOOK_URL",
    "WEBHOOK_SECRET",
    "WEBHOOK_LISTEN",
    "ADMIN_USER_IDS",
    "TIMEZONE",
    "LOG_LEVEL",
    "DEMO_PORT",
    "REPORT_IDLE_HOURS",
    "FLOOD_LIMIT_PER_MINUTE",
    "BROADCAST_RATE_PER_SECOND",
    "BROADCAST_PAID_RATE_PER_SECOND",
    "BROADCAST_CHAT_PER_SECOND",
    "BROADCAST_GROUP_PER_MINUTE",
    "BROADCAST_CONCURRENCY",
    "BROADCAST_MAX_ATTEMPTS",
    "BROADCAST_RETRY_SECONDS",
    "BROADCAST_LEASE_SECONDS",
    "BROADCAST_SEND_TIMEOUT_SECONDS",
    "BROADCAST_WORKER_IN_RUN",
)


settings.register_profile("soak", max_examples=2_000, deadline=None)
settings.register_profile(
    "ci", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("soak" if SOAK else "ci")


def pytest_configure(config: pytest.Config) -> None:
    network_guard.install()


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see none of the developer's own ShopWatch settings."""
    for variable in SETTINGS_VARIABLES:
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database that each test copies."""
    return migrated_sqlite_template(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A migrated PostgreSQL database for this test session (mandatory under CI)."""
    problem = postgres_problem()
    if problem is not None:
        if IN_CI:
            pytest.fail(f"CI requires PostgreSQL and Redis: cannot reach {problem}")
        pytest.skip(f"PostgreSQL + Redis tier skipped: cannot reach {problem}")
    url = create_postgres_database("shopwatch_test")
    in_thread(lambda: upgrade(url))
    yield url
    drop_postgres_database(url)


@pytest.fixture(params=["sqlite", "postgres"], ids=["sqlite+memory", "postgres+redis"])
async def backend(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> AsyncIterator[Backend]:
    """Where this test's data lives: each test runs once per backend."""
    prefix = f"sw-test-{uuid.uuid4().hex[:10]}"
    if request.param == "sqlite":
        yield Backend("sqlite+memory", sqlite_copy(sqlite_template, tmp_path), None, prefix)
        return
    url: str = request.getfixturevalue("postgres_url")
    yield Backend("postgres+redis", url, REDIS_URL, prefix)
    await truncate_all(url)
    await clear_redis_prefix(prefix)


ADMIN_ID = 9001


@pytest.fixture(params=["polling", "webhook"])
async def live(request: pytest.FixtureRequest, backend: Backend) -> AsyncIterator[LiveBot]:
    """The real bot against the sandbox, by long polling and by webhook, on each backend."""
    async with running_bot(backend, mode=request.param, admin_user_ids=(ADMIN_ID,)) as bot:
        yield bot


@pytest.fixture
async def shop_live(backend: Backend) -> AsyncIterator[LiveBot]:
    """The real bot on each backend: polling on SQLite + memory, webhook on PostgreSQL + Redis.

    Shop Watch features are the same in both update modes (the foundation tests cover both),
    so each backend runs once instead of twice.
    """
    mode = "polling" if backend.redis_url is None else "webhook"
    async with running_bot(backend, mode=mode, admin_user_ids=(ADMIN_ID,)) as bot:
        yield bot


@pytest.fixture
async def town(shop_live: LiveBot, database: Database) -> Town:
    """Market Town Shop Watch in use: every kind of member, a neighbour scheme, a linked group."""
    return await build_town(shop_live, database)


@pytest.fixture
async def database(backend: Backend) -> AsyncIterator[Database]:
    """The backend's database, at the newest schema."""
    db = Database(backend.database_url)
    yield db
    await db.close()


@pytest.fixture
async def redis(backend: Backend) -> AsyncIterator[Redis | None]:
    """The backend's Redis client, or None for the in-memory tier."""
    if backend.redis_url is None:
        yield None
        return
    client = Redis.from_url(backend.redis_url)
    yield client
    await client.aclose()
