"""The bot token and webhook secret never show up: not in logs, errors, messages or storage."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from broadcast.audience import Audience
from broadcast.outbox import AlertDraft, queue_alert
from core.enums import Severity
from sandbox.client import SandboxClient
from sandbox.server import SandboxServer
from sandbox.state import SandboxConfig
from storage.db import Database
from storage.models import utcnow
from tests.support.backends import Backend, sqlite_copy
from tests.support.evidence import leaks, stored_text
from tests.support.live import free_port
from tests.support.private_redis import PrivateRedis

# Distinctive values, so that any trace of them in the output is unmistakable.
TOKEN = "7714829301:AAFleakCanary-x9Qz7Wm3Rt5Yp2Lk8Jh4Gd"
SECRET = "hookCanary_Zq81-Lm4Vb7"
ANSWER_TIMEOUT = 20.0


def closed_port_url() -> str:
    """A loopback URL nothing listens on, so every request fails to connect."""
    return f"http://127.0.0.1:{free_port()}"


@dataclass
class Deployment:
    """The shopwatch command as an operator runs it, with everything it prints kept."""

    directory: Path
    environment: dict[str, str]
    output: list[str] = field(default_factory=list)

    async def command(self, *args: str, **changes: str) -> tuple[int, str]:
        """Runs `shopwatch <args>` to completion with these setting changes."""
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            *args,
            cwd=self.directory,
            env={**self.environment, **changes},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        printed, _ = await asyncio.wait_for(process.communicate(), timeout=120)
        self.output.append(printed.decode(errors="replace"))
        assert process.returncode is not None
        return process.returncode, self.output[-1]

    @asynccontextmanager
    async def running(self) -> AsyncIterator[asyncio.subprocess.Process]:
        """`shopwatch run` until the block ends, then SIGTERM; its output is kept."""
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=self.directory,
            env=self.environment,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        assert process.stdout is not None
        reading = asyncio.create_task(process.stdout.read())
        try:
            yield process
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout=60)
            except TimeoutError:
                process.kill()
                await process.wait()
            self.output.append((await reading).decode(errors="replace"))

    @property
    def everything_printed(self) -> str:
        """Every line any run printed (logs at DEBUG, errors, tracebacks)."""
        return "\n".join(self.output)


@pytest.fixture
async def telegram() -> AsyncIterator[SandboxServer]:
    """A Telegram whose bot has the distinctive token."""
    server = SandboxServer(token=TOKEN, config=SandboxConfig(strict_shapes=True))
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def redis_url(backend: Backend) -> AsyncIterator[str | None]:
    """A Redis of this test's own (the process uses the default key prefix), or none."""
    if backend.redis_url is None:
        yield None
        return
    private = PrivateRedis()
    await private.start()
    yield private.url
    await private.stop()


def environment(
    backend: Backend, telegram: SandboxServer, redis_url: str | None, port: int
) -> dict[str, str]:
    """A deployment's settings: webhook mode, DEBUG logs, the distinctive secrets."""
    inherited: Mapping[str, str] = os.environ
    settings = {
        "BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": telegram.base_url,
        "DATABASE_URL": backend.database_url,
        "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
        "WEBHOOK_SECRET": SECRET,
        "WEBHOOK_LISTEN": f"127.0.0.1:{port}",
        "LOG_LEVEL": "DEBUG",
        "BROADCAST_RETRY_SECONDS": "0.2",
        "PYTHONUNBUFFERED": "1",
    }
    if redis_url is not None:
        settings["REDIS_URL"] = redis_url
    return {**inherited, **settings}


