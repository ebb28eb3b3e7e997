"""Queueing, cancelling and recalling alerts: every change is written before anything is sent.

An alert and one delivery per recipient are written in one transaction; the workers only ever
send what is already on disk, so a crash can delay a warning but never lose it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

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
from storage.models import Alert, BroadcastBudget
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


# Runs inside the transaction that queues an alert (its audit entry, say).
AlsoInTransaction = Callable[[AsyncSession, "QueuedAlert"], Awaitable[None]]
# Kept in `alerts.audience` of a scheduled alert: how many it would have reached when scheduled.
EXPECTED = "expected_recipients"
# Kept in `alerts.audience` when a paid alert started at the normal pace (budget ran out).
PAID_REFUSED = "paid_refused_at_start"


def _local(moment: datetime, tz: ZoneInfo) -> time:
    return moment.astimezone(tz).time().replace(tzinfo=None)


async def queue_alert(
    session: AsyncSession,
    draft: AlertDraft,
    *,
    now: datetime,
    tz: ZoneInfo,
    also: AlsoInTransaction | None = None,
) -> QueuedAlert:
    """Writes the alert and one pending delivery per recipient, in one transaction.

    A scheduled alert is written alone: its recipients, their quiet hours and any paid budget
    are settled when it starts (`start_due`). `also` runs in the same transaction.
    """
    _check(draft, now, tz)
    scheduled = draft.scheduled_for is not None and draft.scheduled_for > now
    async with session.begin():
        audience = draft.audience.to_json()
        if scheduled:
            assert draft.scheduled_for is not None
            expected = await count_recipients(
                session, draft.audience, draft.severity, _local(draft.scheduled_for, tz)
            )
            audience[EXPECTED] = expected
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
            audience=audience,
            paid=draft.paid,
            state=AlertState.SCHEDULED if scheduled else AlertState.QUEUED,
            expires_at=draft.expires_at,
            scheduled_for=draft.scheduled_for,
            source_incident_id=draft.source_incident_id,
            source_report_id=draft.source_report_id,
            created_at=now,
        )
        session.add(alert)
        await session.flush()
        if scheduled:
            planned = expected
        else:
            planned = await insert_deliveries(
                session,
                alert_id=alert.id,
                audience=draft.audience,
                severity=draft.severity,
                local_time=_local(now, tz),
                first_attempt_at=now,
                now=now,
            )
        if planned == 0:
            raise InvalidInput(
                "Nobody in that audience can receive alerts yet, so nothing was sent."
            )
        if draft.paid and not scheduled:
            await _spend_budget(session, draft, planned, now)
        cancelled = None
        if draft.message_type == AlertMessageType.CANCEL and draft.references_id is not None:
            await _cancel(session, draft.references_id, now)
            cancelled = draft.references_id
        queued = QueuedAlert(
            alert_id=alert.id,
            recipients=planned,
            scheduled=scheduled,
            cancelled_alert_id=cancelled,
        )
        if also is not None:
            await also(session, queued)
    return queued


async def start_due(
    sessions: async_sessionmaker[AsyncSession], *, now: datetime, tz: ZoneInfo
) -> list[int]:
    """Starts scheduled alerts whose time has come: finds their recipients as they are now.

    Whoever subscribed meanwhile gets it, whoever left does not, and quiet hours are those of
    the moment it starts. Each alert is claimed by one process only.
    """
    async with sessions() as session, session.begin():
        due = list(
            (
                await session.execute(
                    select(Alert.id)
                    .where(Alert.state == AlertState.SCHEDULED, Alert.scheduled_for <= now)
                    .order_by(Alert.scheduled_for, Alert.id)
                )
            ).scalars()
        )
    started = []
    for alert_id in due:
        async with sessions() as session:
            if await _start(session, alert_id, now=now, tz=tz):
                started.append(alert_id)
    return started


async def _start(session: AsyncSession, alert_id: int, *, now: datetime, tz: ZoneInfo) -> bool:
    async with session.begin():
        claimed: CursorResult[tuple[()]] = await session.execute(  # type: ignore[assignment]
            update(Alert)
            .where(Alert.id == alert_id, Alert.state == AlertState.SCHEDULED)
            .values(state=AlertState.QUEUED)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            return False  # another process started it, or it was cancelled
        alert = await session.get(Alert, alert_id, populate_existing=True)
        assert alert is not None
        audience = Audience.from_json(alert.audience)
        planned = await insert_deliveries(
            session,
            alert_id=alert.id,
            audience=audience,
            severity=alert.severity,
            local_time=_local(now, tz),
            first_attempt_at=now,
            now=now,
        )
        paid_scheme = alert.scheme_id if alert.paid else None
        if paid_scheme is not None and not await alerts_repo.spend_paid_budget(
            session, paid_scheme, planned, now
        ):
            # Better at the normal pace than not at all.
            alert.paid = False
            alert.audience = {**alert.audience, PAID_REFUSED: planned}
        # Started now, even if nobody is left to send it to: the coordinator hears either way.
        alert.started_at = now
        if planned == 0:
            alert.state, alert.completed_at = AlertState.COMPLETED, now
    return True


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
    async with session.begin():
        return await count_recipients(session, audience, severity, _local(now, tz))


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


async def paid_budget(session: AsyncSession, scheme_id: int) -> int | None:
    """The paid-broadcast messages a scheme has left; None if it was never given a budget."""
    async with session.begin():
        left = await session.scalar(
            select(BroadcastBudget.paid_messages_left).where(BroadcastBudget.scheme_id == scheme_id)
        )
    return None if left is None else int(left)
