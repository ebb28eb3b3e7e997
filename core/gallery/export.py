"""Coordinators export the gallery as a spreadsheet (no photos) for partnership meetings."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.errors import NotFound
from core.gallery import texts
from core.gallery.viewing import current_exclusions, keep_hours
from core.schemes.access import Permission, require
from storage.repositories import gallery as gallery_repo

COLUMNS = ("id", "status", "label", "description", "linked incidents", "exclusion")


@dataclass(frozen=True)
class Export:
    """A CSV file of a scheme's gallery."""

    scheme_id: int
    scheme_name: str
    file_name: str
    content: bytes
    entries: int
    keep_hours: int


def _cell(value: str) -> str:
    """Text a spreadsheet shows as text, never runs as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "scheme"


async def export_gallery(
    session: AsyncSession, person_id: int, scheme_id: int, *, today: date, now: datetime
) -> Export:
    """Every entry of the scheme as CSV; recorded in the audit."""
    async with session.begin():
        await require(session, person_id, Permission.MANAGE_GALLERY, scheme_id)
        scheme = await gallery_repo.scheme(session, scheme_id)
        if scheme is None:
            raise NotFound("That scheme no longer exists.")
        subjects = await gallery_repo.all_of_scheme(session, scheme_id)
        references = await gallery_repo.linked_references(session, [s.id for s in subjects])
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(COLUMNS)
        for subject in subjects:
            exclusions = current_exclusions(subject, today)
            writer.writerow(
                (
                    subject.id,
                    texts.status_label(subject.status),
                    _cell(subject.label),
                    _cell(subject.description),
                    " ".join(references.get(subject.id, [])),
                    "; ".join(
                        f"{texts.day(e.starts_on)} to {texts.day(e.ends_on)}" for e in exclusions
                    ),
                )
            )
        await audit.record(
            session,
            actor_id=person_id,
            scheme_id=scheme_id,
            action="gallery.exported",
            object_type="scheme",
            object_id=scheme_id,
            details={"entries": len(subjects)},
            at=now,
        )
        return Export(
            scheme_id=scheme_id,
            scheme_name=scheme.name,
            file_name=f"gallery-{_slug(scheme.name)}-{today.isoformat()}.csv",
            content=buffer.getvalue().encode("utf-8-sig"),
            entries=len(subjects),
            keep_hours=keep_hours(scheme),
        )
