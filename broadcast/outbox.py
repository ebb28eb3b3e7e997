"""Queueing, cancelling and recalling alerts: every change is written before anything is sent.

An alert and one delivery per recipient are written in one transaction; the workers only ever
send what is already on disk, so a crash can delay a warning but never lose it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from broadcast.audience import Audience
from broadcast.planner import count_recipients, insert_deliveries
from broadcast.progress import DeliveryCounts
from broadcast.render import render_alert, text_limit
from core.enums import (
    AlertMessageType,
    AlertState,
    AlertStatus,
    Certainty,
    DeliveryState,
    Severity,
    Urgency,
)
from core.errors import InvalidInput, NotFound
from storage.models import Alert
from storage.repositories import alerts as alerts_repo
from storage.repositories import deliveries as deliveries_repo


@dataclass(frozen=True)
class AlertDraft:
    """Everything a coordinator decided about a warning, ready to queue."""

    headline: str
    description: str
    severity: Severity
    expires_at: datetime
    audience: Audience
    scheme_id: int | None = None
    created_by_id: int | None = None
    status: AlertStatus = AlertStatus.ACTUAL
    message_type: AlertMessageType = AlertMessageType.ALERT
    references_id: int | None = None
    urgency: Urgency = Urgency.UNKNOWN
    certainty: Certainty = Certainty.UNKNOWN
    instruction: str | None = None
    area_text: str | None = None
    photo_file_id: str | None = None
    paid: bool = False
    scheduled_for: datetime | None = None
    source_incident_id: int | None = None
    source_report_id: int | None = None


@dataclass(frozen=True)
class QueuedAlert:
    """An alert on its way: its id and how many copies it will send."""

    alert_id: int
    recipients: int
    scheduled: bool
    cancelled_alert_id: int | None = None


async def queue_alert(
    session: AsyncSession, draft: AlertDraft, *, now: datetime, tz: ZoneInfo
) -> QueuedAlert:
    """Writes the alert and one pending delivery per recipient, in one transaction."""
    _check(draft, now, tz)
    start_at = max(draft.scheduled_for or now, now)
    local_time = start_at.astimezone(tz).time().replace(tzinfo=None)
    async with session.begin():
        alert = Alert(
            scheme_id=draft.scheme_id,
            created_by_id=draft.created_by_id,
            status=draft.status,
            message_type=draft.message_type,
            references_id=draft.references_id,
            severity=draft.severity,
            urgency=draft.urgency,
            certainty=draft.certainty,
            headline=draft.headline.strip(),
            description=draft.description.strip(),
            instruction=draft.instruction,
            area_text=draft.area_text,
            photo_file_id=draft.photo_file_id,
            audience=draft.audience.to_json(),
            paid=draft.paid,
            state=AlertState.SCHEDULED if start_at > now else AlertState.QUEUED,
            expires_at=draft.expires_at,
            scheduled_for=draft.scheduled_for,
            source_incident_id=draft.source_incident_id,
            source_report_id=draft.source_report_id,
            created_at=now,
        )
        session.add(alert)
        await session.flush()
        planned = await insert_deliveries(
            session,
            alert_id=alert.id,
            audience=draft.audience,
            severity=draft.severity,
            local_time=local_time,
            first_attempt_at=start_at,
            now=now,
        )
        if planned == 0:
            raise InvalidInput(
                "Nobody in that audience can receive alerts yet, so nothing was sent."
            )
        if draft.paid:
            await _spend_budget(session, draft, planned, now)
        cancelled = None
        if draft.message_type == AlertMessageType.CANCEL and draft.references_id is not None:
            await _cancel(session, draft.references_id, now)
            cancelled = draft.references_id
    return QueuedAlert(
        alert_id=alert.id,
        recipients=planned,
        scheduled=start_at > now,
        cancelled_alert_id=cancelled,
    )


def _check(draft: AlertDraft, now: datetime, tz: ZoneInfo) -> None:
    if not draft.headline.strip() or not draft.description.strip():
        raise InvalidInput("An alert needs a headline and a description.")
    if draft.expires_at <= now:
        raise InvalidInput("That alert has already expired, so it was not sent.")
    if draft.scheduled_for is not None and draft.scheduled_for >= draft.expires_at:
        raise InvalidInput("That alert would expire before it is sent: choose a later expiry.")
    if draft.paid and draft.scheme_id is None:
        raise InvalidInput("Only a scheme's alerts can use paid broadcasting.")
    limit = text_limit(draft.photo_file_id is not None)
    length = len(render_alert(draft, tz))
    if length > limit:
        raise InvalidInput(
            f"That alert is {length - limit:,} characters too long for Telegram "
            f"({limit:,} at most{' under a photo' if draft.photo_file_id else ''}): "
            "shorten the description or instructions."
        )


async def _spend_budget(
    session: AsyncSession, draft: AlertDraft, planned: int, now: datetime
) -> None:
    assert draft.scheme_id is not None
    if not await alerts_repo.spend_paid_budget(session, draft.scheme_id, planned, now):
        left = await alerts_repo.paid_budget_left(session, draft.scheme_id)
        raise InvalidInput(
            f"Paid broadcasting would take {planned:,} messages and the scheme has "
            f"{left:,} left. Send it at the normal pace instead, or ask for a larger budget."
        )


async def preview_recipients(
    session: AsyncSession, audience: Audience, severity: Severity, *, now: datetime, tz: ZoneInfo
) -> int:
    """How many copies an alert to this audience would send right now."""
    local_time = now.astimezone(tz).time().replace(tzinfo=None)
    async with session.begin():
        return await count_recipients(session, audience, severity, local_time)


async def _cancel(session: AsyncSession, alert_id: int, now: datetime) -> int:
    await alerts_repo.cancel(session, alert_id, now)
    return await deliveries_repo.cancel_pending(session, alert_id, now=now)


async def cancel_alert(session: AsyncSession, alert_id: int, *, now: datetime) -> int:
    """Stops an alert's undelivered copies; returns how many were stopped here.

    Copies already handed to a worker are stopped by the worker within a few seconds.
    """
    async with session.begin():
        if await alerts_repo.get(session, alert_id) is None:
            raise NotFound("That alert no longer exists.")
        return await _cancel(session, alert_id, now)


async def recall_alert(session: AsyncSession, alert_id: int, *, now: datetime) -> int:
    """Stops undelivered copies and has the workers delete delivered ones younger than 48 h.

    Returns how many delivered copies will be deleted.
    """
    async with session.begin():
        if await alerts_repo.get(session, alert_id) is None:
            raise NotFound("That alert no longer exists.")
        await _cancel(session, alert_id, now)
        await alerts_repo.request_recall(session, alert_id, now)
        return await deliveries_repo.recallable_count(session, alert_id, now=now)


async def retry_failed(session: AsyncSession, alert_id: int, *, now: datetime) -> int:
    """Sends an alert's dead-lettered copies again, if the alert is still live."""
    async with session.begin():
        alert = await alerts_repo.get(session, alert_id)
        if alert is None:
            raise NotFound("That alert no longer exists.")
        if alert.state == AlertState.CANCELLED or alert.recall_requested_at is not None:
            raise InvalidInput("That alert was cancelled, so its copies are not sent again.")
        if alert.expires_at <= now:
            raise InvalidInput("That alert has expired, so its copies are not sent again.")
        retried = await deliveries_repo.retry_failed(session, alert_id, now=now)
        if retried and alert.state == AlertState.COMPLETED:
            alert.state = AlertState.SENDING
            alert.completed_at = None
        return retried


@dataclass(frozen=True)
class DeadLetter:
    """A copy that could not be delivered after every attempt, and why."""

    chat_id: int
    attempts: int
    last_error: str


async def dead_letters(session: AsyncSession, alert_id: int, limit: int = 50) -> list[DeadLetter]:
    """An alert's copies that failed for good (the coordinator can send them again)."""
    async with session.begin():
        failed = await deliveries_repo.failures(session, alert_id, limit)
        return [DeadLetter(row.chat_id, row.attempts, row.last_error or "failed") for row in failed]


async def delivery_counts(session: AsyncSession, alert_id: int) -> DeliveryCounts:
    """How many of an alert's copies are in each state (for the progress message)."""
    async with session.begin():
        counts: dict[DeliveryState, int] = await deliveries_repo.counts(session, alert_id)
    return DeliveryCounts.from_states(counts)


async def set_paid_budget(
    session: AsyncSession, scheme_id: int, messages: int, *, now: datetime
) -> None:
    """Sets how many paid-broadcast messages (0.1 Star each) a scheme may still send."""
    if messages < 0:
        raise InvalidInput("A budget cannot be negative.")
    async with session.begin():
        await alerts_repo.set_paid_budget(session, scheme_id, messages, now)
