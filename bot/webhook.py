"""The webhook server: checks Telegram's secret, handles each update before answering."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from aiogram.types.update import UpdateTypeLookupError
from aiohttp import web
from pydantic import ValidationError

from storage.outages import is_outage

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

HealthCheck = Callable[[], Awaitable[dict[str, str]]]


def create_health_app(health: HealthCheck) -> web.Application:
    """An aiohttp app serving GET /healthz: 200 when the database and Redis answer, else 503."""

    async def healthz(_request: web.Request) -> web.Response:
        report = await health()
        healthy = all(value in ("ok", "not configured") for value in report.values())
        return web.json_response(report, status=200 if healthy else 503)

    app = web.Application(client_max_size=4 * 1024 * 1024)
    app.router.add_get("/healthz", healthz)
    return app


def create_webhook_app(
    *,
    dispatcher: Dispatcher,
    bot: Bot,
    path: str,
    secret: str | None,
    health: HealthCheck,
) -> web.Application:
    """The health app plus POST `path`, where Telegram delivers updates."""

    async def receive_update(request: web.Request) -> web.Response:
        if secret is not None:
            # aiohttp keeps header bytes that are not UTF-8 as surrogates.
            given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
            if not hmac.compare_digest(given, secret.encode()):
                logger.warning("webhook call from %s refused: bad secret header", request.remote)
                return web.Response(status=403, text="Forbidden")
        try:
            update = Update.model_validate(await request.json(), context={"bot": bot})
        except (ValueError, RecursionError, ValidationError):
            return web.Response(status=400, text="Bad Request: not a Telegram update")
        if not _known_kind(update):
            # Newer than this aiogram: nothing here handles it, so it is confirmed and ignored.
            return web.json_response({})
        try:
            # Handlers learn that a failure here makes Telegram deliver the update again.
            await dispatcher.feed_update(bot, update, telegram_redelivers=True)
        except Exception as error:
            # Answering non-2xx makes Telegram deliver the update again later.
            if is_outage(error):
                logger.warning(
                    "update %s not handled, storage unavailable (%s); asking Telegram to retry",
                    update.update_id,
                    type(error).__name__,
                )
            else:
                logger.exception(
                    "update %s not handled; asking Telegram to retry", update.update_id
                )
            return web.Response(status=500, text="Update not handled")
        return web.json_response({})

    app = create_health_app(health)
    app.router.add_post(path, receive_update)
    return app


def _known_kind(update: Update) -> bool:
    """Whether the update carries an event this version of aiogram knows."""
    try:
        return bool(update.event_type)
    except UpdateTypeLookupError:
        return False