async def wait_until_serving(sandbox: SandboxClient, process: asyncio.subprocess.Process) -> None:
    """Waits for the process to register its webhook (it has started by then)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while (await sandbox.calls()).count("setWebhook") == 0:
        assert process.returncode is None, "shopwatch run stopped during start-up"
        assert loop.time() < deadline, "shopwatch run did not start within 60 s"
        await asyncio.sleep(0.1)


async def queue_a_warning(database: Database, chat_ids: list[int]) -> None:
    """A coordinator's warning, queued for the running process's broadcast worker."""
    draft = AlertDraft(
        headline="Shoplifter on the High Street",
        description="A man in a grey hoodie is taking spirits from shelves.",
        severity=Severity.MODERATE,
        expires_at=utcnow() + timedelta(hours=6),
        audience=Audience(chat_ids=tuple(chat_ids)),
        instruction="Keep spirits behind the counter and call 101.",
    )
    async with database.sessions() as session:
        await queue_alert(session, draft, now=utcnow(), tz=ZoneInfo("Europe/London"))


@pytest.mark.timeout(300)
async def test_the_token_and_secret_never_appear_in_output_messages_or_storage(
    backend: Backend,
    database: Database,
    telegram: SandboxServer,
    redis_url: str | None,
    tmp_path: Path,
) -> None:
    port = free_port()
    deployment = Deployment(tmp_path, environment(backend, telegram, redis_url, port))
    sandbox = SandboxClient(telegram.base_url)
    try:
        await sandbox.inject_fault("getMe", kind="reset", count=1)
        status, printed = await deployment.command("check")
        assert status == 0, printed
        assert "GetMe failed (TelegramNetworkError); retrying" in printed

        people = [await sandbox.create_user(name, started=True) for name in ("Ann", "Bo")]
        async with deployment.running() as process:
            await wait_until_serving(sandbox, process)
            for person in people:
                await sandbox.send_text(person.id, "/start")
                await sandbox.wait_for_message(person.id, timeout=ANSWER_TIMEOUT)
            ann = people[0].id
            for kind in ("500", "reset", "timeout"):
                await sandbox.inject_fault("sendMessage", kind=kind, count=1, hold_seconds=1)
                await sandbox.send_text(ann, "/report")
                await sandbox.wait_for_message(ann, timeout=ANSWER_TIMEOUT)
                await sandbox.send_text(ann, "/cancel")
                await sandbox.wait_for_message(ann, timeout=ANSWER_TIMEOUT)
            await sandbox.inject_fault("sendMessage", kind="reset", count=2)
            await sandbox.inject_fault("sendMessage", kind="500", count=2)
            await queue_a_warning(database, [person.id for person in people])
            for person in people:
                await sandbox.wait_for_message(
                    person.id, lambda m: "Shoplifter" in m.body, timeout=ANSWER_TIMEOUT
                )
        told = [m.body for p in people for m in await sandbox.transcript(p.id) if m.from_bot]
    finally:
        await sandbox.close()

    printed = deployment.everything_printed
    assert " DEBUG " in printed
    assert "SendMessage failed (TelegramNetworkError); retrying" in printed
    assert "SendMessage failed (TelegramServerError); retrying" in printed
    assert leaks(printed, TOKEN, SECRET) == []
    assert leaks("\n".join(told), TOKEN, SECRET) == []
    stored = await stored_text(database, redis_url, "shopwatch")
    assert "Shoplifter" in stored
    assert leaks(stored, TOKEN, SECRET) == []


@pytest.mark.timeout(240)
async def test_an_unreachable_telegram_api_is_reported_without_the_token(
    sqlite_template: Path, tmp_path: Path
) -> None:
    database_url = sqlite_copy(sqlite_template, tmp_path)
    deployment = Deployment(
        tmp_path,
        {
            **os.environ,
            "BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": closed_port_url(),
            "DATABASE_URL": database_url,
            "LOG_LEVEL": "DEBUG",
        },
    )

    status, printed = await deployment.command("check")

    assert status == 1
    assert "telegram  FAILED: Cannot reach the Telegram Bot API" in printed
    assert "ClientConnectorError" in printed
    assert leaks(printed, TOKEN) == []
