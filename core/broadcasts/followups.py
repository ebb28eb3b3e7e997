"""Cancelling and recalling an alert that has gone out, and resending its failed copies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from broadcast.audience import Audience
from broadcast.outbox import (
    AlertDraft,
    DeadLetter,
    cancel_alert,
    dead_letters,
    queue_alert,
    recall_alert,
    retry_failed,
)
from core import audit
from core.broadcasts.progress import DELETE_WINDOW
from core.enums import AlertMessageType, AlertState, DeliveryState, Role
from core.errors import InvalidInput, NotAllowed, NotFound
from core.people import PersonContext
from core.schemes.access import Permission, memberships_of, refusal
from storage.models import Alert, Delivery, Scheme

# An ALL CLEAR stays sendable at least this long, even for an alert that has just expired.
ALL_CLEAR_LIFETIME = timedelta(hours=6)
ALL_CLEAR_TEXT = "The earlier warning is cancelled: there is no need to act on it any more."


@dataclass(frozen=True)
class FollowUpTarget:
    """An alert a coordinator may cancel or recall, and what doing so would touch."""

    alert_id: int
    headline: str
    reached: int
    remaining: int
    recallable: int
    too_old: int


@dataclass(frozen=True)
class Cancelled:
    """What cancelling did: copies stopped, and the ALL CLEAR sent to those who got it."""

    alert_id: int
    stopped: int
    told: int
    all_clear_id: int | None


@dataclass(frozen=True)
class Recalled:
    """What recalling set going: copies to delete, and those too old to delete."""

    alert_id: int
    deleting: int
    too_old: int


async def _alert_for(session: AsyncSession, person: PersonContext, alert_id: int) -> Alert:
    """The alert, if the person coordinates its scheme (checked on every press)."""
    alert = await session.get(Alert, alert_id, populate_existing=True)
    if alert is None:
        raise NotFound("That alert no longer exists.")
    if person.is_admin:
        return alert
    memberships = await memberships_of(session, person.id)
    if alert.scheme_id is None:
        raise NotAllowed("Only a deployment admin can change an alert sent to everyone.")
    coordinators = [
        m
        for m in memberships
        if m.approved and m.role == Role.COORDINATOR and m.scheme_id == alert.scheme_id
    ]
    if coordinators:
        return alert
    if any(m.approved and m.role == Role.COORDINATOR for m in memberships):
        name = await session.scalar(select(Scheme.name).where(Scheme.id == alert.scheme_id))
        raise NotAllowed(f"Only coordinators of {name} can change its alerts.")
    raise NotAllowed(refusal(memberships, Permission.MANAGE_MEMBERS))


async def check_may_change(session: AsyncSession, person: PersonContext, alert_id: int) -> None:
    """Refuses (NotAllowed) anyone who does not coordinate the alert's scheme."""
    async with session.begin():
        await _alert_for(session, person, alert_id)


async def _count(session: AsyncSession, alert_id: int, *conditions: object) -> int:
    number = await session.scalar(
        select(func.count()).where(Delivery.alert_id == alert_id, *conditions)  # type: ignore[arg-type]
    )
    return int(number or 0)


def _refuse_if_stopped(alert: Alert, already_cleared: bool) -> None:
    if alert.message_type == AlertMessageType.CANCEL:
        raise InvalidInput("This is an ALL CLEAR already; there is nothing to cancel.")
    if alert.recall_requested_at is not None:
        raise InvalidInput("That alert was recalled, so there is nothing left to cancel.")
    if alert.state == AlertState.CANCELLED or already_cleared:
        raise InvalidInput("That alert was cancelled already.")


async def _already_cleared(session: AsyncSession, alert_id: int) -> bool:
    found = await session.scalar(
        select(Alert.id).where(
            Alert.references_id == alert_id, Alert.message_type == AlertMessageType.CANCEL
        )
    )
    return found is not None


async def _target(session: AsyncSession, alert: Alert, now: datetime) -> FollowUpTarget:
    sent = Delivery.state == DeliveryState.SENT
    return FollowUpTarget(
        alert_id=alert.id,
        headline=alert.headline,
        reached=await _count(session, alert.id, sent),
        remaining=await _count(
            session, alert.id, Delivery.state.in_((DeliveryState.PENDING, DeliveryState.SENDING))
        ),
        recallable=await _count(
            session,
            alert.id,
            sent,
            Delivery.sent_at > now - DELETE_WINDOW,
            Delivery.telegram_message_id.is_not(None),
        ),
        too_old=await _count(session, alert.id, sent, Delivery.sent_at <= now - DELETE_WINDOW),
    )


async def to_cancel(
    session: AsyncSession, person: PersonContext, alert_id: int, *, now: datetime
) -> FollowUpTarget:
    """What cancelling this alert would do, if the person may cancel it."""
    async with session.begin():
        alert = await _alert_for(session, person, alert_id)
        _refuse_if_stopped(alert, await _already_cleared(session, alert_id))
        return await _target(session, alert, now)


async def to_recall(
    session: AsyncSession, person: PersonContext, alert_id: int, *, now: datetime
) -> FollowUpTarget:
    """What recalling this alert would do, if the person may recall it."""
    async with session.begin():
        alert = await _alert_for(session, person, alert_id)
        if alert.recall_requested_at is not None:
            raise InvalidInput("That alert is recalled already.")
        return await _target(session, alert, now)


