"""Sending: sendMessage, sendPhoto, sendDocument, sendMediaGroup, copy and forward, ..."""

from __future__ import annotations

import copy
from typing import Any

from sandbox.errors import bad_request
from sandbox.formatting import parse
from sandbox.markup import check_reply_markup
from sandbox.messaging import create_message
from sandbox.methods.base import Ctx, api_method
from sandbox.methods.media import resolve_media
from sandbox.render import SERVICE_KINDS
from sandbox.world import Chat, StoredMessage

MAX_TEXT = 4096
MAX_CAPTION = 1024

COMMON = (
    "chat_id",
    "reply_markup",
    "reply_parameters",
    "protect_content",
    "disable_notification",
    "allow_paid_broadcast",
)
COPYABLE = (
    "text",
    "entities",
    "photo",
    "document",
    "video",
    "animation",
    "audio",
    "voice",
    "video_note",
    "sticker",
    "location",
    "venue",
    "contact",
    "caption",
    "caption_entities",
    "poll",
    "dice",
)


def parse_text(text: str, parse_mode: str | None, entities: list[Any] | None) -> dict[str, Any]:
    plain, parsed = parse(text, parse_mode)
    if not plain.strip():
        raise bad_request("message text is empty")
    if len(plain) > MAX_TEXT:
        raise bad_request("message is too long")
    out: dict[str, Any] = {"text": plain}
    ents = parsed if parse_mode else list(entities or [])
    if ents:
        out["entities"] = ents
    return out


def parse_caption(
    caption: str | None, parse_mode: str | None, entities: list[Any] | None
) -> dict[str, Any]:
    if caption is None:
        return {}
    plain, parsed = parse(caption, parse_mode)
    if len(plain) > MAX_CAPTION:
        raise bad_request("message caption is too long")
    if not plain:
        return {}
    out: dict[str, Any] = {"caption": plain}
    ents = parsed if parse_mode else list(entities or [])
    if ents:
        out["caption_entities"] = ents
    return out


class Send:
    """The shared steps of every send method."""

    def __init__(self, ctx: Ctx, count: int = 1) -> None:
        self.ctx = ctx
        self.chat: Chat = ctx.chat()
        ctx.sb.check_can_send(ctx.bot, self.chat)
        self.markup = ctx.obj("reply_markup") if ctx.declared("reply_markup") else None
        check_reply_markup(self.markup)
        self.reply_to = reply_target(ctx, self.chat)
        self.count = count

    def check_limits(self) -> None:
        ctx = self.ctx
        ctx.sb.limiter.check(
            ctx.bot.id,
            self.chat.id,
            self.chat.is_private,
            paid=ctx.declared("allow_paid_broadcast") and ctx.flag("allow_paid_broadcast"),
            count=self.count,
        )

    def post(
        self,
        content: dict[str, Any],
        extra: dict[str, Any] | None = None,
        markup: bool = True,
    ) -> StoredMessage:
        ctx = self.ctx
        return create_message(
            ctx.sb,
            self.chat,
            ctx.bot.user,
            content,
            by_bot=ctx.bot.id,
            markup=self.markup if markup else None,
            reply_to=self.reply_to,
            protect_content=ctx.flag("protect_content"),
            disable_notification=ctx.flag("disable_notification"),
            extra=extra,
        )


def reply_target(ctx: Ctx, chat: Chat) -> StoredMessage | None:
    params = ctx.obj("reply_parameters") if ctx.declared("reply_parameters") else None
    if not params:
        return None
    target_chat = chat
    if params.get("chat_id") not in (None, chat.id):
        target_chat = ctx.sb.resolve_chat(ctx.bot, params["chat_id"])
    msg = ctx.world.find_message(target_chat, int(params["message_id"]))
    if msg is None or target_chat is not chat:
        if params.get("allow_sending_without_reply"):
            return None
        raise bad_request("message to be replied not found")
    return msg


