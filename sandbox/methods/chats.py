"""Chats and members: getChat, getChatMember(s), bans, pins, invite links, actions."""

from __future__ import annotations

import copy
import secrets
from typing import Any

from sandbox.errors import bad_request
from sandbox.messaging import create_message, member_changed, snapshot
from sandbox.methods.base import Ctx, api_method
from sandbox.render import chat_full_info, invite_link_json, member_json, strip_reply
from sandbox.world import InviteLink, Member

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
RESTRICT_ERROR = "not enough rights to restrict/unrestrict chat member"
PIN_ERROR = "not enough rights to manage pinned messages in the chat"
INVITE_ERROR = "not enough rights to manage chat invite link"


@api_method("getChat", params=("chat_id",))
async def get_chat(ctx: Ctx) -> dict[str, Any]:
    chat = ctx.chat()
    ctx.sb.check_can_read(ctx.bot, chat)
    return chat_full_info(chat, ctx.world)


@api_method("getChatMember", params=("chat_id", "user_id"))
async def get_chat_member(ctx: Ctx) -> dict[str, Any]:
    chat = ctx.chat()
    ctx.sb.check_can_read(ctx.bot, chat)
    user_id = ctx.user()
    member = ctx.world.member(chat, user_id, ctx.sb.clock.now_int())
    return member_json(member, ctx.world.users[user_id], chat)


@api_method("getChatAdministrators", params=("chat_id",))
async def get_chat_administrators(ctx: Ctx) -> list[dict[str, Any]]:
    chat = ctx.chat()
    ctx.sb.check_can_read(ctx.bot, chat)
    if chat.is_private:
        raise bad_request("there are no administrators in the private chat")
    return [
        member_json(m, ctx.world.users[uid], chat)
        for uid, m in chat.members.items()
        if m.status in ("creator", "administrator")
    ]


@api_method("getChatMemberCount", params=("chat_id",))
async def get_chat_member_count(ctx: Ctx) -> int:
    chat = ctx.chat()
    ctx.sb.check_can_read(ctx.bot, chat)
    now = ctx.sb.clock.now_int()
    return sum(1 for uid in chat.members if ctx.world.is_present(chat, uid, now))


def _change(ctx: Ctx, chat_user: tuple[Any, int], new: Member) -> None:
    chat, user_id = chat_user
    old = snapshot(ctx.world.member(chat, user_id, ctx.sb.clock.now_int()))
    was_present = ctx.world.is_present(chat, user_id, ctx.sb.clock.now_int())
    chat.members[user_id] = new
    member_changed(ctx.sb, chat, user_id, old, snapshot(new), ctx.bot.id)
    if was_present and not ctx.world.is_present(chat, user_id, ctx.sb.clock.now_int()):
        from sandbox.messaging import route_message

        msg = create_message(
            ctx.sb,
            chat,
            ctx.bot.user,
            {"left_chat_member": ctx.world.users[user_id].to_json()},
            by_bot=ctx.bot.id,
        )
        route_message(ctx.sb, chat, msg)


@api_method("banChatMember", params=("chat_id", "user_id", "until_date", "revoke_messages"))
async def ban_chat_member(ctx: Ctx) -> bool:
    chat = ctx.chat()
    user_id = ctx.user()
    if chat.is_private:
        raise bad_request("can't remove chat owner")
    ctx.require_admin(chat, "can_restrict_members", RESTRICT_ERROR)
    current = ctx.world.member(chat, user_id, ctx.sb.clock.now_int())
    if current.status == "creator":
        raise bad_request("can't remove chat owner")
    if current.status == "administrator" and current.promoted_by_bot != ctx.bot.id:
        raise bad_request("user is an administrator of the chat")
    if user_id == ctx.bot.id:
        raise bad_request("can't restrict self")
    until = ctx.opt_int("until_date") or 0
    now = ctx.sb.clock.now_int()
    if until and (until - now < 30 or until - now > 366 * 86400):
        until = 0
    _change(ctx, (chat, user_id), Member(user_id, "kicked", until_date=until))
    return True


@api_method("unbanChatMember", params=("chat_id", "user_id", "only_if_banned"))
async def unban_chat_member(ctx: Ctx) -> bool:
    chat = ctx.chat()
    user_id = ctx.user()
    ctx.require_admin(chat, "can_restrict_members", RESTRICT_ERROR)
    current = ctx.world.member(chat, user_id, ctx.sb.clock.now_int())
    if current.status in ("creator", "administrator"):
        raise bad_request("user is an administrator of the chat")
    if (
        current.status == "kicked"
        or current.status in ("member", "restricted")
        and not ctx.flag("only_if_banned")
    ):
        _change(ctx, (chat, user_id), Member(user_id, "left"))
    return True


