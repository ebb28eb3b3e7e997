"""Bot settings (commands, descriptions, name), answerCallbackQuery and getFile."""

from __future__ import annotations

import json
import re
import time
from typing import Any

from sandbox.errors import bad_request
from sandbox.methods.base import Ctx, api_method

_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"


def _scope_key(ctx: Ctx) -> str:
    scope = ctx.obj("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True) + "|" + (ctx.opt_str("language_code") or "")


def _language(ctx: Ctx) -> str:
    code = ctx.opt_str("language_code") or ""
    if code and not re.fullmatch(r"[a-z]{2}", code):
        raise bad_request("language code is invalid")
    return code


@api_method("setMyCommands", params=("commands", "scope", "language_code"))
async def set_my_commands(ctx: Ctx) -> bool:
    commands = ctx.array("commands") or []
    if len(commands) > 100:
        raise bad_request("too many commands")
    stored: list[dict[str, str]] = []
    for item in commands:
        command = str(item["command"]).lstrip("/")
        description = str(item["description"])
        if not _COMMAND_RE.match(command):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(description) <= 256:
            raise bad_request("command description must be 1-256 characters")
        stored.append({"command": command, "description": description})
    _language(ctx)
    ctx.bot.commands[_scope_key(ctx)] = stored
    return True


@api_method("getMyCommands", params=("scope", "language_code"))
async def get_my_commands(ctx: Ctx) -> list[dict[str, str]]:
    return [dict(c) for c in ctx.bot.commands.get(_scope_key(ctx), [])]


@api_method("deleteMyCommands", params=("scope", "language_code"))
async def delete_my_commands(ctx: Ctx) -> bool:
    ctx.bot.commands.pop(_scope_key(ctx), None)
    return True


@api_method("setMyDescription", params=("description", "language_code"))
async def set_my_description(ctx: Ctx) -> bool:
    text = ctx.opt_str("description") or ""
    if len(text) > 512:
        raise bad_request("description is too long")
    ctx.bot.descriptions[_language(ctx)] = text
    return True


@api_method("getMyDescription", params=("language_code",))
async def get_my_description(ctx: Ctx) -> dict[str, Any]:
    return {"description": ctx.bot.descriptions.get(_language(ctx), "")}


@api_method("setMyShortDescription", params=("short_description", "language_code"))
async def set_my_short_description(ctx: Ctx) -> bool:
    text = ctx.opt_str("short_description") or ""
    if len(text) > 120:
        raise bad_request("short description is too long")
    ctx.bot.short_descriptions[_language(ctx)] = text
    return True


@api_method("getMyShortDescription", params=("language_code",))
async def get_my_short_description(ctx: Ctx) -> dict[str, Any]:
    return {"short_description": ctx.bot.short_descriptions.get(_language(ctx), "")}


@api_method("setMyName", params=("name", "language_code"))
async def set_my_name(ctx: Ctx) -> bool:
    name = ctx.opt_str("name") or ""
    if len(name) > 64:
        raise bad_request("name is too long")
    ctx.bot.names[_language(ctx)] = name
    return True


@api_method("getMyName", params=("language_code",))
async def get_my_name(ctx: Ctx) -> dict[str, Any]:
    return {"name": ctx.bot.names.get(_language(ctx)) or ctx.bot.user.first_name}


@api_method(
    "answerCallbackQuery", params=("callback_query_id", "text", "show_alert", "url", "cache_time")
)
async def answer_callback_query(ctx: Ctx) -> bool:
    query = ctx.world.callback_queries.get(ctx.text("callback_query_id"))
    if query is None or query.bot_id != ctx.bot.id or query.answered:
        raise bad_request(QUERY_INVALID)
    if time.monotonic() - query.created_monotonic > ctx.sb.config.callback_answer_timeout:
        raise bad_request(QUERY_INVALID)
    text = ctx.opt_str("text")
    if text is not None and len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    query.answered = True
    answer: dict[str, Any] = {
        "callback_query_id": query.id,
        "user_id": query.user_id,
        "chat_id": query.chat_id,
        "message_id": query.message_id,
        "data": query.data,
        "text": text,
        "show_alert": ctx.flag("show_alert"),
        "url": ctx.opt_str("url"),
        "cache_time": ctx.opt_int("cache_time") or 0,
    }
    ctx.world.callback_answers.append(answer)
    ctx.world.callback_notifier.notify()
    ctx.sb.events.emit("callback_answer", dict(answer))
    return True


@api_method("getFile", params=("file_id",))
async def get_file(ctx: Ctx) -> dict[str, Any]:
    stored = ctx.world.files.get(ctx.text("file_id"))
    if stored is None:
        raise bad_request("invalid file_id")
    if stored.size > 20 * 1024 * 1024:
        raise bad_request("file is too big")
    ctx.world.files.assign_path(stored)
    return stored.file_json()
