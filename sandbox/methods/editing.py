"""editMessageText, editMessageCaption, editMessageReplyMarkup, deleteMessage(s)."""

from __future__ import annotations

import copy
from typing import Any

from sandbox.errors import bad_request
from sandbox.markup import check_reply_markup
from sandbox.messaging import mark_deleted, mark_edited
from sandbox.methods.base import Ctx, api_method
from sandbox.methods.messages import parse_caption, parse_text
from sandbox.world import Chat, StoredMessage

DELETE_WINDOW = 48 * 3600
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
CAPTION_KINDS = ("photo", "video", "document", "audio", "animation", "voice")

EDIT_PARAMS = ("chat_id", "message_id", "inline_message_id", "reply_markup")


def _target(ctx: Ctx) -> tuple[Chat, StoredMessage]:
    if ctx.has("inline_message_id"):
        raise bad_request("message to edit not found")
    if not ctx.has("chat_id"):
        raise bad_request("chat_id is empty")
    if not ctx.has("message_id"):
        raise bad_request("message identifier is not specified")
    chat = ctx.chat()
    ctx.sb.check_can_read(ctx.bot, chat)
    msg = ctx.message(chat, ctx.integer("message_id"), "message to edit not found")
    if msg.by_bot != ctx.bot.id:
        raise bad_request("message can't be edited")
    return chat, msg


def _new_markup(ctx: Ctx) -> dict[str, Any] | None:
    markup = ctx.obj("reply_markup")
    check_reply_markup(markup)
    if markup is not None and not markup.get("inline_keyboard"):
        return None
    return markup


def _apply(
    ctx: Ctx, chat: Chat, msg: StoredMessage, content: dict[str, Any], drop: tuple[str, ...]
) -> dict[str, Any]:
    markup = _new_markup(ctx)
    unchanged = all(msg.data.get(k) == v for k, v in content.items()) and all(
        k not in msg.data for k in drop if k not in content
    )
    if unchanged and (msg.markup or None) == (markup or None):
        raise bad_request(NOT_MODIFIED)
    for key in drop:
        msg.data.pop(key, None)
    msg.data.update(copy.deepcopy(content))
    msg.markup = copy.deepcopy(markup) if markup else None
    if markup:
        msg.data["reply_markup"] = copy.deepcopy(markup)
    else:
        msg.data.pop("reply_markup", None)
    mark_edited(ctx.sb, chat, msg)
    return copy.deepcopy(msg.data)


@api_method("editMessageText", params=(*EDIT_PARAMS, "text", "parse_mode", "entities"))
async def edit_message_text(ctx: Ctx) -> dict[str, Any]:
    chat, msg = _target(ctx)
    if "text" not in msg.data:
        raise bad_request("there is no text in the message to edit")
    content = parse_text(
        ctx.opt_str("text") or "", ctx.opt_str("parse_mode"), ctx.array("entities")
    )
    return _apply(ctx, chat, msg, content, drop=("entities",))


@api_method(
    "editMessageCaption", params=(*EDIT_PARAMS, "caption", "parse_mode", "caption_entities")
)
async def edit_message_caption(ctx: Ctx) -> dict[str, Any]:
    chat, msg = _target(ctx)
    if not any(k in msg.data for k in CAPTION_KINDS):
        raise bad_request("there is no caption in the message to edit")
    content = parse_caption(
        ctx.opt_str("caption"), ctx.opt_str("parse_mode"), ctx.array("caption_entities")
    )
    return _apply(ctx, chat, msg, content, drop=("caption", "caption_entities"))


@api_method("editMessageReplyMarkup", params=EDIT_PARAMS)
async def edit_message_reply_markup(ctx: Ctx) -> dict[str, Any]:
    chat, msg = _target(ctx)
    return _apply(ctx, chat, msg, {}, drop=())


def can_delete(ctx: Ctx, chat: Chat, msg: StoredMessage) -> bool:
    """Telegram's deleteMessage rules, with the 48-hour window on the simulated clock."""
    now = ctx.sb.clock.now_int()
    member = ctx.world.member(chat, ctx.bot.id, now)
    if not chat.is_private:
        if member.status == "creator":
            return True
        if member.status == "administrator" and (
            chat.type == "group" or member.rights.get("can_delete_messages")
        ):
            return True
    recent = now - msg.date < DELETE_WINDOW
    if msg.by_bot == ctx.bot.id:
        return recent
    # Bots can delete incoming messages in private chats (Bot API docs).
    return chat.is_private and recent


@api_method("deleteMessage", params=("chat_id", "message_id"))
async def delete_message(ctx: Ctx) -> bool:
    chat = ctx.chat()
    ctx.sb.check_can_read(ctx.bot, chat)
    msg = ctx.message(chat, ctx.integer("message_id"), "message to delete not found")
    if not can_delete(ctx, chat, msg):
        raise bad_request("message can't be deleted")
    mark_deleted(ctx.sb, chat, msg)
    return True


@api_method("deleteMessages", params=("chat_id", "message_ids"))
async def delete_messages(ctx: Ctx) -> bool:
    chat = ctx.chat()
    ctx.sb.check_can_read(ctx.bot, chat)
    ids = ctx.array("message_ids") or []
    if not 1 <= len(ids) <= 100:
        raise bad_request("message_ids must contain 1-100 identifiers")
    for message_id in ids:
        msg = ctx.world.find_message(chat, int(message_id))
        if msg is not None and can_delete(ctx, chat, msg):
            mark_deleted(ctx.sb, chat, msg)
    return True
