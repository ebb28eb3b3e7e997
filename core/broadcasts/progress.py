"""How far an alert has got, worded for the coordinator who sent it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from broadcast.outbox import EXPECTED, PAID_REFUSED
from broadcast.progress import DeliveryCounts, progress_text
from core.enums import AlertMessageType, AlertState, DeliveryState
from core.errors import NotFound
from storage.models import Alert, Delivery, Person

# Copies Telegram lets a bot delete: younger than 48 hours.
DELETE_WINDOW = timedelta(hours=48)
# The pace assumed before any copy has gone out (Telegram's free bot-wide limit).
DEFAULT_RATE_PER_SECOND = 30.0
PAID_RATE_PER_SECOND = 1000.0
# The engine gives up deleting a copy after this many attempts (EngineConfig.max_attempts).
RECALL_ATTEMPTS = 5
LIVE_STATES = (AlertState.SCHEDULED, AlertState.QUEUED, AlertState.SENDING)
KIND_LABELS = {
    AlertMessageType.ALERT: "Alert",
    AlertMessageType.UPDATE: "Update",
    AlertMessageType.CANCEL: "ALL CLEAR",
}


@dataclass(frozen=True)
class RecallStanding:
    """Where a recall has got: deleted, still to delete, too old to delete, given up."""

    recalled: int
    deleting: int
    too_old: int
    undeletable: int

    @property
    def done(self) -> bool:
        """No copy is still waiting to be deleted."""
        return self.deleting == 0


@dataclass(frozen=True)
class AlertProgress:
    """One alert's progress, as its coordinator sees it."""

    alert_id: int
    scheme_id: int | None
    created_by_id: int | None
    headline: str
    message_type: AlertMessageType
    state: AlertState
    paid: bool
    counts: DeliveryCounts
    started_at: datetime | None
    scheduled_for: datetime | None
    expires_at: datetime
    progress_chat_id: int | None
    progress_message_id: int | None
    recall: RecallStanding | None
    expected: int = 0
    paid_refused: bool = False

    @property
    def finished(self) -> bool:
        """Every copy has reached a final state (and any recall is over)."""
        settled = self.state not in LIVE_STATES and self.counts.remaining == 0
        return settled and (self.recall is None or self.recall.done)

    @property
    def cancelled(self) -> bool:
        """The coordinator stopped it (cancel or recall)."""
        return self.state == AlertState.CANCELLED or self.recall is not None

    @property
    def may_cancel(self) -> bool:
        """Cancelling still does something: copies are waiting, or people could be told."""
        if self.cancelled or self.message_type == AlertMessageType.CANCEL:
            return False
        scheduled = self.state == AlertState.SCHEDULED
        return scheduled or self.counts.remaining > 0 or self.counts.sent > 0

    @property
    def may_recall(self) -> bool:
        """Recalling still does something: some copies went out and none were recalled yet."""
        return self.recall is None and self.counts.sent > 0

    def rate_per_second(self, now: datetime | None) -> float:
        """The pace so far, or the engine's usual pace before the first copies."""
        usual = PAID_RATE_PER_SECOND if self.paid else DEFAULT_RATE_PER_SECOND
        done = self.counts.total - self.counts.remaining
        if now is None or self.started_at is None or done < 10:
            return usual
        elapsed = (now - self.started_at).total_seconds()
        if elapsed < 1:
            return usual
        return max(done / elapsed, 0.1)


def render(progress: AlertProgress, now: datetime | None) -> str:
    """The whole progress message: the headline, then how far it has got."""
    kind = KIND_LABELS[progress.message_type]
    lines = [f"{kind}: {progress.headline}", ""]
    counts = progress.counts
    if progress.state == AlertState.SCHEDULED and counts.sent == 0:
        waiting = counts.total or progress.expected
        lines.append(f"Scheduled: {waiting:,} copies wait for their time.")
    elif progress.cancelled:
        lines.append(_summary(progress, "Stopped"))
    elif counts.remaining == 0:
        lines.append(_summary(progress, "Done"))
    else:
        lines.append(progress_text(counts, rate_per_second=progress.rate_per_second(now)))
    if progress.state == AlertState.CANCELLED and progress.recall is None:
        if counts.remaining:
            lines.append("Cancelled: stopping the copies not yet sent.")
        else:
            lines.append(f"Cancelled: {counts.cancelled:,} unsent copies stopped.")
    if progress.recall is not None:
        lines.append(_recall_line(progress.recall))
    if progress.paid_refused:
        lines.append("The paid budget had run out when it started: it goes at the normal pace.")
    return "\n".join(lines)


def _summary(progress: AlertProgress, label: str) -> str:
    counts = progress.counts
    parts = [
        f"{label}: {counts.delivered:,} sent",
        f"{counts.blocked:,} blocked",
        f"{counts.failed:,} failed" + (" (see details)" if counts.failed else ""),
    ]
    return " · ".join(parts)


def _recall_line(recall: RecallStanding) -> str:
    if not recall.done:
        return f"Recalling: {recall.recalled:,} copies deleted, {recall.deleting:,} to go."
    line = f"Recalled {recall.recalled:,} {_copies(recall.recalled)}"
    if recall.too_old:
        were = "was" if recall.too_old == 1 else "were"
        line += f"; {recall.too_old:,} {were} older than 48 hours and could not be deleted"
    if recall.undeletable:
        line += f"; {recall.undeletable:,} could not be deleted (Telegram refused)"
    return line + "."


