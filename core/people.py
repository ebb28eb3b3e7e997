"""Who is talking to the bot, and what they may do."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import Role
from storage.repositories import people as people_repo


@dataclass(frozen=True)
class PersonContext:
    """The person behind an update: their record id, roles and admin standing."""

    id: int
    telegram_user_id: int
    full_name: str
    roles: frozenset[Role]
    is_admin: bool

    @property
    def is_coordinator(self) -> bool:
        """Coordinators (and deployment admins) run schemes."""
        return self.is_admin or Role.COORDINATOR in self.roles


async def identify(
    session: AsyncSession,
    *,
    telegram_user_id: int,
    full_name: str,
    username: str | None,
    language_code: str | None,
    admin_user_ids: tuple[int, ...],
) -> PersonContext:
    """Records the person on first contact (or refreshes their name) and returns their roles."""
    async with session.begin():
        person_id = await people_repo.upsert_telegram_person(
            session,
            telegram_user_id=telegram_user_id,
            full_name=full_name[:256],
            username=username,
            language_code=language_code,
        )
        roles = await people_repo.approved_roles(session, person_id)
    return PersonContext(
        id=person_id,
        telegram_user_id=telegram_user_id,
        full_name=full_name,
        roles=frozenset(roles) | {Role.RESIDENT},
        is_admin=telegram_user_id in admin_user_ids,
    )


async def look_up(
    session: AsyncSession, *, telegram_user_id: int, admin_user_ids: tuple[int, ...]
) -> PersonContext | None:
    """The person if they have talked to the bot before; records nothing."""
    async with session.begin():
        person = await people_repo.by_telegram_id(session, telegram_user_id)
        if person is None:
            return None
        roles = await people_repo.approved_roles(session, person.id)
    return PersonContext(
        id=person.id,
        telegram_user_id=telegram_user_id,
        full_name=person.full_name,
        roles=frozenset(roles) | {Role.RESIDENT},
        is_admin=telegram_user_id in admin_user_ids,
    )
