"""getUpdates (offsets, long polling, allowed_updates) and webhook delivery."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramConflictError
from aiohttp import web

from sandbox.client import SandboxClient, SandboxError, SandboxUser
from sandbox.server import SandboxServer
from sandbox.testing import sandbox_bot


async def wait_for_event(sb: SandboxClient, since: int, kind: str) -> dict[str, Any]:
    """Long-poll the event log until an event of ``kind`` shows up."""
    async with asyncio.timeout(5):
        while True:
            since, events = await sb.events(since=since, timeout=5)
            for event in events:
                if event["kind"] == kind:
                    return event


async def test_offsets_confirm_updates(bot: Bot, sb: SandboxClient, alice: SandboxUser) -> None:
    for text in ("one", "two", "three"):
        await sb.send_text(alice.id, text)
    updates = await bot.get_updates()
    assert [u.message.text for u in updates if u.message] == ["one", "two", "three"]
    assert len(await bot.get_updates(limit=2)) == 2
    ids = [u.update_id for u in updates]
    assert ids == sorted(ids)
    rest = await bot.get_updates(offset=ids[0] + 1)
    assert [u.update_id for u in rest] == ids[1:]
    # Confirmed updates are gone for good.
    assert [u.update_id for u in await bot.get_updates()] == ids[1:]
    await sb.send_text(alice.id, "four")
    # A negative offset keeps only the last -offset updates and forgets the rest.
    last = await bot.get_updates(offset=-1)
    assert [u.message.text for u in last if u.message] == ["four"]
    assert [u.message.text for u in await bot.get_updates() if u.message] == ["four"]
    assert await bot.get_updates(offset=last[-1].update_id + 1) == []


async def test_long_poll_answers_as_soon_as_an_update_arrives(
    bot: Bot, sb: SandboxClient, alice: SandboxUser
) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    seq, _ = await sb.events()
    poll = asyncio.create_task(bot.get_updates(timeout=20))
    await wait_for_event(sb, seq, "long_poll")
    await sb.send_text(alice.id, "/start")
    updates = await poll
    assert loop.time() - started < 5
    assert updates[0].message is not None and updates[0].message.text == "/start"
    entities = updates[0].message.entities or []
    assert entities[0].type == "bot_command" and entities[0].length == 6


async def test_a_second_poll_ends_the_first_with_409(
    server: SandboxServer, sb: SandboxClient, alice: SandboxUser
) -> None:
    first_bot = sandbox_bot(server.base_url, server.token, timeout=30)
    second_bot = sandbox_bot(server.base_url, server.token, timeout=30)
    try:
        seq, _ = await sb.events()
        first = asyncio.create_task(first_bot.get_updates(timeout=20))
        await wait_for_event(sb, seq, "long_poll")
        second = asyncio.create_task(second_bot.get_updates(timeout=20))
        with pytest.raises(TelegramConflictError, match="terminated by other getUpdates"):
            await first
        await sb.send_text(alice.id, "hello")
        assert len(await second) == 1
    finally:
        await first_bot.session.close()
        await second_bot.session.close()


async def test_allowed_updates_and_chat_member_opt_in(
    bot: Bot, sb: SandboxClient, alice: SandboxUser, bob: SandboxUser
) -> None:
    group = await sb.create_group("Street", creator_id=alice.id)
    await sb.add_bot_to_group(group.id, admin=True)
    setup = await bot.get_updates(allowed_updates=["message", "chat_member"])
    assert [u.event_type for u in setup] == ["my_chat_member", "message"]
    await bot.get_updates(offset=setup[-1].update_id + 1)
    await sb.join(group.id, bob.id)
    joined = await bot.get_updates(allowed_updates=["callback_query"])
    assert [u.event_type for u in joined] == ["chat_member", "message"]
    member_update = joined[0].chat_member
    assert member_update is not None and member_update.new_chat_member.status == "member"
    await sb.send_text(alice.id, "ignored")
    assert await bot.get_updates(offset=joined[-1].update_id + 1) == []


@dataclass
class Receiver:
    """A loopback webhook endpoint that fails the first ``failures`` deliveries."""

    failures: int = 0
    reply: dict[str, Any] | None = None
    received: list[dict[str, Any]] = field(default_factory=list)
    secrets: list[str | None] = field(default_factory=list)
    attempts: int = 0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.attempts += 1
        self.secrets.append(request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        if self.attempts <= self.failures:
            return web.Response(status=500, text="boom")
        self.received.append(await request.json())
        self.arrived.set()
        if self.reply is not None:
            return web.json_response(self.reply)
        return web.Response(text="")

    async def wait_for(self, count: int) -> None:
        async with asyncio.timeout(5):
            while len(self.received) < count:
                self.arrived.clear()
                await self.arrived.wait()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()
    app = web.Application()
    app.router.add_post("/hook", rec.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    rec.url = f"http://{host}:{port}/hook"
    try:
        yield rec
    finally:
        await runner.cleanup()


async def test_webhook_delivery_in_order_with_secret_and_retries(
    bot: Bot, sb: SandboxClient, alice: SandboxUser, receiver: Receiver
) -> None:
    receiver.failures = 2
    await bot.set_webhook(receiver.url, secret_token="s3cr3t")
    with pytest.raises(TelegramConflictError, match="webhook is active"):
        await bot.get_updates()
    for text in ("a", "b", "c"):
        await sb.send_text(alice.id, text)
    await receiver.wait_for(3)
    assert [u["message"]["text"] for u in receiver.received] == ["a", "b", "c"]
    assert receiver.attempts == 5
    assert set(receiver.secrets) == {"s3cr3t"}
    info = await bot.get_webhook_info()
    assert info.url == receiver.url and info.pending_update_count == 0
    assert info.last_error_message is not None and "500" in info.last_error_message
    assert info.last_error_date is not None
    await bot.delete_webhook()
    await sb.send_text(alice.id, "polled")
    assert [u.message.text for u in await bot.get_updates() if u.message] == ["polled"]


async def test_webhook_pending_count_and_drop(
    bot: Bot, sb: SandboxClient, alice: SandboxUser
) -> None:
    await bot.set_webhook("http://127.0.0.1:9/unreachable")
    await sb.send_text(alice.id, "lost?")
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 1
    await bot.delete_webhook(drop_pending_updates=True)
    assert (await bot.get_webhook_info()).pending_update_count == 0
    assert await bot.get_updates() == []


async def test_webhook_reply_can_carry_a_method(
    bot: Bot, sb: SandboxClient, alice: SandboxUser, receiver: Receiver
) -> None:
    receiver.reply = {"method": "sendMessage", "chat_id": alice.id, "text": "pong"}
    await bot.set_webhook(receiver.url)
    await sb.send_text(alice.id, "ping")
    reply = await sb.wait_for_message(alice.id)
    assert reply.text == "pong"
    assert json.dumps(receiver.received[0]["message"]["text"]) == '"ping"'


async def test_an_update_pushed_as_a_long_poll_starts_waiting_wakes_it() -> None:
    """Regression: a notify between scheduling the waiter and its first step was lost."""
    import asyncio as _asyncio

    from sandbox.events import Notifier
    from sandbox.updates import UpdateQueue

    queue = UpdateQueue()
    closing = Notifier()
    poll = _asyncio.ensure_future(queue.get(None, 100, 30.0, None, closing))
    await _asyncio.sleep(0)  # the poll checks the queue and schedules its waiter
    queue.push("message", {"message_id": 1})
    async with _asyncio.timeout(2):
        updates = await poll
    assert [u["update_id"] for u in updates] == [1]


async def test_a_refused_set_webhook_changes_nothing(
    bot: Bot, sb: SandboxClient, alice: SandboxUser
) -> None:
    """Validation happens before any change, as on Telegram."""
    from aiogram.exceptions import TelegramBadRequest

    await sb.send_text(alice.id, "hello")
    with pytest.raises(TelegramBadRequest):
        await bot.set_webhook("ftp://bad.example", drop_pending_updates=True)
    assert len(await sb.pending_updates()) == 1


async def test_refused_limit_changes_change_nothing(sb: SandboxClient) -> None:
    before = await sb.limits()
    with pytest.raises(SandboxError):
        await sb.set_limits(private_burst=1, nonsense=2)
    assert await sb.limits() == before
