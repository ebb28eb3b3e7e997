"""What a test inspects after hostile input: every log line, stored row and Redis key."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from aiogram.types.update import UpdateTypeLookupError
from redis.asyncio import Redis
from sqlalchemy import select

from storage.db import Database
from storage.models import Base

# Loggers that setup_logging quietens; a capture must hear them at every level.
QUIETENED = ("alembic", "aiogram.event", "apscheduler")


class CapturedLogs(logging.Handler):
    """Collects every record at every level, formatted with its traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.records: list[logging.LogRecord] = []
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        try:
            self.lines.append(self.format(record))
        except Exception as error:  # a record that cannot be formatted is itself evidence
            self.lines.append(f"UNFORMATTABLE {record.name}: {record.msg!r} ({error})")

    @property
    def text(self) -> str:
        """Everything logged so far, one record per line (tracebacks included)."""
        return "\n".join(self.lines)

    def failures(self) -> list[str]:
        """Records at ERROR or above, and any record that carries a traceback."""
        return [
            line
            for record, line in zip(self.records, self.lines, strict=True)
            if record.levelno >= logging.ERROR or record.exc_info or record.exc_text
        ]


@contextmanager
def captured_logs(level: int = logging.DEBUG) -> Iterator[CapturedLogs]:
    """Hears every logger of this process at `level` for the duration of the block."""
    root = logging.getLogger()
    handler = CapturedLogs()
    saved = {name: logging.getLogger(name).level for name in QUIETENED}
    saved_root = root.level
    root.addHandler(handler)
    root.setLevel(level)
    for name in QUIETENED:
        logging.getLogger(name).setLevel(logging.NOTSET)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(saved_root)
        for name, old in saved.items():
            logging.getLogger(name).setLevel(old)


def secret_forms(*secrets: str) -> list[str]:
    """Each secret as it could appear in text: plain, URL-encoded, and a token's secret half."""
    forms: set[str] = set()
    for secret in secrets:
        forms |= {secret, quote(secret, safe=""), quote(secret)}
        _, _, half = secret.partition(":")
        if half:
            forms.add(half)
    return sorted(forms)


def leaks(text_seen: str, *secrets: str) -> list[str]:
    """The forms of `secrets` that occur in `text_seen` (empty when nothing leaked)."""
    return [form for form in secret_forms(*secrets) if form in text_seen]


async def database_rows(database: Database) -> dict[str, list[str]]:
    """Every row of every table, as sorted text (to compare, or to grep for secrets)."""
    rows: dict[str, list[str]] = {}
    async with database.sessions() as session:
        for table in Base.metadata.sorted_tables:
            result = await session.execute(select(table))
            rows[table.name] = sorted(repr(tuple(row)) for row in result)
    return rows


async def database_fingerprint(database: Database) -> dict[str, str]:
    """A hash of each table's contents: equal before and after means nothing was written."""
    return {
        name: f"{len(rows)}:{hashlib.sha256(chr(10).join(rows).encode()).hexdigest()[:16]}"
        for name, rows in (await database_rows(database)).items()
    }


async def redis_contents(url: str | None, prefix: str) -> dict[str, str]:
    """Every key under a test's prefix with a text form of its value."""
    if url is None:
        return {}
    redis = Redis.from_url(url)
    try:
        contents: dict[str, str] = {}
        async for key in redis.scan_iter(match=f"{prefix}:*", count=500):
            found = await redis.type(key)
            kind = found.decode() if isinstance(found, bytes) else str(found)
            if kind == "string":
                value: object = await redis.get(key)
            elif kind == "hash":
                value = sorted((await redis.hgetall(key)).items())
            elif kind == "list":
                value = await redis.lrange(key, 0, -1)
            elif kind == "set":
                value = sorted(await redis.smembers(key))
            elif kind == "zset":
                value = await redis.zrange(key, 0, -1, withscores=True)
            else:
                value = kind
            contents[key.decode(errors="replace")] = repr(value)
        return contents
    finally:
        await redis.aclose()


async def stored_text(database: Database, redis_url: str | None, prefix: str) -> str:
    """All stored data (database rows, Redis keys and values) as one text to grep."""
    rows = await database_rows(database)
    lines = [line for table in rows.values() for line in table]
    keys = await redis_contents(redis_url, prefix)
    lines += [f"{key} = {value}" for key, value in keys.items()]
    return "\n".join(lines)


async def raw_post(
    port: int, path: str, headers: list[tuple[bytes, bytes]], body: bytes
) -> tuple[int, bytes]:
    """POSTs exact bytes (headers included) to a loopback server; returns status and body."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        head = [b"POST " + path.encode() + b" HTTP/1.1", b"Host: 127.0.0.1"]
        head += [name + b": " + value for name, value in headers]
        head += [b"Content-Length: " + str(len(body)).encode(), b"Connection: close"]
        writer.write(b"\r\n".join(head) + b"\r\n\r\n" + body)
        await writer.drain()
        answer = await reader.read()
    finally:
        writer.close()
        await writer.wait_closed()
    status_line, _, rest = answer.partition(b"\r\n")
    _, _, payload = rest.partition(b"\r\n\r\n")
    return int(status_line.split()[1]), payload


class UpdateTap:
    """Notes every update the dispatcher finishes with (whatever the outcome)."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.finished: list[Update] = []
        feed = dispatcher.feed_update

        async def tapped(bot: Bot, update: Update, **kwargs: Any) -> Any:
            try:
                return await feed(bot, update, **kwargs)
            finally:
                self.finished.append(update)

        dispatcher.feed_update = tapped  # type: ignore[method-assign]

    def from_user(self, user_id: int) -> list[Update]:
        """The finished updates sent by one person."""
        return [
            update
            for update in self.finished
            if (sender := _sender(update)) is not None and sender == user_id
        ]


def _sender(update: Update) -> int | None:
    try:
        event = update.event
    except UpdateTypeLookupError:
        return None
    user = getattr(event, "from_user", None)
    return user.id if user is not None else None


def record_figure(name: str, value: object) -> None:
    """Appends a measured figure to $SHOPWATCH_FIGURES (JSON lines) when it is set."""
    path = os.environ.get("SHOPWATCH_FIGURES")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps({"figure": name, "value": value}) + "\n")
