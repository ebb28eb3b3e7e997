"""Telegram JSON for chats and members, and transcript entries for the control API."""

from __future__ import annotations

import copy
from typing import Any

from sandbox.world import (
    ADMIN_RIGHTS,
    GROUP_ADMIN_RIGHTS,
    PERMISSIONS,
    Chat,
    InviteLink,
    Member,
    StoredMessage,
    User,
    World,
)

ACCEPTED_GIFT_TYPES = {
    "unlimited_gifts": False,
    "limited_gifts": False,
    "unique_gifts": False,
    "premium_subscription": False,
    "gifts_from_channels": False,
}


def chat_json(chat: Chat, world: World) -> dict[str, Any]:
    """The short ``Chat`` object used inside messages and updates."""
    out: dict[str, Any] = {"id": chat.id, "type": chat.type}
    if chat.is_private:
        user = world.users[chat.peer_id or chat.id]
        out["first_name"] = user.first_name
        if user.last_name:
            out["last_name"] = user.last_name
        if user.username:
            out["username"] = user.username
    else:
        out["title"] = chat.title or ""
        if chat.username:
            out["username"] = chat.username
    return out


def chat_full_info(chat: Chat, world: World) -> dict[str, Any]:
    out = chat_json(chat, world)
    out.update(
        accent_color_id=abs(chat.id) % 7,
        max_reaction_count=11,
        accepted_gift_types=dict(ACCEPTED_GIFT_TYPES),
    )
    if not chat.is_private:
        out["permissions"] = dict(chat.permissions)
        if chat.description:
            out["description"] = chat.description
        primary = next((lk for lk in chat.invite_links.values() if lk.is_primary), None)
        if primary is not None:
            out["invite_link"] = primary.invite_link
    if chat.pinned_message_id is not None:
        pinned = world.find_message(chat, chat.pinned_message_id)
        if pinned is not None:
            out["pinned_message"] = strip_reply(pinned.data)
    return out


def member_json(member: Member, user: User, chat: Chat) -> dict[str, Any]:
    """A ``ChatMember`` object (one of its six subtypes)."""
    base: dict[str, Any] = {"status": member.status, "user": user.to_json()}
    if member.status == "creator":
        base["is_anonymous"] = member.is_anonymous
        if member.custom_title:
            base["custom_title"] = member.custom_title
    elif member.status == "administrator":
        base["can_be_edited"] = bool(member.promoted_by_bot)
        base["is_anonymous"] = member.is_anonymous
        for right in ADMIN_RIGHTS:
            base[right] = bool(member.rights.get(right, False))
        # Bot API 10.3 (newer than the bundled spec; aiogram 3.31 requires it).
        base["can_send_welcome_messages"] = bool(
            member.rights.get("can_send_welcome_messages", False)
        )
        if chat.type in ("group", "supergroup"):
            for right in GROUP_ADMIN_RIGHTS:
                if right == "can_manage_topics" and chat.type != "supergroup":
                    continue
                base[right] = bool(member.rights.get(right, False))
        if member.custom_title:
            base["custom_title"] = member.custom_title
    elif member.status == "restricted":
        base["is_member"] = bool(member.permissions.get("is_member", True))
        for perm in PERMISSIONS:
            base[perm] = bool(member.permissions.get(perm, False))
        base["can_react_to_messages"] = bool(member.permissions.get("can_react_to_messages", True))
        base["can_edit_tag"] = bool(member.permissions.get("can_edit_tag", False))
        base["until_date"] = member.until_date
    elif member.status == "kicked" or member.status == "member" and member.until_date:
        base["until_date"] = member.until_date
    return base


def invite_link_json(link: InviteLink, world: World, for_creator: bool = True) -> dict[str, Any]:
    url = link.invite_link if for_creator else link.invite_link[:-3] + "..."
    out: dict[str, Any] = {
        "invite_link": url,
        "creator": world.users[link.creator_id].to_json(),
        "creates_join_request": link.creates_join_request,
        "is_primary": link.is_primary,
        "is_revoked": link.is_revoked,
    }
    if link.name:
        out["name"] = link.name
    if link.expire_date is not None:
        out["expire_date"] = link.expire_date
    if link.member_limit is not None:
        out["member_limit"] = link.member_limit
    return out


