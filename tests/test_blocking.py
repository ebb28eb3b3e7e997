"""A person who blocks the bot gets no warnings until they unblock it; their choices stay."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from broadcast.audience import Audience
from broadcast.outbox import preview_recipients
from core.enums import BotGroupStatus, Severity
from storage.db import Database
from storage.models import Person, TelegramGroup
from tests.support.live import LiveBot
from tests.support.live import Person as Chatter
from tests.support.town import Town
from tests.test_subscriptions import chosen, subscribe


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
