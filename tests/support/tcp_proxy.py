"""A loopback TCP proxy that can play a database going away, or a slow network to it."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

from tests.support.live import free_port

CHUNK = 65536


@dataclass
class TcpProxy:
    """Forwards 127.0.0.1:`port` to `target_host`:`target_port`.

    `down()` closes every open connection and stops listening (new connections are refused,
    as when PostgreSQL stops); `up()` listens again on the same port. `latency` delays every
    chunk flowing in the directions chosen, keeping their order.
    """

    target_host: str
    target_port: int
    port: int = field(default_factory=free_port)
    latency: float = 0.0
    delay_upstream: bool = True
    delay_downstream: bool = True
    connections_seen: int = 0
    _server: asyncio.Server | None = None
    _pipes: set[asyncio.Task[None]] = field(default_factory=set)
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)

    async def up(self) -> None:
        """Accepts connections (again)."""
        if self._server is None:
            self._server = await asyncio.start_server(
                self._serve, "127.0.0.1", self.port, reuse_address=True
            )

    async def down(self) -> None:
        """Drops every connection and refuses new ones until `up()`."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        for pipe in list(self._pipes):
            pipe.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)

    async def close(self) -> None:
        """Stops for good."""
        await self.down()

    @property
    def is_up(self) -> bool:
        """True while connections are accepted."""
        return self._server is not None

    async def _serve(
        self, client_reader: asyncio.StreamReader, client: asyncio.StreamWriter
    ) -> None:
        self.connections_seen += 1
        try:
            server_reader, server = await asyncio.open_connection(
                self.target_host, self.target_port
            )
        except OSError:
            client.transport.abort()
            return
        self._writers.update((client, server))
        pipes = (
            asyncio.create_task(self._pump(client_reader, server, self.delay_upstream)),
            asyncio.create_task(self._pump(server_reader, client, self.delay_downstream)),
        )
        self._pipes.update(pipes)
        try:
            await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pipe in pipes:
                pipe.cancel()
            await asyncio.gather(*pipes, return_exceptions=True)
            self._pipes.difference_update(pipes)
            for writer in (client, server):
                self._writers.discard(writer)
                writer.transport.abort()

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delayed: bool
    ) -> None:
        """Copies one direction; each chunk leaves `latency` seconds after it arrived."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def send() -> None:
            while True:
                due, chunk = await queue.get()
                if not chunk:
                    return
                wait = due - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                writer.write(chunk)
                await writer.drain()

        sender = asyncio.create_task(send())
        try:
            while True:
                chunk = await reader.read(CHUNK)
                due = loop.time() + (self.latency if delayed else 0.0)
                await queue.put((due, chunk))
                if not chunk:
                    break
            await sender
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, OSError):
                await sender