def _delivered_audience(alert: Alert) -> Audience:
    original = Audience.from_json(alert.audience)
    return Audience(
        scheme_id=alert.scheme_id,
        delivered_of=alert.id,
        protect_content=original.protect_content,
    )


async def cancel(
    session: AsyncSession, person: PersonContext, alert_id: int, *, now: datetime, tz: ZoneInfo
) -> Cancelled:
    """Stops the copies not yet sent and sends an ALL CLEAR to everyone who got the alert."""
    async with session.begin():
        alert = await _alert_for(session, person, alert_id)
        _refuse_if_stopped(alert, await _already_cleared(session, alert_id))
        target = await _target(session, alert, now)
        audience = _delivered_audience(alert)
        draft = AlertDraft(
            headline=alert.headline,
            description=ALL_CLEAR_TEXT,
            severity=alert.severity,
            expires_at=max(alert.expires_at, now + ALL_CLEAR_LIFETIME),
            audience=audience,
            scheme_id=alert.scheme_id,
            created_by_id=person.id,
            status=alert.status,
            message_type=AlertMessageType.CANCEL,
            references_id=alert.id,
            area_text=alert.area_text,
        )
    all_clear_id: int | None = None
    told = 0
    if target.reached:
        try:
            queued = await queue_alert(session, draft, now=now, tz=tz)
        except InvalidInput:
            # Everyone who got it has since blocked the bot: there is nobody to tell.
            await cancel_alert(session, alert_id, now=now)
        else:
            all_clear_id, told = queued.alert_id, queued.recipients
    else:
        await cancel_alert(session, alert_id, now=now)
    async with session.begin():
        await audit.record(
            session,
            actor_id=person.id,
            scheme_id=alert.scheme_id,
            action="alert_cancelled",
            object_type="alert",
            object_id=alert_id,
            details={"stopped": target.remaining, "told": told},
            at=now,
        )
    return Cancelled(alert_id, target.remaining, told, all_clear_id)


async def recall(
    session: AsyncSession, person: PersonContext, alert_id: int, *, now: datetime
) -> Recalled:
    """Stops the copies not yet sent and deletes those delivered less than 48 hours ago."""
    target = await to_recall(session, person, alert_id, now=now)
    deleting = await recall_alert(session, alert_id, now=now)
    async with session.begin():
        await audit.record(
            session,
            actor_id=person.id,
            scheme_id=await session.scalar(select(Alert.scheme_id).where(Alert.id == alert_id)),
            action="alert_recalled",
            object_type="alert",
            object_id=alert_id,
            details={"deleting": deleting, "too_old": target.too_old},
            at=now,
        )
    return Recalled(alert_id, deleting, target.reached - deleting)


async def failed_copies(
    session: AsyncSession, person: PersonContext, alert_id: int
) -> list[DeadLetter]:
    """The alert's copies that could not be delivered, and why."""
    await check_may_change(session, person, alert_id)
    return await dead_letters(session, alert_id)


async def retry(
    session: AsyncSession, person: PersonContext, alert_id: int, *, now: datetime
) -> int:
    """Sends the alert's failed copies again; returns how many."""
    await check_may_change(session, person, alert_id)
    retried = await retry_failed(session, alert_id, now=now)
    if not retried:
        raise InvalidInput("There are no failed copies to send again.")
    return retried


async def top_up_follow_ups(session: AsyncSession, *, now: datetime) -> int:
    """Sends an update or all clear also to whoever got the original after it was queued.

    A copy of the original that was already on its way when the coordinator pressed Cancel
    (or composed an update) arrives after the follow-up's recipients were fixed; this adds
    them, with the same quiet-hours setting as their copy of the original.
    """
    original = aliased(Delivery)
    already = aliased(Delivery)
    async with session.begin():
        follow_ups = (
            await session.execute(
                select(Alert).where(
                    Alert.message_type.in_((AlertMessageType.UPDATE, AlertMessageType.CANCEL)),
                    Alert.references_id.is_not(None),
                    Alert.state.in_((AlertState.QUEUED, AlertState.SENDING, AlertState.COMPLETED)),
                    Alert.expires_at > now,
                    Alert.created_at > now - DELETE_WINDOW,
                )
            )
        ).scalars()
        added = 0
        for follow_up in follow_ups:
            missing = (
                await session.execute(
                    select(original).where(
                        original.alert_id == follow_up.references_id,
                        original.state == DeliveryState.SENT,
                        ~exists().where(
                            already.alert_id == follow_up.id, already.chat_id == original.chat_id
                        ),
                    )
                )
            ).scalars()
            for copy in missing:
                session.add(
                    Delivery(
                        alert_id=follow_up.id,
                        chat_id=copy.chat_id,
                        person_id=copy.person_id,
                        is_group=copy.is_group,
                        silent=copy.silent,
                        state=DeliveryState.PENDING,
                        next_attempt_at=now,
                        created_at=now,
                        updated_at=now,
                    )
                )
                added += 1
                if follow_up.state == AlertState.COMPLETED:
                    follow_up.state, follow_up.completed_at = AlertState.SENDING, None
    return added
