"""Several workers share the limits and the outbox; a killed worker loses nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from redis.asyncio import Redis

from core.enums import DeliveryState
from storage.db import Database
from storage.repositories import deliveries as deliveries_repo
from tests.support.backends import Backend
from tests.support.broadcast_support import FAST_CONFIG, BroadcastRig, broadcast_rig

KILLED_CONCURRENCY = 8


@pytest.fixture
async def rig(
    backend: Backend, database: Database, redis: Redis | None
) -> AsyncIterator[BroadcastRig]:
    async with broadcast_rig(backend, database, redis) as made:
        yield made


async def test_two_workers_share_one_bucket_and_never_send_a_copy_twice(
    rig: BroadcastRig,
) -> None:
    if rig.redis is None:
        pytest.skip("workers share limits through Redis; SQLite deployments run one worker")
    await rig.sandbox.set_limits(bot_per_second=60, bot_burst=30)
    config = replace(FAST_CONFIG, rate_per_second=60.0, concurrency=10)
    people = await rig.recipients(150)
    queued = await rig.queue(people)

    async with rig.worker(config) as first, rig.worker(config) as second:
        states = await rig.settled(queued.alert_id)

    assert states == {DeliveryState.SENT: 150}
    assert first.stats.sent > 0 and second.stats.sent > 0
    assert first.stats.sent + second.stats.sent == 150
    calls = await rig.sandbox.calls()
    assert calls.status_429 == 0 and calls.rate_limited_total == 0
    assert await rig.sends_seen() == 150
    for person in people:
        assert len(await rig.received(person)) == 1


async def test_a_worker_killed_mid_broadcast_loses_nothing(
    rig: BroadcastRig, tmp_path: Path
) -> None:
    people = await rig.recipients(100)
    queued = await rig.queue(people)
    settings = {
        "rate_per_second": "40",
        "concurrency": str(KILLED_CONCURRENCY),
        "lease_seconds": "1.5",
        "retry_seconds": "0.1",
    }

    doomed = rig.worker_process(tmp_path, **settings)
    try:
        await _until_sent(rig, at_least=25, process=doomed, log=tmp_path / "worker.log")
    finally:
        os.kill(doomed.pid, signal.SIGKILL)
        doomed.wait(timeout=10)
    sent_before_restart = await rig.sends_seen()
    assert sent_before_restart < 100, "the worker finished before it could be killed"

    successor = rig.worker_process(tmp_path, **settings)
    try:
        states = await rig.settled(queued.alert_id, within=40)
    finally:
        successor.send_signal(signal.SIGTERM)
        await asyncio.to_thread(successor.wait, 15)
    assert successor.returncode == 0

    assert states == {DeliveryState.SENT: 100}
    copies = Counter({person: len(await rig.received(person)) for person in people})
    assert min(copies.values()) >= 1, "someone missed the warning"
    duplicates = sum(copies.values()) - len(people)
    assert duplicates <= KILLED_CONCURRENCY
    assert (await rig.sandbox.calls()).rate_limited_total == 0


async def test_a_dead_workers_claims_are_sent_again_once_its_lease_runs_out(
    rig: BroadcastRig,
) -> None:
    people = await rig.recipients(10)
    queued = await rig.queue(people)
    brief = replace(FAST_CONFIG, lease_seconds=0.5)

    async with rig.database.sessions() as session, session.begin():
        ghost = await deliveries_repo.claim(session, worker="ghost:1", now=rig.now(), limit=4)
    assert len(ghost) == 4

    async with rig.worker(brief):
        assert await rig.settled(queued.alert_id) == {DeliveryState.SENT: 10}
    for person in people:
        assert len(await rig.received(person)) == 1


async def _until_sent(
    rig: BroadcastRig, *, at_least: int, process: subprocess.Popen[bytes], log: Path
) -> None:
    deadline = time.monotonic() + 30
    while await rig.sends_seen() < at_least:
        if process.poll() is not None or time.monotonic() > deadline:
            output = await asyncio.to_thread(log.read_text)
            raise AssertionError(f"the worker sent too little: {output[-2000:]}")
        await asyncio.sleep(0.02)


def test_the_worker_command_says_what_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'new.db'}")
    assert main(["worker"]) == 2
    assert "BOT_TOKEN is not set" in capsys.readouterr().err

    monkeypatch.setenv("BOT_TOKEN", "123456:TEST-token")
    assert main(["worker"]) == 1
    assert "run `shopwatch db upgrade`" in capsys.readouterr().err
