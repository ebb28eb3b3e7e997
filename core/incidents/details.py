"""The full incident, for approved members of its scheme only, and the record that they saw it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, deletions
from core.enums import IncidentStatus
from core.errors import NotFound
from core.incidents.card import described_people, when_text, where_text
from core.incidents.draft import describe_person
from core.incidents.types import type_label
from core.schemes.access import Permission, require
from storage.models import Incident, Sighting
from storage.repositories import incident_views as views_repo


@dataclass(frozen=True)
class IncidentDetails:
    """An incident in full, as one member may see it, with what they may do next."""

    incident_id: int
    reference: str
    scheme_id: int
    status: IncidentStatus
    text: str
    photo_file_ids: list[str]
    may_manage: bool
    keep_hours: int


def _person_text(number: int, person: dict[str, Any]) -> str:
    details = {key: str(value) for key, value in person.items() if isinstance(value, str | int)}
    return f"Person {number}: {describe_person(details)}"


def _money(pence: int) -> str:
    return f"£{pence // 100:,}.{pence % 100:02d}"


def details_text(
    incident: Incident,
    *,
    reporter_business: str | None,
    sightings: list[Sighting],
    gallery: list[str],
    tz: ZoneInfo,
    for_coordinator: bool,
) -> str:
    """Everything members of the scheme may know about the incident."""
    resolved = incident.status == IncidentStatus.RESOLVED
    lines = [
        f"{incident.reference} · {type_label(incident.incident_type)}",
        "Status: "
        + (
            f"Resolved ({when_text(incident.resolved_at, tz)})"
            if resolved and incident.resolved_at
            else ("Resolved" if resolved else "Open")
        ),
        f"When: {when_text(incident.occurred_at, tz)}",
        "Where: "
        + (
            (incident.location_text or "Not given")
            if for_coordinator
            else where_text(incident, reporter_business)
        ),
    ]
    if reporter_business and (incident.show_business_name or for_coordinator):
        lines.append(
            f"Posted by {reporter_business}"
            + ("" if incident.show_business_name else " (only coordinators see this)")
        )
    if incident.personal_data_purged_at is not None:
        lines += ["", "The description and photos were removed under the retention rules."]
    else:
        lines += ["", "What happened:", incident.description]
        people = described_people(incident)
        if people:
            lines += ["", "People:"]
            lines += [_person_text(number, person) for number, person in enumerate(people, 1)]
    if incident.value_stolen_pence is not None:
        lines.append(f"Value: {_money(incident.value_stolen_pence)}")
    if incident.police_reference:
        lines.append(f"Police reference: {incident.police_reference}")
    if gallery:
        lines.append("Gallery entries: " + ", ".join(gallery))
    lines.append("")
    if sightings:
        lines.append(f"Seen too by {len(sightings)}:")
        lines += [
            f"- {when_text(sighting.seen_at, tz)}: {sighting.business_name or 'a member business'}"
            for sighting in sightings
        ]
    else:
        lines.append("No other business has said they've seen them yet.")
    if incident.photos:
        lines.append(f"Photos: {len(incident.photos)} (below)")
    return "\n".join(lines)


async def open_details(
    session: AsyncSession, *, person_id: int, incident_id: int, tz: ZoneInfo
) -> IncidentDetails:
    """The incident in full, if the person may view its scheme's incidents."""
    async with session.begin():
        incident = await views_repo.get(session, incident_id)
        if incident is None:
            raise NotFound("That incident no longer exists.")
        member = await require(session, person_id, Permission.VIEW_INCIDENTS, incident.scheme_id)
        scheme = await views_repo.scheme(session, incident.scheme_id)
        business = await views_repo.business_of(session, incident.membership_id)
        seen = await views_repo.sightings(session, incident.id)
        gallery = await views_repo.gallery_labels(session, incident.id)
    may_manage = member.may(Permission.MANAGE_INCIDENTS)
    purged = incident.personal_data_purged_at is not None
    return IncidentDetails(
        incident_id=incident.id,
        reference=incident.reference,
        scheme_id=incident.scheme_id,
        status=incident.status,
        text=details_text(
            incident,
            reporter_business=business,
            sightings=seen,
            gallery=gallery,
            tz=tz,
            for_coordinator=may_manage,
        ),
        photo_file_ids=(
            [photo.file_id for photo in incident.photos]
            if not purged and (scheme is None or scheme.photos_allowed)
            else []
        ),
        may_manage=may_manage,
        keep_hours=scheme.gallery_message_ttl_hours if scheme else 24,
    )


async def record_viewed(
    session: AsyncSession,
    *,
    person_id: int,
    shown: IncidentDetails,
    chat_id: int,
    message_ids: Iterable[int],
    now: datetime,
    via: str,
) -> None:
    """Audits the view and schedules the private messages for deletion."""
    async with session.begin():
        await audit.record(
            session,
            actor_id=person_id,
            scheme_id=shown.scheme_id,
            action="incident.viewed",
            object_type="incident",
            object_id=shown.incident_id,
            details={"reference": shown.reference, "via": via},
            at=now,
        )
        await deletions.schedule(
            session,
            chat_id=chat_id,
            message_ids=message_ids,
            scheme_id=shown.scheme_id,
            reason="incident_details",
            sent_at=now,
            keep=deletions.keep_for(shown.keep_hours),
        )
