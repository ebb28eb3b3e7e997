"""Scheme invites that arrive through /start deep links."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import Role
from core.errors import NotFound
from storage.repositories import invites as invites_repo

INVALID_INVITE = (
    "This invite link is not valid any more (it may have expired or been used). "
    "Please ask your scheme coordinator for a new one."
)


@dataclass(frozen=True)
class InviteView:
    """A usable invite: which scheme, and the role it offers."""

    code: str
    scheme_id: int
    scheme_name: str
    role: Role


async def check_invite(session: AsyncSession, code: str, now: datetime) -> InviteView:
    """The invite behind a code, if it can still be used."""
    async with session.begin():
        invite = await invites_repo.by_code(session, code)
        usable = (
            invite is not None
            and invite.revoked_at is None
            and (invite.expires_at is None or invite.expires_at > now)
            and not (invite.single_use and invite.uses > 0)
        )
        if invite is None or not usable:
            raise NotFound(INVALID_INVITE)
        return InviteView(
            code=invite.code,
            scheme_id=invite.scheme_id,
            scheme_name=invite.scheme.name,
            role=invite.role,
        )
