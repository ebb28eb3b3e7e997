"""One person flooding the bot is slowed down politely; Telegram's limits are waited out."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.backends import Backend
from tests.support.live import LiveBot, running_bot

LIMIT = 5


@pytest.fixture(params=["polling", "webhook"])
async def strict(request: pytest.FixtureRequest, backend: Backend) -> AsyncIterator[LiveBot]:
    """The bot with a low per-person limit."""
    async with running_bot(backend, mode=request.param, flood_limit_per_minute=LIMIT) as bot:
        yield bot


async def test_a_flood_is_answered_once_politely_and_others_are_served(strict: LiveBot) -> None:
    flooder = await strict.person("Flo")
    bystander = await strict.person("Ben")

    for _ in range(LIMIT):
        await flooder.says("/help")
    before_burst = strict.sandbox.cursor(flooder.id)
    for _ in range(3):
        await strict.sandbox.send_text(flooder.id, "/help")

    slow_down = await strict.sandbox.wait_for_message(flooder.id, after_message_id=before_burst)
    assert slow_down.body.startswith("You're sending messages faster than I can keep up with.")
    assert (await bystander.says("/help")).body.startswith("Here is what I can do for you:")
    # An absence while throttled: no sentinel can get through, so this one waits briefly.
    await strict.sandbox.assert_no_message(
        flooder.id, within=0.5, after_message_id=slow_down.message_id
    )


async def test_replies_wait_out_telegrams_per_chat_limit(live: LiveBot) -> None:
    await live.sandbox.set_limits(private_per_second=1.0, private_burst=1)
    pat = await live.person("Pat")
    await live.sandbox.inject_fault("sendMessage", kind="429", count=1, retry_after=1)

    reply = await pat.says("/help")

    assert reply.body.startswith("Here is what I can do for you:")
    assert (await live.sandbox.calls()).status_429 >= 1
