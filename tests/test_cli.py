"""The shopwatch command: clear one-line failures, migrations, version."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot import __version__
from storage.migrate import head_revision
from tests.conftest import SETTINGS_VARIABLES
from tests.support.backends import Backend

TOKEN = "123456:SECRETsecretSECRET"


def shopwatch(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    # Never the real Telegram, even if a check were reordered: nothing listens on port 9.
    clean["TELEGRAM_API_URL"] = "http://127.0.0.1:9"
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_version(tmp_path: Path) -> None:
    result = shopwatch("--version", cwd=tmp_path)
    assert result.stdout.strip() == f"shopwatch {__version__}"


def test_run_against_an_unreachable_telegram_fails_in_one_line(tmp_path: Path) -> None:
    result = shopwatch(
        "run",
        cwd=tmp_path,
        BOT_TOKEN=TOKEN,
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
    )

    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("shopwatch: Cannot reach the Telegram Bot API at TELEGRAM_API_URL=")
    assert TOKEN.split(":")[1] not in result.stderr


@pytest.mark.parametrize(
    ("database_url", "code", "message"),
    [
        ("mysql://root@localhost/shop", 2, "shopwatch: DATABASE_URL is not valid"),
        (
            "postgresql://nobody:pw@127.0.0.1:1/none",
            1,
            "shopwatch: Cannot reach the database at DATABASE_URL=postgresql+asyncpg://nobody:***@",
        ),
        (
            "sqlite+aiosqlite:////nonexistent/dir/shop.db",
            1,
            "shopwatch: Cannot reach the database at DATABASE_URL=sqlite+aiosqlite:////nonexistent",
        ),
    ],
)
def test_run_with_a_bad_database_fails_in_one_line(
    tmp_path: Path, database_url: str, code: int, message: str
) -> None:
    result = shopwatch("run", cwd=tmp_path, BOT_TOKEN="123:abc", DATABASE_URL=database_url)

    assert result.returncode == code
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(message)
    assert "pw@" not in result.stderr


def test_run_without_a_token_says_what_to_set(tmp_path: Path) -> None:
    result = shopwatch("run", cwd=tmp_path)

    assert result.returncode == 2
    assert result.stderr.startswith("shopwatch: BOT_TOKEN is not set")
    assert "shopwatch demo" in result.stderr


def test_db_upgrade_then_current(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}"

    assert shopwatch("db", "current", cwd=tmp_path, DATABASE_URL=url).stdout.startswith("empty")
    upgraded = shopwatch("db", "upgrade", cwd=tmp_path, DATABASE_URL=url)
    assert upgraded.returncode == 0, upgraded.stderr
    current = shopwatch("db", "current", cwd=tmp_path, DATABASE_URL=url)
    assert current.stdout.startswith(str(head_revision()))

    downgraded = shopwatch("db", "downgrade", "base", cwd=tmp_path, DATABASE_URL=url)
    assert downgraded.returncode == 0, downgraded.stderr
    assert shopwatch("db", "current", cwd=tmp_path, DATABASE_URL=url).stdout.startswith("empty")


def test_check_reports_each_part(tmp_path: Path) -> None:
    result = shopwatch(
        "check",
        cwd=tmp_path,
        BOT_TOKEN="123:abc",
        TELEGRAM_API_URL="http://127.0.0.1:9",
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'c.db'}",
    )

    assert result.returncode == 1
    assert "config    ok: long polling" in result.stdout
    assert "database  ok:" in result.stdout
    assert "redis     not configured" in result.stdout
    assert "telegram  FAILED: Cannot reach the Telegram Bot API" in result.stdout


async def test_check_against_a_working_deployment_says_ok(
    backend: Backend, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import _check
    from bot.settings import load_settings
    from sandbox.server import SandboxServer

    async with SandboxServer() as server:
        settings = load_settings(
            _env_file=None,
            bot_token=server.token,
            telegram_api_url=server.base_url,
            database_url=backend.database_url,
            redis_url=backend.redis_url,
        )
        assert await _check(settings)

    printed = capsys.readouterr().out
    assert f"database  ok: {backend.database_url.split('://')[0]}" in printed
    assert f"telegram  ok: @{server.username}" in printed
    assert ("redis     ok" if backend.redis_url else "redis     not configured") in printed
