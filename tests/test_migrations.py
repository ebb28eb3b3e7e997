"""Migrations go up and down on both databases, and match the models exactly."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from storage.migrate import alembic_config, current_revision, downgrade, head_revision, upgrade
from storage.models import Base
from tests.support.backends import (
    IN_CI,
    create_postgres_database,
    drop_postgres_database,
    postgres_problem,
)


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    problem = postgres_problem()
    if problem is not None:
        if IN_CI:
            pytest.fail(f"CI requires PostgreSQL: cannot reach {problem}")
        pytest.skip(f"cannot reach {problem}")
    url = create_postgres_database("shopwatch_migrations")
    yield url
    drop_postgres_database(url)


def table_names(url: str) -> set[str]:
    async def read() -> set[str]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_upgrade_then_downgrade_then_upgrade_again(empty_database: str) -> None:
    upgrade(empty_database)
    assert table_names(empty_database) >= set(Base.metadata.tables)
    assert asyncio.run(current_revision(empty_database)) == head_revision()

    downgrade(empty_database, "base")
    assert table_names(empty_database) <= {"alembic_version"}

    upgrade(empty_database)
    assert table_names(empty_database) >= set(Base.metadata.tables)


def test_models_and_migrations_agree(empty_database: str) -> None:
    upgrade(empty_database)
    command.check(alembic_config(empty_database))
