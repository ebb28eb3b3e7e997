"""Exclusion notices: typed dates checked, then added to or ended on a gallery entry."""

from __future__ import annotations

import re
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.errors import InvalidInput, NotFound
from core.gallery import texts
from core.gallery.months import add_months
from core.gallery.viewing import current_exclusions
from core.schemes.access import Permission, require
from storage.models import Exclusion
from storage.repositories import gallery as gallery_repo

LONGEST_MONTHS = 24
EARLIEST_START_MONTHS = 12
_DAY = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*$")


def parse_day(text: str) -> date:
    """A date typed as dd/mm/yyyy."""
    found = _DAY.match(text)
    if found is None:
        raise InvalidInput("Please type the date as dd/mm/yyyy, for example 01/03/2027.")
    day, month, year = (int(part) for part in found.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise InvalidInput(
            f"There is no {day:02d}/{month:02d}/{year}. Please check the date."
        ) from None


def check_start(starts_on: date, today: date) -> date:
    """A start no more than a year back."""
    earliest = add_months(today, -EARLIEST_START_MONTHS)
    if starts_on < earliest:
        raise InvalidInput(
            f"The start can be at most a year ago (not before {texts.day(earliest)}). "
            "Please type the start date again."
        )
    return starts_on


def check_end(starts_on: date, ends_on: date, today: date) -> date:
    """An end after the start, not yet past, and at most 24 months after the start."""
    if ends_on <= starts_on:
        raise InvalidInput(
            f"The end must be after the start ({texts.day(starts_on)}). "
            "Please type the end date again."
        )
    if ends_on < today:
        raise InvalidInput(
            "That end date has already passed, so there is no exclusion to record. "
            "Please type the end date again."
        )
    latest = add_months(starts_on, LONGEST_MONTHS)
    if ends_on > latest:
        raise InvalidInput(
            f"An exclusion can last at most 24 months, so it must end by {texts.day(latest)}. "
            "Please type the end date again."
        )
    return ends_on


async def add_exclusion(
    session: AsyncSession,
    person_id: int,
    subject_id: int,
    *,
    starts_on: date,
    ends_on: date,
    today: date,
    now: datetime,
) -> str:
    """Records an exclusion on an entry (checked again); returns the entry's label."""
    check_start(starts_on, today)
    check_end(starts_on, ends_on, today)
    async with session.begin():
        subject = await gallery_repo.subject(session, subject_id)
        if subject is None:
            raise NotFound(texts.NO_ENTRY)
        await require(session, person_id, Permission.MANAGE_GALLERY, subject.scheme_id)
        if current_exclusions(subject, today):
            raise InvalidInput(
                f"{subject.label} already has an exclusion in force. End it first to record "
                "a new one."
            )
        session.add(
            Exclusion(
                subject_id=subject.id,
                starts_on=starts_on,
                ends_on=ends_on,
                created_by_id=person_id,
                created_at=now,
            )
        )
        await audit.record(
            session,
            actor_id=person_id,
            scheme_id=subject.scheme_id,
            action="gallery.exclusion_added",
            object_type="subject",
            object_id=subject.id,
            details={"starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat()},
            at=now,
        )
        return subject.label


async def end_exclusion(
    session: AsyncSession, person_id: int, subject_id: int, *, today: date, now: datetime
) -> str:
    """Ends an entry's exclusion by deleting it; returns the entry's label."""
    async with session.begin():
        subject = await gallery_repo.subject(session, subject_id)
        if subject is None:
            raise NotFound(texts.NO_ENTRY)
        await require(session, person_id, Permission.MANAGE_GALLERY, subject.scheme_id)
        ending = current_exclusions(subject, today)
        if not ending:
            raise InvalidInput(f"{subject.label} has no exclusion in force.")
        await gallery_repo.delete_exclusions(session, [e.id for e in ending])
        await audit.record(
            session,
            actor_id=person_id,
            scheme_id=subject.scheme_id,
            action="gallery.exclusion_ended",
            object_type="subject",
            object_id=subject.id,
            at=now,
        )
        return subject.label
