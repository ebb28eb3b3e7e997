"""Linking a scheme to its Telegram group, once the bot has the rights it needs there."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.enums import BotGroupStatus, Role
from core.errors import NotAllowed, NotFound
from core.groups import missing_rights
from core.schemes.access import memberships_of
from storage.models import TelegramGroup
from storage.repositories import groups as groups_repo
from storage.repositories import schemes as schemes_repo

NOT_A_COORDINATOR = (
    "Only an approved coordinator of a Shop Watch scheme can link a group to it. "
    "If that is you, message me privately first (send me /start) and then try again here."
)


@dataclass(frozen=True)
class SchemeChoice:
    """A scheme the coordinator may link, and the group it has now."""

    scheme_id: int
    name: str
    linked_group_id: int | None


async def schemes_to_link(session: AsyncSession, person_id: int | None) -> list[SchemeChoice]:
    """The schemes this person coordinates; NotAllowed if none."""
    async with session.begin():
        memberships = await memberships_of(session, person_id)
        choices = []
        for member in memberships:
            if member.approved and member.role == Role.COORDINATOR:
                scheme = await schemes_repo.get(session, member.scheme_id)
                assert scheme is not None
                choices.append(SchemeChoice(scheme.id, scheme.name, scheme.telegram_group_id))
    if not choices:
        raise NotAllowed(NOT_A_COORDINATOR)
    return choices


@dataclass(frozen=True)
class GroupSeen:
    """What Telegram says about the group and the bot's standing in it right now."""

    chat_id: int
    title: str
    chat_type: str
    bot_status: BotGroupStatus
    rights: Mapping[str, bool]


class LinkResult(StrEnum):
    """How a request to link a group ended."""

    LINKED = "linked"
    ALREADY = "already"
    MISSING_RIGHTS = "missing_rights"
    NEEDS_MOVE = "needs_move"


@dataclass(frozen=True)
class LinkOutcome:
    """What happened, and what to tell the group."""

    result: LinkResult
    scheme_name: str
    missing: tuple[str, ...] = ()
    old_group_title: str | None = None


async def link_group(
    session: AsyncSession,
    *,
    person_id: int | None,
    scheme_id: int,
    group: GroupSeen,
    move: bool,
    now: datetime,
) -> LinkOutcome:
    """Makes `group` the scheme's group if the bot has its rights and nothing else claims it."""
    choices = {c.scheme_id: c for c in await schemes_to_link(session, person_id)}
    if scheme_id not in choices:
        raise NotAllowed("You are not a coordinator of that scheme, so you can't link it.")
    missing = missing_rights(group.bot_status, group.rights)
    async with session.begin():
        stored = await groups_repo.save(
            session,
            chat_id=group.chat_id,
            title=group.title,
            chat_type=group.chat_type,
            status=group.bot_status,
            missing=list(missing),
            changed_by_telegram_id=None,
        )
        scheme = await schemes_repo.get_for_update(session, scheme_id)
        if scheme is None:
            raise NotFound("That scheme no longer exists.")
        if scheme.telegram_group_id == group.chat_id:
            stored.scheme_id = scheme.id
            return LinkOutcome(LinkResult.ALREADY, scheme.name)
        other = await schemes_repo.by_group_id(session, group.chat_id)
        if other is not None:
            raise NotAllowed(
                f"This group is already the group of {other.name}. A group can belong to only "
                "one scheme; a coordinator of that scheme would have to move it first."
            )
        if missing:
            return LinkOutcome(LinkResult.MISSING_RIGHTS, scheme.name, missing=missing)
        old_group: TelegramGroup | None = None
        if scheme.telegram_group_id is not None:
            old_group = await groups_repo.get(session, scheme.telegram_group_id)
            if not move:
                title = old_group.title if old_group is not None else "another group"
                return LinkOutcome(LinkResult.NEEDS_MOVE, scheme.name, old_group_title=title)
            if old_group is not None:
                old_group.scheme_id = None
            scheme.telegram_group_id = None
            await session.flush()
        scheme.telegram_group_id = group.chat_id
        stored.scheme_id = scheme.id
        await audit.record(
            session,
            actor_id=person_id,
            scheme_id=scheme.id,
            action="scheme.group_linked",
            object_type="group",
            object_id=group.chat_id,
            details={"title": group.title, "moved_from": old_group.chat_id if old_group else None},
            at=now,
        )
        return LinkOutcome(
            LinkResult.LINKED,
            scheme.name,
            old_group_title=old_group.title if old_group is not None else None,
        )
