"""Coordinators moving reports through their statuses, and who hears about it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import ReportStatus
from core.errors import InvalidInput, NotAllowed, NotFound
from core.people import PersonContext
from core.reports.categories import STATUS_LABELS
from storage.models import Report, ReportEvent
from storage.repositories import people as people_repo
from storage.repositories import reports as reports_repo

MAX_NOTE = 1000


@dataclass(frozen=True)
class ReporterUpdate:
    """A status change to tell one reporter about."""

    chat_id: int
    reference: str
    status: ReportStatus
    note: str | None


@dataclass(frozen=True)
class StatusChanged:
    """What changed, and whom to tell."""

    references: list[str]
    status: ReportStatus
    updates: list[ReporterUpdate]


async def may_review(session: AsyncSession, person: PersonContext, report: Report) -> bool:
    """Coordinators of the report's scheme (any coordinator if it has none) and admins."""
    if person.is_admin:
        return True
    schemes = await people_repo.coordinated_scheme_ids(session, person.id)
    if not schemes:
        return False
    return report.scheme_id is None or report.scheme_id in schemes


def check_note(note: str | None) -> str | None:
    """A note to the reporter: trimmed, at most 1000 characters."""
    if note is None:
        return None
    note = note.strip()
    if not note:
        return None
    if len(note) > MAX_NOTE:
        raise InvalidInput(
            f"That note is {len(note)} characters; please keep it to {MAX_NOTE} or fewer."
        )
    return note


async def set_status(
    session: AsyncSession,
    *,
    person: PersonContext,
    report_id: int,
    expected: ReportStatus,
    status: ReportStatus,
    note: str | None,
    whole_cluster: bool,
    now: datetime,
) -> StatusChanged:
    """Sets the status (refusing if it changed since the coordinator looked) and records it."""
    note = check_note(note)
    async with session.begin():
        report = await reports_repo.get_for_update(session, report_id)
        if report is None:
            raise NotFound("That report no longer exists.")
        if not await may_review(session, person, report):
            raise NotAllowed("Only the scheme's coordinators can change a report's status.")
        if report.status != expected:
            raise InvalidInput(
                f"{report.reference} changed since you opened it: it is now "
                f"{STATUS_LABELS[report.status]}. Open it again to see the latest."
            )
        targets = [report]
        if whole_cluster:
            root = report.cluster_id or report.id
            targets = [
                other
                for other in await reports_repo.in_cluster(session, root)
                if (other.status == expected and await may_review(session, person, other))
                or other.id == report.id
            ]
        updates = []
        for target in targets:
            previous = target.status
            target.status = status
            target.updated_at = now
            notify = target.contact_allowed and target.reporter_id is not None
            session.add(
                ReportEvent(
                    report_id=target.id,
                    actor_id=person.id,
                    kind="status",
                    from_status=previous,
                    to_status=status,
                    note=note,
                    reporter_notified=notify,
                    created_at=now,
                )
            )
            if notify:
                assert target.reporter_id is not None
                chat_id = await people_repo.telegram_id(session, target.reporter_id)
                if chat_id is not None:
                    updates.append(ReporterUpdate(chat_id, target.reference, status, note))
        return StatusChanged([t.reference for t in targets], status, updates)
