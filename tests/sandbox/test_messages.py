"""Sending, editing and deleting through a real aiogram Bot, with Telegram's errors."""

from __future__ import annotations

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNotFound,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BufferedInputFile,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
)

from sandbox.client import SandboxClient, SandboxUser
from sandbox.files import make_png
from sandbox.server import SandboxServer
from sandbox.testing import sandbox_bot


def kb(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t, callback_data=d) for t, d in pairs]]
    )


async def test_unknown_token_is_401_and_unknown_method_is_404(server: SandboxServer) -> None:
    stranger = sandbox_bot(server.base_url, "42:WRONG")
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await stranger.get_me()
    finally:
        await stranger.session.close()
    url = f"{server.base_url}/bot{server.token}/sendHologram"
    async with aiohttp.ClientSession() as http, http.post(url) as resp:
        assert resp.status == 404
        assert await resp.json() == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_query_string_json_and_case_insensitive_methods(
    server: SandboxServer, alice: SandboxUser, sb: SandboxClient
) -> None:
    base = f"{server.base_url}/bot{server.token}"
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/GETME") as resp:
            assert (await resp.json())["result"]["username"] == server.username
        async with http.post(f"{base}/sendmessage", json={"chat_id": alice.id, "text": "j"}) as r:
            assert (await r.json())["result"]["text"] == "j"
        async with http.get(f"{base}/sendMessage", params={"chat_id": alice.id, "text": "q"}) as r:
            assert (await r.json())["result"]["text"] == "q"
        async with http.post(f"{base}/sendMessage", json={"chat_id": alice.id}) as r:
            assert r.status == 400
            assert (await r.json())["description"] == "Bad Request: message text is empty"
    assert [m.text for m in await sb.transcript(alice.id)] == ["j", "q"]


async def test_send_message_with_html_and_keyboards(
    bot: Bot, sb: SandboxClient, alice: SandboxUser
) -> None:
    await sb.disable_limits()
    sent = await bot.send_message(
        alice.id,
        "<b>Alert</b> &amp; <i>news</i>",
        parse_mode="HTML",
        reply_markup=kb(("Yes", "y"), ("No", "n")),
        protect_content=True,
        disable_notification=True,
    )
    assert sent.text == "Alert & news"
    assert [(e.type, e.offset, e.length) for e in sent.entities or []] == [
        ("bold", 0, 5),
        ("italic", 8, 4),
    ]
    msg = await sb.wait_for_message(alice.id)
    assert msg.text == "Alert & news" and msg.from_bot
    assert msg.buttons == [["Yes", "No"]] and msg.keyboard_type == "inline"
    assert msg.protect_content and msg.disable_notification
    reply_kb = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="Report")]], resize_keyboard=True)
    await bot.send_message(alice.id, "menu", reply_markup=reply_kb)
    menu = await sb.wait_for_message(alice.id)
    assert menu.keyboard_type == "reply" and menu.buttons == [["Report"]]
    assert "reply_markup" not in menu.raw.get("raw", {})
    await bot.send_message(alice.id, "bye", reply_markup=ReplyKeyboardRemove())
    assert (await sb.wait_for_message(alice.id)).keyboard_type == "remove"
    await bot.send_message(alice.id, "why?", reply_markup=ForceReply())
    assert (await sb.wait_for_message(alice.id)).keyboard_type == "force_reply"


@pytest.mark.parametrize(
    ("text", "parse_mode", "error"),
    [
        ("x" * 4097, None, "Bad Request: message is too long"),
        ("   ", None, "Bad Request: message text is empty"),
        ("<b>unclosed", "HTML", "Can't find end tag"),
        ("a <blink>b</blink>", "HTML", 'Unsupported start tag "blink"'),
        ("price 5.00!", "MarkdownV2", "Character '.' is reserved"),
    ],
)
async def test_text_errors(
    bot: Bot, alice: SandboxUser, text: str, parse_mode: str | None, error: str
) -> None:
    with pytest.raises(TelegramBadRequest, match=error):
        await bot.send_message(alice.id, text, parse_mode=parse_mode)


async def test_markup_and_caption_errors(bot: Bot, alice: SandboxUser) -> None:
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(alice.id, "x", reply_markup=kb(("Big", "d" * 65)))
    photo = BufferedInputFile(make_png(), "p.png")
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_photo(alice.id, photo, caption="c" * 1025)
    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(alice.id, BufferedInputFile(b"not an image", "p.png"))
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_photo(alice.id, "no-such-file-id")


