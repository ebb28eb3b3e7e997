"""Flood limits (429 with retry_after) and injected faults."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)

from sandbox.client import SandboxClient, SandboxUser
from sandbox.limits import LimitConfig, RateLimiter
from sandbox.server import SandboxServer
from sandbox.testing import sandbox_bot


async def test_private_chat_burst_then_429(bot: Bot, sb: SandboxClient, alice: SandboxUser) -> None:
    for i in range(3):
        await bot.send_message(alice.id, f"burst {i}")
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(alice.id, "one too many")
    assert caught.value.retry_after >= 1
    assert f"Too Many Requests: retry after {caught.value.retry_after}" in caught.value.message
    calls = await sb.calls()
    assert calls.rate_limited["private"] == 1 and calls.status_429 == 1
    assert len(await sb.transcript(alice.id)) == 3


async def test_group_limit_per_minute(bot: Bot, sb: SandboxClient, alice: SandboxUser) -> None:
    await sb.set_limits(group_burst=3)
    group = await sb.create_group("Busy", creator_id=alice.id)
    await sb.add_bot_to_group(group.id)
    for i in range(3):
        await bot.send_message(group.id, f"alert {i}")
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(group.id, "alert 4")
    assert caught.value.retry_after == 3  # 20 per minute refills one every 3 s
    assert (await sb.calls()).rate_limited == {"bot": 0, "paid": 0, "private": 0, "group": 1}


async def test_bot_wide_limit_and_paid_broadcast(bot: Bot, sb: SandboxClient) -> None:
    await sb.set_limits(bot_per_second=4, bot_burst=4, paid_per_second=50, paid_burst=50)
    users = [await sb.create_user(f"U{i}", started=True) for i in range(6)]
    for user in users[:4]:
        await bot.send_message(user.id, "broadcast")
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(users[4].id, "broadcast")
    for user in users[4:]:
        await bot.send_message(user.id, "paid broadcast", allow_paid_broadcast=True)
    calls = await sb.calls()
    assert calls.rate_limited["bot"] == 1 and calls.rate_limited_total == 1


async def test_limits_can_be_switched_off(bot: Bot, sb: SandboxClient, alice: SandboxUser) -> None:
    await sb.set_limits(private_enabled=False)
    for i in range(10):
        await bot.send_message(alice.id, f"m{i}")
    assert (await sb.calls()).rate_limited_total == 0


def test_token_bucket_refills_on_monotonic_time() -> None:
    now = [100.0]
    limiter = RateLimiter(LimitConfig(private_burst=2), monotonic=lambda: now[0])
    limiter.check(1, 10, is_private=True, paid=False)
    limiter.check(1, 10, is_private=True, paid=False)
    with pytest.raises(Exception, match="retry after 1"):
        limiter.check(1, 10, is_private=True, paid=False)
    now[0] += 1.0
    limiter.check(1, 10, is_private=True, paid=False)
    limiter.check(1, 11, is_private=True, paid=False)  # another chat has its own bucket
    assert limiter.breaches["private"] == 1


async def test_injected_429_500_and_502(bot: Bot, sb: SandboxClient, alice: SandboxUser) -> None:
    await sb.inject_fault("sendMessage", "429", retry_after=7)
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(alice.id, "x")
    assert caught.value.retry_after == 7
    await sb.inject_fault("sendMessage", "500", count=2)
    for _ in range(2):
        with pytest.raises(TelegramServerError):
            await bot.send_message(alice.id, "x")
    await sb.inject_fault("getMe", "502")
    with pytest.raises(ClientDecodeError):
        await bot.get_me()
    await bot.send_message(alice.id, "finally")
    assert [m.text for m in await sb.transcript(alice.id)] == ["finally"]
    calls = await sb.calls()
    assert calls.faults_fired == 4 and calls.rate_limited_total == 0


async def test_timeout_and_reset_faults(
    server: SandboxServer, sb: SandboxClient, alice: SandboxUser
) -> None:
    impatient = sandbox_bot(server.base_url, server.token, timeout=0.5)
    try:
        await sb.inject_fault("sendMessage", "timeout")
        with pytest.raises(TelegramNetworkError, match="timeout"):
            await impatient.send_message(alice.id, "lost")
        await sb.inject_fault("sendMessage", "reset", after_execute=True)
        with pytest.raises(TelegramNetworkError):
            await impatient.send_message(alice.id, "sent but unanswered")
    finally:
        await impatient.session.close()
    # The after_execute reset delivered the message: a blind retry would duplicate it.
    assert [m.text for m in await sb.transcript(alice.id)] == ["sent but unanswered"]
