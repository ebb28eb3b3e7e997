"""`shopwatch export subject` and `shopwatch erase subject`: requests made outside Telegram."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from aiogram.fsm.storage.base import DefaultKeyBuilder, StorageKey
from aiogram.fsm.storage.redis import RedisStorage
from redis.asyncio import Redis
from sqlalchemy import select

from bot.cli import main
from core.enums import MembershipStatus, Role
from storage.db import Database
from storage.models import AuditEntry, Membership, Person, Report
from tests.conftest import SETTINGS_VARIABLES
from tests.support import factories
from tests.support.backends import Backend
from tests.support.datarights_steps import count, filed_report, person_id

TOKEN = "424242:cliTESTtokenCLItest"
SUBJECT = 555_000_111


@pytest.fixture
def environment(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI points at this test's database (and Redis), with a bot token for its key."""
    monkeypatch.setenv("DATABASE_URL", backend.database_url)
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    if backend.redis_url is not None:
        monkeypatch.setenv("REDIS_URL", backend.redis_url)


async def shopwatch(*args: str) -> int:
    """Runs the command line in a thread (it runs its own event loop), returns its exit code."""
    return await asyncio.to_thread(main, list(args))


async def subject_with_a_report(database: Database) -> Report:
    async with database.sessions() as session:
        await factories.person(session, telegram_user_id=SUBJECT, name="Sam Subject")
    return await filed_report(database, reporter_telegram_id=SUBJECT, scheme_id=None, photos=1)


async def audit_lines(database: Database) -> list[tuple[str, int | None, dict[str, object]]]:
    async with database.sessions() as session:
        rows = await session.execute(
            select(AuditEntry.action, AuditEntry.actor_id, AuditEntry.details).order_by(
                AuditEntry.id
            )
        )
        return [(str(a), actor, dict(details)) for a, actor, details in rows.all()]


