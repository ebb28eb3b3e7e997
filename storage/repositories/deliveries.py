"""The deliveries outbox: claiming rows to send, recording outcomes, leases and recalls."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, bindparam, func, or_, select, text, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import AlertState, DeliveryState
from storage.models import Alert, Delivery, Subscription
from storage.types import UTCDateTime

# Alerts whose undelivered copies may still go out.
LIVE_ALERT_STATES = (AlertState.SCHEDULED, AlertState.QUEUED, AlertState.SENDING)
DELETE_WINDOW = timedelta(hours=48)

DELIVERIES: Table = Delivery.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class ClaimedDelivery:
    """A delivery this worker has taken on: it is `sending` and leased to the worker."""

    id: int
    alert_id: int
    chat_id: int
    person_id: int | None
    is_group: bool
    silent: bool
    attempts: int


@dataclass(frozen=True)
class Resolution:
    """Where a claimed delivery ends up after one attempt (or none)."""

    delivery_id: int
    state: DeliveryState
    attempts: int
    telegram_message_id: int | None = None
    last_error: str | None = None
    sent_at: datetime | None = None
    next_attempt_at: datetime | None = None
    person_id: int | None = None


@dataclass(frozen=True)
class RecallTarget:
    """A delivered copy to delete."""

    id: int
    chat_id: int
    telegram_message_id: int
    recall_attempts: int


@dataclass(frozen=True)
class RecallResolution:
    """Where a recall attempt left one copy."""

    delivery_id: int
    recalled: bool
    recall_attempts: int
    last_error: str | None = None
    recalled_at: datetime | None = None


def _is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _claimed(session: AsyncSession, candidates: Select[int]) -> ColumnElement[bool]:
    """`deliveries.id` is one of the candidates, each taken once.

    On PostgreSQL the candidates are locked with SKIP LOCKED in a materialised CTE: as an
    `IN (subquery)` the planner may run the LIMITed subquery again for each updated row,
    claiming far more than the limit.
    """
    if _is_postgres(session):
        locked = candidates.with_for_update(of=Delivery, skip_locked=True)
        chosen = locked.cte("claimable").prefix_with("MATERIALIZED")
        return DELIVERIES.c.id == chosen.c.id
    return DELIVERIES.c.id.in_(candidates)


async def claim(
    session: AsyncSession, *, worker: str, now: datetime, limit: int
) -> list[ClaimedDelivery]:
    """Takes up to `limit` due deliveries of live alerts; rows other workers hold are skipped."""
    candidates = (
        select(Delivery.id)
        .join(Alert, Alert.id == Delivery.alert_id)
        .where(
            Delivery.state == DeliveryState.PENDING,
            Delivery.next_attempt_at <= now,
            Alert.state.in_(LIVE_ALERT_STATES),
            Alert.expires_at > now,
            Alert.recall_requested_at.is_(None),
        )
        .order_by(Delivery.next_attempt_at)
        .limit(limit)
    )
    statement = (
        update(DELIVERIES)
        .where(_claimed(session, candidates), DELIVERIES.c.state == DeliveryState.PENDING)
        .values(state=DeliveryState.SENDING, claimed_by=worker, claimed_at=now, updated_at=now)
        .returning(
            DELIVERIES.c.id,
            DELIVERIES.c.alert_id,
            DELIVERIES.c.chat_id,
            DELIVERIES.c.person_id,
            DELIVERIES.c.is_group,
            DELIVERIES.c.silent,
            DELIVERIES.c.attempts,
        )
    )
    rows = (await session.execute(statement)).all()
    return [
        ClaimedDelivery(
            id=row.id,
            alert_id=row.alert_id,
            chat_id=row.chat_id,
            person_id=row.person_id,
            is_group=bool(row.is_group),
            silent=bool(row.silent),
            attempts=row.attempts,
        )
        for row in rows
    ]


_RESOLVE = (
    update(DELIVERIES)
    .where(DELIVERIES.c.id == bindparam("b_id"))
    .values(
        state=bindparam("b_state", type_=DELIVERIES.c.state.type),
        attempts=bindparam("b_attempts"),
        telegram_message_id=bindparam("b_message_id"),
        last_error=bindparam("b_error"),
        sent_at=bindparam("b_sent_at", type_=UTCDateTime()),
        next_attempt_at=bindparam("b_next_attempt_at", type_=UTCDateTime()),
        claimed_by=None,
        claimed_at=None,
        updated_at=bindparam("b_now", type_=UTCDateTime()),
    )
)


# PostgreSQL takes a whole batch of outcomes as arrays, in one statement.
_RESOLVE_POSTGRES = text(
    """
    UPDATE deliveries AS d SET
        state = v.state, attempts = v.attempts, telegram_message_id = v.message_id,
        last_error = v.error, sent_at = v.sent_at, next_attempt_at = v.next_attempt_at,
        claimed_by = NULL, claimed_at = NULL, updated_at = :now
    FROM unnest(
        CAST(:ids AS bigint[]), CAST(:states AS varchar[]), CAST(:attempts AS integer[]),
        CAST(:message_ids AS bigint[]), CAST(:errors AS varchar[]),
        CAST(:sent_ats AS timestamptz[]), CAST(:next_attempt_ats AS timestamptz[])
    ) AS v(id, state, attempts, message_id, error, sent_at, next_attempt_at)
    WHERE d.id = v.id
    """
)


async def resolve(session: AsyncSession, resolutions: Sequence[Resolution], now: datetime) -> None:
    """Records each attempt's outcome; people who blocked the bot stop being subscribed."""
    if not resolutions:
        return
    if _is_postgres(session):
        await session.execute(
            _RESOLVE_POSTGRES,
            {
                "ids": [item.delivery_id for item in resolutions],
                "states": [item.state.value for item in resolutions],
                "attempts": [item.attempts for item in resolutions],
                "message_ids": [item.telegram_message_id for item in resolutions],
                "errors": [_error(item.last_error) for item in resolutions],
                "sent_ats": [item.sent_at for item in resolutions],
                "next_attempt_ats": [item.next_attempt_at for item in resolutions],
                "now": now,
            },
        )
        await _unsubscribe_unreachable(session, resolutions)
        return
    params: list[dict[str, Any]] = [
        {
            "b_id": item.delivery_id,
            "b_state": item.state,
            "b_attempts": item.attempts,
            "b_message_id": item.telegram_message_id,
            "b_error": _error(item.last_error),
            "b_sent_at": item.sent_at,
            "b_next_attempt_at": item.next_attempt_at,
            "b_now": now,
        }
        for item in resolutions
    ]
    connection = await session.connection()
    await connection.execute(_RESOLVE, params)
    await _unsubscribe_unreachable(session, resolutions)


