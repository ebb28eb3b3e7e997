"""Running the sandbox: in-process (:class:`SandboxServer`) or from the command line."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from collections.abc import Sequence
from types import TracebackType

from aiohttp import web

from sandbox import botapi, control
from sandbox.limits import LimitConfig
from sandbox.state import DEFAULT_TOKEN, DEFAULT_USERNAME, Sandbox, SandboxConfig

logger = logging.getLogger(__name__)

MAX_UPLOAD = 60 * 1024 * 1024


def create_app(sb: Sandbox) -> web.Application:
    """The aiohttp application: Bot API, file downloads and the control API."""
    app = web.Application(client_max_size=MAX_UPLOAD, middlewares=[control.control_errors])
    app[botapi.SANDBOX_KEY] = sb
    botapi.add_routes(app)
    control.add_routes(app, sb)

    async def on_startup(_: web.Application) -> None:
        await sb.startup()

    async def on_shutdown(_: web.Application) -> None:
        await sb.shutdown()

    app.on_startup.append(on_startup)
    app.on_shutdown.append(on_shutdown)
    return app


class SandboxServer:
    """A sandbox on a loopback port, for pytest fixtures and the CLI.

    >>> server = SandboxServer()
    >>> base_url = await server.start()          # e.g. http://127.0.0.1:40123
    >>> bot = Bot(server.token, session=AiohttpSession(api=TelegramAPIServer.from_base(base_url)))
    >>> await server.stop()
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        username: str = DEFAULT_USERNAME,
        *,
        extra_bots: Sequence[tuple[str, str]] = (),
        config: SandboxConfig | None = None,
        limits: LimitConfig | None = None,
    ) -> None:
        self.sandbox = Sandbox([(token, username), *extra_bots], config=config, limits=limits)
        self.token = token
        self.username = username
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on ``host:port`` (0 picks a free port); returns the base URL."""
        if self._runner is not None:
            return self.base_url
        runner = web.AppRunner(
            create_app(self.sandbox),
            handler_cancellation=True,
            shutdown_timeout=2.0,
            access_log=None,
        )
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        address = runner.addresses[0]
        self.base_url = f"http://{_host(address[0])}:{address[1]}"
        logger.info("sandbox listening on %s", self.base_url)
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> SandboxServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()


def _host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


async def serve(host: str, port: int, token: str, username: str, limits: bool = True) -> None:
    """Run until cancelled."""
    limit_config = LimitConfig()
    if not limits:
        limit_config.update(
            {
                "bot_enabled": False,
                "paid_enabled": False,
                "private_enabled": False,
                "group_enabled": False,
            }
        )
    server = SandboxServer(token, username, limits=limit_config)
    base_url = await server.start(host, port)
    print(f"Telegram Bot API sandbox on {base_url}")  # noqa: T201
    print(f"  bot @{username}; control API under {base_url}/_sandbox/")  # noqa: T201
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()


def run_sandbox(
    host: str = "127.0.0.1",
    port: int = 8081,
    bot_token: str = DEFAULT_TOKEN,
    bot_username: str = DEFAULT_USERNAME,
) -> None:
    """Serve the sandbox until Ctrl-C (for ``shopwatch sandbox``)."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(host, port, bot_token, bot_username))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sandbox", description="Local Telegram Bot API sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--username", default=DEFAULT_USERNAME)
    parser.add_argument("--no-limits", action="store_true", help="switch off all flood limits")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port, args.token, args.username, not args.no_limits))
    return 0