@api_method("sendMessage", params=(*COMMON, "text", "parse_mode", "entities"))
async def send_message(ctx: Ctx) -> dict[str, Any]:
    send = Send(ctx)
    content = parse_text(ctx.text("text"), ctx.opt_str("parse_mode"), ctx.array("entities"))
    send.check_limits()
    return copy.deepcopy(send.post(content).data)


async def _send_media(ctx: Ctx, kind: str) -> dict[str, Any]:
    send = Send(ctx)
    caption = parse_caption(
        ctx.opt_str("caption"), ctx.opt_str("parse_mode"), ctx.array("caption_entities")
    )
    send.check_limits()
    media = await resolve_media(ctx.sb, ctx.file_or_id(kind), kind)
    content = {kind: media, **caption}
    if kind in ("photo", "video", "animation") and ctx.flag("has_spoiler"):
        content["has_media_spoiler"] = True
    return copy.deepcopy(send.post(content).data)


MEDIA_PARAMS = (*COMMON, "caption", "parse_mode", "caption_entities")


@api_method("sendPhoto", params=(*MEDIA_PARAMS, "photo", "has_spoiler"))
async def send_photo(ctx: Ctx) -> dict[str, Any]:
    return await _send_media(ctx, "photo")


@api_method("sendDocument", params=(*MEDIA_PARAMS, "document"))
async def send_document(ctx: Ctx) -> dict[str, Any]:
    return await _send_media(ctx, "document")


@api_method("sendVideo", params=(*MEDIA_PARAMS, "video", "has_spoiler"))
async def send_video(ctx: Ctx) -> dict[str, Any]:
    return await _send_media(ctx, "video")


@api_method("sendAudio", params=(*MEDIA_PARAMS, "audio"))
async def send_audio(ctx: Ctx) -> dict[str, Any]:
    return await _send_media(ctx, "audio")


@api_method("sendVoice", params=(*MEDIA_PARAMS, "voice"))
async def send_voice(ctx: Ctx) -> dict[str, Any]:
    return await _send_media(ctx, "voice")


@api_method("sendSticker", params=(*COMMON, "sticker", "emoji"))
async def send_sticker(ctx: Ctx) -> dict[str, Any]:
    send = Send(ctx)
    send.check_limits()
    media = await resolve_media(ctx.sb, ctx.file_or_id("sticker"), "sticker")
    if ctx.opt_str("emoji"):
        media["emoji"] = ctx.opt_str("emoji")
    return copy.deepcopy(send.post({"sticker": media}).data)


@api_method(
    "sendLocation",
    params=(*COMMON, "latitude", "longitude", "horizontal_accuracy", "live_period", "heading"),
)
async def send_location(ctx: Ctx) -> dict[str, Any]:
    send = Send(ctx)
    lat, lon = ctx.number("latitude"), ctx.number("longitude")
    if not -90 <= lat <= 90 or not -180 <= lon <= 180:
        raise bad_request("wrong latitude or longitude")
    location: dict[str, Any] = {"latitude": lat, "longitude": lon}
    accuracy = ctx.get("horizontal_accuracy")
    if isinstance(accuracy, float | int):
        location["horizontal_accuracy"] = float(accuracy)
    for key in ("live_period", "heading"):
        value = ctx.opt_int(key)
        if value is not None:
            location[key] = value
    send.check_limits()
    return copy.deepcopy(send.post({"location": location}).data)


@api_method("sendContact", params=(*COMMON, "phone_number", "first_name", "last_name", "vcard"))
async def send_contact(ctx: Ctx) -> dict[str, Any]:
    send = Send(ctx)
    contact: dict[str, Any] = {
        "phone_number": ctx.text("phone_number"),
        "first_name": ctx.text("first_name"),
    }
    for key in ("last_name", "vcard"):
        if ctx.opt_str(key):
            contact[key] = ctx.opt_str(key)
    send.check_limits()
    return copy.deepcopy(send.post({"contact": contact}).data)


_GROUP_KINDS = {"photo": "visual", "video": "visual", "document": "document", "audio": "audio"}


