"""Reminders to coordinators: exclusions about to end, entries due for their 6-month review."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core.gallery import texts
from core.gallery.months import months_before
from storage.repositories import gallery as gallery_repo
from storage.repositories import people as people_repo

REMIND_BEFORE = timedelta(days=14)
REVIEW_MONTHS = 6


@dataclass(frozen=True)
class Notice:
    """A message for a scheme's coordinators; review prompts carry Keep and Delete."""

    scheme_id: int
    chat_ids: list[int]
    text: str
    review_subject_id: int | None = None


def exclusion_ending_text(label: str, ends_on: date, subject_id: int) -> str:
    """The reminder that an exclusion is about to end."""
    return (
        f"Exclusion for {label} ends on {texts.day(ends_on)} (gallery entry #{subject_id}). "
        "Open the entry from /gallery if it needs a new exclusion."
    )


def review_text(label: str, subject_id: int) -> str:
    """The 6-monthly question whether an entry is still needed."""
    return (
        f"Review: is {label} still needed in the gallery? (entry #{subject_id})\n\n"
        "Keep it for another 6 months, or delete it now. Entries should stay only while "
        "they are necessary."
    )


async def exclusion_reminders(session: AsyncSession, *, today: date, now: datetime) -> list[Notice]:
    """One reminder per exclusion ending within 14 days, claimed so it is sent only once."""
    notices: list[Notice] = []
    async with session.begin():
        scheme_ids = [s.id for s in await gallery_repo.all_schemes(session)]
    for scheme_id in scheme_ids:
        async with session.begin():
            chat_ids = await people_repo.coordinator_chat_ids(session, scheme_id)
            if not chat_ids:
                continue
            ending = await gallery_repo.exclusions_ending(
                session, scheme_id, today, today + REMIND_BEFORE
            )
            for exclusion, label in ending:
                if await gallery_repo.claim_exclusion_reminder(session, exclusion.id, now):
                    notices.append(
                        Notice(
                            scheme_id,
                            chat_ids,
                            exclusion_ending_text(label, exclusion.ends_on, exclusion.subject_id),
                        )
                    )
    return notices


async def review_prompts(session: AsyncSession, *, now: datetime) -> list[Notice]:
    """A prompt for each entry created or last reviewed 6 months ago, claimed once."""
    cutoff = months_before(now, REVIEW_MONTHS)
    notices: list[Notice] = []
    async with session.begin():
        scheme_ids = [s.id for s in await gallery_repo.all_schemes(session)]
    for scheme_id in scheme_ids:
        async with session.begin():
            chat_ids = await people_repo.coordinator_chat_ids(session, scheme_id)
            if not chat_ids:
                continue
            for subject_id, label in await gallery_repo.due_for_review(session, scheme_id, cutoff):
                if await gallery_repo.claim_review(session, subject_id, cutoff, now):
                    notices.append(
                        Notice(scheme_id, chat_ids, review_text(label, subject_id), subject_id)
                    )
    return notices
