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