def strip_reply(data: dict[str, Any]) -> dict[str, Any]:
    """A message copy without nested ``reply_to_message`` (as Telegram nests one level)."""
    out = copy.deepcopy(data)
    out.pop("reply_to_message", None)
    out.pop("pinned_message", None)
    return out


def markup_rows(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    """A reply_markup as ``{"type": ..., "rows": [[button, ...], ...]}``."""
    if not markup:
        return None
    if "inline_keyboard" in markup:
        rows = [
            [{k: v for k, v in button.items()} for button in row]
            for row in markup["inline_keyboard"]
        ]
        return {"type": "inline", "rows": rows}
    if "keyboard" in markup:
        rows = [[dict(button) for button in row] for row in markup["keyboard"]]
        out: dict[str, Any] = {"type": "reply", "rows": rows}
        for key in ("resize_keyboard", "one_time_keyboard", "is_persistent", "selective"):
            if markup.get(key):
                out[key] = True
        if markup.get("input_field_placeholder"):
            out["input_field_placeholder"] = markup["input_field_placeholder"]
        return out
    if markup.get("remove_keyboard"):
        return {"type": "remove", "rows": []}
    if markup.get("force_reply"):
        return {"type": "force_reply", "rows": []}
    return None


MEDIA_KINDS = (
    "photo",
    "video",
    "animation",
    "audio",
    "document",
    "sticker",
    "voice",
    "video_note",
    "location",
    "venue",
    "contact",
    "poll",
    "dice",
)
SERVICE_KINDS = (
    "new_chat_members",
    "left_chat_member",
    "pinned_message",
    "new_chat_title",
    "group_chat_created",
    "supergroup_chat_created",
)


def message_kind(data: dict[str, Any]) -> str:
    if "text" in data:
        return "text"
    for kind in MEDIA_KINDS:
        if kind in data:
            return kind
    for kind in SERVICE_KINDS:
        if kind in data:
            return "service"
    return "other"


def sender_json(msg: StoredMessage, world: World) -> dict[str, Any]:
    data = msg.data
    sender = data.get("from", {})
    out: dict[str, Any] = {
        "id": sender.get("id"),
        "name": " ".join(p for p in (sender.get("first_name"), sender.get("last_name")) if p),
        "is_bot": bool(sender.get("is_bot")),
        "role": "bot" if msg.by_bot is not None else "user",
    }
    if sender.get("username"):
        out["username"] = sender["username"]
    if "sender_chat" in data:
        out["sender_chat"] = data["sender_chat"]
        out["role"] = "automatic_forward" if data.get("is_automatic_forward") else "anonymous_admin"
    return out


def transcript_entry(msg: StoredMessage, world: World) -> dict[str, Any]:
    """One message as the control API shows it."""
    data = msg.data
    out: dict[str, Any] = {
        "message_id": msg.message_id,
        "chat_id": msg.chat_id,
        "date": data["date"],
        "sender": sender_json(msg, world),
        "kind": message_kind(data),
        "text": data.get("text"),
        "caption": data.get("caption"),
        "entities": data.get("entities") or data.get("caption_entities") or [],
        "media_group_id": data.get("media_group_id"),
        "reply_to_message_id": (data.get("reply_to_message") or {}).get("message_id"),
        "reply_markup": markup_rows(msg.markup),
        "protect_content": msg.protect_content,
        "disable_notification": msg.disable_notification,
        "deleted": msg.deleted,
        "edited": msg.edited,
        "version": msg.version,
        "seq": msg.seq,
    }
    media = {k: data[k] for k in MEDIA_KINDS if k in data}
    if media:
        out["media"] = media
    service = {k: data[k] for k in SERVICE_KINDS if k in data}
    if service:
        out["service"] = service
    if "forward_origin" in data:
        out["forward_origin"] = data["forward_origin"]
    return out