@pytest.mark.usefixtures("environment")
async def test_export_prints_the_subject_access_copy_and_audits_it(
    database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    report = await subject_with_a_report(database)

    assert await shopwatch("export", "subject", str(SUBJECT)) == 0

    copy = json.loads(capsys.readouterr().out)
    assert copy["you"]["telegram_user_id"] == SUBJECT and copy["you"]["name"] == "Sam Subject"
    assert [r["reference"] for r in copy["reports"]] == [report.reference]
    assert copy["reports"][0]["photos"][0]["file_id"] == "report-photo-0"
    pid = await person_id(database, SUBJECT)
    assert await audit_lines(database) == [("data.exported", None, {"via": "cli"})]
    async with database.sessions() as session:
        entry = (await session.execute(select(AuditEntry))).scalar_one()
    assert (entry.object_type, entry.object_id) == ("person", pid)


@pytest.mark.usefixtures("environment")
async def test_export_writes_a_new_private_file_and_never_overwrites_one(
    database: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await subject_with_a_report(database)
    target = tmp_path / "sar.json"

    assert await shopwatch("export", "subject", str(SUBJECT), "--output", str(target)) == 0
    assert json.loads(target.read_text())["you"]["telegram_user_id"] == SUBJECT
    assert target.stat().st_mode & 0o777 == 0o600
    assert f"to {target}" in capsys.readouterr().out

    target.write_text("keep me")
    assert await shopwatch("export", "subject", str(SUBJECT), "--output", str(target)) == 2
    assert "already exists" in capsys.readouterr().err
    assert target.read_text() == "keep me"
    missing = tmp_path / "no-such-folder" / "sar.json"
    assert await shopwatch("export", "subject", str(SUBJECT), "-o", str(missing)) == 2
    assert "does not exist" in capsys.readouterr().err
    assert len(await audit_lines(database)) == 1


@pytest.mark.usefixtures("environment")
@pytest.mark.parametrize("bad", ["abc", "-5", "12.5", "0", "1" * 20, ""])
async def test_a_bad_telegram_id_is_explained_and_changes_nothing(
    database: Database, capsys: pytest.CaptureFixture[str], bad: str
) -> None:
    await subject_with_a_report(database)

    assert await shopwatch("export", "subject", bad) == 2
    assert await shopwatch("erase", "subject", bad, "--yes") == 2

    err = capsys.readouterr().err
    assert err.count("is not a Telegram user id") == 2 and "Nothing was changed." in err
    assert await audit_lines(database) == []
    assert await person_id(database, SUBJECT) > 0


@pytest.mark.usefixtures("environment")
async def test_an_unknown_person_is_reported_and_nothing_is_recorded(
    database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await shopwatch("export", "subject", "777") == 1
    assert await shopwatch("erase", "subject", "777", "--yes") == 1

    err = capsys.readouterr().err
    assert "No one with that Telegram id has used ShopWatch" in err
    assert await audit_lines(database) == []


@pytest.mark.usefixtures("environment")
async def test_erase_needs_yes_then_erases_once(
    database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    report = await subject_with_a_report(database)
    pid = await person_id(database, SUBJECT)

    assert await shopwatch("erase", "subject", str(SUBJECT)) == 1
    shown = capsys.readouterr()
    assert "- from your 1 report" in shown.out and "add --yes to erase" in shown.err
    assert await person_id(database, SUBJECT) == pid

    assert await shopwatch("erase", "subject", str(SUBJECT), "--yes") == 0
    assert f"Erased the data of Telegram user {SUBJECT}" in capsys.readouterr().out
    async with database.sessions() as session:
        erased = await session.get(Person, pid)
        kept = await session.get(Report, report.id)
    assert erased is not None and erased.erased_at is not None
    assert erased.telegram_user_id is None and erased.full_name == ""
    assert kept is not None and kept.reporter_id is None and kept.personal_data_purged_at
    assert await audit_lines(database) == [("person.erased", None, {"via": "cli"})]

    assert await shopwatch("erase", "subject", str(SUBJECT), "--yes") == 1
    assert "nothing to erase" in capsys.readouterr().err
    assert await count(database, AuditEntry) == 1


@pytest.mark.usefixtures("environment")
async def test_erasing_the_last_coordinator_says_the_scheme_needs_one(
    database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    async with database.sessions() as session:
        scheme = await factories.scheme(session, "Harbour Shop Watch")
        await factories.member(
            session, telegram_user_id=SUBJECT, scheme_id=scheme.id, role=Role.COORDINATOR
        )

    assert await shopwatch("erase", "subject", str(SUBJECT), "--yes") == 0

    assert "Warning: Harbour Shop Watch now has no coordinator." in capsys.readouterr().out
    async with database.sessions() as session:
        statuses = (await session.execute(select(Person.erased_at))).scalars().all()
    assert len(statuses) == 1 and statuses[0] is not None
    assert MembershipStatus.APPROVED not in await _statuses(database)


async def _statuses(database: Database) -> list[MembershipStatus]:
    async with database.sessions() as session:
        return list((await session.execute(select(Membership.status))).scalars())


@pytest.mark.usefixtures("environment")
async def test_erasure_forgets_an_unfinished_conversation_kept_in_redis(
    backend: Backend, database: Database
) -> None:
    if backend.redis_url is None:
        pytest.skip("in-memory conversations end with their process")
    await subject_with_a_report(database)
    redis = Redis.from_url(backend.redis_url)
    storage = RedisStorage(
        redis, key_builder=DefaultKeyBuilder(prefix="shopwatch", with_destiny=True)
    )
    key = StorageKey(bot_id=int(TOKEN.split(":")[0]), chat_id=SUBJECT, user_id=SUBJECT)
    try:
        await storage.set_state(key, "ReportFlow:description")
        await storage.set_data(key, {"place": "Outside 14 Mill Road"})

        assert await shopwatch("erase", "subject", str(SUBJECT), "--yes") == 0

        assert await storage.get_state(key) is None
        assert await storage.get_data(key) == {}
    finally:
        await storage.set_state(key, None)
        await storage.set_data(key, {})
        await redis.aclose()


def test_the_commands_are_part_of_the_shopwatch_command(tmp_path: Path) -> None:
    clean = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    clean["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "erase", "subject", "someone"],
        cwd=tmp_path,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "'someone' is not a Telegram user id" in result.stderr
