"""Typed async client for the sandbox control API (``/_sandbox/``).

Waiting is event-driven: :meth:`SandboxClient.wait_for_message` long-polls the server,
which answers the moment the bot's message lands; nothing here sleeps.

A per-chat *cursor* makes dialogues read naturally: every ``send_*`` moves the chat's
cursor to the user's message, and ``wait_for_message()`` (without ``after_message_id``)
returns the first bot message after the cursor and moves the cursor onto it::

    await sb.send_text(alice.id, "/start")
    hello = await sb.wait_for_message(alice.id)
    menu = await sb.wait_for_message(alice.id, lambda m: bool(m.buttons))
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncGenerator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

BotRef = int | str | None


class SandboxError(Exception):
    """The control API refused a request."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class WaitTimeout(AssertionError):
    """Nothing matching arrived in time (an AssertionError, so tests read well)."""


@dataclass(frozen=True)
class Message:
    """A message as the transcript shows it."""

    message_id: int
    chat_id: int
    date: int
    sender: dict[str, Any]
    kind: str
    text: str | None
    caption: str | None
    entities: list[dict[str, Any]]
    media_group_id: str | None
    reply_to_message_id: int | None
    reply_markup: dict[str, Any] | None
    protect_content: bool
    disable_notification: bool
    deleted: bool
    edited: bool
    version: int
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Message:
        return cls(
            message_id=int(data["message_id"]),
            chat_id=int(data["chat_id"]),
            date=int(data["date"]),
            sender=dict(data["sender"]),
            kind=str(data["kind"]),
            text=data.get("text"),
            caption=data.get("caption"),
            entities=list(data.get("entities") or []),
            media_group_id=data.get("media_group_id"),
            reply_to_message_id=data.get("reply_to_message_id"),
            reply_markup=data.get("reply_markup"),
            protect_content=bool(data.get("protect_content")),
            disable_notification=bool(data.get("disable_notification")),
            deleted=bool(data.get("deleted")),
            edited=bool(data.get("edited")),
            version=int(data.get("version", 0)),
            raw=data,
        )

    @property
    def from_bot(self) -> bool:
        return self.sender.get("role") == "bot"

    @property
    def body(self) -> str:
        """Text or caption ("" if none)."""
        return self.text or self.caption or ""

    @property
    def keyboard_type(self) -> str | None:
        """``inline``, ``reply``, ``remove``, ``force_reply`` or None."""
        return self.reply_markup["type"] if self.reply_markup else None

    @property
    def buttons(self) -> list[list[str]]:
        """Button texts, row by row."""
        if not self.reply_markup:
            return []
        return [[str(b.get("text", "")) for b in row] for row in self.reply_markup["rows"]]

    def button(self, text: str) -> dict[str, Any]:
        """The button with this text (KeyError if none)."""
        for row in (self.reply_markup or {}).get("rows", []):
            for b in row:
                if b.get("text") == text:
                    return dict(b)
        raise KeyError(f"no button {text!r} on message {self.message_id}: {self.buttons}")


@dataclass(frozen=True)
class SandboxUser:
    id: int
    first_name: str
    username: str | None
    raw: dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class SandboxGroup:
    id: int
    title: str
    type: str
    raw: dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class Sent:
    """What a user action produced: messages and the update ids queued for bots."""

    messages: list[Message]
    update_ids: list[int]

    @property
    def message(self) -> Message:
        return self.messages[0]


@dataclass(frozen=True)
class CallStats:
    methods: dict[str, int]
    statuses: dict[str, int]
    by_method: dict[str, dict[str, int]]
    total: int
    errors_4xx: int
    status_429: int
    rate_limited: dict[str, int]
    rate_limited_total: int
    faults_fired: int

    def count(self, method: str) -> int:
        return self.methods.get(method, 0)


