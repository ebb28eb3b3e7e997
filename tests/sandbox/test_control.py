"""The control API and its client: transcripts, waits, events, clock, reset."""

from __future__ import annotations

import asyncio

import pytest
from aiogram import Bot

from sandbox.client import SandboxClient, SandboxError, SandboxUser, WaitTimeout
from sandbox.server import SandboxServer


async def test_dialogue_cursor_and_waits(bot: Bot, sb: SandboxClient, alice: SandboxUser) -> None:
    async def bot_side() -> None:
        updates = await bot.get_updates(timeout=5)
        assert updates[0].message is not None
        await bot.send_message(alice.id, "Welcome!")
        await bot.send_message(alice.id, "Pick a shop")

    task = asyncio.create_task(bot_side())
    sent = await sb.send_text(alice.id, "/start")
    assert sent.sender["role"] == "user" and sent.entities[0]["type"] == "bot_command"
    assert (await sb.wait_for_message(alice.id)).text == "Welcome!"
    assert (await sb.wait_for_message(alice.id)).text == "Pick a shop"
    await task
    with pytest.raises(WaitTimeout, match="no matching message"):
        await sb.wait_for_message(alice.id, timeout=0.1)
    await sb.assert_no_message(alice.id, within=0.05)
    first = await sb.wait_for_message(alice.id, after_message_id=0)
    assert first.text == "Welcome!"
    matched = await sb.wait_for_message(alice.id, lambda m: "shop" in m.body, after_message_id=0)
    assert matched.text == "Pick a shop"


async def test_transcript_shows_every_message_in_order(
    bot: Bot, sb: SandboxClient, alice: SandboxUser
) -> None:
    await sb.send_text(alice.id, "hello")
    reply = await bot.send_message(alice.id, "hi", protect_content=True)
    await bot.delete_message(alice.id, reply.message_id)
    transcript = await sb.transcript(alice.id)
    assert [(m.sender["role"], m.text, m.deleted) for m in transcript] == [
        ("user", "hello", False),
        ("bot", "hi", True),
    ]
    assert transcript[1].protect_content
    with pytest.raises(SandboxError) as caught:
        await sb.transcript(424242)
    assert caught.value.status == 404


async def test_event_stream_and_poll(
    server: SandboxServer, bot: Bot, sb: SandboxClient, alice: SandboxUser
) -> None:
    seq, _ = await sb.events()
    stream = sb.stream_events(since=seq)
    first = asyncio.ensure_future(anext(stream))
    await bot.send_message(alice.id, "live")
    event = await asyncio.wait_for(first, 5)
    assert event["kind"] == "message_new" and event["data"]["message"]["text"] == "live"
    await stream.aclose()
    _, events = await sb.events(since=seq, timeout=1)
    assert [e["kind"] for e in events] == ["message_new"]


async def test_clock_reset_and_calls(bot: Bot, sb: SandboxClient, alice: SandboxUser) -> None:
    start = await sb.now()
    assert await sb.advance_clock(3600) >= start + 3600
    assert abs(await sb.set_clock(2_000_000_000) - 2_000_000_000) < 5
    sent = await bot.send_message(alice.id, "future")
    assert abs(sent.date.timestamp() - 2_000_000_000) < 5
    assert (await sb.calls()).count("sendMessage") == 1
    await sb.reset()
    assert (await sb.calls()).total == 0
    assert abs(await sb.now() - start) < 60
    with pytest.raises(SandboxError):
        await sb.user(alice.id)
    assert (await bot.get_me()).username == "shopwatch_test_bot"


async def test_second_bot_token(server: SandboxServer, sb: SandboxClient) -> None:
    from sandbox.testing import sandbox_bot

    await sb.add_bot("654321:OTHER-token", "other_test_bot")
    other = sandbox_bot(server.base_url, "654321:OTHER-token")
    try:
        assert (await other.get_me()).username == "other_test_bot"
        user = await sb.create_user("Dana")
        await sb.send_text(user.id, "/start", bot="other_test_bot")
        assert len(await other.get_updates()) == 1
        await other.send_message(user.id, "hi from other")
        msg = await sb.wait_for_message(user.id, bot="other_test_bot", after_message_id=0)
        assert msg.text == "hi from other"
    finally:
        await other.session.close()
