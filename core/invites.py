"""Scheme invites: the deep links coordinators hand out and traders follow to apply."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.enums import Role
from core.errors import NotFound
from core.schemes.access import Permission, require
from storage.models import Invite
from storage.repositories import invites as invites_repo

INVALID_INVITE = (
    "This invite link is not valid any more (it may have expired or been used). "
    "Please ask your scheme coordinator for a new one."
)

CODE_LENGTH = 16
_ALPHABET = string.ascii_letters + string.digits
WEEK = timedelta(days=7)


class InviteKind(StrEnum):
    """The kinds of invite a coordinator can make."""

    SINGLE_USE = "single"
    WEEK = "week"
    OPEN = "open"


INVITE_KIND_LABELS: dict[InviteKind, str] = {
    InviteKind.SINGLE_USE: "Single use",
    InviteKind.WEEK: "Reusable, expires in 7 days",
    InviteKind.OPEN: "Reusable, no expiry",
}


def new_code() -> str:
    """An unguessable invite code of letters and digits."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(CODE_LENGTH))


def usable(invite: Invite, now: datetime) -> bool:
    """Not revoked, not expired, and not a single-use invite already used."""
    return (
        invite.revoked_at is None
        and (invite.expires_at is None or invite.expires_at > now)
        and not (invite.single_use and invite.uses > 0)
    )


@dataclass(frozen=True)
class InviteView:
    """A usable invite: which scheme, and the role it offers."""

    invite_id: int
    code: str
    scheme_id: int
    scheme_name: str
    role: Role
    sharing_rules: str


async def check_invite(session: AsyncSession, code: str, now: datetime) -> InviteView:
    """The invite behind a code, if it can still be used."""
    async with session.begin():
        invite = await invites_repo.by_code(session, code)
        if invite is None or not usable(invite, now):
            raise NotFound(INVALID_INVITE)
        return InviteView(
            invite_id=invite.id,
            code=invite.code,
            scheme_id=invite.scheme_id,
            scheme_name=invite.scheme.name,
            role=invite.role,
            sharing_rules=invite.scheme.sharing_rules,
        )


@dataclass(frozen=True)
class CreatedInvite:
    """A new invite, and what it allows."""

    invite_id: int
    code: str
    scheme_name: str
    kind: InviteKind
    expires_at: datetime | None

    def allows(self, when: str | None) -> str:
        """What the link allows, in a sentence (`when`: the expiry in local words)."""
        if self.kind == InviteKind.SINGLE_USE:
            return "One person can use it to ask to join. It does not expire until used."
        if self.kind == InviteKind.WEEK:
            return f"Anyone with it can ask to join until {when}."
        return "Anyone with it can ask to join until you revoke it."


async def create_invite(
    session: AsyncSession, *, person_id: int, scheme_id: int, kind: InviteKind, now: datetime
) -> CreatedInvite:
    """Makes a trader invite for a scheme the person coordinates."""
    async with session.begin():
        member = await require(session, person_id, Permission.MANAGE_MEMBERS, scheme_id)
        expires_at = now + WEEK if kind == InviteKind.WEEK else None
        invite = await invites_repo.add(
            session,
            scheme_id=scheme_id,
            code=new_code(),
            role=Role.TRADER,
            created_by_id=person_id,
            single_use=kind == InviteKind.SINGLE_USE,
            expires_at=expires_at,
            now=now,
        )
        await audit.record(
            session,
            actor_id=person_id,
            scheme_id=scheme_id,
            action="invite.created",
            object_type="invite",
            object_id=invite.id,
            details={"kind": kind.value},
            at=now,
        )
    return CreatedInvite(invite.id, invite.code, member.scheme_name, kind, expires_at)


async def revoke_invite(
    session: AsyncSession, *, person_id: int, invite_id: int, now: datetime
) -> str:
    """Stops an invite from working; returns the scheme's name."""
    async with session.begin():
        invite = await invites_repo.get(session, invite_id)
        if invite is None:
            raise NotFound("That invite no longer exists.")
        member = await require(session, person_id, Permission.MANAGE_MEMBERS, invite.scheme_id)
        if invite.revoked_at is None:
            invite.revoked_at = now
            await audit.record(
                session,
                actor_id=person_id,
                scheme_id=invite.scheme_id,
                action="invite.revoked",
                object_type="invite",
                object_id=invite.id,
                at=now,
            )
    return member.scheme_name
