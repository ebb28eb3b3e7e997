"""Telegram groups the bot is added to, and whether it can do its job there."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import BotGroupStatus
from storage.repositories import groups as groups_repo
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
