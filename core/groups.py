"""Telegram groups the bot is added to, and whether it can do its job there."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.enums import BotGroupStatus
from core.errors import InvalidInput, NotFound
from core.schemes.access import Permission, require
from storage.repositories import groups as groups_repo
from storage.repositories import memberships as memberships_repo
from storage.repositories import people as people_repo
from storage.repositories import schemes as schemes_repo

# What each admin right lets the bot do for a scheme group, in the words Telegram's UI uses.
REQUIRED_RIGHTS: dict[str, str] = {
    "can_delete_messages": "Delete messages (to remove sensitive posts)",
    "can_invite_users": "Invite users via link (to let approved traders in)",
    "can_restrict_members": "Ban users (to remove people who leave the scheme)",
    "can_pin_messages": "Pin messages (to pin urgent warnings)",
}


@dataclass(frozen=True)
class GroupCheck:
    """The bot's standing in a group after a change, and what it still lacks."""

    chat_id: int
    status: BotGroupStatus
    missing: tuple[str, ...]
    was_present: bool
    scheme_name: str | None

    @property
    def present(self) -> bool:
        """The bot is still in the group."""
        return self.status not in (BotGroupStatus.LEFT, BotGroupStatus.KICKED)

    @property
    def ready(self) -> bool:
        """The bot has every right it needs."""
        return self.present and not self.missing


def missing_rights(status: BotGroupStatus, rights: Mapping[str, bool]) -> tuple[str, ...]:
    """The descriptions of the rights the bot lacks (all of them unless it is an admin)."""
    if status != BotGroupStatus.ADMINISTRATOR:
        return tuple(REQUIRED_RIGHTS.values())
    return tuple(text for right, text in REQUIRED_RIGHTS.items() if not rights.get(right))


async def record_bot_status(
    session: AsyncSession,
    *,
    chat_id: int,
    title: str,
    chat_type: str,
    status: BotGroupStatus,
    rights: Mapping[str, bool],
    changed_by_telegram_id: int | None,
) -> GroupCheck:
    """Remembers the group and the bot's rights there; says what is missing."""
    missing = (
        missing_rights(status, rights)
        if status
        not in (
            BotGroupStatus.LEFT,
            BotGroupStatus.KICKED,
        )
        else ()
    )
    async with session.begin():
        previous = await groups_repo.get(session, chat_id)
        was_present = previous is not None and previous.bot_status not in (
            BotGroupStatus.LEFT,
            BotGroupStatus.KICKED,
        )
        scheme = await schemes_repo.by_group_id(session, chat_id)
        group = await groups_repo.save(
            session,
            chat_id=chat_id,
            title=title,
            chat_type=chat_type,
            status=status,
            missing=list(missing),
            changed_by_telegram_id=changed_by_telegram_id,
        )
        if scheme is not None:
            group.scheme_id = scheme.id
    return GroupCheck(
        chat_id=chat_id,
        status=status,
        missing=missing,
        was_present=was_present,
        scheme_name=scheme.name if scheme is not None else None,
    )


@dataclass(frozen=True)
class UnapprovedJoin:
    """Someone joined a scheme's group without being an approved member of the scheme."""

    scheme_id: int
    scheme_name: str
    group_title: str
    coordinator_chat_ids: list[int]


async def check_join(
    session: AsyncSession, *, chat_id: int, telegram_user_id: int, now: datetime
) -> UnapprovedJoin | None:
    """None if the group is no scheme's or the newcomer is an approved member; else the alert.

    The newcomer is noted in the audit log by Telegram id only: they may never have used the
    bot, so nothing else about them is stored.
    """
    async with session.begin():
        scheme = await schemes_repo.by_group_id(session, chat_id)
        if scheme is None:
            return None
        if await memberships_repo.is_approved_member(session, scheme.id, telegram_user_id):
            return None
        group = await groups_repo.get(session, chat_id)
        await audit.record(
            session,
            actor_id=None,
            scheme_id=scheme.id,
            action="group.unapproved_join",
            object_type="telegram_user",
            object_id=telegram_user_id,
            at=now,
        )
        coordinators = await people_repo.coordinator_chat_ids(session, scheme.id)
        return UnapprovedJoin(
            scheme_id=scheme.id,
            scheme_name=scheme.name,
            group_title=group.title if group is not None and group.title else scheme.name,
            coordinator_chat_ids=coordinators,
        )


async def removal_target(
    session: AsyncSession, *, person_id: int | None, scheme_id: int, telegram_user_id: int
) -> int:
    """The group to remove an unapproved newcomer from, if the person may and it still applies."""
    async with session.begin():
        await require(session, person_id, Permission.MANAGE_MEMBERS, scheme_id)
        scheme = await schemes_repo.get(session, scheme_id)
        if scheme is None or scheme.telegram_group_id is None:
            raise NotFound("The scheme has no group linked any more, so there is nothing to do.")
        if await memberships_repo.is_approved_member(session, scheme_id, telegram_user_id):
            raise InvalidInput(
                "They have since been approved as a member, so I have not removed them."
            )
        return scheme.telegram_group_id


async def record_removal(
    session: AsyncSession,
    *,
    person_id: int | None,
    scheme_id: int,
    telegram_user_id: int,
    now: datetime,
) -> None:
    """Notes in the audit log that a coordinator removed a newcomer from the group."""
    async with session.begin():
        await audit.record(
            session,
            actor_id=person_id,
            scheme_id=scheme_id,
            action="group.removed_unapproved",
            object_type="telegram_user",
            object_id=telegram_user_id,
            at=now,
        )