class SandboxClient:
    """Control API client; ``base_url`` is the sandbox root (``http://127.0.0.1:PORT``)."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._session = session
        self._own_session = session is None
        self._cursor: dict[tuple[int, str], int] = {}

    async def __aenter__(self) -> SandboxClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    async def _call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        timeout: float = 30.0,  # noqa: ASYNC109
    ) -> Any:
        query = {k: str(v) for k, v in (params or {}).items() if v is not None}
        payload = None if body is None else {k: v for k, v in body.items() if v is not None}
        async with self._http().request(
            method,
            f"{self.base_url}/_sandbox{path}",
            json=payload,
            params=query,
            timeout=aiohttp.ClientTimeout(total=timeout),
        ) as resp:
            data = await resp.json()
        if not data.get("ok"):
            raise SandboxError(resp.status, str(data.get("error")))
        return data["result"]

    @staticmethod
    def _bot_key(bot: BotRef) -> str:
        return "" if bot is None else str(bot)

    def _advance(self, chat_id: int, bot: BotRef, message_id: int) -> None:
        key = (chat_id, self._bot_key(bot))
        self._cursor[key] = max(self._cursor.get(key, 0), message_id)

    def cursor(self, chat_id: int, bot: BotRef = None) -> int:
        """The last message id this client sent or waited for in the chat."""
        return self._cursor.get((chat_id, self._bot_key(bot)), 0)

    # ------------------------------------------------------------- general
    async def health(self) -> dict[str, Any]:
        return dict(await self._call("GET", "/health"))

    async def methods(self) -> dict[str, list[str]]:
        result = await self._call("GET", "/methods")
        return {name: list(info["params"]) for name, info in result.items()}

    async def reset(self) -> None:
        self._cursor.clear()
        await self._call("POST", "/reset")

    async def calls(self) -> CallStats:
        return CallStats(**await self._call("GET", "/calls"))

    async def reset_calls(self) -> None:
        await self._call("POST", "/calls/reset")

    async def limits(self) -> dict[str, Any]:
        return dict(await self._call("GET", "/limits"))

    async def set_limits(self, **changes: Any) -> dict[str, Any]:
        """E.g. ``set_limits(private_burst=2, group_enabled=False)``."""
        return dict(await self._call("POST", "/limits", changes))

    async def disable_limits(self) -> dict[str, Any]:
        return await self.set_limits(
            bot_enabled=False, paid_enabled=False, private_enabled=False, group_enabled=False
        )

    async def set_config(self, **changes: Any) -> dict[str, Any]:
        return dict(await self._call("POST", "/config", changes))

    async def now(self) -> float:
        return float((await self._call("GET", "/clock"))["now"])

    async def advance_clock(self, seconds: float) -> float:
        return float((await self._call("POST", "/clock", {"advance": seconds}))["now"])

    async def set_clock(self, unix_time: float) -> float:
        return float((await self._call("POST", "/clock", {"set": unix_time}))["now"])

    # ---------------------------------------------------------------- bots
    async def bots(self) -> list[dict[str, Any]]:
        return list(await self._call("GET", "/bots"))

    async def bot_info(self, bot: BotRef = None) -> dict[str, Any]:
        ref = bot if bot is not None else (await self.bots())[0]["id"]
        return dict(await self._call("GET", f"/bots/{ref}"))

    async def add_bot(
        self, token: str, username: str, first_name: str | None = None
    ) -> dict[str, Any]:
        body = {"token": token, "username": username, "first_name": first_name}
        return dict(await self._call("POST", "/bots", body))

    async def set_privacy(self, enabled: bool, bot: BotRef = None) -> dict[str, Any]:
        ref = bot if bot is not None else (await self.bots())[0]["id"]
        return dict(await self._call("POST", f"/bots/{ref}/privacy", {"enabled": enabled}))

    async def pending_updates(self, bot: BotRef = None) -> list[dict[str, Any]]:
        return list(await self._call("GET", "/updates", params={"bot": bot}))

    async def add_bot_to_group(
        self,
        group_id: int,
        admin: bool = True,
        rights: dict[str, bool] | None = None,
        by_user_id: int | None = None,
        bot: BotRef = None,
    ) -> Sent:
        body = {
            "group_id": group_id,
            "admin": admin,
            "rights": rights,
            "by_user_id": by_user_id,
            "bot": bot,
        }
        return self._sent(await self._call("POST", "/bot/add_to_group", body), group_id, bot)

    async def remove_bot_from_group(
        self, group_id: int, by_user_id: int | None = None, ban: bool = False, bot: BotRef = None
    ) -> Sent:
        body = {"group_id": group_id, "by_user_id": by_user_id, "ban": ban, "bot": bot}
        return self._sent(await self._call("POST", "/bot/remove_from_group", body), group_id, bot)

    async def set_bot_admin(
        self,
        group_id: int,
        admin: bool = True,
        rights: dict[str, bool] | None = None,
        bot: BotRef = None,
    ) -> dict[str, Any]:
        body = {"group_id": group_id, "admin": admin, "rights": rights, "bot": bot}
        return dict(await self._call("POST", "/bot/set_admin", body))

    # --------------------------------------------------------------- users
    async def create_user(
        self,
        first_name: str = "User",
        last_name: str | None = None,
        username: str | None = None,
        user_id: int | None = None,
        language_code: str | None = None,
        started: bool = False,
        is_premium: bool = False,
    ) -> SandboxUser:
        """A new user; ``started=True`` lets bots message them before they write first."""
        body = {
            "first_name": first_name,
            "last_name": last_name,
            "username": username,
            "id": user_id,
            "language_code": language_code,
            "started": started or None,
            "is_premium": is_premium or None,
        }
        data = await self._call("POST", "/users", body)
        return SandboxUser(int(data["id"]), str(data["first_name"]), data.get("username"), data)

    async def user(self, user_id: int) -> dict[str, Any]:
        return dict(await self._call("GET", f"/users/{user_id}"))

    async def block(self, user_id: int, bot: BotRef = None) -> None:
        await self._call("POST", f"/users/{user_id}/block", {"bot": bot})

    async def unblock(self, user_id: int, bot: BotRef = None) -> None:
        await self._call("POST", f"/users/{user_id}/unblock", {"bot": bot})

    async def deactivate(self, user_id: int) -> None:
        await self._call("POST", f"/users/{user_id}/deactivate", {})

    def _sent(self, data: dict[str, Any], chat_id: int, bot: BotRef) -> Sent:
        messages = [Message.from_json(m) for m in data["messages"]]
        for m in messages:
            self._advance(chat_id, bot, m.message_id)
        return Sent(messages, list(data["update_ids"]))

    async def send(
        self, user_id: int, chat_id: int | None = None, bot: BotRef = None, **content: Any
    ) -> Sent:
        """Raw send: ``content`` is one of text=, photo=, location=, contact=, sticker=,
        voice=, document=, forward= (plus reply_to_message_id=, anonymous=)."""
        body = {"chat_id": chat_id, "bot": bot, **content}
        data = await self._call("POST", f"/users/{user_id}/send", body)
        return self._sent(data, chat_id if chat_id is not None else user_id, bot)

    async def send_text(
        self,
        user_id: int,
        text: str,
        chat_id: int | None = None,
        reply_to: int | None = None,
        bot: BotRef = None,
    ) -> Message:
        """Text or a /command (which gets its bot_command entity)."""
        sent = await self.send(user_id, chat_id, bot, text=text, reply_to_message_id=reply_to)
        return sent.message

    send_command = send_text

    async def send_anonymous(self, user_id: int, chat_id: int, text: str) -> Message:
        """An anonymous group admin's message (from GroupAnonymousBot, with sender_chat)."""
        return (await self.send(user_id, chat_id, text=text, anonymous=True)).message

    async def send_photo(
        self,
        user_id: int,
        chat_id: int | None = None,
        count: int = 1,
        caption: str | None = None,
        width: int = 64,
        height: int = 48,
        data: bytes | None = None,
        bot: BotRef = None,
    ) -> list[Message]:
        """One photo, or an album (``count`` > 1: one message each, same media_group_id)."""
        photo: dict[str, Any] = {"count": count, "width": width, "height": height}
        if caption is not None:
            photo["caption"] = caption
        if data is not None:
            photo["data_base64"] = base64.b64encode(data).decode()
        return (await self.send(user_id, chat_id, bot, photo=photo)).messages

    async def send_location(
        self,
        user_id: int,
        latitude: float,
        longitude: float,
        chat_id: int | None = None,
        live_period: int | None = None,
        bot: BotRef = None,
    ) -> Message:
        location: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
        if live_period is not None:
            location["live_period"] = live_period
        return (await self.send(user_id, chat_id, bot, location=location)).message

    async def send_contact(
        self,
        user_id: int,
        phone_number: str,
        first_name: str,
        last_name: str | None = None,
        contact_user_id: int | None = None,
        chat_id: int | None = None,
        bot: BotRef = None,
    ) -> Message:
        contact: dict[str, Any] = {"phone_number": phone_number, "first_name": first_name}
        if last_name:
            contact["last_name"] = last_name
        if contact_user_id is not None:
            contact["user_id"] = contact_user_id
        return (await self.send(user_id, chat_id, bot, contact=contact)).message

    async def send_sticker(
        self,
        user_id: int,
        emoji: str = "\U0001f600",
        chat_id: int | None = None,
        bot: BotRef = None,
    ) -> Message:
        return (await self.send(user_id, chat_id, bot, sticker={"emoji": emoji})).message

    async def send_voice(
        self, user_id: int, duration: int = 2, chat_id: int | None = None, bot: BotRef = None
    ) -> Message:
        return (await self.send(user_id, chat_id, bot, voice={"duration": duration})).message

    async def send_document(
        self,
        user_id: int,
        file_name: str = "document.pdf",
        data: bytes | None = None,
        caption: str | None = None,
        chat_id: int | None = None,
        bot: BotRef = None,
    ) -> Message:
        document: dict[str, Any] = {"file_name": file_name, "caption": caption}
        if data is not None:
            document["data_base64"] = base64.b64encode(data).decode()
        return (await self.send(user_id, chat_id, bot, document=document)).message

    async def forward(
        self,
        user_id: int,
        *,
        from_chat_id: int | None = None,
        message_id: int | None = None,
        text: str | None = None,
        from_user_id: int | None = None,
        sender_name: str | None = None,
        chat_id: int | None = None,
        bot: BotRef = None,
    ) -> Message:
        """Forward a sandbox message, or a synthetic one (``text`` + origin)."""
        forward = {
            "from_chat_id": from_chat_id,
            "message_id": message_id,
            "text": text,
            "from_user_id": from_user_id,
            "sender_name": sender_name,
        }
        forward = {k: v for k, v in forward.items() if v is not None}
        return (await self.send(user_id, chat_id, bot, forward=forward)).message

    async def edit_text(
        self,
        user_id: int,
        message_id: int,
        text: str,
        chat_id: int | None = None,
        bot: BotRef = None,
    ) -> Message:
        body = {"message_id": message_id, "text": text, "chat_id": chat_id, "bot": bot}
        return Message.from_json(await self._call("POST", f"/users/{user_id}/edit", body))

    async def press(
        self,
        user_id: int,
        message_id: int,
        chat_id: int | None = None,
        data: str | None = None,
        text: str | None = None,
        bot: BotRef = None,
        forged: bool = False,
    ) -> str:
        """Press an inline button (by callback ``data`` or button ``text``); returns the
        callback query id (see :meth:`wait_for_callback_answer`). ``forged=True`` sends
        ``data`` even though no button carries it, as a tampered client could."""
        body = {
            "message_id": message_id,
            "chat_id": chat_id,
            "data": data,
            "text": text,
            "bot": bot,
            "forged": forged,
        }
        result = await self._call("POST", f"/users/{user_id}/press", body)
        return str(result["callback_query_id"])

    # -------------------------------------------------------------- groups
    async def create_group(
        self,
        title: str = "Group",
        type: str = "supergroup",  # noqa: A002
        creator_id: int | None = None,
        members: Sequence[int] = (),
        username: str | None = None,
        description: str | None = None,
    ) -> SandboxGroup:
        body = {
            "title": title,
            "type": type,
            "creator_id": creator_id,
            "members": list(members),
            "username": username,
            "description": description,
        }
        data = await self._call("POST", "/groups", body)
        return SandboxGroup(int(data["id"]), str(data["title"]), str(data["type"]), data)

    async def group(self, group_id: int) -> dict[str, Any]:
        return dict(await self._call("GET", f"/groups/{group_id}"))

    async def join(
        self,
        group_id: int,
        user_id: int,
        by_user_id: int | None = None,
        invite_link: str | None = None,
    ) -> Sent:
        body = {"user_id": user_id, "by_user_id": by_user_id, "invite_link": invite_link}
        return self._sent(
            await self._call("POST", f"/groups/{group_id}/members", body), group_id, None
        )

    async def join_via_link(self, user_id: int, invite_link: str) -> Sent:
        body = {"user_id": user_id, "invite_link": invite_link}
        data = await self._call("POST", "/invite_links/join", body)
        chat_id = int(data["messages"][0]["chat_id"]) if data["messages"] else 0
        return self._sent(data, chat_id, None)

    async def leave(self, group_id: int, user_id: int) -> Sent:
        data = await self._call("DELETE", f"/groups/{group_id}/members/{user_id}")
        return self._sent(data, group_id, None)

    async def promote(
        self,
        group_id: int,
        user_id: int,
        rights: dict[str, bool] | None = None,
        custom_title: str | None = None,
        is_anonymous: bool = False,
    ) -> dict[str, Any]:
        body = {"rights": rights, "custom_title": custom_title, "is_anonymous": is_anonymous}
        return dict(await self._call("POST", f"/groups/{group_id}/members/{user_id}/promote", body))

    async def demote(self, group_id: int, user_id: int) -> dict[str, Any]:
        return dict(await self._call("POST", f"/groups/{group_id}/members/{user_id}/demote", {}))

    async def restrict(
        self, group_id: int, user_id: int, permissions: dict[str, bool], until_date: int = 0
    ) -> dict[str, Any]:
        body = {"permissions": permissions, "until_date": until_date}
        return dict(
            await self._call("POST", f"/groups/{group_id}/members/{user_id}/restrict", body)
        )

    async def automatic_forward(
        self, group_id: int, text: str, channel_title: str = "Channel"
    ) -> Message:
        """A linked channel's post automatically forwarded into the group (from 777000)."""
        body = {"text": text, "channel_title": channel_title}
        data = await self._call("POST", f"/groups/{group_id}/automatic_forward", body)
        return self._sent(data, group_id, None).message

    # ---------------------------------------------------------- inspection
    async def transcript(self, chat_id: int, bot: BotRef = None) -> list[Message]:
        """Every message in the chat, in order (deleted ones flagged)."""
        data = await self._call("GET", f"/chats/{chat_id}/transcript", params={"bot": bot})
        return [Message.from_json(m) for m in data["messages"]]

    async def messages(
        self,
        chat_id: int,
        after: int = 0,
        sender: str = "any",
        timeout: float = 0.0,  # noqa: ASYNC109
        bot: BotRef = None,
    ) -> list[Message]:
        """Messages with id > ``after``; waits up to ``timeout`` s for at least one."""
        params = {"after": after, "sender": sender, "timeout": timeout, "bot": bot}
        data = await self._call(
            "GET", f"/chats/{chat_id}/messages", params=params, timeout=timeout + 10
        )
        return [Message.from_json(m) for m in data]

    async def message(self, chat_id: int, message_id: int, bot: BotRef = None) -> Message:
        data = await self._call(
            "GET", f"/chats/{chat_id}/messages/{message_id}", params={"bot": bot}
        )
        return Message.from_json(data)

    async def wait_for_message(
        self,
        chat_id: int,
        predicate: Callable[[Message], bool] | None = None,
        after_message_id: int | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
        sender: str = "bot",
        bot: BotRef = None,
    ) -> Message:
        """The first message (by default from a bot) after ``after_message_id`` (default:
        this client's cursor for the chat) that satisfies ``predicate``."""
        after = self.cursor(chat_id, bot) if after_message_id is None else after_message_id
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        seen: list[Message] = []
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise WaitTimeout(
                    f"no matching message in chat {chat_id} after #{after_message_id or 0} "
                    f"within {timeout}s; saw: {[(m.message_id, m.body) for m in seen]}"
                )
            batch = await self.messages(chat_id, after, sender, remaining, bot)
            for msg in batch:
                after = max(after, msg.message_id)
                if predicate is None or predicate(msg):
                    self._advance(chat_id, bot, msg.message_id)
                    return msg
                seen.append(msg)

    async def wait_for_messages(
        self,
        chat_id: int,
        count: int,
        after_message_id: int | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
        sender: str = "bot",
        bot: BotRef = None,
    ) -> list[Message]:
        """The next ``count`` messages (e.g. an album)."""
        out: list[Message] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        after = after_message_id
        while len(out) < count:
            msg = await self.wait_for_message(
                chat_id, None, after, max(0.01, deadline - loop.time()), sender, bot
            )
            out.append(msg)
            after = msg.message_id
        return out

    async def assert_no_message(
        self,
        chat_id: int,
        within: float = 0.3,
        after_message_id: int | None = None,
        sender: str = "bot",
        bot: BotRef = None,
    ) -> None:
        """Fail if a message arrives within ``within`` seconds (returns as soon as one does)."""
        after = self.cursor(chat_id, bot) if after_message_id is None else after_message_id
        batch = await self.messages(chat_id, after, sender, within, bot)
        if batch:
            seen = [(m.message_id, m.body) for m in batch]
            raise AssertionError(f"unexpected message(s) in chat {chat_id}: {seen}")

    async def wait_for_edit(
        self,
        chat_id: int,
        message_id: int,
        predicate: Callable[[Message], bool] | None = None,
        since_version: int = 0,
        timeout: float = 5.0,  # noqa: ASYNC109
        bot: BotRef = None,
    ) -> Message:
        """The message once edited (or deleted) past ``since_version`` and matching."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        version = since_version
        last: Message | None = None
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise WaitTimeout(
                    f"message {message_id} in chat {chat_id} was not edited as expected "
                    f"within {timeout}s; last: {last}"
                )
            params = {"version_gt": version, "timeout": remaining, "bot": bot}
            data = await self._call(
                "GET",
                f"/chats/{chat_id}/messages/{message_id}",
                params=params,
                timeout=remaining + 10,
            )
            last = Message.from_json(data)
            if last.version > version:
                if predicate is None or predicate(last):
                    return last
                version = last.version

    async def wait_for_deletion(
        self,
        chat_id: int,
        message_id: int,
        timeout: float = 5.0,  # noqa: ASYNC109
        bot: BotRef = None,
    ) -> Message:
        return await self.wait_for_edit(chat_id, message_id, lambda m: m.deleted, 0, timeout, bot)

    async def callback_answers(self) -> list[dict[str, Any]]:
        return list(await self._call("GET", "/callback_answers"))

    async def wait_for_callback_answer(
        self,
        query_id: str,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> dict[str, Any]:
        """The bot's answerCallbackQuery for this query (text, show_alert, url, ...)."""
        params = {"query_id": query_id, "timeout": timeout}
        answers = await self._call("GET", "/callback_answers", params=params, timeout=timeout + 10)
        if not answers:
            raise WaitTimeout(f"callback query {query_id} was not answered within {timeout}s")
        return dict(answers[0])

    async def chat_actions(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        return list(await self._call("GET", "/chat_actions", params={"chat_id": chat_id}))

    # -------------------------------------------------------------- faults
    async def inject_fault(
        self,
        method: str,
        kind: str = "429",
        count: int = 1,
        retry_after: int = 5,
        hold_seconds: float = 120.0,
        after_execute: bool = False,
    ) -> dict[str, Any]:
        """Answer the next ``count`` calls of ``method`` (or ``"*"``) with ``kind``:
        ``429``, ``500``, ``502``, ``timeout`` or ``reset``."""
        body = {
            "method": method,
            "kind": kind,
            "count": count,
            "retry_after": retry_after,
            "hold_seconds": hold_seconds,
            "after_execute": after_execute,
        }
        return dict(await self._call("POST", "/faults", body))

    async def clear_faults(self) -> None:
        await self._call("DELETE", "/faults")

    # -------------------------------------------------------------- events
    async def events(
        self,
        since: int = 0,
        timeout: float = 0.0,  # noqa: ASYNC109
    ) -> tuple[int, list[dict[str, Any]]]:
        """Events after ``since`` (long-polls up to ``timeout``): (last_seq, events)."""
        params = {"since": since, "timeout": timeout}
        data = await self._call("GET", "/events/poll", params=params, timeout=timeout + 10)
        return int(data["last_seq"]), list(data["events"])

    async def stream_events(self, since: int | None = None) -> AsyncGenerator[dict[str, Any]]:
        """Iterate the Server-Sent Events stream (for live UIs and debugging)."""
        params = {} if since is None else {"since": str(since)}
        async with self._http().get(
            f"{self.base_url}/_sandbox/events",
            params=params,
            timeout=aiohttp.ClientTimeout(total=None, sock_read=None),
        ) as resp:
            async for line in resp.content:
                text = line.decode().strip()
                if text.startswith("data: "):
                    yield dict(json.loads(text[len("data: ") :]))
