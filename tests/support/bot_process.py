"""A real `python -m bot run` process (webhook mode) that a test starts, kills and restarts.

Its Redis is a private `redis-server` started for the test, so the process can use the
default key prefix without meeting anyone else's keys on the shared server.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from sandbox.server import SandboxServer
from tests.support.live import WEBHOOK_SECRET, free_port
from tests.support.private_redis import PrivateRedis

OWN_PREFIXES = ("BROADCAST_", "BOT_", "DATABASE_", "REDIS_", "TELEGRAM_", "WEBHOOK_", "FLOOD_")


@asynccontextmanager
async def private_redis() -> AsyncIterator[str]:
    """A throwaway redis-server on a free loopback port; yields its URL."""
    server = PrivateRedis()
    await server.start()
    try:
        yield server.url
    finally:
        await server.stop()


@dataclass
class BotProcess:
    """`python -m bot run` against a sandbox, with the settings a test chose."""

    server: SandboxServer
    database_url: str
    redis_url: str | None
    directory: Path
    settings: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        """Where every incarnation of the process writes its log."""
        return self.directory / "bot.log"

    def environment(self) -> dict[str, str]:
        """The process's environment: the test's settings and nothing of the developer's."""
        environment = {
            key: value for key, value in os.environ.items() if not key.startswith(OWN_PREFIXES)
        }
        environment.update(
            {
                "BOT_TOKEN": self.server.token,
                "TELEGRAM_API_URL": self.server.base_url,
                "DATABASE_URL": self.database_url,
                "WEBHOOK_URL": f"http://127.0.0.1:{self.port}/telegram",
                "WEBHOOK_SECRET": WEBHOOK_SECRET,
                "WEBHOOK_LISTEN": f"127.0.0.1:{self.port}",
                "LOG_LEVEL": "WARNING",
                **self.settings,
            }
        )
        if self.redis_url is not None:
            environment["REDIS_URL"] = self.redis_url
        return environment

    def start(self) -> None:
        """Starts a new incarnation of the process."""
        assert self.process is None or self.process.poll() is not None, "already running"
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"],
                cwd=self.directory,
                env=self.environment(),
                stdout=subprocess.DEVNULL,
                stderr=log,
            )

    async def ready(self, within: float = 60.0) -> None:
        """Waits until the process answers its health check."""
        deadline = time.monotonic() + within
        url = f"http://127.0.0.1:{self.port}/healthz"
        async with aiohttp.ClientSession() as http:
            while True:
                self._still_running()
                try:
                    async with http.get(url) as answer:
                        if answer.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"the bot did not start: {self.tail()}")
                await asyncio.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no chance to finish anything or to say goodbye."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    async def stop(self) -> int | None:
        """SIGTERM, as a deployment would; returns the exit code (None if never started)."""
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.to_thread(self.process.wait, 30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise

    def tail(self, characters: int = 3000) -> str:
        """The end of the log, for failure messages."""
        return self.log.read_text(errors="replace")[-characters:] if self.log.exists() else ""

    def _still_running(self) -> None:
        assert self.process is not None, "the bot was never started"
        if self.process.poll() is not None:
            raise AssertionError(f"the bot exited with {self.process.returncode}: {self.tail()}")
