"""A Redis server of a test's own, which the test may restart or flush (never the shared one)."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from dataclasses import dataclass, field

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from tests.support.live import free_port

START_TIMEOUT = 10.0


@dataclass
class PrivateRedis:
    """`redis-server` on a free loopback port, without persistence (like CI's)."""

    port: int = field(default_factory=free_port)
    _process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        """Where the bot finds it."""
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        """Starts the server and waits until it answers."""
        binary = shutil.which("redis-server")
        assert binary is not None, "redis-server is not on PATH"
        self._process = await asyncio.create_subprocess_exec(
            binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + START_TIMEOUT
        while not await self.answers():
            if loop.time() > deadline:
                raise AssertionError(f"private redis on {self.port} did not start")
            await asyncio.sleep(0.05)

    async def answers(self) -> bool:
        """True when the server answers PING."""
        client = Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1)
        try:
            return bool(await client.ping())
        except (RedisConnectionError, OSError):
            return False
        finally:
            await client.aclose()

    async def stop(self) -> None:
        """SHUTDOWN NOSAVE: everything in it is gone, as after a restart without persistence."""
        process = self._process
        if process is None:
            return
        client = Redis(host="127.0.0.1", port=self.port)
        with contextlib.suppress(RedisConnectionError, OSError):
            await client.shutdown(nosave=True)
        await client.aclose()
        try:
            await asyncio.wait_for(process.wait(), START_TIMEOUT)
        except TimeoutError:
            process.kill()
            await process.wait()
        self._process = None

    async def restart(self) -> None:
        """Stops and starts again on the same port, empty."""
        await self.stop()
        await self.start()

    async def flush(self) -> None:
        """FLUSHALL: every key gone while the server keeps running."""
        client = Redis(host="127.0.0.1", port=self.port)
        try:
            await client.flushall()
        finally:
            await client.aclose()

    async def key_count(self) -> int:
        """How many keys it holds."""
        client = Redis(host="127.0.0.1", port=self.port)
        try:
            return int(await client.dbsize())
        finally:
            await client.aclose()
