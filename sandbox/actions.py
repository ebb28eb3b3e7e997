"""What users (and Telegram itself) do in the simulated world, for the control API."""

from __future__ import annotations

import base64
import copy
import time
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sandbox.errors import ControlError
from sandbox.files import make_png
from sandbox.markup import find_button
from sandbox.messaging import (
    create_message,
    mark_edited,
    member_changed,
    push_update,
    route_edit,
    route_message,
    snapshot,
)
from sandbox.methods.media import media_json, store_upload
from sandbox.methods.messages import forward_origin
from sandbox.render import chat_json, strip_reply
from sandbox.world import (
    ALL_ADMIN_RIGHTS,
    GROUP_ANONYMOUS_BOT_ID,
    TELEGRAM_SERVICE_ID,
    BotAccount,
    CallbackQuery,
    Chat,
    Member,
    StoredMessage,
    User,
)

if TYPE_CHECKING:
    from sandbox.state import Sandbox

DEFAULT_BOT_RIGHTS = {
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": False,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_pin_messages": True,
    "can_manage_topics": False,
}


@dataclass
class Sent:
    """The messages a user action created and the updates it queued."""

    messages: list[StoredMessage] = field(default_factory=list)
    update_ids: list[int] = field(default_factory=list)


def rights_from(given: dict[str, Any] | None) -> dict[str, bool]:
    rights = dict(DEFAULT_BOT_RIGHTS)
    for key, value in (given or {}).items():
        if key not in ALL_ADMIN_RIGHTS:
            raise ControlError(f"unknown administrator right {key!r}")
        rights[key] = bool(value)
    return rights


