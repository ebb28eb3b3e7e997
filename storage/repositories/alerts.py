"""Alerts and their life: queued, sending, completed or cancelled; paid-broadcast budgets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import AlertState, DeliveryState
from storage.models import Alert, BroadcastBudget, Delivery
from storage.repositories.upsert import insert_for

LIVE_STATES = (AlertState.SCHEDULED, AlertState.QUEUED, AlertState.SENDING)


@dataclass(frozen=True)
class AlertStanding:
    """Whether an alert's copies may still go out."""

    id: int
    state: AlertState
    expires_at: datetime
    recall_requested: bool


async def get(session: AsyncSession, alert_id: int) -> Alert | None:
    """One alert, if it exists."""
    return await session.get(Alert, alert_id)


async def for_sending(session: AsyncSession, alert_ids: Sequence[int]) -> list[Alert]:
    """The alerts whose copies a worker has claimed (their words, photo and options)."""
    if not alert_ids:
        return []
    rows = await session.execute(select(Alert).where(Alert.id.in_(alert_ids)))
    return list(rows.scalars())


async def standings(session: AsyncSession, alert_ids: Sequence[int]) -> list[AlertStanding]:
    """The current state of each alert, to stop copies of cancelled or expired ones."""
    if not alert_ids:
        return []
    rows = await session.execute(
        select(Alert.id, Alert.state, Alert.expires_at, Alert.recall_requested_at).where(
            Alert.id.in_(alert_ids)
        )
    )
    return [
        AlertStanding(
            id=row.id,
            state=AlertState(row.state),
            expires_at=row.expires_at,
            recall_requested=row.recall_requested_at is not None,
        )
        for row in rows.all()
    ]


async def mark_sending(session: AsyncSession, alert_ids: Sequence[int], now: datetime) -> None:
    """Alerts whose first copies were claimed are now sending."""
    if not alert_ids:
        return
    await session.execute(
        update(Alert)
        .where(
            Alert.id.in_(alert_ids),
            Alert.state.in_((AlertState.SCHEDULED, AlertState.QUEUED)),
        )
        .values(state=AlertState.SENDING, started_at=now)
        .execution_options(synchronize_session=False)
    )


async def complete_finished(session: AsyncSession, now: datetime) -> int:
    """Alerts with no copy left to send are completed; returns how many."""
    unfinished = exists().where(
        Delivery.alert_id == Alert.id,
        Delivery.state.in_((DeliveryState.PENDING, DeliveryState.SENDING)),
    )
    result: CursorResult[tuple[()]] = await session.execute(  # type: ignore[assignment]
        update(Alert)
        # A scheduled alert has no copies until it starts: it is not finished.
        .where(Alert.state.in_((AlertState.QUEUED, AlertState.SENDING)), ~unfinished)
        .values(state=AlertState.COMPLETED, completed_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)


async def cancel(session: AsyncSession, alert_id: int, now: datetime) -> bool:
    """Marks a live alert cancelled; False if it had already finished or been cancelled."""
    result: CursorResult[tuple[()]] = await session.execute(  # type: ignore[assignment]
        update(Alert)
        .where(Alert.id == alert_id, Alert.state.in_((*LIVE_STATES, AlertState.DRAFT)))
        .values(state=AlertState.CANCELLED, completed_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount) == 1


async def request_recall(session: AsyncSession, alert_id: int, now: datetime) -> bool:
    """Asks the workers to delete an alert's delivered copies; False if already asked."""
    result: CursorResult[tuple[()]] = await session.execute(  # type: ignore[assignment]
        update(Alert)
        .where(Alert.id == alert_id, Alert.recall_requested_at.is_(None))
        .values(recall_requested_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount) == 1


async def set_paid_budget(
    session: AsyncSession, scheme_id: int, messages: int, now: datetime
) -> None:
    """Sets how many paid-broadcast messages a scheme may still send."""
    statement = insert_for(session, BroadcastBudget).values(
        scheme_id=scheme_id, paid_messages_left=messages, updated_at=now
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[BroadcastBudget.scheme_id],
            set_={"paid_messages_left": messages, "updated_at": now},
        )
    )


async def paid_budget_left(session: AsyncSession, scheme_id: int) -> int:
    """How many paid-broadcast messages a scheme may still send (0 without a budget)."""
    left = await session.scalar(
        select(BroadcastBudget.paid_messages_left).where(BroadcastBudget.scheme_id == scheme_id)
    )
    return int(left or 0)


async def spend_paid_budget(
    session: AsyncSession, scheme_id: int, messages: int, now: datetime
) -> bool:
    """Takes `messages` from the scheme's budget; False (and nothing taken) if it is short."""
    result: CursorResult[tuple[()]] = await session.execute(  # type: ignore[assignment]
        update(BroadcastBudget)
        .where(
            BroadcastBudget.scheme_id == scheme_id,
            BroadcastBudget.paid_messages_left >= messages,
        )
        .values(paid_messages_left=BroadcastBudget.paid_messages_left - messages, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount) == 1
