"""Creating messages, editing/deleting them, and routing updates to bots."""

from __future__ import annotations

import copy
import logging
import time
from typing import TYPE_CHECKING, Any

from sandbox.render import chat_json, invite_link_json, member_json, strip_reply, transcript_entry
from sandbox.world import BotAccount, Chat, InviteLink, Member, StoredMessage, User

if TYPE_CHECKING:
    from sandbox.state import Sandbox

logger = logging.getLogger(__name__)


def emit_message(sb: Sandbox, kind: str, msg: StoredMessage) -> None:
    sb.events.emit(kind, {"chat_id": msg.chat_id, "message": transcript_entry(msg, sb.world)})


def create_message(
    sb: Sandbox,
    chat: Chat,
    sender: User,
    content: dict[str, Any],
    *,
    by_bot: int | None,
    markup: dict[str, Any] | None = None,
    reply_to: StoredMessage | None = None,
    protect_content: bool = False,
    disable_notification: bool = False,
    extra: dict[str, Any] | None = None,
) -> StoredMessage:
    """Store a new message in ``chat`` and announce it on the event stream."""
    mid = sb.world.new_message_id(chat)
    data: dict[str, Any] = {
        "message_id": mid,
        "from": sender.to_json(),
        "chat": chat_json(chat, sb.world),
        "date": sb.clock.now_int(),
    }
    data.update(extra or {})
    if reply_to is not None:
        data["reply_to_message"] = strip_reply(reply_to.data)
    data.update(content)
    if markup and "inline_keyboard" in markup:
        data["reply_markup"] = copy.deepcopy(markup)
    if protect_content:
        data["has_protected_content"] = True
    from sandbox.render import message_kind

    msg = StoredMessage(
        chat_id=chat.id,
        message_id=mid,
        data=data,
        sender_id=sender.id,
        by_bot=by_bot,
        kind=message_kind(data),
        markup=copy.deepcopy(markup) if markup else None,
        protect_content=protect_content,
        disable_notification=disable_notification,
    )
    sb.world.store(chat, msg)
    emit_message(sb, "message_new", msg)
    return msg


def mark_edited(sb: Sandbox, chat: Chat, msg: StoredMessage) -> None:
    msg.edited = True
    msg.version += 1
    msg.data["edit_date"] = sb.clock.now_int()
    chat.touch()
    emit_message(sb, "message_edited", msg)


def mark_deleted(sb: Sandbox, chat: Chat, msg: StoredMessage) -> None:
    msg.deleted = True
    msg.version += 1
    chat.touch()
    emit_message(sb, "message_deleted", msg)


# ------------------------------------------------------------------ routing
def push_update(sb: Sandbox, bot: BotAccount, kind: str, payload: dict[str, Any]) -> int | None:
    update_id = bot.queue.push(kind, payload)
    if update_id is not None:
        sb.check_update_shape({"update_id": update_id, kind: payload})
        sb.events.emit("update", {"bot_id": bot.id, "update_id": update_id, "kind": kind})
        sb.webhooks.kick(bot)
    return update_id


def bot_sees_group_message(sb: Sandbox, bot: BotAccount, chat: Chat, msg: StoredMessage) -> bool:
    """Privacy mode: what a bot receives from a group it is in."""
    now = sb.clock.now_int()
    if not sb.world.is_present(chat, bot.id, now):
        return False
    if msg.sender_id == bot.id:
        return False
    member = sb.world.member(chat, bot.id, now)
    if not bot.privacy_mode or member.status in ("administrator", "creator"):
        return True
    data = msg.data
    if msg.kind == "service":
        return True
    text = str(data.get("text") or data.get("caption") or "")
    if text.startswith("/"):
        command = text.split()[0] if text.split() else text
        if "@" in command:
            return command.split("@", 1)[1].lower() == bot.username.lower()
        return True
    reply = data.get("reply_to_message")
    return bool(reply and reply.get("from", {}).get("id") == bot.id)


def route_message(sb: Sandbox, chat: Chat, msg: StoredMessage) -> list[int]:
    """Queue a ``message`` update for every bot that receives ``msg``."""
    update_ids: list[int] = []
    if chat.is_private:
        bot = sb.world.bots.get(chat.bot_id or 0)
        if bot is not None:
            uid = push_update(sb, bot, "message", copy.deepcopy(msg.data))
            if uid is not None:
                update_ids.append(uid)
        return update_ids
    for bot in sb.world.bots.values():
        if bot_sees_group_message(sb, bot, chat, msg):
            uid = push_update(sb, bot, "message", copy.deepcopy(msg.data))
            if uid is not None:
                update_ids.append(uid)
    return update_ids


def route_edit(sb: Sandbox, chat: Chat, msg: StoredMessage) -> None:
    """An edit by a user: ``edited_message`` to the bots that got the message."""
    if chat.is_private:
        bot = sb.world.bots.get(chat.bot_id or 0)
        if bot is not None:
            push_update(sb, bot, "edited_message", copy.deepcopy(msg.data))
        return
    for bot in sb.world.bots.values():
        if bot_sees_group_message(sb, bot, chat, msg):
            push_update(sb, bot, "edited_message", copy.deepcopy(msg.data))


def snapshot(member: Member) -> Member:
    return copy.deepcopy(member)


def member_changed(
    sb: Sandbox,
    chat: Chat,
    user_id: int,
    old: Member,
    new: Member,
    actor_id: int,
    invite_link: InviteLink | None = None,
) -> None:
    """``my_chat_member`` to the bot concerned, ``chat_member`` to admin bots."""
    world = sb.world
    user = world.users[user_id]
    actor = world.users[actor_id]
    now = sb.clock.now_int()

    def payload(for_bot: BotAccount) -> dict[str, Any]:
        out: dict[str, Any] = {
            "chat": chat_json(chat, world),
            "from": actor.to_json(),
            "date": now,
            "old_chat_member": member_json(old, user, chat),
            "new_chat_member": member_json(new, user, chat),
        }
        if invite_link is not None:
            out["invite_link"] = invite_link_json(
                invite_link, world, for_creator=invite_link.creator_id == for_bot.id
            )
        return out

    sb.events.emit(
        "member_changed",
        {"chat_id": chat.id, "user_id": user_id, "old": old.status, "new": new.status},
    )
    for bot in world.bots.values():
        if bot.id == user_id:
            push_update(sb, bot, "my_chat_member", payload(bot))
        elif not chat.is_private:
            status = world.member(chat, bot.id, now).status
            if status in ("administrator", "creator"):
                push_update(sb, bot, "chat_member", payload(bot))


def new_callback_query_id(sb: Sandbox) -> tuple[str, float]:
    return sb.world.next_query_id(), time.monotonic()
