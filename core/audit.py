"""The audit log: who viewed, searched, exported or changed personal data, and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry, Person


@dataclass(frozen=True)
class AuditLine:
    """One audit entry as a coordinator reads it."""

    at: datetime
    actor: str
    action: str
    object_type: str | None
    object_id: int | None
    details: dict[str, Any]


async def record(
    session: AsyncSession,
    *,
    actor_id: int | None,
    scheme_id: int | None,
    action: str,
    object_type: str | None = None,
    object_id: int | None = None,
    details: dict[str, Any] | None = None,
    at: datetime,
) -> None:
    """Adds an entry in the caller's transaction, so it is kept exactly when the act is."""
    session.add(
        AuditEntry(
            actor_id=actor_id,
            scheme_id=scheme_id,
            action=action,
            object_type=object_type,
            object_id=object_id,
            details=details or {},
            created_at=at,
        )
    )


async def recent(
    session: AsyncSession, scheme_id: int, *, limit: int, offset: int = 0
) -> list[AuditLine]:
    """A scheme's audit entries, newest first (in the caller's transaction)."""
    result = await session.execute(
        select(AuditEntry, Person.full_name)
        .outerjoin(Person, Person.id == AuditEntry.actor_id)
        .where(AuditEntry.scheme_id == scheme_id)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [
        AuditLine(
            at=entry.created_at,
            actor=name or "(someone since erased)",
            action=entry.action,
            object_type=entry.object_type,
            object_id=entry.object_id,
            details=dict(entry.details),
        )
        for entry, name in result.all()
    ]


# How each action reads in the coordinators' log: "{id}" is the object's id, "{incident}" the
# incident's reference when recorded (else its id).
ACTION_WORDS: dict[str, str] = {
    "gallery.listed": "opened the gallery",
    "gallery.viewed": "viewed gallery entry #{id}",
    "gallery.searched": "searched the gallery",
    "gallery.exported": "exported the gallery",
    "gallery.entry_created": "added gallery entry #{id}",
    "gallery.entry_deleted": "deleted gallery entry #{id}",
    "gallery.entry_kept": "kept gallery entry #{id} after review",
    "gallery.entry_purged": "deleted gallery entry #{id} (retention period over)",
    "gallery.incident_linked": "linked an incident to gallery entry #{id}",
    "gallery.exclusion_added": "added an exclusion to gallery entry #{id}",
    "gallery.exclusion_ended": "ended the exclusion on gallery entry #{id}",
    "gallery.exclusion_expired": "removed an ended exclusion from gallery entry #{id}",
    "gallery.ttl_changed": "changed how long gallery messages stay",
    "incident.filed": "posted incident {incident}",
    "incident.viewed": "viewed incident {incident}",
    "incident.searched": "searched the incidents",
    "incident.sighting": "added a sighting to incident {incident}",
    "incident.resolved": "marked incident {incident} resolved",
    "incident.reopened": "reopened incident {incident}",
    "incident.escalated": "escalated incident {incident}",
    "alert.sent": "sent warning ALERT-{id}",
    "alert.scheduled": "scheduled warning ALERT-{id}",
    "budget.set": "set the paid-broadcast budget (the deployment's operator, shopwatch budget)",
    "incident.personal_data_purged": "deleted personal data from incident {incident} (retention)",
    "report.personal_data_purged": "deleted personal data from report #{id} (retention)",
    "data.exported": "got a copy of a person's data (subject access)",
    "person.erased": "erased a person's data on request",
    "member.applied": "asked to join the scheme",
    "member.approved": "approved a member",
    "member.rejected": "turned down a member",
    "member.suspend": "suspended a member",
    "member.reinstate": "reinstated a member",
    "member.remove": "removed a member",
    "member.role": "changed a member's role",
    "scheme.created": "created the scheme",
    "invite.created": "made an invite link",
    "invite.revoked": "revoked an invite link",
    "group.unapproved_join": "noticed Telegram user {id} join the group without approval",
    "group.removed_unapproved": "removed Telegram user {id} (not approved) from the group",
    "scheme.group_linked": "linked the scheme's Telegram group",
}
# Done by ShopWatch itself on a schedule, not by a person.
SYSTEM_ACTIONS = frozenset(
    {
        "gallery.entry_purged",
        "gallery.exclusion_expired",
        "incident.personal_data_purged",
        "report.personal_data_purged",
        "group.unapproved_join",
        "budget.set",
    }
)


def describe(line: AuditLine) -> str:
    """What was done, in words (an unknown action is shown as it is recorded)."""
    number = f"#{line.object_id}" if line.object_id is not None else ""
    words = ACTION_WORDS.get(line.action)
    if words is None:
        return f"{line.action} {number}".strip()
    if line.action == "gallery.ttl_changed" and "hours" in line.details:
        return f"set gallery messages to be deleted after {line.details['hours']} h"
    reference = line.details.get("reference")
    incident = str(reference) if isinstance(reference, str) and reference else number or "?"
    return words.replace("{id}", str(line.object_id)).replace("{incident}", incident)


def who(line: AuditLine) -> str:
    """Who did it: a person's name, or ShopWatch for scheduled deletions."""
    return "ShopWatch" if line.action in SYSTEM_ACTIONS else line.actor
