"""Subject access: a copy of everything held about a person, for them or for a coordinator."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.datarights import texts
from core.datarights.collect import Document, counts, gather, holds_anything
from core.errors import NotFound
from storage.models import Person

NO_SUCH_PERSON = (
    "No one with that Telegram id has used ShopWatch (or their data has been erased), "
    "so nothing is held about them."
)


@dataclass(frozen=True)
class SubjectAccess:
    """A person's copy of their data: the JSON file and the message that comes with it."""

    person_id: int
    file_name: str
    content: bytes
    caption: str
    document: Document
    empty: bool


async def _by_telegram_id(session: AsyncSession, telegram_user_id: int) -> Person | None:
    return (
        await session.execute(select(Person).where(Person.telegram_user_id == telegram_user_id))
    ).scalar_one_or_none()


async def subject_access(
    session: AsyncSession,
    *,
    telegram_user_id: int,
    now: datetime,
    tz: ZoneInfo,
    via: str,
    only_if_held: bool = False,
) -> SubjectAccess:
    """Everything held about the person, audited; with `only_if_held`, no copy of a bare profile."""
    async with session.begin():
        person = await _by_telegram_id(session, telegram_user_id)
        if person is None:
            raise NotFound(NO_SUCH_PERSON)
        document = await gather(session, person, now=now)
        empty = not holds_anything(document)
        if not (empty and only_if_held):
            # Who and how only: the audit log keeps no copy of what was exported.
            await audit.record(
                session,
                actor_id=person.id if via == "telegram" else None,
                scheme_id=None,
                action="data.exported",
                object_type="person",
                object_id=person.id,
                details={"via": via},
                at=now,
            )
    generated = now.astimezone(tz)
    return SubjectAccess(
        person_id=person.id,
        file_name=f"shopwatch-data-{generated:%Y-%m-%d}.json",
        content=json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8"),
        caption=texts.copy_caption(counts(document), f"{generated:%d %b %Y, %H:%M}"),
        document=document,
        empty=empty,
    )
