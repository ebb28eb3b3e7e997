"""Webhook delivery: one update at a time per bot, in order, retried with backoff."""

from __future__ import annotations

import asyncio
import contextlib
import email.parser
import email.policy
import json
import logging
from typing import TYPE_CHECKING, Any

import aiohttp

from sandbox.events import Notifier
from sandbox.world import BotAccount, WebhookConfig

if TYPE_CHECKING:
    from sandbox.state import Sandbox

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookManager:
    """Runs a delivery task for every bot with a webhook."""

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._wake: dict[int, Notifier] = {}

    def start(self, bot: BotAccount) -> None:
        if bot.id in self._tasks and not self._tasks[bot.id].done():
            self.kick(bot)
            return
        self._wake[bot.id] = Notifier()
        self._tasks[bot.id] = asyncio.get_running_loop().create_task(
            self._run(bot), name=f"sandbox-webhook-{bot.id}"
        )

    async def stop(self, bot: BotAccount) -> None:
        task = self._tasks.pop(bot.id, None)
        wake = self._wake.pop(bot.id, None)
        if wake is not None:
            wake.close()
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def stop_all(self) -> None:
        for bot_id in list(self._tasks):
            await self.stop(self.sb.world.bots[bot_id])

    def kick(self, bot: BotAccount) -> None:
        wake = self._wake.get(bot.id)
        if wake is not None:
            wake.notify()

    async def _run(self, bot: BotAccount) -> None:
        wake = self._wake[bot.id]
        delay = self.sb.config.webhook_retry_base
        while not wake.closed and bot.webhook is not None:
            if not bot.queue.pending:
                await wake.wait(3600)
                continue
            update = bot.queue.pending[0]
            error = await self._post(bot, update)
            hook = _hook(bot)
            if hook is None:
                return
            if error is None:
                bot.queue.remove(update["update_id"])
                hook.delivered += 1
                hook.failed_attempts = 0
                delay = self.sb.config.webhook_retry_base
                continue
            hook.last_error_date = self.sb.clock.now_int()
            hook.last_error_message = error
            hook.failed_attempts += 1
            logger.info("webhook delivery for bot %s failed: %s", bot.id, error)
            self.sb.events.emit(
                "webhook_error",
                {"bot_id": bot.id, "update_id": update["update_id"], "error": error},
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.sb.config.webhook_retry_max)

    async def _post(self, bot: BotAccount, update: dict[str, Any]) -> str | None:
        """POST one update; None on success, else the error text."""
        hook = bot.webhook
        http = self.sb.http
        if hook is None or http is None:
            return "webhook is not set"
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers[SECRET_HEADER] = hook.secret_token
        timeout = aiohttp.ClientTimeout(total=self.sb.config.webhook_timeout)
        try:
            async with http.post(
                hook.url, data=json.dumps(update), headers=headers, timeout=timeout
            ) as resp:
                body = await resp.read()
                if not 200 <= resp.status < 300:
                    return f"Wrong response from the webhook: {resp.status} {resp.reason}"
                content_type = resp.headers.get("Content-Type", "")
        except TimeoutError:
            return "Read timeout expired"
        except aiohttp.ClientConnectorError:
            return "Connection refused"
        except aiohttp.ClientError as exc:
            return f"Connection error: {type(exc).__name__}"
        await self._run_reply(bot, content_type, body)
        return None

    async def _run_reply(self, bot: BotAccount, content_type: str, body: bytes) -> None:
        """A webhook answer may carry a method call, which Telegram then executes."""
        params = parse_reply(content_type, body)
        method = params.pop("method", None)
        if isinstance(method, str) and method:
            status, answer = await self.sb.call(bot, method, params, {})
            if status != 200:
                logger.info("webhook reply %s failed: %s", method, answer.get("description"))


def _hook(bot: BotAccount) -> WebhookConfig | None:
    return bot.webhook


def parse_reply(content_type: str, body: bytes) -> dict[str, Any]:
    """Parameters of a webhook answer (JSON, urlencoded or multipart), or {}."""
    if not body.strip():
        return {}
    ctype = content_type.split(";", 1)[0].strip().lower()
    try:
        if ctype == "application/json":
            data = json.loads(body)
            return dict(data) if isinstance(data, dict) else {}
        if ctype == "application/x-www-form-urlencoded":
            from urllib.parse import parse_qsl

            return dict(parse_qsl(body.decode()))
        if ctype == "multipart/form-data":
            message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
            )
            out: dict[str, Any] = {}
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True)
                if isinstance(name, str) and isinstance(payload, bytes):
                    out[name] = payload.decode("utf-8", "replace")
            return out
    except (ValueError, UnicodeDecodeError):
        logger.info("could not parse a webhook reply of type %s", ctype)
    return {}
