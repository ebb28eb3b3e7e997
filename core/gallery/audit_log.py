"""Coordinators read their scheme's audit log: who viewed, searched or changed what, when."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.errors import NotFound
from core.schemes.access import Permission, SchemeMember, allowed_memberships, require
from storage.repositories import gallery as gallery_repo

PAGE_SIZE = 15


@dataclass(frozen=True)
class AuditPage:
    """One page of a scheme's audit log, newest first."""

    scheme_id: int
    text: str
    page: int
    has_older: bool


async def audit_schemes(session: AsyncSession, person_id: int) -> list[SchemeMember]:
    """The schemes whose audit log the person may read; NotAllowed, saying why, if none."""
    async with session.begin():
        return await allowed_memberships(session, person_id, Permission.READ_AUDIT)


async def audit_page(
    session: AsyncSession, person_id: int, scheme_id: int, *, page: int, tz: ZoneInfo
) -> AuditPage:
    """A page of 15 entries: local time, who, and what, in words."""
    page = max(page, 0)
    async with session.begin():
        await require(session, person_id, Permission.READ_AUDIT, scheme_id)
        scheme = await gallery_repo.scheme(session, scheme_id)
        if scheme is None:
            raise NotFound("That scheme no longer exists.")
        lines = await audit.recent(session, scheme_id, limit=PAGE_SIZE + 1, offset=page * PAGE_SIZE)
    shown = lines[:PAGE_SIZE]
    heading = f"Audit log · {scheme.name} · page {page + 1} (newest first)"
    if not shown:
        body = ["Nothing recorded yet." if page == 0 else "No older entries."]
    else:
        body = [
            f"{line.at.astimezone(tz):%d/%m/%Y %H:%M} · {audit.who(line)} · {audit.describe(line)}"
            for line in shown
        ]
    return AuditPage(
        scheme_id=scheme_id,
        text="\n".join([heading, "", *body]),
        page=page,
        has_older=len(lines) > PAGE_SIZE,
    )
