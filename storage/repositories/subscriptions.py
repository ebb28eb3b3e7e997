"""A person's subscriptions (area x topic), quiet hours, and whether they blocked the bot."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, time

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import Severity
from storage.models import Area, Person, Scheme, Subscription


async def of_person(session: AsyncSession, person_id: int) -> list[Subscription]:
    """Every subscription row of the person, active or not, oldest first."""
    result = await session.execute(
        select(Subscription).where(Subscription.person_id == person_id).order_by(Subscription.id)
    )
    return list(result.scalars())


async def every_area(session: AsyncSession) -> list[tuple[int, str, str | None]]:
    """Every area as (id, name, scheme name), by scheme then area name."""
    result = await session.execute(
        select(Area.id, Area.name, Scheme.name)
        .outerjoin(Scheme, Scheme.id == Area.scheme_id)
        .order_by(Scheme.name, Area.name, Area.id)
    )
    return [(int(row[0]), str(row[1]), row[2]) for row in result.all()]


async def area_exists(session: AsyncSession, area_id: int) -> bool:
    """True if an area with this id exists."""
    found = await session.execute(select(Area.id).where(Area.id == area_id))
    return found.first() is not None


def add(
    session: AsyncSession, *, person_id: int, area_id: int | None, topic: str, severity: Severity
) -> Subscription:
    """A new active subscription, added to the session."""
    row = Subscription(
        person_id=person_id, area_id=area_id, topic=topic, min_severity=severity, active=True
    )
    session.add(row)
    return row


async def set_active(
    session: AsyncSession, person_id: int, subscription_ids: Collection[int], active: bool
) -> None:
    """Switches the person's listed subscriptions on or off."""
    if not subscription_ids:
        return
    await session.execute(
        update(Subscription)
        .where(Subscription.person_id == person_id, Subscription.id.in_(subscription_ids))
        .values(active=active)
    )


async def set_min_severity(session: AsyncSession, person_id: int, severity: Severity) -> None:
    """The lowest severity the person hears, on every one of their subscriptions."""
    await session.execute(
        update(Subscription)
        .where(Subscription.person_id == person_id)
        .values(min_severity=severity)
    )


async def quiet_hours(session: AsyncSession, person_id: int) -> tuple[time | None, time | None]:
    """The person's quiet hours (local start and end), or (None, None)."""
    result = await session.execute(
        select(Person.quiet_hours_start, Person.quiet_hours_end).where(Person.id == person_id)
    )
    row = result.one()
    return row[0], row[1]


async def set_quiet_hours(
    session: AsyncSession, person_id: int, start: time | None, end: time | None
) -> None:
    """Stores the person's quiet hours (both None switches them off)."""
    await session.execute(
        update(Person)
        .where(Person.id == person_id)
        .values(quiet_hours_start=start, quiet_hours_end=end)
    )


async def set_bot_blocked(
    session: AsyncSession, telegram_user_id: int, blocked_at: datetime | None
) -> int:
    """Records when the person blocked the bot (None: they unblocked it); returns rows changed."""
    result = await session.execute(
        update(Person)
        .where(Person.telegram_user_id == telegram_user_id)
        .values(bot_blocked_at=blocked_at)
    )
    return int(getattr(result, "rowcount", 0) or 0)
