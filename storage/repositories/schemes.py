"""Schemes and the areas they cover."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Area, Scheme


async def by_group_id(session: AsyncSession, chat_id: int) -> Scheme | None:
    """The scheme whose Telegram group this is."""
    result = await session.execute(select(Scheme).where(Scheme.telegram_group_id == chat_id))
    return result.scalar_one_or_none()


async def get(session: AsyncSession, scheme_id: int) -> Scheme | None:
    """The scheme with this id."""
    return await session.get(Scheme, scheme_id)


async def get_for_update(session: AsyncSession, scheme_id: int) -> Scheme | None:
    """The scheme, locked while its group link changes (PostgreSQL row lock)."""
    result = await session.execute(select(Scheme).where(Scheme.id == scheme_id).with_for_update())
    return result.scalar_one_or_none()


async def name_taken(session: AsyncSession, name: str) -> bool:
    """Whether a scheme already has this name, ignoring case."""
    result = await session.execute(
        select(Scheme.id).where(func.lower(Scheme.name) == name.lower()).limit(1)
    )
    return result.first() is not None


async def add(
    session: AsyncSession,
    *,
    name: str,
    sharing_rules: str,
    retention_months: int,
    photos_allowed: bool,
    created_by_id: int,
    areas: Collection[tuple[str, list[str]]],
) -> Scheme:
    """A new scheme with its areas (flushed, so it has an id)."""
    scheme = Scheme(
        name=name,
        sharing_rules=sharing_rules,
        retention_months=retention_months,
        photos_allowed=photos_allowed,
        created_by_id=created_by_id,
    )
    session.add(scheme)
    await session.flush()
    for area_name, districts in areas:
        session.add(Area(scheme_id=scheme.id, name=area_name, postcode_districts=districts))
    await session.flush()
    return scheme


async def names(session: AsyncSession, scheme_ids: Collection[int]) -> dict[int, str]:
    """Scheme names by id."""
    if not scheme_ids:
        return {}
    result = await session.execute(
        select(Scheme.id, Scheme.name).where(Scheme.id.in_(list(scheme_ids)))
    )
    return {int(row.id): str(row.name) for row in result}
