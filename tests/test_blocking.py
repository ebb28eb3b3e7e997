"""A person who blocks the bot gets no warnings until they unblock it; their choices stay.

If a warning finds the bot blocked (403) first, their subscriptions are switched off; when
they come back they are told once, and one tap switches exactly those back on.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

import pytest
from sqlalchemy import select, update

from broadcast.audience import Audience
from broadcast.limiter import MemoryLimiter
from broadcast.outbox import preview_recipients
from broadcast.transport import TelegramTransport, build_transport_bot
from broadcast.worker import BroadcastWorker
from core.enums import BotGroupStatus, DeliveryState, Severity
from handlers.blocking import RestoreCallback
from storage.db import Database
from storage.models import Delivery, Person, Subscription, TelegramGroup
from tests.conftest import ADMIN_ID
from tests.support import factories
from tests.support.backends import Backend
from tests.support.broadcast_support import FAST_CONFIG
from tests.support.live import LiveBot, running_bot
from tests.support.live import Person as Chatter
from tests.support.town import Town, build_town
from tests.test_subscriptions import area_id, chosen, refused, subscribe
from tests.test_subscriptions_audience import warn


async def blocked_at(database: Database, person: Chatter) -> datetime | None:
    async with database.sessions() as session:
        return (
            await session.execute(
                select(Person.bot_blocked_at).where(Person.telegram_user_id == person.id)
            )
        ).scalar_one()


async def audience_size(live: LiveBot, database: Database) -> int:
    """How many copies a warning to every subscriber would send now."""
    async with database.sessions() as session:
        return await preview_recipients(
            session,
            Audience(subscribers=True),
            Severity.MINOR,
            now=live.clock.now(),
            tz=live.settings.tz,
        )


async def test_blocking_stops_warnings_and_keeps_the_subscriptions(
    town: Town, database: Database
) -> None:
    live, rosa, tom = town.live, town.resident, town.trader
    await subscribe(rosa, areas=["Market Town"], topics=["Noise"])
    await subscribe(tom, areas=["Market Town"], topics=[])
    choices = await chosen(database, rosa)
    assert await audience_size(live, database) == 2

    await live.sandbox.block(rosa.id)

    async def is_blocked() -> bool:
        return await blocked_at(database, rosa) is not None

    await live.eventually(is_blocked)
    assert await audience_size(live, database) == 1
    assert await chosen(database, rosa) == choices


async def test_unblocking_lets_warnings_reach_them_again(town: Town, database: Database) -> None:
    live, rosa = town.live, town.resident
    await subscribe(rosa, areas=["Everywhere"], topics=[])
    await live.sandbox.block(rosa.id)

    async def is_blocked() -> bool:
        return await blocked_at(database, rosa) is not None

    await live.eventually(is_blocked)
    assert await audience_size(live, database) == 0

    await live.sandbox.unblock(rosa.id)

    async def is_unblocked() -> bool:
        return await blocked_at(database, rosa) is None

    await live.eventually(is_unblocked)
    assert await audience_size(live, database) == 1
    assert (await rosa.says("/subscribe")).body.startswith("Your warnings:")


async def test_being_banned_from_a_group_is_not_a_person_blocking_the_bot(
    town: Town, database: Database
) -> None:
    live, cora = town.live, town.coordinator
    await live.sandbox.remove_bot_from_group(town.group.id, by_user_id=cora.id, ban=True)

    async def bot_gone() -> bool:
        async with database.sessions() as session:
            group = await session.get(TelegramGroup, town.group.id)
            return group is not None and group.bot_status == BotGroupStatus.KICKED

    await live.eventually(bot_gone)
    assert await blocked_at(database, cora) is None


@pytest.fixture
async def town_without_worker(backend: Backend, database: Database) -> AsyncIterator[Town]:
    """The town, with the bot's own broadcast worker off: the test runs the worker itself."""
    mode = "polling" if backend.redis_url is None else "webhook"
    async with running_bot(
        backend, mode=mode, admin_user_ids=(ADMIN_ID,), broadcast_worker_in_run=False
    ) as live:
        yield await build_town(live, database)


