"""The simulated world: users' messages, groups, members, buttons, invite links."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Update

from sandbox.client import SandboxClient, SandboxError, SandboxUser
from sandbox.server import SandboxServer


async def drain(bot: Bot) -> list[Update]:
    """All pending updates, confirmed."""
    updates = await bot.get_updates(
        allowed_updates=[
            "message",
            "edited_message",
            "callback_query",
            "my_chat_member",
            "chat_member",
        ]
    )
    if updates:
        await bot.get_updates(offset=updates[-1].update_id + 1)
    return updates


async def test_user_media_parses_with_aiogram(
    bot: Bot, sb: SandboxClient, alice: SandboxUser, bob: SandboxUser
) -> None:
    await sb.send_photo(alice.id, count=3, caption="Suspect")
    await sb.send_location(alice.id, 53.48, -2.24)
    await sb.send_contact(alice.id, "+44700900", "Shop", contact_user_id=bob.id)
    await sb.send_sticker(alice.id)
    await sb.send_voice(alice.id, duration=4)
    await sb.send_document(alice.id, "list.pdf", caption="names")
    await sb.forward(alice.id, text="Be careful", from_user_id=bob.id)
    await sb.forward(alice.id, text="Hidden", sender_name="Anon")
    updates = await drain(bot)
    messages = [u.message for u in updates if u.message]
    album = messages[:3]
    assert {m.media_group_id for m in album} != {None} and len(
        {m.media_group_id for m in album}
    ) == 1
    assert album[0].caption == "Suspect" and album[1].caption is None
    assert all(m.photo for m in album)
    rest = messages[3:]
    assert rest[0].location is not None and rest[0].location.latitude == 53.48
    assert rest[1].contact is not None and rest[1].contact.user_id == bob.id
    assert rest[2].sticker is not None and rest[3].voice is not None
    assert rest[3].voice.duration == 4
    assert rest[4].document is not None and rest[4].document.file_name == "list.pdf"
    assert rest[5].forward_origin is not None and rest[5].forward_origin.type == "user"
    assert rest[6].forward_origin is not None and rest[6].forward_origin.type == "hidden_user"
    file = await bot.get_file(album[0].photo[-1].file_id)  # type: ignore[index]
    assert file.file_size


async def test_callback_queries_and_answers(
    bot: Bot, sb: SandboxClient, alice: SandboxUser
) -> None:
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text="Confirm", callback_data="confirm:7")],
            [InlineKeyboardButton(text="Site", url="https://example.org")],
        ]
    )
    sent = await bot.send_message(alice.id, "Confirm the alert?", reply_markup=markup)
    query_id = await sb.press(alice.id, sent.message_id, text="Confirm")
    (update,) = await drain(bot)
    query = update.callback_query
    assert query is not None and query.id == query_id and query.data == "confirm:7"
    assert query.from_user.id == alice.id and query.chat_instance
    assert query.message is not None and query.message.message_id == sent.message_id
    await bot.answer_callback_query(query.id, text="Confirmed", show_alert=True)
    answer = await sb.wait_for_callback_answer(query_id)
    assert answer["text"] == "Confirmed" and answer["show_alert"] is True
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query.id)
    again = await sb.press(alice.id, sent.message_id, data="confirm:7")
    assert again != query_id
    with pytest.raises(SandboxError, match="no callback_data"):
        await sb.press(alice.id, sent.message_id, text="Site")
    with pytest.raises(SandboxError, match="no such inline button"):
        await sb.press(alice.id, sent.message_id, text="Nope")


async def test_bot_added_to_group_and_removed(
    bot: Bot, sb: SandboxClient, alice: SandboxUser
) -> None:
    group = await sb.create_group("High Street", creator_id=alice.id)
    sent = await sb.add_bot_to_group(group.id, admin=True, rights={"can_pin_messages": False})
    updates = await drain(bot)
    assert [u.event_type for u in updates] == ["my_chat_member", "message"]
    change = updates[0].my_chat_member
    assert change is not None and change.from_user.id == alice.id
    assert change.old_chat_member.status == "left"
    assert change.new_chat_member.status == "administrator"
    service = updates[1].message
    assert service is not None and service.new_chat_members is not None
    assert service.new_chat_members[0].id == bot.id
    assert sent.message.kind == "service"
    member = await bot.get_chat_member(group.id, bot.id)
    assert member.status == "administrator"
    await sb.remove_bot_from_group(group.id)
    (left,) = await drain(bot)
    assert left.my_chat_member is not None
    assert left.my_chat_member.new_chat_member.status == "left"
    with pytest.raises(TelegramForbiddenError, match="bot is not a member of the supergroup"):
        await bot.send_message(group.id, "still here?")


async def test_privacy_mode_in_groups(
    bot: Bot, sb: SandboxClient, alice: SandboxUser, bob: SandboxUser
) -> None:
    group = await sb.create_group("Market", creator_id=alice.id, members=[bob.id])
    await sb.add_bot_to_group(group.id, admin=False)
    await drain(bot)
    await sb.send_text(bob.id, "just chatting", chat_id=group.id)
    await sb.send_text(bob.id, "/report@shopwatch_test_bot shoplifter", chat_id=group.id)
    await sb.send_text(bob.id, "/start@other_bot", chat_id=group.id)
    await sb.send_text(bob.id, "/help", chat_id=group.id)
    texts = [u.message.text for u in await drain(bot) if u.message]
    assert texts == ["/report@shopwatch_test_bot shoplifter", "/help"]
    await sb.set_bot_admin(group.id)
    await drain(bot)
    await sb.send_text(bob.id, "admins see all", chat_id=group.id)
    assert [u.message.text for u in await drain(bot) if u.message] == ["admins see all"]


async def test_invite_links_member_limit_and_expiry(
    bot: Bot, sb: SandboxClient, alice: SandboxUser, bob: SandboxUser
) -> None:
    carol = await sb.create_user("Carol")
    group = await sb.create_group("Watch", creator_id=alice.id)
    await sb.add_bot_to_group(group.id, admin=True)
    now = await sb.now()
    link = await bot.create_chat_invite_link(
        group.id, member_limit=1, expire_date=int(now) + 3600, name="Launch"
    )
    assert link.member_limit == 1 and link.name == "Launch"
    await drain(bot)
    await bot.get_updates(allowed_updates=["message", "chat_member"])
    await sb.join_via_link(bob.id, link.invite_link)
    updates = await drain(bot)
    assert [u.event_type for u in updates] == ["chat_member", "message"]
    joined = updates[0].chat_member
    assert joined is not None and joined.invite_link is not None
    assert joined.invite_link.name == "Launch"
    with pytest.raises(SandboxError, match="member limit reached"):
        await sb.join_via_link(carol.id, link.invite_link)
    open_link = await bot.create_chat_invite_link(group.id, expire_date=int(now) + 60)
    await sb.advance_clock(120)
    with pytest.raises(SandboxError, match="expired"):
        await sb.join_via_link(carol.id, open_link.invite_link)
    assert await bot.get_chat_member_count(group.id) == 3


async def test_block_unblock_and_ban(
    bot: Bot, sb: SandboxClient, alice: SandboxUser, bob: SandboxUser
) -> None:
    await sb.block(alice.id)
    (blocked,) = await drain(bot)
    assert blocked.my_chat_member is not None
    assert blocked.my_chat_member.new_chat_member.status == "kicked"
    with pytest.raises(TelegramForbiddenError, match="blocked by the user"):
        await bot.send_message(alice.id, "hi")
    await sb.unblock(alice.id)
    assert (await drain(bot))[0].my_chat_member is not None
    await bot.send_message(alice.id, "welcome back")
    group = await sb.create_group("G", creator_id=alice.id, members=[bob.id])
    await sb.add_bot_to_group(group.id, admin=False)
    with pytest.raises(TelegramBadRequest, match="not enough rights to restrict"):
        await bot.ban_chat_member(group.id, bob.id)
    await sb.set_bot_admin(group.id)
    assert await bot.ban_chat_member(group.id, bob.id)
    assert (await bot.get_chat_member(group.id, bob.id)).status == "kicked"
    with pytest.raises(SandboxError, match="banned"):
        await sb.join(group.id, bob.id)
    assert await bot.unban_chat_member(group.id, bob.id, only_if_banned=True)
    assert (await bot.get_chat_member(group.id, bob.id)).status == "left"
    await sb.join(group.id, bob.id)
    with pytest.raises(TelegramBadRequest, match="can't remove chat owner"):
        await bot.ban_chat_member(group.id, alice.id)


async def test_anonymous_admin_and_automatic_forward(
    bot: Bot, sb: SandboxClient, alice: SandboxUser
) -> None:
    group = await sb.create_group("Linked", creator_id=alice.id)
    await sb.add_bot_to_group(group.id, admin=True)
    await drain(bot)
    await sb.send_anonymous(alice.id, group.id, "From the admins")
    await sb.automatic_forward(group.id, "Channel post", channel_title="Shop Watch News")
    anon, auto = [u.message for u in await drain(bot) if u.message]
    assert anon is not None and anon.from_user is not None
    assert anon.from_user.id == 1087968824 and anon.from_user.username == "GroupAnonymousBot"
    assert anon.sender_chat is not None and anon.sender_chat.id == group.id
    assert auto is not None and auto.from_user is not None and auto.from_user.id == 777000
    assert auto.is_automatic_forward and auto.sender_chat is not None
    assert auto.sender_chat.type == "channel"


async def test_group_chat_info_admins_and_pins(
    bot: Bot, sb: SandboxClient, alice: SandboxUser, bob: SandboxUser, server: SandboxServer
) -> None:
    group = await sb.create_group("Info", creator_id=alice.id, members=[bob.id], username="info")
    await sb.add_bot_to_group(group.id, admin=True)
    await sb.promote(group.id, bob.id, rights={"can_delete_messages": True}, custom_title="Mod")
    chat = await bot.get_chat("@info")
    assert chat.id == group.id and chat.title == "Info"
    admins = await bot.get_chat_administrators(group.id)
    assert {a.user.id for a in admins} == {alice.id, bob.id, bot.id}
    sent = await bot.send_message(group.id, "Pinned rules")
    assert await bot.pin_chat_message(group.id, sent.message_id)
    assert (await bot.get_chat(group.id)).pinned_message is not None
    await sb.demote(group.id, bob.id)
    assert (await bot.get_chat_member(group.id, bob.id)).status == "member"
    await sb.leave(group.id, bob.id)
    assert (await bot.get_chat_member(group.id, bob.id)).status == "left"
    with pytest.raises(TelegramBadRequest, match="no administrators in the private chat"):
        await bot.get_chat_administrators(alice.id)
