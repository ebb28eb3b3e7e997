"""Strangers knocking on the webhook: refused at the door, nothing handled, stored or logged."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram import Bot
from aiogram.types import Update

from bot.webhook import SECRET_HEADER
from sandbox.client import SandboxUser
from storage.db import Database
from tests.support.backends import Backend
from tests.support.evidence import (
    CapturedLogs,
    captured_logs,
    database_fingerprint,
    leaks,
    raw_post,
    redis_contents,
)
from tests.support.live import WEBHOOK_SECRET, LiveBot, running_bot

HEADER = SECRET_HEADER.encode()
SECRET = WEBHOOK_SECRET.encode()

WRONG_SECRETS: dict[str, list[tuple[bytes, bytes]]] = {
    "no header": [],
    "empty": [(HEADER, b"")],
    "wrong": [(HEADER, b"let-me-in_please-42")],
    "truncated": [(HEADER, SECRET[:-1])],
    "a prefix": [(HEADER, SECRET[: len(SECRET) // 2])],
    "longer": [(HEADER, SECRET + b"0")],
    "different case": [(HEADER, SECRET.swapcase())],
    "non-ASCII bytes": [(HEADER, SECRET[:-2] + "é€".encode())],
    "latin-1 byte": [(HEADER, SECRET[:-1] + b"\xff")],
    "twice, one wrong": [(HEADER, b"wrong"), (HEADER, SECRET)],
    "under another name": [(b"X-Telegram-Bot-Api-Secret", SECRET)],
}

NOT_UPDATES: dict[str, bytes] = {
    "not JSON": b"{not json",
    "empty body": b"",
    "not UTF-8": b'{"update_id": 5, "message": "\xff\xfe"}',
    "a list": b"[1, 2, 3]",
    "a string": b'"update"',
    "null": b"null",
    "no update id": b'{"hello": "world"}',
    "update id not a number": b'{"update_id": "one"}',
    "message not an object": b'{"update_id": 6, "message": "hi"}',
    "deeply nested": b"[" * 100_000 + b"]" * 100_000,
}

# Larger than the webhook app's client_max_size (4 MB).
HUGE = b'{"update_id": 7, "message": {"text": "' + b"A" * (5 * 1024 * 1024) + b'"}}'


@dataclass
class Door:
    """The bot's webhook as a stranger sees it, with a count of what got past it."""

    live: LiveBot
    database: Database
    seen: list[int] = field(default_factory=list)

    async def knock(self, headers: list[tuple[bytes, bytes]], body: bytes) -> int:
        """Posts to the webhook with exactly these headers and body; returns the status."""
        headers = [(b"Content-Type", b"application/json"), *headers]
        status, _ = await raw_post(self.live.settings.listen_port, "/telegram", headers, body)
        return status

    async def state(self) -> tuple[dict[str, str], dict[str, str]]:
        """The database and Redis contents, to compare before and after."""
        backend = self.live.backend
        return (
            await database_fingerprint(self.database),
            await redis_contents(backend.redis_url, backend.redis_prefix),
        )


@pytest.fixture
async def door(backend: Backend, database: Database) -> AsyncIterator[Door]:
    """The real bot in webhook mode; every update reaching its dispatcher is counted."""
    async with running_bot(backend, mode="webhook") as live:
        dispatcher = live.process.dispatcher
        assert dispatcher is not None
        opened = Door(live, database)
        feed = dispatcher.feed_update

        async def counted(bot: Bot, update: Update, **kwargs: Any) -> Any:
            opened.seen.append(update.update_id)
            return await feed(bot, update, **kwargs)

        dispatcher.feed_update = counted  # type: ignore[method-assign]
        yield opened


def start_update(user: SandboxUser, update_id: int) -> bytes:
    """A /start message as Telegram would post it."""
    return json.dumps(
        {
            "update_id": update_id,
            "message": {
                "message_id": 10,
                "date": int(datetime.now(UTC).timestamp()),
                "chat": {"id": user.id, "type": "private", "first_name": user.first_name},
                "from": {"id": user.id, "is_bot": False, "first_name": user.first_name},
                "text": "/start",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            },
        }
    ).encode()


def assert_quiet_and_secret(logs: CapturedLogs) -> None:
    assert logs.failures() == []
    assert leaks(logs.text, WEBHOOK_SECRET) == []


async def test_a_wrong_secret_is_refused_and_nothing_happens(door: Door) -> None:
    mallory = await door.live.sandbox.create_user("Mallory", started=True)
    before = await door.state()

    with captured_logs() as logs:
        for name, headers in WRONG_SECRETS.items():
            status = await door.knock(headers, start_update(mallory, 100))
            assert status == 403, name

    assert door.seen == []
    assert await door.state() == before
    assert await door.live.sandbox.transcript(mallory.id) == []
    assert_quiet_and_secret(logs)
    assert sum("refused: bad secret header" in line for line in logs.lines) == len(WRONG_SECRETS)


async def test_the_right_secret_gets_the_same_update_handled(door: Door) -> None:
    mallory = await door.live.sandbox.create_user("Mallory", started=True)
    before = await door.state()

    with captured_logs() as logs:
        assert await door.knock([(HEADER, SECRET)], start_update(mallory, 101)) == 200

    assert door.seen == [101]
    assert (await door.state())[0]["people"] != before[0]["people"]
    greeting = await door.live.sandbox.wait_for_message(mallory.id)
    assert "Hello Mallory" in greeting.body
    assert_quiet_and_secret(logs)


async def test_a_body_that_is_not_an_update_is_a_clear_bad_request(door: Door) -> None:
    before = await door.state()

    with captured_logs() as logs:
        for name, body in NOT_UPDATES.items():
            assert await door.knock([(HEADER, SECRET)], body) == 400, name
        assert await door.knock([(HEADER, SECRET)], HUGE) == 413
        assert await door.knock([], HUGE) == 403

    assert door.seen == []
    assert await door.state() == before
    assert_quiet_and_secret(logs)