@asynccontextmanager
async def worker(live: LiveBot, database: Database) -> AsyncIterator[None]:
    """A broadcast worker sending through the town's Telegram while the block lasts."""
    transport = TelegramTransport(
        build_transport_bot(
            live.server.base_url,
            live.server.token,
            timeout=FAST_CONFIG.send_timeout_seconds,
            connections=FAST_CONFIG.concurrency,
        )
    )
    sending = BroadcastWorker(
        sessions=database.sessions,
        transport=transport,
        limiter=MemoryLimiter(FAST_CONFIG),
        config=FAST_CONFIG,
        clock=live.clock,
        tz=live.settings.tz,
        poll_seconds=0.05,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(sending.run(stop))
    try:
        yield
    finally:
        stop.set()
        await task
        await transport.close()


async def states(database: Database, alert_id: int) -> set[DeliveryState]:
    async with database.sessions() as session:
        rows = await session.execute(select(Delivery.state).where(Delivery.alert_id == alert_id))
        return set(rows.scalars())


async def test_someone_whose_block_stopped_their_warnings_turns_them_back_on_in_one_tap(
    town_without_worker: Town, database: Database
) -> None:
    town = town_without_worker
    live, rosa = town.live, town.resident
    await subscribe(rosa, areas=["Everywhere"], topics=[])
    market = await area_id(database, "Market Town")
    async with database.sessions() as session:
        switched_off_herself = await factories.subscription(
            session, telegram_user_id=rosa.id, topic="noise", area_id=market
        )
    async with database.sessions() as session, session.begin():
        await session.execute(
            update(Subscription).where(Subscription.id == switched_off_herself).values(active=False)
        )
    choices = await chosen(database, rosa)
    first = await warn(live, database, Audience(subscribers=True), Severity.MODERATE, "Tin thieves")

    # She blocks the bot before the warning goes out: Telegram refuses it (403).
    await live.sandbox.block(rosa.id)

    async def is_blocked() -> bool:
        return await blocked_at(database, rosa) is not None

    await live.eventually(is_blocked)
    async with worker(live, database):
        await live.eventually(lambda: _settled_as(database, first, {DeliveryState.BLOCKED}))
    assert await chosen(database, rosa) == set(), "her subscriptions were switched off"

    await live.sandbox.unblock(rosa.id)

    async def is_unblocked() -> bool:
        return await blocked_at(database, rosa) is None

    await live.eventually(is_unblocked)
    notice = await rosa.says("/start")
    local = live.clock.now().astimezone(live.settings.tz)
    assert notice.body.startswith(
        "Welcome back. Your warnings stopped because the bot was blocked in this chat on "
        f"{local.day} {local:%b %Y}: your subscription was switched off then."
    )
    assert notice.buttons == [["Turn my warnings back on"]]
    await rosa.next_reply()  # the answer to /start itself
    await rosa.hears_nothing()  # told once only

    done = await rosa.presses("Turn my warnings back on", on=notice)
    assert done.body.startswith("Done: your 1 subscription is back on, as you had them.")
    assert await chosen(database, rosa) == choices, "not the one she had switched off herself"
    assert (await live.sandbox.message(rosa.id, notice.message_id)).buttons == []
    again = await refused(rosa, notice, RestoreCallback().pack())  # an old copy of the button
    assert again.startswith("Your warnings are already on.")

    second = await warn(live, database, Audience(subscribers=True), Severity.MODERATE, "Robbery")
    async with worker(live, database):
        await live.eventually(lambda: _settled_as(database, second, {DeliveryState.SENT}))
    assert "Robbery" in (await rosa.next_reply()).body


async def _settled_as(database: Database, alert_id: int, wanted: set[DeliveryState]) -> bool:
    return await states(database, alert_id) == wanted
