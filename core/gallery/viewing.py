"""Members look through their scheme's gallery; every look is written to the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, deletions
from core.errors import InvalidInput, NotFound
from core.gallery import texts
from core.schemes.access import Permission, SchemeMember, allowed_memberships, require
from storage.models import Exclusion, Scheme, Subject
from storage.repositories import gallery as gallery_repo

PAGE_SIZE = 8
QUERY_LENGTH = (2, 80)
DELETION_REASON = "gallery"


@dataclass(frozen=True)
class EntryLine:
    """One entry in a list: its id and the words on its button."""

    subject_id: int
    text: str


@dataclass(frozen=True)
class EntryPage:
    """One page of a scheme's gallery, or of a search in it."""

    scheme_id: int
    scheme_name: str
    lines: list[EntryLine]
    total: int
    page: int
    pages: int
    query: str | None
    can_manage: bool
    keep_hours: int

    @property
    def text(self) -> str:
        """The heading above the entry buttons."""
        if self.query is not None:
            found = (
                f'{self.total} entr{"y" if self.total == 1 else "ies"} match "{self.query}"'
                if self.total
                else f'Nothing in the gallery matches "{self.query}".'
            )
            heading = f"{self.scheme_name} gallery search: {found}"
        elif self.total == 0:
            heading = (
                f"The {self.scheme_name} gallery is empty. Coordinators add people to it "
                'from an incident ("Add to gallery").'
            )
        else:
            heading = (
                f"{self.scheme_name} gallery: {self.total} "
                f"entr{'y' if self.total == 1 else 'ies'}, page {self.page + 1} of "
                f"{self.pages}. Tap one to open it."
            )
        return heading + "\n\n" + texts.deletion_note(self.keep_hours)


@dataclass(frozen=True)
class EntryView:
    """One entry in full, as a member of its scheme sees it."""

    subject_id: int
    scheme_id: int
    label: str
    text: str
    photo_file_ids: list[str]
    can_manage: bool
    excluded: bool
    keep_hours: int


