"""A bare aiogram echo bot in webhook mode, the yardstick for the update benchmark.

    BOT_TOKEN=... TELEGRAM_API_URL=http://127.0.0.1:8081 REDIS_URL=redis://127.0.0.1:6379/0 \
    REDIS_PREFIX=echo WEBHOOK_LISTEN=127.0.0.1:8443 WEBHOOK_PATH=/hook WEBHOOK_SECRET=... \
    python -m benchmarks.echo_bot

aiogram's Dispatcher with its RedisStorage for conversation state, aiogram's own aiohttp
webhook handler (each update handled before the answer, as ShopWatch does), no database:
a message is sent back as it came, a button press is answered. GET /healthz says it is up.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.storage.base import DefaultKeyBuilder
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.types import CallbackQuery, Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from redis.asyncio import Redis


async def echo(message: Message) -> None:
    """Sends the text back."""
    assert message.text is not None
    await message.answer(message.text)


async def pressed(query: CallbackQuery) -> None:
    """Answers the press, so the person's button stops spinning."""
    await query.answer()


def build_dispatcher(redis: Redis, prefix: str) -> Dispatcher:
    """The echo handlers on a dispatcher whose conversation state lives in Redis."""
    router = Router(name="echo")
    router.message.register(echo, F.text)
    router.callback_query.register(pressed)
    dispatcher = Dispatcher(
        storage=RedisStorage(redis, key_builder=DefaultKeyBuilder(prefix=prefix))
    )
    dispatcher.include_router(router)
    return dispatcher


async def serve() -> None:
    """Serves the webhook until SIGTERM or SIGINT."""
    environment = os.environ
    session = AiohttpSession(api=TelegramAPIServer.from_base(environment["TELEGRAM_API_URL"]))
    bot = Bot(token=environment["BOT_TOKEN"], session=session)
    redis = Redis.from_url(environment["REDIS_URL"])
    dispatcher = build_dispatcher(redis, environment.get("REDIS_PREFIX", "echo"))
    app = web.Application()
    SimpleRequestHandler(
        dispatcher,
        bot,
        handle_in_background=False,
        secret_token=environment["WEBHOOK_SECRET"],
    ).register(app, path=environment.get("WEBHOOK_PATH", "/"))

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"echo": "ok"})

    app.router.add_get("/healthz", healthz)
    host, _, port = environment["WEBHOOK_LISTEN"].rpartition(":")
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, int(port)).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        await dispatcher.storage.close()
        await bot.session.close()


if __name__ == "__main__":
    asyncio.run(serve())
    sys.exit(0)
