"""The `shopwatch` command: run the bot, migrate the database, check a deployment."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Callable

from bot import __version__
from bot.cli_budget import add_budget_parser, budget
from bot.cli_datarights import add_datarights_parsers, erase_subject, export_subject
from bot.logs import RedactSecrets, setup_logging
from bot.preflight import StartupError, check_database, check_redis
from bot.settings import ConfigError, Settings, load_settings
from storage.db import Database
from storage.migrate import current_revision, downgrade, head_revision, upgrade
from storage.redis import connect_redis

NO_TOKEN = (
    "BOT_TOKEN is not set: create a bot with @BotFather, then put BOT_TOKEN=<token> in .env "
    "(or export it) and run again. To try ShopWatch without Telegram, run: shopwatch demo"
)
DEMO_INSTEAD = (
    "BOT_TOKEN is not set, so this is the local demo: a stand-in Telegram on this machine. "
    "To serve real Telegram, put BOT_TOKEN=<token from @BotFather> in .env."
)


def build_parser() -> argparse.ArgumentParser:
    """The command line: subcommands and their options."""
    parser = argparse.ArgumentParser(
        prog="shopwatch", description="ShopWatch: Shop Watch schemes and community safety alerts."
    )
    parser.add_argument("--version", action="version", version=f"shopwatch {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run_command = commands.add_parser(
        "run", help="migrate the database if needed, then run the bot"
    )
    run_command.add_argument(
        "--demo-without-token",
        action="store_true",
        help="with no BOT_TOKEN, start the local demo instead of stopping (make run does this)",
    )
    demo = commands.add_parser("demo", help="play with the bot in a browser, no Telegram needed")
    demo.add_argument("--port", type=int, help="default: DEMO_PORT, or 8080")
    sandbox = commands.add_parser("sandbox", help="run the local Telegram Bot API stand-in")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8081, help="default: 8081")
    commands.add_parser("check", help="check the configuration, database, Redis and Telegram")
    commands.add_parser(
        "worker", help="send queued alerts (more workers can share the load through Redis)"
    )
    database = commands.add_parser("db", help="database schema migrations")
    db_commands = database.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    up = db_commands.add_parser("upgrade", help="apply migrations (default: up to the newest)")
    up.add_argument("revision", nargs="?", default="head")
    down = db_commands.add_parser("downgrade", help="revert migrations to a revision")
    down.add_argument("revision", help="a revision id, -1 for one step, or base for empty")
    db_commands.add_parser("current", help="show the schema revision of the database")
    add_budget_parser(commands)
    add_datarights_parsers(commands)
    return parser


async def _serve(settings: Settings) -> int:
    from bot.process import ShopWatchProcess  # aiogram takes seconds to import: only when needed

    process = ShopWatchProcess(settings)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await process.start()
        stopped = asyncio.create_task(process.stopped.wait())
        asked = asyncio.create_task(stop.wait())
        await asyncio.wait({stopped, asked}, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        asked.cancel()
    finally:
        await process.stop()
    if process.failed:
        print("shopwatch: polling stopped after an error (see the log above).", file=sys.stderr)
        return 1
    return 0


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Runs the bot until it is stopped; without a token, the demo or a clear refusal."""
    if settings.bot_token is None:
        if not args.demo_without_token:
            print(f"shopwatch: {NO_TOKEN}", file=sys.stderr)
            return 2
        print(DEMO_INSTEAD)
        return demo(settings, argparse.Namespace(port=None))
    return asyncio.run(_serve(settings))


def demo(settings: Settings, args: argparse.Namespace) -> int:
    """Runs the sandbox, the bot and the demo page until Ctrl-C."""
    from bot.demo import run_demo

    port = args.port or settings.demo_port
    try:
        asyncio.run(run_demo(settings, port=port))
    except OSError as error:
        raise StartupError(
            f"Cannot start the demo on port {port} ({error.strerror or error}): "
            "free the port or choose another with --port or DEMO_PORT."
        ) from None
    return 0