def _error(text: str | None) -> str | None:
    return text[:512] if text else None


async def _unsubscribe_unreachable(
    session: AsyncSession, resolutions: Sequence[Resolution]
) -> None:
    unreachable = {
        item.person_id
        for item in resolutions
        if item.state == DeliveryState.BLOCKED and item.person_id is not None
    }
    if unreachable:
        await session.execute(
            update(Subscription)
            .where(Subscription.person_id.in_(unreachable), Subscription.active.is_(True))
            .values(active=False)
        )


async def release(session: AsyncSession, delivery_ids: Sequence[int], *, worker: str) -> int:
    """Hands claimed deliveries that were never sent back to the queue (a clean stop)."""
    if not delivery_ids:
        return 0
    result: CursorResult[tuple[()]] = await session.execute(  # type: ignore[assignment]
        update(DELIVERIES)
        .where(
            DELIVERIES.c.id.in_(delivery_ids),
            DELIVERIES.c.claimed_by == worker,
            DELIVERIES.c.state == DeliveryState.SENDING,
        )
        .values(state=DeliveryState.PENDING, claimed_by=None, claimed_at=None)
    )
    return int(result.rowcount)


async def heartbeat(session: AsyncSession, *, worker: str, now: datetime) -> int:
    """Renews the lease on every delivery this worker holds."""
    result: CursorResult[tuple[()]] = await session.execute(  # type: ignore[assignment]
        update(DELIVERIES)
        .where(DELIVERIES.c.state == DeliveryState.SENDING, DELIVERIES.c.claimed_by == worker)
        .values(claimed_at=now)
    )
    return int(result.rowcount)


async def release_abandoned(
    session: AsyncSession, *, now: datetime, lease: timedelta, worker: str
) -> int:
    """Puts deliveries a dead worker left `sending` back in the queue, to be sent again.

    A copy that went out just before the worker died is sent twice: for a safety alert a
    rare duplicate beats a miss.
    """
    result: CursorResult[tuple[()]] = await session.execute(  # type: ignore[assignment]
        update(DELIVERIES)
        .where(
            DELIVERIES.c.state == DeliveryState.SENDING,
            DELIVERIES.c.claimed_at < now - lease,
            or_(DELIVERIES.c.claimed_by.is_(None), DELIVERIES.c.claimed_by != worker),
        )
        .values(
            state=DeliveryState.PENDING,
            claimed_by=None,
            claimed_at=None,
            last_error="the worker sending this copy stopped; sending again",
        )
    )
    return int(result.rowcount)


async def cancel_undeliverable(session: AsyncSession, *, now: datetime) -> int:
    """Cancels queued copies of alerts that were cancelled, recalled or have expired."""
    expired = select(Alert.id).where(Alert.expires_at <= now)
    stopped = select(Alert.id).where(
        or_(Alert.state == AlertState.CANCELLED, Alert.recall_requested_at.is_not(None))
    )
    total = 0
    for alerts, reason in ((stopped, "the alert was cancelled"), (expired, "the alert expired")):
        result: CursorResult[tuple[()]] = await session.execute(  # type: ignore[assignment]
            update(DELIVERIES)
            .where(
                DELIVERIES.c.state == DeliveryState.PENDING,
                DELIVERIES.c.alert_id.in_(alerts),
            )
            .values(state=DeliveryState.CANCELLED, last_error=reason, updated_at=now)
        )
        total += int(result.rowcount)
    return total


