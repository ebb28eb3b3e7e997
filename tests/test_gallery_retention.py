"""Retention deletes gallery data on time, and coordinators are reminded to review it."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, func, select

from core.gallery.months import months_before
from handlers.gallery.callbacks import ReviewCallback
from storage.models import (
    Base,
    Exclusion,
    Incident,
    IncidentPhoto,
    IncidentSubject,
    JobRun,
    Subject,
    SubjectPhoto,
)
from tests.support import factories
from tests.support import gallery_steps as steps
from tests.support.town import Town

SUSPECT = {"clothing": "Grey hoodie", "build": "Slim"}
DAY = timedelta(days=1)


def local_today(town: Town) -> date:
    return town.live.clock.now().astimezone(town.live.settings.tz).date()


async def linked_entry(town: Town, occurred_at: datetime, label: str) -> tuple[int, int]:
    """An incident with people and photos, and an entry linked to it: (incident, entry)."""
    async with town.database.sessions() as session:
        filed = await factories.incident(
            session, scheme_id=town.scheme_id, occurred_at=occurred_at, people=[SUSPECT], photos=2
        )
        entry = await factories.subject(
            session,
            scheme_id=town.scheme_id,
            label=label,
            incident_ids=[filed.id],
            last_incident_at=occurred_at,
            photos=2,
        )
    return filed.id, entry.id


async def rows(town: Town, model: type[Base], *where: ColumnElement[bool]) -> int:
    async with town.database.sessions() as session:
        query = select(func.count()).select_from(model).where(*where)
        return int((await session.execute(query)).scalar_one())


async def test_entries_and_incident_data_are_purged_a_day_after_the_retention_period(
    town: Town,
) -> None:
    live = town.live
    cutoff = months_before(live.clock.now(), 12)
    recent_incident, kept = await linked_entry(town, cutoff + DAY, "Kept for now")
    old_incident, purged = await linked_entry(town, cutoff - DAY, "Past retention")
    async with town.database.sessions() as session:
        await factories.exclusion(
            session, subject_id=purged, starts_on=local_today(town), ends_on=local_today(town)
        )
        newer = await factories.incident(
            session, scheme_id=town.scheme_id, occurred_at=cutoff + DAY
        )
        rescued = await factories.subject(
            session,
            scheme_id=town.scheme_id,
            label="Seen again lately",
            incident_ids=[old_incident, newer.id],
            last_incident_at=cutoff - DAY,
        )

        for incident_id in (old_incident, recent_incident):
            (await session.get_one(Incident, incident_id)).submission_key = f"4242:{incident_id}"
        await session.commit()

    # Two processes' schedulers firing at once: the day's run happens once.
    await asyncio.gather(
        live.process.run_job_now("gallery_retention"),
        live.process.run_job_now("gallery_retention"),
    )

    assert await steps.entry_exists(town.database, kept)
    assert await steps.entry_exists(town.database, rescued.id)
    assert not await steps.entry_exists(town.database, purged)
    assert await rows(town, SubjectPhoto, SubjectPhoto.subject_id == purged) == 0
    assert await rows(town, Exclusion, Exclusion.subject_id == purged) == 0
    assert await rows(town, IncidentSubject, IncidentSubject.subject_id == purged) == 0
    assert await rows(town, SubjectPhoto, SubjectPhoto.subject_id == kept) == 2
    async with town.database.sessions() as session:
        old = await session.get(Incident, old_incident)
        recent = await session.get(Incident, recent_incident)
    assert old is not None and recent is not None
    assert old.people_description == {"people": []} and old.personal_data_purged_at is not None
    # "What happened" is free text that can name or describe people: it goes too.
    assert old.reference.startswith("INC-") and old.description == ""
    assert recent.people_description == {"people": [SUSPECT]}
    assert recent.personal_data_purged_at is None
    # The submission key carries the trader's Telegram id.
    assert old.submission_key is None and recent.submission_key is not None
    assert await rows(town, IncidentPhoto, IncidentPhoto.incident_id == old_incident) == 0
    assert await rows(town, IncidentPhoto, IncidentPhoto.incident_id == recent_incident) == 2

    trail = await steps.audit_trail(town.database, town.scheme_id)
    assert ("gallery.entry_purged", None, purged) in trail
    assert ("incident.personal_data_purged", None, old_incident) in trail
    assert len(trail) == 2
    assert await steps.audit_details(town.database, "gallery.entry_purged") == [{}]
    assert await rows(town, JobRun, JobRun.job == "gallery_retention") == 1


async def test_exclusions_are_deleted_the_day_after_they_end(town: Town) -> None:
    live = town.live
    entry_id = await steps.entry(town)
    today = local_today(town)
    async with town.database.sessions() as session:
        ended = await factories.exclusion(
            session, subject_id=entry_id, starts_on=today - 30 * DAY, ends_on=today - DAY
        )
        ends_today = await factories.exclusion(
            session, subject_id=entry_id, starts_on=today - 30 * DAY, ends_on=today
        )

    await live.process.run_job_now("gallery_retention")

    assert await rows(town, Exclusion, Exclusion.id == ended.id) == 0
    assert await rows(town, Exclusion, Exclusion.id == ends_today.id) == 1
    assert await steps.entry_exists(town.database, entry_id)
    assert ("gallery.exclusion_expired", None, entry_id) in await steps.audit_trail(
        town.database, town.scheme_id
    )

    await live.advance(DAY)
    await live.process.run_job_now("gallery_retention")
    assert await rows(town, Exclusion) == 0


async def test_coordinators_are_reminded_once_when_an_exclusion_has_14_days_left(
    town: Town,
) -> None:
    live, cora, olga = town.live, town.coordinator, town.other_coordinator
    await cora.says("/help")
    await olga.says("/help")
    entry_id = await steps.entry(town, label="Alan Smithee")
    ends_on = local_today(town) + timedelta(days=15)
    async with town.database.sessions() as session:
        await factories.exclusion(
            session, subject_id=entry_id, starts_on=local_today(town), ends_on=ends_on
        )

    await live.process.run_job_now("gallery_reminders")
    await live.sandbox.assert_no_message(cora.id)

    await live.advance(DAY)
    await asyncio.gather(
        live.process.run_job_now("gallery_reminders"),
        live.process.run_job_now("gallery_reminders"),
    )
    reminder = await cora.next_reply()
    assert reminder.body.startswith(
        f"Exclusion for Alan Smithee ends on {ends_on:%d/%m/%Y} (gallery entry #{entry_id})."
    )
    assert reminder.protect_content
    await steps.deletions_recorded(live, town.database, cora.id, 1)

    await live.advance(DAY)
    await live.process.run_job_now("gallery_reminders")
    await live.sandbox.assert_no_message(cora.id)
    await live.sandbox.assert_no_message(olga.id)


async def test_entries_come_up_for_review_every_six_months(town: Town) -> None:
    live, cora = town.live, town.coordinator
    await cora.says("/help")
    now = live.clock.now()
    due = await steps.entry(town, label="Due for review", created_at=months_before(now, 6) - DAY)
    later = await steps.entry(town, label="Not yet", created_at=months_before(now, 6) + DAY)

    await live.process.run_job_now("gallery_reminders")
    prompt = await cora.next_reply()
    assert prompt.body.startswith(
        f"Review: is Due for review still needed in the gallery? (entry #{due})"
    )
    assert prompt.buttons == [["Keep", "Delete"]] and prompt.protect_content
    await live.sandbox.assert_no_message(cora.id)

    tom = town.trader
    forged = await steps.presses_forged(
        tom, ReviewCallback(entry=due, keep=False), await tom.says("/help")
    )
    assert "(trader) doesn't include this" in forged["text"]
    kept = await cora.presses("Keep", on=prompt)
    assert kept.body == f"Gallery entry #{due} is kept. I'll ask again in 6 months."

    await live.advance(2 * DAY)
    await live.process.run_job_now("gallery_reminders")
    second = await cora.next_reply()
    assert second.body.startswith("Review: is Not yet still needed in the gallery?")
    deleted = await cora.presses("Delete", on=second)
    assert deleted.body == f"Gallery entry #{later} is deleted, with its photos and exclusions."
    assert not await steps.entry_exists(town.database, later)
    await live.sandbox.assert_no_message(cora.id)

    await live.advance(timedelta(days=182))
    await live.process.run_job_now("gallery_reminders")
    again = await cora.next_reply()
    assert again.body.startswith("Review: is Due for review still needed in the gallery?")
    trail = await steps.audit_trail(town.database, town.scheme_id)
    assert ("gallery.entry_kept", "Cora", due) in trail
    assert ("gallery.entry_deleted", "Cora", later) in trail
    assert await rows(town, Subject) == 1