def sandbox(settings: Settings, args: argparse.Namespace) -> int:
    """Serves the local Telegram Bot API stand-in until Ctrl-C."""
    from sandbox.server import run_sandbox

    run_sandbox(host=args.host, port=args.port)
    return 0


async def _check(settings: Settings) -> bool:
    redact = RedactSecrets(settings.secrets()).redact
    mode = f"webhook at {settings.webhook_url}" if settings.uses_webhook else "long polling"
    print(
        f"config    ok: {mode}, time zone {settings.timezone}, "
        f"{len(settings.admin_user_ids)} admin(s)"
    )
    healthy = True
    database = Database(settings.database_url)
    try:
        await check_database(database)
        revision = await current_revision(settings.database_url)
        print(
            f"database  ok: {database.safe_url}, schema {revision or 'empty'} "
            f"(newest {head_revision()})"
        )
    except StartupError as error:
        print(f"database  FAILED: {redact(str(error))}")
        healthy = False
    finally:
        await database.close()
    if settings.redis_url is None:
        print("redis     not configured: conversation state in memory (one process only)")
    else:
        redis = connect_redis(settings.redis_url)
        try:
            await check_redis(redis, settings.redis_url)
            print("redis     ok")
        except StartupError as error:
            print(f"redis     FAILED: {redact(str(error))}")
            healthy = False
        finally:
            await redis.aclose()
    if settings.bot_token is None:
        print(f"telegram  FAILED: {NO_TOKEN}")
        return False
    from bot.app import build_bot
    from bot.startup import check_telegram

    bot = build_bot(settings, timeout=10)
    try:
        me = await check_telegram(bot, settings.telegram_api_url)
        print(f"telegram  ok: @{me.username} (id {me.id}) at {settings.telegram_api_url}")
    except StartupError as error:
        print(f"telegram  FAILED: {redact(str(error))}")
        healthy = False
    finally:
        await bot.session.close()
    return healthy


def worker(settings: Settings, _args: argparse.Namespace) -> int:
    """Sends queued alerts until stopped (SIGTERM finishes the sends in flight first)."""
    if settings.bot_token is None:
        print(f"shopwatch: {NO_TOKEN}", file=sys.stderr)
        return 2
    from bot.worker import serve_worker

    return asyncio.run(serve_worker(settings))


def check(settings: Settings, _args: argparse.Namespace) -> int:
    """Prints what it finds for each part of the deployment; exit 1 if any part fails."""
    return 0 if asyncio.run(_check(settings)) else 1


async def _reachable(settings: Settings) -> None:
    database = Database(settings.database_url)
    try:
        await check_database(database)
    finally:
        await database.close()


def db(settings: Settings, args: argparse.Namespace) -> int:
    """Migrates the database schema up or down, or shows where it is."""
    asyncio.run(_reachable(settings))
    if args.db_command == "current":
        revision = asyncio.run(current_revision(settings.database_url))
        print(f"{revision or 'empty'} (newest {head_revision()})")
    elif args.db_command == "upgrade":
        upgrade(settings.database_url, args.revision)
    else:
        downgrade(settings.database_url, args.revision)
    return 0


COMMANDS: dict[str, Callable[[Settings, argparse.Namespace], int]] = {
    "run": run,
    "demo": demo,
    "sandbox": sandbox,
    "check": check,
    "worker": worker,
    "db": db,
    "budget": budget,
    "export": export_subject,
    "erase": erase_subject,
}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `shopwatch` console script."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"shopwatch: {error}", file=sys.stderr)
        return 2
    setup_logging(settings.log_level, settings.secrets())
    redactor = RedactSecrets(settings.secrets())
    try:
        return COMMANDS[args.command](settings, args)
    except StartupError as error:
        # Error texts can quote a request URL, and the bot token is part of every one.
        print(f"shopwatch: {redactor.redact(str(error))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