def keep_hours(scheme: Scheme) -> int:
    """How many hours the scheme's gallery messages stay (never past Telegram's window)."""
    return int(deletions.keep_for(scheme.gallery_message_ttl_hours).total_seconds() // 3600)


def current_exclusions(subject: Subject, today: date) -> list[Exclusion]:
    """The entry's exclusions that have not ended, soonest end first."""
    return sorted(
        (e for e in subject.exclusions if e.ends_on >= today), key=lambda e: (e.ends_on, e.id)
    )


def _line(subject: Subject, incidents: int, today: date) -> EntryLine:
    parts = [subject.label, texts.status_label(subject.status)]
    exclusions = current_exclusions(subject, today)
    if exclusions:
        parts.append(f"excluded until {texts.day(exclusions[-1].ends_on)}")
    parts.append(f"{incidents} incident{'' if incidents == 1 else 's'}")
    return EntryLine(subject.id, " · ".join(parts))


async def gallery_schemes(session: AsyncSession, person_id: int) -> list[SchemeMember]:
    """The schemes whose gallery the person may see; NotAllowed, saying why, if none."""
    async with session.begin():
        return await allowed_memberships(session, person_id, Permission.VIEW_GALLERY)


async def gallery_scheme(session: AsyncSession, person_id: int, scheme_id: int) -> SchemeMember:
    """The person's membership of the scheme, if it lets them see the gallery."""
    async with session.begin():
        return await require(session, person_id, Permission.VIEW_GALLERY, scheme_id)


def check_query(text: str) -> str:
    """A search typed by a member: 2-80 characters."""
    query = " ".join(text.split())
    low, high = QUERY_LENGTH
    if not low <= len(query) <= high:
        raise InvalidInput(f"Please type {low} to {high} characters to search for.")
    return query


async def entry_page(
    session: AsyncSession,
    person_id: int,
    scheme_id: int,
    *,
    page: int,
    query: str | None,
    today: date,
    now: datetime,
) -> EntryPage:
    """A page of the scheme's entries (or of those matching `query`), recorded in the audit."""
    async with session.begin():
        member = await require(session, person_id, Permission.VIEW_GALLERY, scheme_id)
        scheme = await gallery_repo.scheme(session, scheme_id)
        if scheme is None:
            raise NotFound("That scheme no longer exists.")
        page = max(page, 0)
        rows, total = await gallery_repo.page(
            session, scheme_id, query=query, offset=page * PAGE_SIZE, limit=PAGE_SIZE
        )
        counts = await gallery_repo.incident_counts(session, [row.id for row in rows])
        await audit.record(
            session,
            actor_id=person_id,
            scheme_id=scheme_id,
            action="gallery.searched" if query is not None else "gallery.listed",
            details={"query": query, "results": total} if query is not None else {"page": page},
            at=now,
        )
        return EntryPage(
            scheme_id=scheme_id,
            scheme_name=scheme.name,
            lines=[_line(row, counts.get(row.id, 0), today) for row in rows],
            total=total,
            page=page,
            pages=max(1, -(-total // PAGE_SIZE)),
            query=query,
            can_manage=member.may(Permission.MANAGE_GALLERY),
            keep_hours=keep_hours(scheme),
        )


def entry_text(
    subject: Subject, scheme_name: str, references: Sequence[str], today: date, hours: int
) -> str:
    """An entry in full: who, what they look like, incidents and exclusion."""
    lines = [
        f"Gallery entry #{subject.id} · {scheme_name}",
        f"{subject.label} ({texts.status_label(subject.status)})",
        "",
        subject.description,
        "",
        "Linked incidents: " + (", ".join(references) if references else "none"),
    ]
    exclusions = current_exclusions(subject, today)
    if exclusions:
        lines += [
            f"Excluded from {texts.day(e.starts_on)} to {texts.day(e.ends_on)}" for e in exclusions
        ]
    else:
        lines.append("No exclusion in force.")
    lines += ["", texts.deletion_note(hours)]
    return "\n".join(lines)


async def open_entry(
    session: AsyncSession, person_id: int, subject_id: int, *, today: date, now: datetime
) -> EntryView:
    """An entry in full for a member of its scheme; the view is recorded in the audit."""
    async with session.begin():
        subject = await gallery_repo.subject(session, subject_id)
        if subject is None:
            raise NotFound(texts.NO_ENTRY)
        member = await require(session, person_id, Permission.VIEW_GALLERY, subject.scheme_id)
        scheme = await gallery_repo.scheme(session, subject.scheme_id)
        assert scheme is not None
        references = (await gallery_repo.linked_references(session, [subject.id])).get(
            subject.id, []
        )
        await audit.record(
            session,
            actor_id=person_id,
            scheme_id=subject.scheme_id,
            action="gallery.viewed",
            object_type="subject",
            object_id=subject.id,
            at=now,
        )
        hours = keep_hours(scheme)
        return EntryView(
            subject_id=subject.id,
            scheme_id=subject.scheme_id,
            label=subject.label,
            text=entry_text(subject, scheme.name, references, today, hours),
            photo_file_ids=[photo.file_id for photo in subject.photos],
            can_manage=member.may(Permission.MANAGE_GALLERY),
            excluded=bool(current_exclusions(subject, today)),
            keep_hours=hours,
        )


async def delete_later(
    session: AsyncSession,
    *,
    scheme_id: int,
    chat_id: int,
    message_ids: Sequence[int],
    sent_at: datetime,
) -> None:
    """Schedules gallery messages for deletion after the scheme's chosen time."""
    if not message_ids:
        return
    async with session.begin():
        scheme = await gallery_repo.scheme(session, scheme_id)
        hours = scheme.gallery_message_ttl_hours if scheme is not None else 24
        await deletions.schedule(
            session,
            chat_id=chat_id,
            message_ids=message_ids,
            scheme_id=scheme_id,
            reason=DELETION_REASON,
            sent_at=sent_at,
            keep=deletions.keep_for(hours),
        )
