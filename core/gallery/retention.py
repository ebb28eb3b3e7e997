"""Retention: gallery entries, exclusions and incidents' personal data are deleted on time."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.gallery.months import months_before
from storage.repositories import gallery as gallery_repo

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Purged:
    """What one retention run deleted."""

    entries: int = 0
    exclusions: int = 0
    incidents: int = 0

    def summary(self) -> str:
        """One line for the job log."""
        return (
            f"purged {self.entries} gallery entries, {self.exclusions} ended exclusions, "
            f"personal data of {self.incidents} incidents"
        )


def newest_activity(
    last_incident_at: datetime | None, created_at: datetime, newest_linked: datetime | None
) -> datetime:
    """When the entry was last relevant: its newest linked incident, else its creation."""
    known = [moment for moment in (last_incident_at, newest_linked) if moment is not None]
    return max(known) if known else created_at


async def purge_expired(session: AsyncSession, *, now: datetime, today: date) -> Purged:
    """Deletes what each scheme's retention period no longer allows to be kept."""
    entries = exclusions = incidents = 0
    async with session.begin():
        schemes = [(s.id, s.retention_months) for s in await gallery_repo.all_schemes(session)]
    for scheme_id, months in schemes:
        cutoff = months_before(now, months)
        async with session.begin():
            exclusions += await _expired_exclusions(session, scheme_id, today, now)
        async with session.begin():
            entries += await _stale_entries(session, scheme_id, cutoff, now)
        async with session.begin():
            incidents += await _old_incidents(session, scheme_id, cutoff, now)
    purged = Purged(entries, exclusions, incidents)
    logger.info("retention: %s", purged.summary())
    return purged


async def _expired_exclusions(
    session: AsyncSession, scheme_id: int, today: date, now: datetime
) -> int:
    expired = await gallery_repo.expired_exclusions(session, scheme_id, today)
    await gallery_repo.delete_exclusions(session, [exclusion_id for exclusion_id, _ in expired])
    for _exclusion_id, subject_id in expired:
        await audit.record(
            session,
            actor_id=None,
            scheme_id=scheme_id,
            action="gallery.exclusion_expired",
            object_type="subject",
            object_id=subject_id,
            at=now,
        )
    return len(expired)


async def _stale_entries(
    session: AsyncSession, scheme_id: int, cutoff: datetime, now: datetime
) -> int:
    purged = 0
    for subject_id, last, created, newest in await gallery_repo.entry_activity(session, scheme_id):
        if newest_activity(last, created, newest) >= cutoff:
            continue
        await gallery_repo.delete_subject(session, subject_id)
        # Only the id: the audit log must not keep what retention deleted.
        await audit.record(
            session,
            actor_id=None,
            scheme_id=scheme_id,
            action="gallery.entry_purged",
            object_type="subject",
            object_id=subject_id,
            at=now,
        )
        purged += 1
    return purged


async def _old_incidents(
    session: AsyncSession, scheme_id: int, cutoff: datetime, now: datetime
) -> int:
    incident_ids = await gallery_repo.incidents_to_purge(session, scheme_id, cutoff)
    for incident_id in incident_ids:
        await gallery_repo.purge_incident(session, incident_id, now)
        await audit.record(
            session,
            actor_id=None,
            scheme_id=scheme_id,
            action="incident.personal_data_purged",
            object_type="incident",
            object_id=incident_id,
            at=now,
        )
    return len(incident_ids)