async def test_chat_errors_403_and_400(bot: Bot, sb: SandboxClient, alice: SandboxUser) -> None:
    with pytest.raises(TelegramBadRequest, match="Bad Request: chat not found"):
        await bot.send_message(999_999_999, "hi")
    with pytest.raises(TelegramBadRequest, match="Bad Request: chat not found"):
        await bot.send_message(-100_999, "hi")
    quiet = await sb.create_user("Quiet")
    with pytest.raises(TelegramForbiddenError, match="bot can't initiate conversation"):
        await bot.send_message(quiet.id, "hi")
    await sb.block(alice.id)
    with pytest.raises(TelegramForbiddenError, match="Forbidden: bot was blocked by the user"):
        await bot.send_message(alice.id, "hi")
    gone = await sb.create_user("Gone", started=True)
    await sb.deactivate(gone.id)
    with pytest.raises(TelegramForbiddenError, match="Forbidden: user is deactivated"):
        await bot.send_message(gone.id, "hi")
    group = await sb.create_group("No bot here", type="group")
    with pytest.raises(
        TelegramForbiddenError, match="Forbidden: bot is not a member of the group chat"
    ):
        await bot.send_message(group.id, "hi")
    calls = await sb.calls()
    assert calls.by_method["sendMessage"] == {"400": 2, "403": 4}


async def test_edit_message_and_not_modified(
    bot: Bot, sb: SandboxClient, alice: SandboxUser
) -> None:
    sent = await bot.send_message(alice.id, "Step 1", reply_markup=kb(("Next", "next")))
    edited = await bot.edit_message_text(
        chat_id=alice.id, message_id=sent.message_id, text="Step 2", reply_markup=kb(("Done", "d"))
    )
    assert not isinstance(edited, bool) and edited.edit_date is not None
    after = await sb.wait_for_edit(alice.id, sent.message_id, lambda m: m.text == "Step 2")
    assert after.edited and after.buttons == [["Done"]]
    with pytest.raises(TelegramBadRequest, match="message is not modified: specified new"):
        await bot.edit_message_text(
            chat_id=alice.id,
            message_id=sent.message_id,
            text="Step 2",
            reply_markup=kb(("Done", "d")),
        )
    await bot.edit_message_reply_markup(chat_id=alice.id, message_id=sent.message_id)
    assert (await sb.wait_for_edit(alice.id, sent.message_id, since_version=1)).buttons == []
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text(chat_id=alice.id, message_id=9999, text="x")
    user_msg = await sb.send_text(alice.id, "mine")
    with pytest.raises(TelegramBadRequest, match="message can't be edited"):
        await bot.edit_message_text(chat_id=alice.id, message_id=user_msg.message_id, text="x")


async def test_delete_window_follows_the_simulated_clock(
    bot: Bot, sb: SandboxClient, alice: SandboxUser
) -> None:
    first = await bot.send_message(alice.id, "old")
    second = await bot.send_message(alice.id, "fresh")
    assert await bot.delete_message(alice.id, second.message_id)
    assert (await sb.wait_for_deletion(alice.id, second.message_id)).deleted
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(alice.id, second.message_id)
    await sb.advance_clock(48 * 3600 + 1)
    with pytest.raises(TelegramBadRequest, match="Bad Request: message can't be deleted"):
        await bot.delete_message(alice.id, first.message_id)
    late = await bot.send_message(alice.id, "late")
    assert late.date.timestamp() >= first.date.timestamp() + 48 * 3600
    assert await bot.delete_message(alice.id, late.message_id)


async def test_delete_in_groups_needs_admin_rights(
    bot: Bot, sb: SandboxClient, alice: SandboxUser, bob: SandboxUser
) -> None:
    await sb.disable_limits()
    group = await sb.create_group("Shops", creator_id=alice.id, members=[bob.id])
    await sb.add_bot_to_group(group.id, admin=False)
    spam = await sb.send_text(bob.id, "spam", chat_id=group.id)
    with pytest.raises(TelegramBadRequest, match="message can't be deleted"):
        await bot.delete_message(group.id, spam.message_id)
    await sb.set_bot_admin(group.id, rights={"can_delete_messages": True})
    assert await bot.delete_message(group.id, spam.message_id)
    await sb.advance_clock(30 * 86400)
    assert await bot.delete_message(
        group.id, (await sb.send_text(bob.id, "x", group.id)).message_id
    )