async def cancel_pending(session: AsyncSession, alert_id: int, *, now: datetime) -> int:
    """Cancels one alert's copies that are still waiting to be sent."""
    result: CursorResult[tuple[()]] = await session.execute(  # type: ignore[assignment]
        update(DELIVERIES)
        .where(
            DELIVERIES.c.alert_id == alert_id,
            DELIVERIES.c.state == DeliveryState.PENDING,
        )
        .values(state=DeliveryState.CANCELLED, last_error="the alert was cancelled", updated_at=now)
    )
    return int(result.rowcount)


async def retry_failed(session: AsyncSession, alert_id: int, *, now: datetime) -> int:
    """Puts one alert's dead-lettered copies back in the queue for a fresh set of attempts."""
    result: CursorResult[tuple[()]] = await session.execute(  # type: ignore[assignment]
        update(DELIVERIES)
        .where(DELIVERIES.c.alert_id == alert_id, DELIVERIES.c.state == DeliveryState.FAILED)
        .values(state=DeliveryState.PENDING, attempts=0, next_attempt_at=now, updated_at=now)
    )
    return int(result.rowcount)


async def counts(session: AsyncSession, alert_id: int) -> dict[DeliveryState, int]:
    """How many of one alert's copies are in each state."""
    rows = await session.execute(
        select(Delivery.state, func.count())
        .where(Delivery.alert_id == alert_id)
        .group_by(Delivery.state)
    )
    return {DeliveryState(state): int(number) for state, number in rows.all()}


async def failures(session: AsyncSession, alert_id: int, limit: int = 50) -> list[Delivery]:
    """One alert's dead-lettered copies, with the last error of each (for the coordinator)."""
    rows = await session.execute(
        select(Delivery)
        .where(Delivery.alert_id == alert_id, Delivery.state == DeliveryState.FAILED)
        .order_by(Delivery.id)
        .limit(limit)
    )
    return list(rows.scalars())


async def recallable_count(session: AsyncSession, alert_id: int, *, now: datetime) -> int:
    """How many of one alert's delivered copies are young enough to delete."""
    result = await session.execute(
        select(func.count())
        .select_from(Delivery)
        .where(
            Delivery.alert_id == alert_id,
            Delivery.state == DeliveryState.SENT,
            Delivery.sent_at > now - DELETE_WINDOW,
            Delivery.telegram_message_id.is_not(None),
        )
    )
    return int(result.scalar_one())


async def claim_recalls(
    session: AsyncSession,
    *,
    worker: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    max_attempts: int,
) -> list[RecallTarget]:
    """Takes up to `limit` delivered copies of recalled alerts that can still be deleted."""
    candidates = (
        select(Delivery.id)
        .join(Alert, Alert.id == Delivery.alert_id)
        .where(
            Alert.recall_requested_at.is_not(None),
            Delivery.state == DeliveryState.SENT,
            Delivery.telegram_message_id.is_not(None),
            Delivery.sent_at > now - DELETE_WINDOW,
            Delivery.recall_attempts < max_attempts,
            or_(
                Delivery.claimed_by.is_(None),
                Delivery.claimed_at < now - lease,
            ),
            or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now),
        )
        .order_by(Delivery.id)
        .limit(limit)
    )
    statement = (
        update(DELIVERIES)
        .where(_claimed(session, candidates), DELIVERIES.c.state == DeliveryState.SENT)
        .values(claimed_by=worker, claimed_at=now)
        .returning(
            DELIVERIES.c.id,
            DELIVERIES.c.chat_id,
            DELIVERIES.c.telegram_message_id,
            DELIVERIES.c.recall_attempts,
        )
    )
    rows = (await session.execute(statement)).all()
    return [
        RecallTarget(
            id=row.id,
            chat_id=row.chat_id,
            telegram_message_id=row.telegram_message_id,
            recall_attempts=row.recall_attempts,
        )
        for row in rows
    ]


_RESOLVE_RECALL = (
    update(DELIVERIES)
    .where(DELIVERIES.c.id == bindparam("b_id"))
    .values(
        state=bindparam("b_state", type_=DELIVERIES.c.state.type),
        recall_attempts=bindparam("b_attempts"),
        last_error=bindparam("b_error"),
        recalled_at=bindparam("b_recalled_at", type_=UTCDateTime()),
        next_attempt_at=bindparam("b_next_attempt_at", type_=UTCDateTime()),
        claimed_by=None,
        claimed_at=None,
    )
)


async def resolve_recalls(
    session: AsyncSession, resolutions: Sequence[RecallResolution], *, retry_at: datetime
) -> None:
    """Records each deletion: recalled, or left delivered with the reason (retried later)."""
    if not resolutions:
        return
    params = [
        {
            "b_id": item.delivery_id,
            "b_state": DeliveryState.RECALLED if item.recalled else DeliveryState.SENT,
            "b_attempts": item.recall_attempts,
            "b_error": item.last_error[:512] if item.last_error else None,
            "b_recalled_at": item.recalled_at,
            "b_next_attempt_at": None if item.recalled else retry_at,
        }
        for item in resolutions
    ]
    connection = await session.connection()
    await connection.execute(_RESOLVE_RECALL, params)
