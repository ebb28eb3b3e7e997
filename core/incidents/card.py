"""The incident card in the scheme's group: enough to recognise it, nothing that names anyone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import IncidentStatus
from core.errors import NotFound
from core.incidents.types import type_label
from storage.models import Incident
from storage.repositories import incident_views as views_repo

AT_A_MEMBER_BUSINESS = "At a member business"
NO_GROUP = (
    "Your scheme's group isn't linked yet, so the incident wasn't posted there. It is saved; "
    "ask your coordinator to link the group."
)


def when_text(moment: datetime, tz: ZoneInfo) -> str:
    """A moment in local time, e.g. "Sun 22 Nov 2026, 14:05"."""
    return moment.astimezone(tz).strftime("%a %d %b %Y, %H:%M")


def clock_text(moment: datetime, tz: ZoneInfo) -> str:
    """Just the local time of day, e.g. "14:05"."""
    return moment.astimezone(tz).strftime("%H:%M")


def described_people(incident: Incident) -> list[dict[str, Any]]:
    """The people the reporter described, as stored by the filing conversation."""
    stored = incident.people_description or {}
    people = stored.get("people", []) if isinstance(stored, dict) else []
    return [person for person in people if isinstance(person, dict)]


def where_text(incident: Incident, reporter_business: str | None) -> str:
    """Where it happened, without giving away a reporter who chose to stay unnamed."""
    where = (incident.location_text or "").strip()
    if not where:
        return "Not given"
    if (
        not incident.show_business_name
        and reporter_business
        and where.casefold() == reporter_business.strip().casefold()
    ):
        return AT_A_MEMBER_BUSINESS
    return where


def seen_by_text(count: int) -> str:
    """The sightings counter."""
    if count == 0:
        return "Seen by no other businesses yet"
    return f"Seen by {count} other business" + ("" if count == 1 else "es")


@dataclass(frozen=True)
class CardView:
    """The card as it should look now, and where it is (or should go)."""

    incident_id: int
    reference: str
    scheme_id: int
    scheme_group_id: int | None
    posted_chat_id: int | None
    posted_message_id: int | None
    text: str


def card_text(
    incident: Incident, *, reporter_business: str | None, sightings: int, tz: ZoneInfo
) -> str:
    """The card's words: reference, type, time, place, counts, sightings, status."""
    people = len(described_people(incident))
    photos = len(incident.photos)
    resolved = incident.status == IncidentStatus.RESOLVED
    lines = [
        f"{'✅ RESOLVED · ' if resolved else '⚠️ '}{incident.reference} · "
        f"{type_label(incident.incident_type)}",
        f"When: {when_text(incident.occurred_at, tz)}",
        f"Where: {where_text(incident, reporter_business)}",
        f"People described: {people} · Photos: {photos}",
    ]
    if incident.show_business_name and reporter_business:
        lines.append(f"Posted by {reporter_business}")
    lines.append(seen_by_text(sightings))
    if resolved:
        lines.append("Status: Resolved")
    lines.append("")
    lines.append("Press Details to get the full incident in a private chat with me.")
    return "\n".join(lines)


async def load_card(session: AsyncSession, incident_id: int, tz: ZoneInfo) -> CardView:
    """The card for an incident as it stands now."""
    async with session.begin():
        incident = await views_repo.get(session, incident_id)
        if incident is None:
            raise NotFound("That incident no longer exists.")
        scheme = await views_repo.scheme(session, incident.scheme_id)
        business = await views_repo.business_of(session, incident.membership_id)
        count = await views_repo.sighting_count(session, incident.id)
    return CardView(
        incident_id=incident.id,
        reference=incident.reference,
        scheme_id=incident.scheme_id,
        scheme_group_id=scheme.telegram_group_id if scheme else None,
        posted_chat_id=incident.group_chat_id,
        posted_message_id=incident.group_message_id,
        text=card_text(incident, reporter_business=business, sightings=count, tz=tz),
    )


async def record_posted(
    session: AsyncSession, incident_id: int, chat_id: int, message_id: int
) -> None:
    """Remembers where the card was posted, so it can be edited later."""
    async with session.begin():
        incident = await views_repo.get_for_update(session, incident_id)
        if incident is None:
            raise NotFound("That incident no longer exists.")
        incident.group_chat_id = chat_id
        incident.group_message_id = message_id