@api_method("leaveChat", params=("chat_id",))
async def leave_chat(ctx: Ctx) -> bool:
    chat = ctx.chat()
    ctx.sb.check_can_read(ctx.bot, chat)
    if chat.is_private:
        raise bad_request("chat member status can't be changed in private chats")
    old = snapshot(ctx.world.member(chat, ctx.bot.id, ctx.sb.clock.now_int()))
    chat.members[ctx.bot.id] = Member(ctx.bot.id, "left")
    member_changed(ctx.sb, chat, ctx.bot.id, old, Member(ctx.bot.id, "left"), ctx.bot.id)
    return True


@api_method("pinChatMessage", params=("chat_id", "message_id", "disable_notification"))
async def pin_chat_message(ctx: Ctx) -> bool:
    chat = ctx.chat()
    ctx.sb.check_can_read(ctx.bot, chat)
    if not chat.is_private:
        ctx.require_admin(
            chat, "can_pin_messages" if chat.type == "supergroup" else None, PIN_ERROR
        )
    msg = ctx.message(chat, ctx.integer("message_id"), "message to pin not found")
    chat.pinned_message_id = msg.message_id
    create_message(
        ctx.sb,
        chat,
        ctx.bot.user,
        {"pinned_message": strip_reply(msg.data)},
        by_bot=ctx.bot.id,
        disable_notification=ctx.flag("disable_notification"),
    )
    return True


@api_method("unpinChatMessage", params=("chat_id", "message_id"))
async def unpin_chat_message(ctx: Ctx) -> bool:
    chat = ctx.chat()
    ctx.sb.check_can_read(ctx.bot, chat)
    if not chat.is_private:
        ctx.require_admin(
            chat, "can_pin_messages" if chat.type == "supergroup" else None, PIN_ERROR
        )
    message_id = ctx.opt_int("message_id")
    if message_id is None or message_id == chat.pinned_message_id:
        chat.pinned_message_id = None
    return True


def _invite_url() -> str:
    return "https://t.me/+" + secrets.token_urlsafe(12).replace("-", "A").replace("_", "B")


@api_method(
    "createChatInviteLink",
    params=("chat_id", "name", "expire_date", "member_limit", "creates_join_request"),
)
async def create_chat_invite_link(ctx: Ctx) -> dict[str, Any]:
    chat = ctx.chat()
    ctx.sb.check_can_read(ctx.bot, chat)
    if chat.is_private:
        raise bad_request("can't invite members to a private chat")
    ctx.require_admin(chat, "can_invite_users", INVITE_ERROR)
    limit = ctx.opt_int("member_limit")
    if limit is not None and not 1 <= limit <= 99999:
        raise bad_request("member_limit must be between 1 and 99999")
    name = ctx.opt_str("name")
    if name is not None and len(name) > 32:
        raise bad_request("invite link name must be at most 32 characters")
    join_request = ctx.flag("creates_join_request")
    if join_request and limit is not None:
        raise bad_request(
            "member limit can't be specified for links requiring administrator approval"
        )
    link = InviteLink(
        invite_link=_invite_url(),
        creator_id=ctx.bot.id,
        name=name,
        expire_date=ctx.opt_int("expire_date"),
        member_limit=limit,
        creates_join_request=join_request,
    )
    chat.invite_links[link.invite_link] = link
    return invite_link_json(link, ctx.world)


@api_method("revokeChatInviteLink", params=("chat_id", "invite_link"))
async def revoke_chat_invite_link(ctx: Ctx) -> dict[str, Any]:
    chat = ctx.chat()
    ctx.sb.check_can_read(ctx.bot, chat)
    ctx.require_admin(chat, "can_invite_users", INVITE_ERROR)
    link = chat.invite_links.get(ctx.text("invite_link"))
    if link is None:
        raise bad_request("INVITE_HASH_EXPIRED")
    link.is_revoked = True
    return invite_link_json(link, ctx.world)


@api_method("exportChatInviteLink", params=("chat_id",))
async def export_chat_invite_link(ctx: Ctx) -> str:
    chat = ctx.chat()
    ctx.sb.check_can_read(ctx.bot, chat)
    ctx.require_admin(chat, "can_invite_users", INVITE_ERROR)
    for link in chat.invite_links.values():
        if link.is_primary:
            link.is_primary = False
            link.is_revoked = True
    link = InviteLink(invite_link=_invite_url(), creator_id=ctx.bot.id, is_primary=True)
    chat.invite_links[link.invite_link] = link
    return link.invite_link


@api_method("sendChatAction", params=("chat_id", "action"))
async def send_chat_action(ctx: Ctx) -> bool:
    chat = ctx.chat()
    ctx.sb.check_can_send(ctx.bot, chat)
    action = ctx.text("action")
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    record = {"chat_id": chat.id, "bot_id": ctx.bot.id, "action": action}
    ctx.world.chat_actions.append(record)
    ctx.sb.events.emit("chat_action", copy.deepcopy(record))
    return True