def _copies(number: int) -> str:
    return "copy" if number == 1 else "copies"


async def _counts(session: AsyncSession, alert_id: int) -> DeliveryCounts:
    rows = await session.execute(
        select(Delivery.state, func.count())
        .where(Delivery.alert_id == alert_id)
        .group_by(Delivery.state)
    )
    return DeliveryCounts.from_states({DeliveryState(s): int(n) for s, n in rows.all()})


async def _recall_standing(
    session: AsyncSession, alert: Alert, counts: DeliveryCounts, now: datetime | None
) -> RecallStanding | None:
    if alert.recall_requested_at is None:
        return None
    now = now or alert.recall_requested_at
    still_sent = select(func.count()).where(
        Delivery.alert_id == alert.id, Delivery.state == DeliveryState.SENT
    )
    too_old = await session.scalar(
        still_sent.where(
            or_(
                Delivery.sent_at <= alert.recall_requested_at - DELETE_WINDOW,
                Delivery.telegram_message_id.is_(None),
            )
        )
    )
    deleting = await session.scalar(
        still_sent.where(
            Delivery.sent_at > now - DELETE_WINDOW,
            Delivery.telegram_message_id.is_not(None),
            Delivery.recall_attempts < RECALL_ATTEMPTS,
        )
    )
    old = int(too_old or 0)
    busy = int(deleting or 0)
    return RecallStanding(
        recalled=counts.recalled,
        deleting=busy,
        too_old=old,
        undeletable=max(counts.sent - old - busy, 0),
    )


async def _read(session: AsyncSession, alert: Alert, now: datetime | None) -> AlertProgress:
    counts = await _counts(session, alert.id)
    return AlertProgress(
        alert_id=alert.id,
        scheme_id=alert.scheme_id,
        created_by_id=alert.created_by_id,
        headline=alert.headline,
        message_type=alert.message_type,
        state=alert.state,
        paid=alert.paid,
        counts=counts,
        started_at=alert.started_at,
        scheduled_for=alert.scheduled_for,
        expires_at=alert.expires_at,
        progress_chat_id=alert.progress_chat_id,
        progress_message_id=alert.progress_message_id,
        recall=await _recall_standing(session, alert, counts, now),
        expected=int(alert.audience.get(EXPECTED, 0)),
        paid_refused=PAID_REFUSED in alert.audience,
    )


async def progress_of(
    session: AsyncSession, alert_id: int, *, now: datetime | None
) -> AlertProgress:
    """One alert's progress as it stands now."""
    async with session.begin():
        alert = await session.get(Alert, alert_id, populate_existing=True)
        if alert is None:
            raise NotFound("That alert no longer exists.")
        return await _read(session, alert, now)


async def remember_message(
    session: AsyncSession, alert_id: int, *, chat_id: int, message_id: int
) -> None:
    """Notes where the alert's progress message is, so it can be kept up to date."""
    async with session.begin():
        await session.execute(
            update(Alert)
            .where(Alert.id == alert_id)
            .values(progress_chat_id=chat_id, progress_message_id=message_id)
            .execution_options(synchronize_session=False)
        )


async def watched(
    session: AsyncSession, *, now: datetime, finished_since: datetime
) -> list[AlertProgress]:
    """Alerts whose progress message may need an edit: live, recalling or just finished."""
    recalling = (
        select(Delivery.id)
        .where(
            Delivery.alert_id == Alert.id,
            or_(
                Delivery.recalled_at >= finished_since,
                (Delivery.state == DeliveryState.SENT)
                & (Delivery.sent_at > now - DELETE_WINDOW)
                & (Delivery.recall_attempts < RECALL_ATTEMPTS),
            ),
        )
        .exists()
    )
    async with session.begin():
        rows = await session.execute(
            select(Alert)
            .where(
                Alert.progress_message_id.is_not(None),
                or_(
                    Alert.state.in_(LIVE_STATES),
                    Alert.completed_at >= finished_since,
                    Alert.recall_requested_at.is_not(None) & recalling,
                ),
            )
            .order_by(Alert.id)
            .execution_options(populate_existing=True)
        )
        return [await _read(session, alert, now) for alert in rows.scalars().all()]


@dataclass(frozen=True)
class StartedAlert:
    """A scheduled alert whose first copies went out, and who should watch it."""

    alert_id: int
    telegram_user_id: int


async def started_without_progress(session: AsyncSession, *, since: datetime) -> list[StartedAlert]:
    """Alerts that started sending since `since` with no progress message yet."""
    async with session.begin():
        rows = await session.execute(
            select(Alert.id, Person.telegram_user_id)
            .join(Person, Person.id == Alert.created_by_id)
            .where(
                Alert.progress_message_id.is_(None),
                Alert.scheduled_for.is_not(None),
                Alert.started_at.is_not(None),
                Alert.started_at >= since,
                Person.telegram_user_id.is_not(None),
            )
            .order_by(Alert.id)
        )
        return [
            StartedAlert(alert_id=row.id, telegram_user_id=row.telegram_user_id) for row in rows
        ]
