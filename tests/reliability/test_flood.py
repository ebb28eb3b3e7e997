"""One person floods the bot with 200 updates while five others talk to it: they barely notice."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
from redis.asyncio import Redis

from bot.flood import SLOW_DOWN, Counter, MemoryCounter, RedisCounter
from bot.settings import Settings
from sandbox.client import Message
from tests.support.backends import Backend
from tests.support.evidence import UpdateTap, record_figure
from tests.support.live import LiveBot, Person, running_bot
from tests.support.soak import scale

FLOOD = 200
FLOOD_SECONDS = 8.0
LIMIT = Settings.model_fields["flood_limit_per_minute"].default
BYSTANDERS = scale(5, 20)
# Each round of the bystanders' conversation is five updates; three rounds stay under the
# per-minute limit that applies to them as much as to the flooder.
ROUNDS = 3
THINKING = 0.3
P95_LIMIT = 2.0


@dataclass
class Flooded:
    """The bot at its default flood limit, with every finished update counted."""

    live: LiveBot
    tap: UpdateTap


@asynccontextmanager
async def flooded_bot(backend: Backend, mode: str) -> AsyncIterator[Flooded]:
    """The real bot with the per-person limit a deployment gets by default."""
    async with running_bot(backend, mode=mode, flood_limit_per_minute=LIMIT) as live:
        assert live.process.dispatcher is not None
        yield Flooded(live, UpdateTap(live.process.dispatcher))


@pytest.fixture
async def polled(backend: Backend) -> AsyncIterator[Flooded]:
    """Updates fetched in batches and handled side by side, as Telegram serves getUpdates."""
    async with flooded_bot(backend, "polling") as bot:
        yield bot


@pytest.fixture
async def hooked(backend: Backend) -> AsyncIterator[Flooded]:
    """Updates posted to the webhook (one at a time by the sandbox)."""
    async with flooded_bot(backend, "webhook") as bot:
        yield bot


async def timed(turn: Awaitable[Message], latencies: list[float]) -> Message:
    """Takes one turn of a conversation, noting how long the bot took to answer."""
    loop = asyncio.get_running_loop()
    sent = loop.time()
    reply = await turn
    latencies.append(loop.time() - sent)
    return reply


async def holds_a_conversation(person: Person, latencies: list[float]) -> None:
    """Starts a report, answers the first questions, cancels, and does it again."""
    for _ in range(ROUNDS):
        intro = await timed(person.says("/report"), latencies)
        await asyncio.sleep(THINKING)
        subtypes = await timed(person.presses("Street drinking", on=intro), latencies)
        assert subtypes.body == "Which of these fits best?"
        await asyncio.sleep(THINKING)
        where = await timed(person.presses("Drinking in a public place", on=subtypes), latencies)
        assert "Where did it happen?" in where.body
        await asyncio.sleep(THINKING)
        got_it = await timed(person.says("Library gardens, CB1 2AB"), latencies)
        assert got_it.body.startswith("Got it:")
        assert (await person.next_reply()).body.startswith("When did it happen?")
        await asyncio.sleep(THINKING)
        cancelled = await timed(person.says("/cancel"), latencies)
        assert cancelled.body.startswith("Cancelled.")
        await asyncio.sleep(THINKING)


async def floods(live: LiveBot, flooder: Person) -> None:
    """Sends 200 messages within a few seconds, each asking for help."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    for sent in range(FLOOD):
        await asyncio.sleep(max(0.0, start + sent * FLOOD_SECONDS / FLOOD - loop.time()))
        await live.sandbox.send_text(flooder.id, "/help")


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


async def assert_told_once_and_dropped(flooded: Flooded, flooder: Person) -> None:
    """The flooder got LIMIT answers and one polite notice; the rest had no effect."""
    await flooded.live.eventually(
        lambda: _all_finished(flooded, flooder), within=FLOOD_SECONDS + 30
    )
    told = [m.body for m in await flooded.live.sandbox.transcript(flooder.id) if m.from_bot]
    helped = [body for body in told if body.startswith("Here is what I can do for you:")]
    assert len(helped) == LIMIT
    assert [body for body in told if body not in helped] == [SLOW_DOWN]


def record_latencies(live: LiveBot, latencies: list[float]) -> float:
    """Notes the figures for RELIABILITY.md; returns the 95th percentile."""
    slowest = p95(latencies)
    name = f"flood {live.mode} {live.backend.name}"
    record_figure(f"{name}: bystander replies", len(latencies))
    record_figure(f"{name}: p95 seconds", round(slowest, 3))
    record_figure(f"{name}: max seconds", round(max(latencies), 3))
    return slowest


@pytest.mark.quiet
@pytest.mark.timeout(120)
async def test_a_flooder_is_slowed_down_once_and_everyone_else_is_answered_promptly(
    polled: Flooded,
) -> None:
    live = polled.live
    flooder = await live.person("Flo")
    others = [await live.person(f"Neighbour {n}") for n in range(BYSTANDERS)]
    latencies: list[float] = []

    await asyncio.gather(
        floods(live, flooder), *(holds_a_conversation(person, latencies) for person in others)
    )

    await assert_told_once_and_dropped(polled, flooder)
    assert len(latencies) == BYSTANDERS * ROUNDS * 5
    slowest = record_latencies(live, latencies)
    assert slowest < P95_LIMIT, sorted(latencies)[-10:]


@pytest.mark.timeout(120)
async def test_a_flood_through_the_webhook_is_answered_once_and_dropped(hooked: Flooded) -> None:
    live = hooked.live
    flooder = await live.person("Flo")
    neighbour = await live.person("Neighbour")
    latencies: list[float] = []

    await asyncio.gather(floods(live, flooder), holds_a_conversation(neighbour, latencies))

    await assert_told_once_and_dropped(hooked, flooder)
    assert len(latencies) == ROUNDS * 5
    # The sandbox posts webhook updates one at a time where Telegram opens up to 40
    # connections, so latency here measures the sandbox's queue: recorded, not asserted.
    record_latencies(live, latencies)


async def _all_finished(flooded: Flooded, flooder: Person) -> bool:
    return len(flooded.tap.from_user(flooder.id)) >= FLOOD


async def test_a_copy_of_an_update_counts_once(backend: Backend, redis: Redis | None) -> None:
    counter: Counter = (
        RedisCounter(redis, backend.redis_prefix) if redis is not None else MemoryCounter()
    )

    assert await counter.hit(7, update_id=100) == (True, 1)
    assert await counter.hit(7, update_id=100) == (False, 1)
    assert await counter.hit(7, update_id=101) == (True, 2)
    assert await counter.hit(8, update_id=100) == (True, 1)
