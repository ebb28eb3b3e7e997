"""getMe, getUpdates and webhooks."""

from __future__ import annotations

import copy
import re
from typing import Any

from sandbox.errors import ApiError, bad_request
from sandbox.methods.base import Ctx, api_method
from sandbox.world import WebhookConfig

_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")

WEBHOOK_ACTIVE = ApiError(
    409,
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first",
)


@api_method("getMe")
async def get_me(ctx: Ctx) -> dict[str, Any]:
    return ctx.bot.get_me()


@api_method("getUpdates", params=("offset", "limit", "timeout", "allowed_updates"))
async def get_updates(ctx: Ctx) -> list[dict[str, Any]]:
    if ctx.bot.webhook is not None:
        raise WEBHOOK_ACTIVE
    limit = ctx.opt_int("limit") or 100
    limit = min(max(limit, 1), 100)
    timeout = max(0, min(ctx.opt_int("timeout") or 0, 50))
    allowed = ctx.array("allowed_updates")
    if timeout:
        ctx.sb.events.emit("long_poll", {"bot_id": ctx.bot.id, "timeout": timeout})
    updates = await ctx.bot.queue.get(
        ctx.opt_int("offset"),
        limit,
        float(timeout),
        [str(a) for a in allowed] if allowed is not None else None,
        ctx.sb.closing,
    )
    return copy.deepcopy(updates)


@api_method(
    "setWebhook",
    params=(
        "url",
        "ip_address",
        "max_connections",
        "allowed_updates",
        "drop_pending_updates",
        "secret_token",
    ),
)
async def set_webhook(ctx: Ctx) -> bool:
    url = ctx.text("url").strip()
    bot = ctx.bot
    # Every check before any change: a refused call leaves the bot as it was.
    if url and not url.startswith(("https://", "http://")):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = ctx.opt_str("secret_token")
    if secret is not None and not _SECRET_RE.match(secret):
        raise bad_request("secret token contains unallowed characters")
    max_connections = ctx.opt_int("max_connections") or 40
    if not 1 <= max_connections <= 100:
        raise bad_request("bad webhook: max_connections must be between 1 and 100")
    allowed = ctx.array("allowed_updates")
    if ctx.flag("drop_pending_updates"):
        bot.queue.drop_all()
    if allowed is not None:
        bot.queue.set_allowed([str(a) for a in allowed])
    if not url:
        bot.webhook = None
        await ctx.sb.webhooks.stop(bot)
        return True
    old = bot.webhook
    bot.webhook = WebhookConfig(
        url=url,
        secret_token=secret,
        max_connections=max_connections,
        ip_address=ctx.opt_str("ip_address"),
    )
    if old is not None and old.url == url:
        bot.webhook.last_error_date = old.last_error_date
        bot.webhook.last_error_message = old.last_error_message
    bot.queue.interrupt_polls()
    await ctx.sb.webhooks.stop(bot)
    ctx.sb.webhooks.start(bot)
    return True


@api_method("deleteWebhook", params=("drop_pending_updates",))
async def delete_webhook(ctx: Ctx) -> bool:
    bot = ctx.bot
    if ctx.flag("drop_pending_updates"):
        bot.queue.drop_all()
    bot.webhook = None
    await ctx.sb.webhooks.stop(bot)
    return True


@api_method("getWebhookInfo")
async def get_webhook_info(ctx: Ctx) -> dict[str, Any]:
    bot = ctx.bot
    hook = bot.webhook
    out: dict[str, Any] = {
        "url": hook.url if hook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(bot.queue.pending),
    }
    if hook is not None:
        out["max_connections"] = hook.max_connections
        if hook.ip_address:
            out["ip_address"] = hook.ip_address
        if hook.last_error_date is not None:
            out["last_error_date"] = hook.last_error_date
            out["last_error_message"] = hook.last_error_message or ""
    if bot.queue.allowed_updates:
        out["allowed_updates"] = list(bot.queue.allowed_updates)
    return out


@api_method("logOut")
async def log_out(ctx: Ctx) -> bool:
    return True


@api_method("close")
async def close(ctx: Ctx) -> bool:
    return True