class Actions:
    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self.world = sb.world

    @property
    def now(self) -> int:
        return self.sb.clock.now_int()

    # ---------------------------------------------------------------- lookup
    def user(self, user_id: int) -> User:
        user = self.world.users.get(user_id)
        if user is None:
            raise ControlError(f"no user {user_id}", 404)
        return user

    def group(self, chat_id: int) -> Chat:
        chat = self.world.groups.get(chat_id)
        if chat is None:
            raise ControlError(f"no group {chat_id}", 404)
        return chat

    def chat_for(self, user: User, chat_id: int | None, bot: BotAccount) -> Chat:
        """The chat a user acts in: a group, or their private chat with ``bot``."""
        if chat_id is None or chat_id == user.id or chat_id > 0:
            if chat_id is not None and chat_id > 0 and chat_id != user.id:
                raise ControlError("a user can only act in their own private chat with a bot")
            chat = self.world.private_chat(bot.id, user.id, create=True)
            assert chat is not None
            return chat
        chat = self.group(chat_id)
        if not self.world.is_present(chat, user.id, self.now):
            raise ControlError(f"user {user.id} is not a member of chat {chat_id}", 403)
        return chat

    # ---------------------------------------------------------------- people
    def create_user(
        self,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        user_id: int | None = None,
        language_code: str | None = None,
        is_bot: bool = False,
        is_premium: bool = False,
    ) -> User:
        if user_id is not None and user_id in self.world.users:
            raise ControlError(f"user {user_id} already exists", 409)
        if username and self.world.user_by_username(username):
            raise ControlError(f"username {username} is taken", 409)
        user = User(
            id=user_id or self.world.next_user_id(),
            first_name=first_name,
            last_name=last_name,
            username=username.lstrip("@") if username else None,
            is_bot=is_bot,
            language_code=language_code,
            is_premium=is_premium,
        )
        self.world.users[user.id] = user
        return user

    def special_user(self, user_id: int) -> User:
        user = self.world.users.get(user_id)
        if user is None:
            if user_id == GROUP_ANONYMOUS_BOT_ID:
                user = User(user_id, "Group", username="GroupAnonymousBot", is_bot=True)
            else:
                user = User(user_id, "Telegram")
            self.world.users[user_id] = user
        return user

    def set_blocked(self, user: User, bot: BotAccount, blocked: bool) -> None:
        if (bot.id in user.blocked_bots) == blocked:
            return
        chat = self.world.private_chat(bot.id, user.id, create=True)
        assert chat is not None
        old = Member(bot.id, "kicked" if not blocked else "member")
        new = Member(bot.id, "kicked" if blocked else "member")
        if blocked:
            user.blocked_bots.add(bot.id)
        else:
            user.blocked_bots.discard(bot.id)
        chat.members[bot.id] = snapshot(new)
        member_changed(self.sb, chat, bot.id, old, new, user.id)

    # ---------------------------------------------------------------- groups
    def create_group(
        self,
        title: str,
        kind: str = "supergroup",
        username: str | None = None,
        creator_id: int | None = None,
        member_ids: list[int] | None = None,
        description: str | None = None,
        chat_id: int | None = None,
    ) -> Chat:
        if kind not in ("group", "supergroup"):
            raise ControlError("type must be 'group' or 'supergroup'")
        member_ids = list(member_ids or [])
        if creator_id is None:
            creator_id = member_ids.pop(0) if member_ids else self.create_user(f"{title} owner").id
        self.user(creator_id)
        gid = chat_id if chat_id is not None else self.world.next_group_id(kind == "supergroup")
        if gid >= 0 or gid in self.world.groups:
            raise ControlError(f"bad or taken group id {gid}")
        chat = Chat(id=gid, type=kind, title=title, username=username, description=description)
        chat.members[creator_id] = Member(creator_id, "creator")
        for uid in member_ids:
            self.user(uid)
            chat.members.setdefault(uid, Member(uid, "member"))
        self.world.groups[gid] = chat
        return chat

    def join(
        self,
        chat: Chat,
        user: User,
        actor: User | None = None,
        invite_link: str | None = None,
    ) -> Sent:
        """A user joins (or is added by ``actor``); updates and a service message follow."""
        current = self.world.member(chat, user.id, self.now)
        if self.world.is_present(chat, user.id, self.now):
            raise ControlError(f"user {user.id} is already in chat {chat.id}", 409)
        if current.status == "kicked" and actor is None:
            raise ControlError(f"user {user.id} is banned in chat {chat.id}", 403)
        link = None
        if invite_link is not None:
            link = chat.invite_links.get(invite_link)
            if link is None:
                raise ControlError("invite link not found", 404)
            if link.is_revoked:
                raise ControlError("invite link was revoked", 410)
            if link.expire_date is not None and link.expire_date <= self.now:
                raise ControlError("invite link expired", 410)
            if link.member_limit is not None and link.joined >= link.member_limit:
                raise ControlError("invite link member limit reached", 410)
            if link.creates_join_request:
                raise ControlError("join-request links are not simulated", 501)
            link.joined += 1
        old = snapshot(current)
        new = Member(user.id, "member")
        chat.members[user.id] = new
        by = actor or user
        member_changed(self.sb, chat, user.id, old, snapshot(new), by.id, invite_link=link)
        return self._service(chat, by, {"new_chat_members": [user.to_json()]})

    def leave(self, chat: Chat, user: User) -> Sent:
        current = self.world.member(chat, user.id, self.now)
        if not self.world.is_present(chat, user.id, self.now):
            raise ControlError(f"user {user.id} is not in chat {chat.id}", 409)
        if current.status == "creator":
            raise ControlError("the creator can't leave in the sandbox")
        old = snapshot(current)
        chat.members[user.id] = Member(user.id, "left")
        member_changed(self.sb, chat, user.id, old, Member(user.id, "left"), user.id)
        return self._service(chat, user, {"left_chat_member": user.to_json()})

    def set_admin(
        self,
        chat: Chat,
        user_id: int,
        admin: bool,
        rights: dict[str, Any] | None = None,
        custom_title: str | None = None,
        is_anonymous: bool = False,
        actor_id: int | None = None,
    ) -> None:
        """Promote (``admin``) or demote a present member; chat_member/my_chat_member follow."""
        if not self.world.is_present(chat, user_id, self.now):
            raise ControlError(f"user {user_id} is not in chat {chat.id}", 409)
        current = self.world.member(chat, user_id, self.now)
        if current.status == "creator":
            raise ControlError("the creator's status can't be changed")
        old = snapshot(current)
        if admin:
            new = Member(
                user_id,
                "administrator",
                rights=rights_from(rights),
                custom_title=custom_title,
                is_anonymous=is_anonymous,
            )
        else:
            new = Member(user_id, "member")
        chat.members[user_id] = new
        actor = actor_id if actor_id is not None else self._creator(chat)
        member_changed(self.sb, chat, user_id, old, snapshot(new), actor)

    def set_restricted(
        self, chat: Chat, user_id: int, permissions: dict[str, bool], until_date: int = 0
    ) -> None:
        current = self.world.member(chat, user_id, self.now)
        old = snapshot(current)
        perms = dict(permissions)
        perms.setdefault("is_member", self.world.is_present(chat, user_id, self.now))
        new = Member(user_id, "restricted", permissions=perms, until_date=until_date)
        chat.members[user_id] = new
        member_changed(self.sb, chat, user_id, old, snapshot(new), self._creator(chat))

    def _creator(self, chat: Chat) -> int:
        return next((uid for uid, m in chat.members.items() if m.status == "creator"), 0)

    def add_bot(
        self,
        bot: BotAccount,
        chat: Chat,
        admin: bool = False,
        rights: dict[str, Any] | None = None,
        by_user_id: int | None = None,
    ) -> Sent:
        if self.world.is_present(chat, bot.id, self.now):
            raise ControlError(f"bot {bot.id} is already in chat {chat.id}", 409)
        actor = self.user(by_user_id if by_user_id is not None else self._creator(chat))
        old = snapshot(self.world.member(chat, bot.id, self.now))
        if admin:
            new = Member(bot.id, "administrator", rights=rights_from(rights))
        else:
            new = Member(bot.id, "member")
        chat.members[bot.id] = new
        member_changed(self.sb, chat, bot.id, old, snapshot(new), actor.id)
        return self._service(chat, actor, {"new_chat_members": [bot.user.to_json()]})

    def remove_bot(
        self, bot: BotAccount, chat: Chat, by_user_id: int | None = None, ban: bool = False
    ) -> Sent:
        if not self.world.is_present(chat, bot.id, self.now):
            raise ControlError(f"bot {bot.id} is not in chat {chat.id}", 409)
        actor = self.user(by_user_id if by_user_id is not None else self._creator(chat))
        old = snapshot(self.world.member(chat, bot.id, self.now))
        new = Member(bot.id, "kicked" if ban else "left")
        chat.members[bot.id] = new
        member_changed(self.sb, chat, bot.id, old, snapshot(new), actor.id)
        return self._service(chat, actor, {"left_chat_member": bot.user.to_json()})

    def _service(self, chat: Chat, sender: User, content: dict[str, Any]) -> Sent:
        msg = create_message(self.sb, chat, sender, content, by_bot=None)
        return Sent([msg], route_message(self.sb, chat, msg))

    # -------------------------------------------------------------- messages
    def send(self, user: User, bot: BotAccount, body: dict[str, Any]) -> Sent:
        """A user sends text, a command, photo(s), a location, contact, sticker, voice,
        document or a forward, in a private chat with ``bot`` or in a group."""
        kinds = [
            k
            for k in (
                "text",
                "photo",
                "location",
                "contact",
                "sticker",
                "voice",
                "document",
                "video",
                "forward",
            )
            if body.get(k) is not None
        ]
        if len(kinds) != 1:
            raise ControlError(
                "give exactly one of text, photo, location, contact, sticker, voice, "
                "document, forward"
            )
        if user.deactivated:
            raise ControlError(f"user {user.id} is deactivated", 409)
        chat = self.chat_for(user, body.get("chat_id"), bot)
        if chat.is_private:
            if bot.id in user.blocked_bots:
                raise ControlError(f"user {user.id} has blocked the bot; unblock first", 409)
            user.started_bots.add(bot.id)
        sender, extra = self._sender(user, chat, body)
        reply_to = None
        if body.get("reply_to_message_id") is not None:
            reply_to = self.world.find_message(chat, int(body["reply_to_message_id"]))
            if reply_to is None:
                raise ControlError("message to reply to not found", 404)
        contents = self._contents(kinds[0], body[kinds[0]], chat, bot)
        sent = Sent()
        group_id = str(next(self.world.media_group_ids)) if len(contents) > 1 else None
        for content in contents:
            msg_extra = dict(extra)
            if group_id is not None:
                msg_extra["media_group_id"] = group_id
            msg = create_message(
                self.sb, chat, sender, content, by_bot=None, reply_to=reply_to, extra=msg_extra
            )
            sent.messages.append(msg)
            sent.update_ids += route_message(self.sb, chat, msg)
        return sent

    def _sender(self, user: User, chat: Chat, body: dict[str, Any]) -> tuple[User, dict[str, Any]]:
        if not body.get("anonymous"):
            return user, {}
        if chat.is_private:
            raise ControlError("anonymous admin messages only exist in groups")
        member = self.world.member(chat, user.id, self.now)
        if member.status not in ("creator", "administrator"):
            raise ControlError("only administrators can post anonymously", 403)
        extra: dict[str, Any] = {"sender_chat": chat_json(chat, self.world)}
        if member.custom_title:
            extra["author_signature"] = member.custom_title
        return self.special_user(GROUP_ANONYMOUS_BOT_ID), extra

    def _contents(self, kind: str, value: Any, chat: Chat, bot: BotAccount) -> list[dict[str, Any]]:
        if kind == "text":
            return [text_content(str(value))]
        if not isinstance(value, dict):
            raise ControlError(f"{kind} must be an object")
        caption = value.get("caption")
        if kind == "photo":
            count = int(value.get("count", 1))
            if not 1 <= count <= 10:
                raise ControlError("an album has 1-10 photos")
            out = []
            for i in range(count):
                data = _data(value) or make_png(
                    int(value.get("width", 64)), int(value.get("height", 48)), _colour(i)
                )
                stored = store_upload(self.sb, "photo", data, None)
                content: dict[str, Any] = {"photo": media_json(stored)}
                if caption and i == 0:
                    content["caption"] = str(caption)
                out.append(content)
            return out
        if kind == "location":
            loc = {"latitude": float(value["latitude"]), "longitude": float(value["longitude"])}
            for key in ("horizontal_accuracy", "live_period", "heading"):
                if key in value:
                    loc[key] = value[key]
            return [{"location": loc}]
        if kind == "contact":
            contact = {
                k: value[k]
                for k in ("phone_number", "first_name", "last_name", "user_id", "vcard")
                if k in value
            }
            if "phone_number" not in contact or "first_name" not in contact:
                raise ControlError("a contact needs phone_number and first_name")
            return [{"contact": contact}]
        if kind == "sticker":
            stored = store_upload(
                self.sb, "sticker", _data(value) or b"RIFF\x00\x00\x00\x00WEBP", None
            )
            stored.extra["emoji"] = value.get("emoji", "\U0001f600")
            return [{"sticker": media_json(stored)}]
        if kind == "voice":
            stored = store_upload(self.sb, "voice", _data(value) or b"OggS\x00voice", None)
            stored.extra["duration"] = int(value.get("duration", 2))
            return [{"voice": media_json(stored), **({"caption": caption} if caption else {})}]
        if kind in ("document", "video"):
            default_name = "document.pdf" if kind == "document" else "video.mp4"
            name = str(value.get("file_name", default_name))
            default_data = b"%PDF-1.4\n%sandbox\n" if kind == "document" else b"\x00\x00\x00 ftyp"
            stored = store_upload(self.sb, kind, _data(value) or default_data, name)
            if value.get("file_size") is not None:
                stored.declared_size = int(value["file_size"])
            if kind == "video":
                stored.extra["duration"] = int(value.get("duration", 3))
            return [{kind: media_json(stored), **({"caption": caption} if caption else {})}]
        return [self._forward(value, bot)]

    def _forward(self, value: dict[str, Any], bot: BotAccount) -> dict[str, Any]:
        if value.get("message_id") is not None and value.get("from_chat_id") is not None:
            source_chat = self._any_chat(int(value["from_chat_id"]), bot)
            source = self.world.find_message(source_chat, int(value["message_id"]))
            if source is None:
                raise ControlError("message to forward not found", 404)
            content = {
                k: copy.deepcopy(v)
                for k, v in source.data.items()
                if k
                in (
                    "text",
                    "entities",
                    "photo",
                    "caption",
                    "location",
                    "contact",
                    "document",
                    "sticker",
                    "voice",
                )
            }
            content["forward_origin"] = source.data.get("forward_origin") or forward_origin(
                source.data, source_chat
            )
            return content
        date = int(value.get("date", self.now - 60))
        content = text_content(str(value.get("text", "")))
        if value.get("from_user_id") is not None:
            origin_user = self.user(int(value["from_user_id"]))
            content["forward_origin"] = {
                "type": "user",
                "date": date,
                "sender_user": origin_user.to_json(),
            }
        else:
            content["forward_origin"] = {
                "type": "hidden_user",
                "date": date,
                "sender_user_name": str(value.get("sender_name", "Hidden User")),
            }
        return content

    def _any_chat(self, chat_id: int, bot: BotAccount) -> Chat:
        if chat_id < 0:
            return self.group(chat_id)
        chat = self.world.private_chat(bot.id, chat_id)
        if chat is None:
            raise ControlError(f"no private chat {chat_id}", 404)
        return chat

    def edit(
        self, user: User, bot: BotAccount, chat_id: int | None, message_id: int, text: str
    ) -> StoredMessage:
        chat = self.chat_for(user, chat_id, bot)
        msg = self.world.find_message(chat, message_id)
        if msg is None or msg.sender_id != user.id or "text" not in msg.data:
            raise ControlError("no text message of this user to edit", 404)
        msg.data.update(text_content(text))
        if "entities" not in text_content(text):
            msg.data.pop("entities", None)
        mark_edited(self.sb, chat, msg)
        route_edit(self.sb, chat, msg)
        return msg

    def automatic_forward(
        self, chat: Chat, text: str, channel_title: str = "Channel", channel_id: int | None = None
    ) -> Sent:
        """A channel post automatically forwarded into its linked discussion group."""
        if chat.type != "supergroup":
            raise ControlError("automatic forwards only happen in supergroups")
        channel = {
            "id": channel_id
            if channel_id is not None
            else -(1_000_000_000_000 + abs(chat.id) % 10**9 + 7),
            "type": "channel",
            "title": channel_title,
        }
        date = self.now
        extra = {
            "sender_chat": channel,
            "is_automatic_forward": True,
            "forward_origin": {
                "type": "channel",
                "chat": channel,
                "message_id": zlib.crc32(text.encode()) % 10_000 + 1,
                "date": date,
            },
        }
        sender = self.special_user(TELEGRAM_SERVICE_ID)
        msg = create_message(self.sb, chat, sender, text_content(text), by_bot=None, extra=extra)
        return Sent([msg], route_message(self.sb, chat, msg))

    # ------------------------------------------------------------- callbacks
    def press(
        self,
        user: User,
        bot: BotAccount,
        chat_id: int | None,
        message_id: int,
        data: str | None = None,
        text: str | None = None,
        forged: bool = False,
    ) -> tuple[CallbackQuery, int | None]:
        """A user pressing an inline button; `forged` sends `data` as a tampered client would."""
        chat = self.chat_for(user, chat_id, bot)
        msg = self.world.find_message(chat, message_id)
        if msg is None:
            raise ControlError(f"message {message_id} not found in chat {chat.id}", 404)
        owner = self.world.bots.get(msg.by_bot or 0)
        if owner is None:
            raise ControlError("only messages sent by a bot have inline buttons", 409)
        if data is None and text is None:
            raise ControlError("give the button's data or text")
        if forged:
            if data is None:
                raise ControlError("a forged press needs the data to send")
            button: dict[str, Any] | None = {"callback_data": data}
        else:
            button = find_button(msg.markup, text=text, data=data)
        if button is None:
            raise ControlError("no such inline button on the message", 404)
        if "callback_data" not in button:
            raise ControlError("that button has no callback_data", 409)
        qid = self.world.next_query_id()
        query = CallbackQuery(
            id=qid,
            user_id=user.id,
            bot_id=owner.id,
            chat_id=chat.id,
            message_id=msg.message_id,
            data=str(button["callback_data"]),
            created_monotonic=time.monotonic(),
        )
        self.world.callback_queries[qid] = query
        payload = {
            "id": qid,
            "from": user.to_json(),
            "message": strip_reply(msg.data)
            | (
                {"reply_to_message": msg.data["reply_to_message"]}
                if "reply_to_message" in msg.data
                else {}
            ),
            "chat_instance": str(zlib.crc32(f"{chat.id}:{owner.id}".encode()) * 1_000_003),
            "data": query.data,
        }
        update_id = push_update(self.sb, owner, "callback_query", payload)
        return query, update_id


def text_content(text: str) -> dict[str, Any]:
    """A user's text message; a leading /command gets its bot_command entity."""
    if not text:
        raise ControlError("text must be non-empty")
    content: dict[str, Any] = {"text": text}
    if text.startswith("/") and len(text) > 1:
        command = text.split(maxsplit=1)[0]
        content["entities"] = [
            {"type": "bot_command", "offset": 0, "length": len(command.encode("utf-16-le")) // 2}
        ]
    return content


def _data(value: dict[str, Any]) -> bytes | None:
    raw = value.get("data_base64")
    return base64.b64decode(raw) if raw else None


def _colour(i: int) -> tuple[int, int, int]:
    return ((60 + 50 * i) % 256, (120 + 30 * i) % 256, (200 + 70 * i) % 256)