async def test_replies_copy_and_forward(bot: Bot, sb: SandboxClient, alice: SandboxUser) -> None:
    await sb.disable_limits()
    question = await sb.send_text(alice.id, "Is the shop open?")
    answer = await bot.send_message(
        alice.id, "Yes", reply_parameters=ReplyParameters(message_id=question.message_id)
    )
    assert answer.reply_to_message is not None
    assert answer.reply_to_message.text == "Is the shop open?"
    with pytest.raises(TelegramBadRequest, match="message to be replied not found"):
        await bot.send_message(alice.id, "?", reply_parameters=ReplyParameters(message_id=777))
    ok = await bot.send_message(
        alice.id,
        "!",
        reply_parameters=ReplyParameters(message_id=777, allow_sending_without_reply=True),
    )
    assert ok.reply_to_message is None
    copied = await bot.copy_message(alice.id, alice.id, question.message_id)
    forwarded = await bot.forward_message(alice.id, alice.id, question.message_id)
    transcript = {m.message_id: m for m in await sb.transcript(alice.id)}
    assert transcript[copied.message_id].text == "Is the shop open?"
    assert forwarded.forward_origin is not None
    assert forwarded.forward_origin.type == "user"
    protected = await bot.send_message(alice.id, "secret", protect_content=True)
    with pytest.raises(TelegramBadRequest, match="protected content"):
        await bot.forward_message(alice.id, alice.id, protected.message_id)


async def test_photos_files_and_albums(
    bot: Bot, sb: SandboxClient, alice: SandboxUser, server: SandboxServer
) -> None:
    await sb.disable_limits()
    png = make_png(1600, 900)
    sent = await bot.send_photo(alice.id, BufferedInputFile(png, "cam.png"), caption="CCTV")
    assert sent.photo is not None and sent.caption == "CCTV"
    assert [(p.width, p.height) for p in sent.photo][-1] == (1600, 900)
    assert len({p.file_unique_id for p in sent.photo}) == len(sent.photo)
    file = await bot.get_file(sent.photo[-1].file_id)
    assert file.file_path is not None
    downloaded = await bot.download_file(file.file_path)
    assert downloaded is not None and downloaded.read() == png
    again = await bot.send_photo(alice.id, sent.photo[-1].file_id)
    assert again.photo is not None and again.photo[-1].file_id == sent.photo[-1].file_id
    album = await bot.send_media_group(
        alice.id,
        [
            InputMediaPhoto(media=sent.photo[-1].file_id, caption="one"),
            InputMediaPhoto(media=BufferedInputFile(make_png(10, 10), "b.png")),
        ],
    )
    assert len(album) == 2 and album[0].media_group_id == album[1].media_group_id
    last = await sb.wait_for_messages(alice.id, 4)
    assert [m.kind for m in last] == ["photo"] * 4
    doc = await bot.send_document(alice.id, BufferedInputFile(b"a,b\n1,2\n", "report.csv"))
    assert doc.document is not None and doc.document.file_name == "report.csv"
    with pytest.raises(TelegramBadRequest, match="can't use file of type Document as Photo"):
        await bot.send_photo(alice.id, doc.document.file_id)
    location = await bot.send_location(alice.id, 51.5, -0.12)
    assert location.location is not None and location.location.latitude == 51.5


async def test_commands_descriptions_and_chat_actions(
    bot: Bot, sb: SandboxClient, alice: SandboxUser
) -> None:
    from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats

    await bot.set_my_commands([BotCommand(command="start", description="Start")])
    scoped = BotCommandScopeAllPrivateChats()
    await bot.set_my_commands([BotCommand(command="report", description="Report")], scope=scoped)
    assert [c.command for c in await bot.get_my_commands()] == ["start"]
    assert [c.command for c in await bot.get_my_commands(scope=scoped)] == ["report"]
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Bad Command", description="x")])
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == []
    await bot.set_my_description("Shop Watch alerts")
    await bot.set_my_short_description("Alerts")
    assert (await bot.get_my_description()).description == "Shop Watch alerts"
    assert (await bot.get_my_short_description()).short_description == "Alerts"
    await bot.send_chat_action(alice.id, "typing")
    assert (await sb.chat_actions(alice.id))[0]["action"] == "typing"
    info = await sb.bot_info()
    assert info["descriptions"] == {"": "Shop Watch alerts"}


async def test_not_found_error_class_for_unknown_methods(server: SandboxServer) -> None:
    from aiogram.methods import TelegramMethod

    class Hologram(TelegramMethod[bool]):
        __returning__ = bool
        __api_method__ = "sendHologram"

    tg = sandbox_bot(server.base_url, server.token)
    try:
        with pytest.raises(TelegramNotFound):
            await tg(Hologram())
    finally:
        await tg.session.close()