@api_method(
    "sendMediaGroup",
    params=(
        "chat_id",
        "media",
        "reply_parameters",
        "protect_content",
        "disable_notification",
        "allow_paid_broadcast",
    ),
)
async def send_media_group(ctx: Ctx) -> list[dict[str, Any]]:
    media = ctx.array("media") or []
    if not 2 <= len(media) <= 10:
        raise bad_request("wrong number of media in the group: it must include 2-10 items")
    families = set()
    for item in media:
        kind = str(item.get("type"))
        if kind not in _GROUP_KINDS:
            raise bad_request(f"media of type {kind} can't be sent in a media group")
        families.add(_GROUP_KINDS[kind])
    if len(families) > 1:
        raise bad_request("MEDIA_GROUP_INVALID")
    send = Send(ctx, count=len(media))
    captions = [
        parse_caption(item.get("caption"), item.get("parse_mode"), item.get("caption_entities"))
        for item in media
    ]
    send.check_limits()
    contents = []
    for item, caption in zip(media, captions, strict=True):
        kind = str(item["type"])
        value = item["media"]
        contents.append({kind: await resolve_media(ctx.sb, value, kind), **caption})
    group_id = str(next(ctx.world.media_group_ids))
    messages = [send.post(c, extra={"media_group_id": group_id}, markup=False) for c in contents]
    return [copy.deepcopy(m.data) for m in messages]


def _source(ctx: Ctx, missing: str) -> tuple[Chat, StoredMessage]:
    from_chat = ctx.sb.resolve_chat(ctx.bot, ctx.chat_id("from_chat_id"))
    ctx.sb.check_can_read(ctx.bot, from_chat)
    msg = ctx.world.find_message(from_chat, ctx.integer("message_id"))
    if msg is None:
        raise bad_request(missing)
    if msg.kind == "service" or any(k in msg.data for k in SERVICE_KINDS):
        raise bad_request("message can't be copied")
    if msg.protect_content:
        raise bad_request("message has protected content and can't be forwarded")
    return from_chat, msg


@api_method(
    "copyMessage",
    params=(*COMMON, "from_chat_id", "message_id", "caption", "parse_mode", "caption_entities"),
)
async def copy_message(ctx: Ctx) -> dict[str, Any]:
    _, source = _source(ctx, "message to copy not found")
    send = Send(ctx)
    content = {k: copy.deepcopy(v) for k, v in source.data.items() if k in COPYABLE}
    if ctx.has("caption") and "text" not in content:
        content.pop("caption", None)
        content.pop("caption_entities", None)
        content.update(
            parse_caption(
                ctx.opt_str("caption"), ctx.opt_str("parse_mode"), ctx.array("caption_entities")
            )
        )
    send.check_limits()
    msg = send.post(content)
    return {"message_id": msg.message_id}


@api_method(
    "forwardMessage",
    params=("chat_id", "from_chat_id", "message_id", "protect_content", "disable_notification"),
)
async def forward_message(ctx: Ctx) -> dict[str, Any]:
    from_chat, source = _source(ctx, "message to forward not found")
    send = Send(ctx)
    content = {k: copy.deepcopy(v) for k, v in source.data.items() if k in COPYABLE}
    origin = source.data.get("forward_origin") or forward_origin(source.data, from_chat)
    send.check_limits()
    msg = send.post(content, extra={"forward_origin": origin})
    return copy.deepcopy(msg.data)


def forward_origin(data: dict[str, Any], chat: Chat) -> dict[str, Any]:
    """The MessageOrigin of a message being forwarded."""
    if "sender_chat" in data:
        sender_chat = data["sender_chat"]
        if sender_chat.get("type") == "channel":
            return {
                "type": "channel",
                "date": data["date"],
                "chat": sender_chat,
                "message_id": data["message_id"],
            }
        return {"type": "chat", "date": data["date"], "sender_chat": sender_chat}
    return {"type": "user", "date": data["date"], "sender_user": data["from"]}
