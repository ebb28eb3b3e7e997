"""The sandbox: world, clock, limits, faults, events and the Bot API call pipeline."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

import aiohttp

from sandbox.clock import SimClock
from sandbox.errors import NOT_FOUND, ApiError, bad_request, forbidden
from sandbox.events import EventLog, Notifier
from sandbox.faults import FaultInjector
from sandbox.limits import LimitConfig, RateLimiter
from sandbox.methods import REGISTRY, Ctx
from sandbox.spec import ApiSpec, ParamError, UploadedFile, default_spec
from sandbox.world import BotAccount, Chat, World

logger = logging.getLogger(__name__)

DEFAULT_TOKEN = "123456:TEST-token"
DEFAULT_USERNAME = "shopwatch_test_bot"


@dataclass
class SandboxConfig:
    """Behaviour switches of one sandbox instance."""

    # Check every result and update against the spec; a mismatch answers 500.
    strict_shapes: bool = False
    # Refuse photo uploads that are not images (IMAGE_PROCESS_FAILED), like Telegram.
    strict_media: bool = True
    # Webhook delivery: first retry delay, cap, and the POST timeout (seconds).
    webhook_retry_base: float = 1.0
    webhook_retry_max: float = 60.0
    webhook_timeout: float = 10.0
    # A callback query must be answered within this many real seconds.
    callback_answer_timeout: float = 15.0
    # Bots start with privacy mode on, like BotFather's default.
    privacy_mode: bool = True

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CallStats:
    methods: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    by_method_status: dict[str, Counter[int]] = field(default_factory=dict)

    def record(self, method: str, status: int) -> None:
        self.methods[method] += 1
        self.statuses[status] += 1
        self.by_method_status.setdefault(method, Counter())[status] += 1

    def reset(self) -> None:
        self.methods.clear()
        self.statuses.clear()
        self.by_method_status.clear()


class Sandbox:
    """Everything behind the HTTP layer; one instance per server."""

    def __init__(
        self,
        bots: list[tuple[str, str]] | None = None,
        config: SandboxConfig | None = None,
        limits: LimitConfig | None = None,
        spec: ApiSpec | None = None,
    ) -> None:
        self.config = config or SandboxConfig()
        self.spec = spec or default_spec()
        self.clock = SimClock()
        self.limiter = RateLimiter(limits)
        self.faults = FaultInjector()
        self.events = EventLog()
        self.world = World()
        self.stats = CallStats()
        self.closing = Notifier()
        self.http: aiohttp.ClientSession | None = None
        from sandbox.webhook import WebhookManager

        self.webhooks = WebhookManager(self)
        for token, username in bots or [(DEFAULT_TOKEN, DEFAULT_USERNAME)]:
            self.add_bot(token, username)

    # ------------------------------------------------------------- lifecycle
    async def startup(self) -> None:
        self.closing.reopen()
        if self.http is None:
            self.http = aiohttp.ClientSession()

    async def shutdown(self) -> None:
        self.closing.close()
        self.events.notifier.close()
        for bot in self.world.bots.values():
            bot.queue.notifier.close()
        self.world.callback_notifier.close()
        for chat in [*self.world.groups.values(), *self.world.private.values()]:
            chat.notifier.close()
        await self.webhooks.stop_all()
        if self.http is not None:
            await self.http.close()
            self.http = None

    async def reset(self) -> None:
        await self.webhooks.stop_all()
        self.world.reset()
        for bot in self.world.bots.values():
            bot.privacy_mode = self.config.privacy_mode
        self.clock.reset()
        self.limiter.reset()
        self.faults.clear()
        self.events.clear()
        self.stats.reset()

    # ------------------------------------------------------------------ bots
    def add_bot(self, token: str, username: str, first_name: str | None = None) -> BotAccount:
        name = first_name or username.removesuffix("_bot").replace("_", " ").title()
        bot = self.world.add_bot(token, username, name)
        bot.privacy_mode = self.config.privacy_mode
        return bot

    def bot_by_token(self, token: str) -> BotAccount | None:
        head = token.split(":", 1)[0]
        if not head.isdigit():
            return None
        bot = self.world.bots.get(int(head))
        if bot is None or bot.token != token:
            return None
        return bot

    def bot_by_ref(self, ref: int | str | None) -> BotAccount:
        """A bot by id or username; the first bot if ``ref`` is None."""
        if ref is None:
            return next(iter(self.world.bots.values()))
        for bot in self.world.bots.values():
            if ref in (bot.id, bot.username, f"@{bot.username}", str(bot.id)):
                return bot
        raise KeyError(f"no bot {ref!r}")

    @property
    def default_bot(self) -> BotAccount:
        return self.bot_by_ref(None)

    # ----------------------------------------------------------------- chats
    def resolve_chat(self, bot: BotAccount, chat_id: int | str) -> Chat:
        world = self.world
        if isinstance(chat_id, str):
            if not chat_id.startswith("@"):
                raise bad_request("chat not found")
            chat = world.group_by_username(chat_id)
            if chat is None:
                raise bad_request("chat not found")
            return chat
        if chat_id > 0:
            if chat_id not in world.users:
                raise bad_request("chat not found")
            chat = world.private_chat(bot.id, chat_id, create=chat_id != bot.id)
            if chat is None:
                raise bad_request("chat not found")
            return chat
        group = world.groups.get(chat_id)
        if group is None:
            raise bad_request("chat not found")
        return group

    def check_can_send(self, bot: BotAccount, chat: Chat) -> None:
        """Telegram's 403s (and rights 400s) for sending into ``chat``."""
        world = self.world
        if chat.is_private:
            user = world.users[chat.peer_id or chat.id]
            if user.is_bot:
                raise forbidden("bot can't send messages to bots")
            if user.deactivated:
                raise forbidden("user is deactivated")
            if bot.id in user.blocked_bots:
                raise forbidden("bot was blocked by the user")
            if bot.id not in user.started_bots:
                raise forbidden("bot can't initiate conversation with a user")
            return
        kind = "supergroup" if chat.type == "supergroup" else "group"
        member = world.member(chat, bot.id, self.clock.now_int())
        if member.status == "kicked":
            raise forbidden(f"bot was kicked from the {kind} chat")
        if not world.is_present(chat, bot.id, self.clock.now_int()):
            raise forbidden(f"bot is not a member of the {kind} chat")
        if member.status == "restricted" and not member.permissions.get("can_send_messages"):
            raise bad_request("not enough rights to send text messages to the chat")

    def check_can_read(self, bot: BotAccount, chat: Chat) -> None:
        if chat.is_private:
            return
        member = self.world.member(chat, bot.id, self.clock.now_int())
        if member.status == "kicked":
            kind = "supergroup" if chat.type == "supergroup" else "group"
            raise forbidden(f"bot was kicked from the {kind} chat")
        if not self.world.is_present(chat, bot.id, self.clock.now_int()):
            raise bad_request("chat not found")

    # -------------------------------------------------------------- Bot API
    async def call(
        self,
        bot: BotAccount,
        method_name: str,
        raw: dict[str, Any],
        files: dict[str, UploadedFile],
    ) -> tuple[int, dict[str, Any]]:
        """Run one Bot API call; returns the HTTP status and the JSON answer."""
        mdef = REGISTRY.get(method_name.lower())
        if mdef is None:
            self.stats.record(method_name, 404)
            return 404, NOT_FOUND.to_json()
        status: int
        body: dict[str, Any]
        try:
            values: dict[str, Any] = {}
            if mdef.name in self.spec.methods:
                values = self.spec.coerce_params(mdef.name, raw, files)
            result = await mdef.handler(Ctx(self, bot, mdef, values))
            status, body = 200, {"ok": True, "result": result}
            if self.config.strict_shapes:
                status, body = self._check_result(mdef.name, result, status, body)
        except ParamError as exc:
            status, body = 400, ApiError(400, exc.description).to_json()
        except ApiError as exc:
            status, body = exc.code, exc.to_json()
        self.stats.record(mdef.name, status)
        if status != 200:
            logger.debug("bot %s %s -> %s %s", bot.id, mdef.name, status, body["description"])
        return status, body

    def _check_result(
        self, method: str, result: Any, status: int, body: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        spec = self.spec.methods.get(method)
        if spec is None:
            return status, body
        errors = self.spec.check_shape(result, spec.returns)
        if errors:
            logger.error("%s result does not match the spec: %s", method, errors[:5])
            return 500, {
                "ok": False,
                "error_code": 500,
                "description": f"Internal Server Error: sandbox result shape: {errors[:3]}",
            }
        return status, body

    def check_update_shape(self, update: dict[str, Any]) -> None:
        if self.config.strict_shapes:
            errors = self.spec.check_shape(update, ["Update"])
            if errors:
                raise AssertionError(f"sandbox built an invalid Update: {errors[:5]}")

    def stats_json(self) -> dict[str, Any]:
        return {
            "methods": dict(self.stats.methods),
            "statuses": {str(k): v for k, v in self.stats.statuses.items()},
            "by_method": {
                m: {str(s): n for s, n in c.items()} for m, c in self.stats.by_method_status.items()
            },
            "total": sum(self.stats.methods.values()),
            "errors_4xx": sum(n for s, n in self.stats.statuses.items() if 400 <= s < 500),
            "status_429": self.stats.statuses.get(429, 0),
            "rate_limited": dict(self.limiter.breaches),
            "rate_limited_total": self.limiter.total_breaches,
            "faults_fired": self.faults.fired_total,
        }
