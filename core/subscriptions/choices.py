"""Choosing areas, topics and severity: each choice is a set of (area, topic) subscriptions.

A person's subscriptions are every chosen area paired with every chosen topic. Choosing an
area before any topic means every topic; choosing a topic before any area means everywhere.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import time

from sqlalchemy.ext.asyncio import AsyncSession

from broadcast.audience import ALL_TOPICS
from core.enums import Severity
from core.errors import InvalidInput, NotFound
from core.subscriptions.topics import check_topic
from storage.models import Subscription
from storage.repositories import subscriptions as subscriptions_repo

# "Only serious warnings" hears Severe and Extreme; "All warnings" hears everything.
SERIOUS = Severity.SEVERE
ALL_WARNINGS = Severity.MINOR


@dataclass(frozen=True)
class AreaOption:
    """An area a person can choose, as they read it."""

    area_id: int
    label: str


@dataclass(frozen=True)
class Choices:
    """What a person hears about now. `None` among the areas means everywhere."""

    areas: frozenset[int | None]
    topics: frozenset[str]
    severity: Severity
    quiet_start: time | None
    quiet_end: time | None
    ever_subscribed: bool

    @property
    def subscribed(self) -> bool:
        """True if any warning can reach them."""
        return bool(self.areas and self.topics)


def _severity_of(rows: Sequence[Subscription]) -> Severity:
    active = [row for row in rows if row.active]
    for row in (*active, *rows):
        return row.min_severity
    return ALL_WARNINGS


def _choices(rows: Sequence[Subscription], quiet: tuple[time | None, time | None]) -> Choices:
    active = [row for row in rows if row.active]
    return Choices(
        areas=frozenset(row.area_id for row in active),
        topics=frozenset(row.topic for row in active),
        severity=_severity_of(rows),
        quiet_start=quiet[0],
        quiet_end=quiet[1],
        ever_subscribed=bool(rows),
    )


async def _load(session: AsyncSession, person_id: int) -> Choices:
    rows = await subscriptions_repo.of_person(session, person_id)
    return _choices(rows, await subscriptions_repo.quiet_hours(session, person_id))


async def current(session: AsyncSession, person_id: int) -> Choices:
    """The person's choices as the database has them now."""
    async with session.begin():
        return await _load(session, person_id)


async def area_options(session: AsyncSession) -> list[AreaOption]:
    """Every area of every scheme; a name used twice is told apart by its scheme."""
    async with session.begin():
        areas = await subscriptions_repo.every_area(session)
    names = [name for _, name, _ in areas]
    return [
        AreaOption(area_id, f"{name} ({scheme})" if names.count(name) > 1 and scheme else name)
        for area_id, name, scheme in areas
    ]


def _switch_on(
    session: AsyncSession,
    person_id: int,
    rows: Sequence[Subscription],
    pairs: Collection[tuple[int | None, str]],
) -> None:
    severity = _severity_of(rows)
    known = {(row.area_id, row.topic): row for row in rows}
    for area_id, topic in pairs:
        row = known.get((area_id, topic))
        if row is None:
            subscriptions_repo.add(
                session, person_id=person_id, area_id=area_id, topic=topic, severity=severity
            )
        else:
            row.active = True
            row.min_severity = severity


async def toggle_area(session: AsyncSession, person_id: int, area_id: int | None) -> Choices:
    """Adds the area (None: everywhere) to the person's choices, or takes it away."""
    async with session.begin():
        if area_id is not None and not await subscriptions_repo.area_exists(session, area_id):
            raise NotFound("That area no longer exists, so nothing changed.")
        rows = await subscriptions_repo.of_person(session, person_id)
        active = [row for row in rows if row.active]
        chosen = [row for row in active if row.area_id == area_id]
        if chosen:
            for row in chosen:
                row.active = False
        else:
            topics = {row.topic for row in active} or {ALL_TOPICS}
            _switch_on(session, person_id, rows, [(area_id, topic) for topic in topics])
        await session.flush()
        return await _load(session, person_id)


async def toggle_topic(session: AsyncSession, person_id: int, topic: str) -> Choices:
    """Adds the topic to the person's choices, or takes it away."""
    check_topic(topic)
    async with session.begin():
        rows = await subscriptions_repo.of_person(session, person_id)
        active = [row for row in rows if row.active]
        chosen = [row for row in active if row.topic == topic]
        if chosen:
            for row in chosen:
                row.active = False
        else:
            areas: set[int | None] = {row.area_id for row in active} or {None}
            _switch_on(session, person_id, rows, [(area, topic) for area in areas])
        await session.flush()
        return await _load(session, person_id)


async def set_severity(session: AsyncSession, person_id: int, severity: Severity) -> Choices:
    """Sets the lowest severity the person hears, on all their subscriptions."""
    if severity not in (SERIOUS, ALL_WARNINGS):
        raise InvalidInput("That is not one of the choices, so nothing changed.")
    async with session.begin():
        rows = await subscriptions_repo.of_person(session, person_id)
        if not any(row.active for row in rows):
            raise InvalidInput("Choose an area or a topic first, then how serious a warning is.")
        await subscriptions_repo.set_min_severity(session, person_id, severity)
        return await _load(session, person_id)


async def unsubscribe_all(session: AsyncSession, person_id: int) -> tuple[int, ...]:
    """Stops every subscription in one go; returns which were on, so it can be undone."""
    async with session.begin():
        rows = await subscriptions_repo.of_person(session, person_id)
        were_on = tuple(row.id for row in rows if row.active)
        if not were_on:
            raise InvalidInput("You are not subscribed to anything, so there was nothing to stop.")
        await subscriptions_repo.set_active(session, person_id, were_on, active=False)
    return were_on


async def restore(
    session: AsyncSession, person_id: int, subscription_ids: Collection[int]
) -> Choices:
    """Switches back on the subscriptions an unsubscribe turned off."""
    async with session.begin():
        await subscriptions_repo.set_active(session, person_id, subscription_ids, active=True)
        return await _load(session, person_id)


async def set_quiet_hours(
    session: AsyncSession, person_id: int, hours: tuple[time, time] | None
) -> Choices:
    """Stores the person's quiet hours, or switches them off (None)."""
    start, end = hours if hours is not None else (None, None)
    async with session.begin():
        await subscriptions_repo.set_quiet_hours(session, person_id, start, end)
        return await _load(session, person_id)
