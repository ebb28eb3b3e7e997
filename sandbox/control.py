"""The control API under ``/_sandbox/``: build the world, act as users, inspect, wait.

Every answer is JSON: ``{"ok": true, "result": ...}`` or ``{"ok": false, "error": "..."}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import ClientConnectionResetError, web

from sandbox.actions import Actions, Sent
from sandbox.errors import ControlError
from sandbox.faults import Fault
from sandbox.methods import REGISTRY
from sandbox.render import chat_full_info, chat_json, member_json, transcript_entry
from sandbox.state import Sandbox
from sandbox.world import BotAccount, Chat, StoredMessage, User

logger = logging.getLogger(__name__)

PREFIX = "/_sandbox"
MAX_WAIT = 60.0

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def ok(result: Any = True) -> web.Response:
    return web.json_response({"ok": True, "result": result})


@web.middleware
async def control_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith(PREFIX):
        return await handler(request)
    try:
        return await handler(request)
    except ControlError as exc:
        return web.json_response({"ok": False, "error": exc.message}, status=exc.status)
    except (KeyError, ValueError, TypeError) as exc:
        return web.json_response({"ok": False, "error": f"bad request: {exc}"}, status=400)


async def body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        data = json.loads(await request.read() or b"{}")
    except ValueError as exc:
        raise ControlError("body must be JSON") from exc
    if not isinstance(data, dict):
        raise ControlError("body must be a JSON object")
    return data


def user_json(user: User) -> dict[str, Any]:
    out = user.to_json()
    out.update(
        deactivated=user.deactivated,
        blocked_bots=sorted(user.blocked_bots),
        started_bots=sorted(user.started_bots),
    )
    return out


def sent_json(sent: Sent, sb: Sandbox) -> dict[str, Any]:
    return {
        "messages": [transcript_entry(m, sb.world) for m in sent.messages],
        "message_ids": [m.message_id for m in sent.messages],
        "update_ids": sent.update_ids,
    }


class ControlApi:
    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self.actions = Actions(sb)

    # ---------------------------------------------------------------- helpers
    def bot(self, ref: Any) -> BotAccount:
        try:
            return self.sb.bot_by_ref(ref)
        except KeyError as exc:
            raise ControlError(str(exc.args[0]), 404) from exc

    def chat(self, chat_id: int, bot_ref: Any = None) -> Chat:
        if chat_id < 0:
            return self.actions.group(chat_id)
        self.actions.user(chat_id)
        chat = self.sb.world.private_chat(self.bot(bot_ref).id, chat_id, create=True)
        assert chat is not None
        return chat

    @staticmethod
    def int_arg(request: web.Request, name: str) -> int:
        return int(request.match_info[name])

    # ---------------------------------------------------------------- general
    async def health(self, request: web.Request) -> web.StreamResponse:
        return ok({"version": self.sb.spec.version})

    async def methods(self, request: web.Request) -> web.StreamResponse:
        return ok(
            {
                m.name: {"params": sorted(m.params)}
                for m in sorted(REGISTRY.values(), key=lambda m: m.name)
            }
        )

    async def reset(self, request: web.Request) -> web.StreamResponse:
        await self.sb.reset()
        return ok()

    async def get_config(self, request: web.Request) -> web.StreamResponse:
        return ok(self.sb.config.to_json())

    async def set_config(self, request: web.Request) -> web.StreamResponse:
        data = await body(request)
        for key, value in data.items():
            if not hasattr(self.sb.config, key):
                raise ControlError(f"unknown config key {key!r}")
            setattr(self.sb.config, key, type(getattr(self.sb.config, key))(value))
        return ok(self.sb.config.to_json())

    async def get_limits(self, request: web.Request) -> web.StreamResponse:
        return ok(self.sb.limiter.config.to_json())

    async def set_limits(self, request: web.Request) -> web.StreamResponse:
        self.sb.limiter.config.update(await body(request))
        self.sb.limiter.reset_buckets()
        return ok(self.sb.limiter.config.to_json())

    async def get_clock(self, request: web.Request) -> web.StreamResponse:
        return ok({"now": self.sb.clock.now()})

    async def set_clock(self, request: web.Request) -> web.StreamResponse:
        data = await body(request)
        if "advance" in data:
            now = self.sb.clock.advance(float(data["advance"]))
        elif "set" in data:
            now = self.sb.clock.set(float(data["set"]))
        else:
            raise ControlError("give 'advance' (seconds) or 'set' (unix time)")
        self.sb.events.emit("clock", {"now": now})
        return ok({"now": now})

    # ------------------------------------------------------------------- bots
    def bot_json(self, bot: BotAccount) -> dict[str, Any]:
        hook = bot.webhook
        return {
            "id": bot.id,
            "username": bot.username,
            "user": bot.get_me(),
            "privacy_mode": bot.privacy_mode,
            "commands": [
                {"scope_language": key, "commands": cmds} for key, cmds in bot.commands.items()
            ],
            "descriptions": bot.descriptions,
            "short_descriptions": bot.short_descriptions,
            "webhook": None
            if hook is None
            else {
                "url": hook.url,
                "has_secret": hook.secret_token is not None,
                "delivered": hook.delivered,
                "failed_attempts": hook.failed_attempts,
                "last_error_message": hook.last_error_message,
            },
            "pending_updates": len(bot.queue.pending),
            "allowed_updates": bot.queue.allowed_updates,
        }

    async def list_bots(self, request: web.Request) -> web.StreamResponse:
        return ok([self.bot_json(b) for b in self.sb.world.bots.values()])

    async def add_bot(self, request: web.Request) -> web.StreamResponse:
        data = await body(request)
        token = str(data["token"])
        head = token.split(":", 1)[0]
        if not head.isdigit() or ":" not in token:
            raise ControlError("token must look like '<bot id>:<secret>'")
        if int(head) in self.sb.world.users:
            raise ControlError(f"id {head} is taken", 409)
        bot = self.sb.add_bot(token, str(data["username"]), data.get("first_name"))
        return ok(self.bot_json(bot))

    async def get_bot(self, request: web.Request) -> web.StreamResponse:
        return ok(self.bot_json(self.bot(request.match_info["ref"])))

    async def set_privacy(self, request: web.Request) -> web.StreamResponse:
        data = await body(request)
        bot = self.bot(request.match_info["ref"])
        bot.privacy_mode = bool(data.get("enabled", True))
        return ok(self.bot_json(bot))

    async def pending_updates(self, request: web.Request) -> web.StreamResponse:
        bot = self.bot(request.query.get("bot"))
        return ok(bot.queue.pending)

    async def bot_add_to_group(self, request: web.Request) -> web.StreamResponse:
        data = await body(request)
        sent = self.actions.add_bot(
            self.bot(data.get("bot")),
            self.actions.group(int(data["group_id"])),
            admin=bool(data.get("admin", False)),
            rights=data.get("rights"),
            by_user_id=data.get("by_user_id"),
        )
        return ok(sent_json(sent, self.sb))

    async def bot_remove_from_group(self, request: web.Request) -> web.StreamResponse:
        data = await body(request)
        sent = self.actions.remove_bot(
            self.bot(data.get("bot")),
            self.actions.group(int(data["group_id"])),
            by_user_id=data.get("by_user_id"),
            ban=bool(data.get("ban", False)),
        )
        return ok(sent_json(sent, self.sb))

    async def bot_set_admin(self, request: web.Request) -> web.StreamResponse:
        data = await body(request)
        bot = self.bot(data.get("bot"))
        chat = self.actions.group(int(data["group_id"]))
        self.actions.set_admin(
            chat, bot.id, bool(data.get("admin", True)), rights=data.get("rights")
        )
        member = self.sb.world.member(chat, bot.id, self.sb.clock.now_int())
        return ok(member_json(member, bot.user, chat))

    # ------------------------------------------------------------------ users
    async def create_user(self, request: web.Request) -> web.StreamResponse:
        data = await body(request)
        user = self.actions.create_user(
            first_name=str(data.get("first_name") or "User"),
            last_name=data.get("last_name"),
            username=data.get("username"),
            user_id=data.get("id"),
            language_code=data.get("language_code"),
            is_bot=bool(data.get("is_bot", False)),
            is_premium=bool(data.get("is_premium", False)),
        )
        started = data.get("started", False)
        if started:
            bots = self.sb.world.bots.values() if started is True else [self.bot(started)]
            for bot in bots:
                user.started_bots.add(bot.id)
                self.sb.world.private_chat(bot.id, user.id, create=True)
        return ok(user_json(user))

    async def get_user(self, request: web.Request) -> web.StreamResponse:
        return ok(user_json(self.actions.user(self.int_arg(request, "uid"))))

    async def user_send(self, request: web.Request) -> web.StreamResponse:
        data = await body(request)
        user = self.actions.user(self.int_arg(request, "uid"))
        sent = self.actions.send(user, self.bot(data.get("bot")), data)
        return ok(sent_json(sent, self.sb))

    async def user_edit(self, request: web.Request) -> web.StreamResponse:
        data = await body(request)
        user = self.actions.user(self.int_arg(request, "uid"))
        msg = self.actions.edit(
            user,
            self.bot(data.get("bot")),
            data.get("chat_id"),
            int(data["message_id"]),
            str(data["text"]),
        )
        return ok(transcript_entry(msg, self.sb.world))

    async def user_press(self, request: web.Request) -> web.StreamResponse:
        data = await body(request)
        user = self.actions.user(self.int_arg(request, "uid"))
        query, update_id = self.actions.press(
            user,
            self.bot(data.get("bot")),
            data.get("chat_id"),
            int(data["message_id"]),
            data=data.get("data"),
            text=data.get("text"),
            forged=bool(data.get("forged")),
        )
        return ok({"callback_query_id": query.id, "data": query.data, "update_id": update_id})

    async def user_block(self, request: web.Request) -> web.StreamResponse:
        data = await body(request)
        user = self.actions.user(self.int_arg(request, "uid"))
        self.actions.set_blocked(user, self.bot(data.get("bot")), True)
        return ok(user_json(user))

    async def user_unblock(self, request: web.Request) -> web.StreamResponse:
        data = await body(request)
        user = self.actions.user(self.int_arg(request, "uid"))
        self.actions.set_blocked(user, self.bot(data.get("bot")), False)
        return ok(user_json(user))

    async def user_deactivate(self, request: web.Request) -> web.StreamResponse:
        user = self.actions.user(self.int_arg(request, "uid"))
        user.deactivated = True
        return ok(user_json(user))

    # ----------------------------------------------------------------- groups
    def group_json(self, chat: Chat) -> dict[str, Any]:
        out = chat_full_info(chat, self.sb.world)
        now = self.sb.clock.now_int()
        out["members"] = [
            member_json(self.sb.world.member(chat, uid, now), self.sb.world.users[uid], chat)
            for uid in chat.members
        ]
        out["invite_links"] = [
            {"invite_link": lk.invite_link, "joined": lk.joined, "is_revoked": lk.is_revoked}
            for lk in chat.invite_links.values()
        ]
        return out

    async def create_group(self, request: web.Request) -> web.StreamResponse:
        data = await body(request)
        chat = self.actions.create_group(
            title=str(data.get("title") or "Group"),
            kind=str(data.get("type", "supergroup")),
            username=data.get("username"),
            creator_id=data.get("creator_id"),
            member_ids=[int(x) for x in data.get("members", [])],
            description=data.get("description"),
            chat_id=data.get("id"),
        )
        return ok(self.group_json(chat))

    async def get_group(self, request: web.Request) -> web.StreamResponse:
        return ok(self.group_json(self.actions.group(self.int_arg(request, "gid"))))

    async def group_join(self, request: web.Request) -> web.StreamResponse:
        data = await body(request)
        chat = self.actions.group(self.int_arg(request, "gid"))
        user = self.actions.user(int(data["user_id"]))
        actor = self.actions.user(int(data["by_user_id"])) if data.get("by_user_id") else None
        sent = self.actions.join(chat, user, actor=actor, invite_link=data.get("invite_link"))
        if data.get("admin"):
            self.actions.set_admin(chat, user.id, True, rights=data.get("rights"))
        return ok(sent_json(sent, self.sb))

    async def group_leave(self, request: web.Request) -> web.StreamResponse:
        chat = self.actions.group(self.int_arg(request, "gid"))
        sent = self.actions.leave(chat, self.actions.user(self.int_arg(request, "uid")))
        return ok(sent_json(sent, self.sb))

    async def group_promote(self, request: web.Request) -> web.StreamResponse:
        data = await body(request)
        chat = self.actions.group(self.int_arg(request, "gid"))
        uid = self.int_arg(request, "uid")
        self.actions.set_admin(
            chat,
            uid,
            True,
            rights=data.get("rights"),
            custom_title=data.get("custom_title"),
            is_anonymous=bool(data.get("is_anonymous", False)),
        )
        return ok(self.group_json(chat))

    async def group_demote(self, request: web.Request) -> web.StreamResponse:
        chat = self.actions.group(self.int_arg(request, "gid"))
        self.actions.set_admin(chat, self.int_arg(request, "uid"), False)
        return ok(self.group_json(chat))

    async def group_restrict(self, request: web.Request) -> web.StreamResponse:
        data = await body(request)
        chat = self.actions.group(self.int_arg(request, "gid"))
        self.actions.set_restricted(
            chat,
            self.int_arg(request, "uid"),
            {k: bool(v) for k, v in dict(data.get("permissions", {})).items()},
            int(data.get("until_date", 0)),
        )
        return ok(self.group_json(chat))

    async def automatic_forward(self, request: web.Request) -> web.StreamResponse:
        data = await body(request)
        chat = self.actions.group(self.int_arg(request, "gid"))
        sent = self.actions.automatic_forward(
            chat,
            str(data["text"]),
            channel_title=str(data.get("channel_title", "Channel")),
            channel_id=data.get("channel_id"),
        )
        return ok(sent_json(sent, self.sb))

    async def join_by_link(self, request: web.Request) -> web.StreamResponse:
        data = await body(request)
        link = str(data["invite_link"])
        chat = next((c for c in self.sb.world.groups.values() if link in c.invite_links), None)
        if chat is None:
            raise ControlError("invite link not found", 404)
        sent = self.actions.join(chat, self.actions.user(int(data["user_id"])), invite_link=link)
        return ok(sent_json(sent, self.sb))

    # ------------------------------------------------------------------ chats
    async def transcript(self, request: web.Request) -> web.StreamResponse:
        chat = self.chat(self.int_arg(request, "cid"), request.query.get("bot"))
        world = self.sb.world
        return ok(
            {
                "chat": chat_json(chat, world),
                "pinned_message_id": chat.pinned_message_id,
                "revision": chat.revision,
                "messages": [transcript_entry(m, world) for m in chat.messages.values()],
            }
        )

    @staticmethod
    def _matches(msg: StoredMessage, sender: str) -> bool:
        if sender == "bot":
            return msg.by_bot is not None
        if sender == "user":
            return msg.by_bot is None
        return True

    async def messages(self, request: web.Request) -> web.StreamResponse:
        """Messages after ``after`` (by message_id); long-polls up to ``timeout`` seconds."""
        chat = self.chat(self.int_arg(request, "cid"), request.query.get("bot"))
        after = int(request.query.get("after", 0))
        sender = request.query.get("sender", "any")
        timeout = min(float(request.query.get("timeout", 0)), MAX_WAIT)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = [
                m for mid, m in chat.messages.items() if mid > after and self._matches(m, sender)
            ]
            remaining = deadline - loop.time()
            if found or remaining <= 0 or self.sb.closing.closed:
                return ok([transcript_entry(m, self.sb.world) for m in found])
            await chat.notifier.wait(remaining)

    async def message(self, request: web.Request) -> web.StreamResponse:
        """One message; with ``version_gt`` waits until it has been edited/deleted past it."""
        chat = self.chat(self.int_arg(request, "cid"), request.query.get("bot"))
        mid = self.int_arg(request, "mid")
        version_gt = int(request.query.get("version_gt", -1))
        timeout = min(float(request.query.get("timeout", 0)), MAX_WAIT)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            msg = chat.messages.get(mid)
            remaining = deadline - loop.time()
            if msg is not None and msg.version > version_gt:
                return ok(transcript_entry(msg, self.sb.world))
            if remaining <= 0 or self.sb.closing.closed:
                if msg is None:
                    raise ControlError(f"message {mid} not found in chat {chat.id}", 404)
                return ok(transcript_entry(msg, self.sb.world))
            await chat.notifier.wait(remaining)

    async def chat_actions(self, request: web.Request) -> web.StreamResponse:
        chat_id = request.query.get("chat_id")
        actions = self.sb.world.chat_actions
        if chat_id is not None:
            actions = [a for a in actions if a["chat_id"] == int(chat_id)]
        return ok(actions)

    # ---------------------------------------------------------- calls, faults
    async def calls(self, request: web.Request) -> web.StreamResponse:
        return ok(self.sb.stats_json())

    async def reset_calls(self, request: web.Request) -> web.StreamResponse:
        self.sb.stats.reset()
        self.sb.limiter.reset()
        return ok(self.sb.stats_json())

    async def add_fault(self, request: web.Request) -> web.StreamResponse:
        data = await body(request)
        method = str(data["method"])
        if method != "*" and method.lower() not in REGISTRY:
            raise ControlError(f"unknown method {method}")
        try:
            fault = self.sb.faults.add(
                Fault(
                    method=method.lower(),
                    kind=str(data["kind"]),
                    remaining=int(data.get("count", 1)),
                    retry_after=int(data.get("retry_after", 5)),
                    hold_seconds=float(data.get("hold_seconds", 120.0)),
                    after_execute=bool(data.get("after_execute", False)),
                )
            )
        except ValueError as exc:
            raise ControlError(str(exc)) from exc
        return ok(fault.to_json())

    async def list_faults(self, request: web.Request) -> web.StreamResponse:
        return ok([f.to_json() for f in self.sb.faults.faults])

    async def clear_faults(self, request: web.Request) -> web.StreamResponse:
        self.sb.faults.faults.clear()
        return ok()

    async def callback_answers(self, request: web.Request) -> web.StreamResponse:
        """Answers to callback queries; with ``query_id`` and ``timeout``, waits for one."""
        query_id = request.query.get("query_id")
        timeout = min(float(request.query.get("timeout", 0)), MAX_WAIT)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        notifier = self.sb.world.callback_notifier
        while True:
            answers = [
                a
                for a in self.sb.world.callback_answers
                if query_id is None or a["callback_query_id"] == query_id
            ]
            remaining = deadline - loop.time()
            if answers or query_id is None or remaining <= 0 or notifier.closed:
                return ok(answers)
            await notifier.wait(remaining)

    # ----------------------------------------------------------------- events
    async def events_poll(self, request: web.Request) -> web.StreamResponse:
        since = int(request.query.get("since", 0))
        timeout = min(float(request.query.get("timeout", 0)), MAX_WAIT)
        events = await self.sb.events.wait_since(since, timeout)
        return ok({"last_seq": self.sb.events.last_seq, "events": [e.to_json() for e in events]})

    async def events_stream(self, request: web.Request) -> web.StreamResponse:
        """Server-Sent Events: every event after ``since`` (default: from now on)."""
        since = int(request.query.get("since", self.sb.events.last_seq))
        resp = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await resp.prepare(request)
        # A browser tab closing mid-stream is normal, not an error.
        with contextlib.suppress(ConnectionResetError, ClientConnectionResetError):
            await resp.write(b": sandbox event stream\n\n")
            while not self.sb.closing.closed:
                events = await self.sb.events.wait_since(since, 15.0)
                if not events:
                    await resp.write(b": keep-alive\n\n")
                    continue
                for event in events:
                    payload = json.dumps(event.to_json())
                    chunk = f"id: {event.seq}\nevent: {event.kind}\ndata: {payload}\n\n"
                    await resp.write(chunk.encode())
                    since = event.seq
        return resp


def add_routes(app: web.Application, sb: Sandbox) -> ControlApi:
    api = ControlApi(sb)
    r = app.router
    p = PREFIX
    r.add_get(f"{p}/health", api.health)
    r.add_get(f"{p}/methods", api.methods)
    r.add_post(f"{p}/reset", api.reset)
    r.add_get(f"{p}/config", api.get_config)
    r.add_post(f"{p}/config", api.set_config)
    r.add_get(f"{p}/limits", api.get_limits)
    r.add_post(f"{p}/limits", api.set_limits)
    r.add_get(f"{p}/clock", api.get_clock)
    r.add_post(f"{p}/clock", api.set_clock)
    r.add_get(f"{p}/bots", api.list_bots)
    r.add_post(f"{p}/bots", api.add_bot)
    r.add_get(f"{p}/bots/{{ref}}", api.get_bot)
    r.add_post(f"{p}/bots/{{ref}}/privacy", api.set_privacy)
    r.add_get(f"{p}/updates", api.pending_updates)
    r.add_post(f"{p}/bot/add_to_group", api.bot_add_to_group)
    r.add_post(f"{p}/bot/remove_from_group", api.bot_remove_from_group)
    r.add_post(f"{p}/bot/set_admin", api.bot_set_admin)
    r.add_post(f"{p}/users", api.create_user)
    r.add_get(f"{p}/users/{{uid}}", api.get_user)
    r.add_post(f"{p}/users/{{uid}}/send", api.user_send)
    r.add_post(f"{p}/users/{{uid}}/edit", api.user_edit)
    r.add_post(f"{p}/users/{{uid}}/press", api.user_press)
    r.add_post(f"{p}/users/{{uid}}/block", api.user_block)
    r.add_post(f"{p}/users/{{uid}}/unblock", api.user_unblock)
    r.add_post(f"{p}/users/{{uid}}/deactivate", api.user_deactivate)
    r.add_post(f"{p}/groups", api.create_group)
    r.add_get(f"{p}/groups/{{gid}}", api.get_group)
    r.add_post(f"{p}/groups/{{gid}}/members", api.group_join)
    r.add_delete(f"{p}/groups/{{gid}}/members/{{uid}}", api.group_leave)
    r.add_post(f"{p}/groups/{{gid}}/members/{{uid}}/promote", api.group_promote)
    r.add_post(f"{p}/groups/{{gid}}/members/{{uid}}/demote", api.group_demote)
    r.add_post(f"{p}/groups/{{gid}}/members/{{uid}}/restrict", api.group_restrict)
    r.add_post(f"{p}/groups/{{gid}}/automatic_forward", api.automatic_forward)
    r.add_post(f"{p}/invite_links/join", api.join_by_link)
    r.add_get(f"{p}/chats/{{cid}}/transcript", api.transcript)
    r.add_get(f"{p}/chats/{{cid}}/messages", api.messages)
    r.add_get(f"{p}/chats/{{cid}}/messages/{{mid}}", api.message)
    r.add_get(f"{p}/chat_actions", api.chat_actions)
    r.add_get(f"{p}/calls", api.calls)
    r.add_post(f"{p}/calls/reset", api.reset_calls)
    r.add_get(f"{p}/faults", api.list_faults)
    r.add_post(f"{p}/faults", api.add_fault)
    r.add_delete(f"{p}/faults", api.clear_faults)
    r.add_get(f"{p}/callback_answers", api.callback_answers)
    r.add_get(f"{p}/events", api.events_stream)
    r.add_get(f"{p}/events/poll", api.events_poll)
    return api
