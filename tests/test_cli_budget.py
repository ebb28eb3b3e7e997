"""`shopwatch budget`: the operator shows or sets a scheme's paid-broadcast budget."""

from __future__ import annotations

import asyncio
import io
import subprocess
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

from sqlalchemy import select

from bot import cli_budget
from bot.cli import build_parser
from bot.settings import load_settings
from storage.db import Database
from storage.models import AuditEntry
from storage.repositories import alerts as alerts_repo
from tests.support import factories
from tests.support.backends import Backend
from tests.test_cli import shopwatch


async def budget(backend: Backend, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Runs `shopwatch budget ...` against the test's database, as the operator would."""
    return await asyncio.to_thread(
        shopwatch, "budget", *args, cwd=tmp_path, DATABASE_URL=backend.database_url
    )


async def left(database: Database, scheme_id: int) -> int:
    async with database.sessions() as session:
        return await alerts_repo.paid_budget_left(session, scheme_id)


async def audit_details(database: Database) -> list[dict[str, object]]:
    async with database.sessions() as session:
        rows = await session.execute(
            select(AuditEntry.details)
            .where(AuditEntry.action == "budget.set")
            .order_by(AuditEntry.id)
        )
        return [dict(details) for details in rows.scalars()]


def in_process(backend: Backend, *args: str) -> tuple[int, str, str]:
    """The budget sub-command run in this process: (exit code, stdout, stderr)."""
    parsed = build_parser().parse_args(["budget", *args])
    settings = load_settings(_env_file=None, database_url=backend.database_url)
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli_budget.budget(settings, parsed)
    return code, out.getvalue(), err.getvalue()


async def test_the_operator_sets_and_reads_a_schemes_budget(
    backend: Backend, database: Database, tmp_path: Path
) -> None:
    async with database.sessions() as session:
        scheme = await factories.scheme(session, "Market Town Shop Watch")

    code, shown, _ = await asyncio.to_thread(in_process, backend, "Market Town Shop Watch")
    assert code == 0
    assert shown == f"Market Town Shop Watch (id {scheme.id}): no paid budget.\n"

    # The real command, as the operator types it.
    set_ = await budget(backend, tmp_path, str(scheme.id), "5,000")
    assert set_.returncode == 0, set_.stderr
    assert set_.stdout == (
        f"Market Town Shop Watch (id {scheme.id}): 5,000 paid messages left "
        "(was: no paid budget).\n"
    )
    assert await left(database, scheme.id) == 5000

    code, out, _ = await asyncio.to_thread(in_process, backend, "Market Town Shop Watch", "0")
    assert code == 0 and out.endswith("0 paid messages left (was: 5,000 paid messages left).\n")
    assert await audit_details(database) == [
        {"messages": 5000, "before": None},
        {"messages": 0, "before": 5000},
    ]


async def test_bad_input_is_explained_and_changes_nothing(
    backend: Backend, database: Database
) -> None:
    async with database.sessions() as session:
        scheme = await factories.scheme(session, "Market Town Shop Watch")
    assert (await asyncio.to_thread(in_process, backend, str(scheme.id), "100"))[0] == 0

    unknown = await asyncio.to_thread(in_process, backend, "Market Town", "50")
    negative = await asyncio.to_thread(in_process, backend, str(scheme.id), "-5")
    words = await asyncio.to_thread(in_process, backend, str(scheme.id), "lots")
    missing = await asyncio.to_thread(in_process, backend, str(scheme.id + 99), "50")

    code, out, err = unknown
    assert code == 2 and out == ""
    assert err.startswith('shopwatch: There is no scheme "Market Town": give its id')
    assert "usage: shopwatch budget <scheme id or exact name> [<messages>]" in err
    assert negative[0] == 2
    assert negative[2].startswith("shopwatch: A budget cannot be negative (-5)")
    assert words[0] == 2
    assert words[2].startswith('shopwatch: "lots" is not a number of messages')
    assert missing[0] == 2 and "There is no scheme" in missing[2]
    assert await left(database, scheme.id) == 100
    assert len(await audit_details(database)) == 1
