"""Coordinators choose how long gallery messages stay on members' phones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.errors import InvalidInput, NotFound
from core.gallery import texts
from core.gallery.viewing import keep_hours
from core.schemes.access import Permission, require
from storage.repositories import gallery as gallery_repo

CHOICES = (1, 6, 24, 47)
LONGEST = 47


@dataclass(frozen=True)
class MessageTime:
    """A scheme's gallery message lifetime."""

    scheme_id: int
    scheme_name: str
    hours: int


def parse_hours(text: str) -> int:
    """A typed number of hours, 1 to 47."""
    cleaned = text.strip().lower().removesuffix("hours").removesuffix("h").strip()
    if not cleaned.isdecimal():
        raise InvalidInput("Please type a whole number of hours from 1 to 47, such as 12.")
    return check_hours(int(cleaned))


def check_hours(hours: int) -> int:
    """1 to 47 hours, or InvalidInput saying why not."""
    if hours > LONGEST:
        raise InvalidInput(texts.TOO_LONG_TTL)
    if hours < 1:
        raise InvalidInput("The shortest is 1 hour. Please choose 1 to 47 hours.")
    return hours


async def message_time(session: AsyncSession, person_id: int, scheme_id: int) -> MessageTime:
    """The current setting, for a coordinator of the scheme."""
    async with session.begin():
        await require(session, person_id, Permission.MANAGE_GALLERY, scheme_id)
        scheme = await gallery_repo.scheme(session, scheme_id)
        if scheme is None:
            raise NotFound("That scheme no longer exists.")
        return MessageTime(scheme.id, scheme.name, keep_hours(scheme))


async def set_message_time(
    session: AsyncSession, person_id: int, scheme_id: int, hours: int, now: datetime
) -> MessageTime:
    """Changes how long new gallery messages stay; recorded in the audit."""
    hours = check_hours(hours)
    async with session.begin():
        await require(session, person_id, Permission.MANAGE_GALLERY, scheme_id)
        scheme = await gallery_repo.scheme(session, scheme_id)
        if scheme is None:
            raise NotFound("That scheme no longer exists.")
        before = scheme.gallery_message_ttl_hours
        scheme.gallery_message_ttl_hours = hours
        await audit.record(
            session,
            actor_id=person_id,
            scheme_id=scheme_id,
            action="gallery.ttl_changed",
            object_type="scheme",
            object_id=scheme_id,
            details={"hours": hours, "was": before},
            at=now,
        )
        return MessageTime(scheme.id, scheme.name, hours)
