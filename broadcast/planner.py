"""Turning an audience into delivery rows: one set-based INSERT ... SELECT, no row in Python.

A hundred thousand subscribers are planned by the database in one statement, inside the
transaction that writes the alert, so an alert never exists without its deliveries.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any, TypeAlias

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    false,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    true,
    union,
)
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import Time

from broadcast.audience import ALL_TOPICS, Audience
from core.enums import DeliveryState, MembershipStatus, Severity
from storage.models import Area, Delivery, Membership, Person, Scheme, Subscription
from storage.types import UTCDateTime

RowSelect: TypeAlias = Select[*tuple[Any, ...]]

# Lowest to highest: a subscriber who chose "moderate" hears moderate, severe and extreme.
SEVERITY_ORDER = (Severity.MINOR, Severity.MODERATE, Severity.SEVERE, Severity.EXTREME)


# Warnings that ring even in a person's quiet hours.
URGENT_SEVERITIES = frozenset({Severity.EXTREME, Severity.SEVERE})


def severities_heard_at(severity: Severity) -> list[Severity]:
    """The subscription thresholds that let an alert of this severity through."""
    return list(SEVERITY_ORDER[: SEVERITY_ORDER.index(severity) + 1])


def _reachable() -> ColumnElement[bool]:
    return and_(
        Person.telegram_user_id.is_not(None),
        Person.erased_at.is_(None),
        Person.bot_blocked_at.is_(None),
    )


def _silent(severity: Severity, local_time: time) -> ColumnElement[bool]:
    """In the person's quiet hours the copy arrives without a sound (unless it is urgent)."""
    if severity in URGENT_SEVERITIES:
        return false()
    start, end = Person.quiet_hours_start, Person.quiet_hours_end
    at = literal(local_time, Time())
    return case(
        (or_(start.is_(None), end.is_(None)), false()),
        (start <= end, and_(at >= start, at < end)),
        else_=or_(at >= start, at < end),
    )


def _people(silent: ColumnElement[bool]) -> RowSelect:
    return select(
        Person.telegram_user_id.label("chat_id"),
        Person.id.label("person_id"),
        cast(false(), Boolean).label("is_group"),
        cast(silent, Boolean).label("silent"),
    )


def _delivered(alert_id: int, silent: ColumnElement[bool]) -> RowSelect:
    """The chats that received an alert (its group too), still reachable, set-based."""
    return (
        select(
            Delivery.chat_id.label("chat_id"),
            Delivery.person_id.label("person_id"),
            Delivery.is_group.label("is_group"),
            cast(and_(Delivery.is_group.is_(False), silent), Boolean).label("silent"),
        )
        .outerjoin(Person, Person.id == Delivery.person_id)
        .where(
            Delivery.alert_id == alert_id,
            Delivery.state == DeliveryState.SENT,
            or_(Delivery.is_group.is_(True), _reachable()),
        )
    )


def recipients(audience: Audience, severity: Severity, local_time: time) -> RowSelect:
    """Every recipient once: (chat_id, person_id, is_group, silent)."""
    silent = _silent(severity, local_time)
    parts: list[RowSelect] = []
    if audience.scheme_id is not None and audience.roles:
        parts.append(
            _people(silent)
            .join(Membership, Membership.person_id == Person.id)
            .where(
                Membership.scheme_id == audience.scheme_id,
                Membership.status == MembershipStatus.APPROVED,
                Membership.role.in_(audience.roles),
                _reachable(),
            )
        )
    if audience.subscribers:
        conditions: list[ColumnElement[bool]] = [
            Subscription.active.is_(True),
            Subscription.min_severity.in_(severities_heard_at(severity)),
        ]
        if audience.topics:
            conditions.append(Subscription.topic.in_([*audience.topics, ALL_TOPICS]))
        if audience.area_ids:
            areas: ColumnElement[bool] = Subscription.area_id.in_(audience.area_ids)
            conditions.append(or_(areas, Subscription.area_id.is_(None)))
        elif audience.scheme_id is not None:
            in_scheme = select(Area.id).where(Area.scheme_id == audience.scheme_id)
            areas = Subscription.area_id.in_(in_scheme)
            conditions.append(or_(areas, Subscription.area_id.is_(None)))
        # EXISTS, not a join: someone with several matching subscriptions is one row, so no
        # DISTINCT (a hash aggregate over every recipient) is needed.
        subscribed = select(Subscription.id).where(Subscription.person_id == Person.id)
        parts.append(_people(silent).where(subscribed.where(*conditions).exists(), _reachable()))
    if audience.chat_ids:
        parts.append(
            _people(silent).where(Person.telegram_user_id.in_(audience.chat_ids), _reachable())
        )
    if audience.delivered_of is not None:
        parts.append(_delivered(audience.delivered_of, silent))
    if audience.scheme_id is not None and audience.include_group:
        parts.append(
            select(
                Scheme.telegram_group_id.label("chat_id"),
                cast(null(), BigInteger).label("person_id"),
                cast(true(), Boolean).label("is_group"),
                cast(false(), Boolean).label("silent"),
            ).where(Scheme.id == audience.scheme_id, Scheme.telegram_group_id.is_not(None))
        )
    if not parts:
        return select(literal(1)).where(false())
    # Each part gives a chat at most once (one membership per scheme, subscriptions through
    # EXISTS, one delivery per chat); UNION gives each chat once across parts, since a chat's
    # row is the same whichever way it was reached: it depends only on the person.
    combined = union(*parts).subquery("recipients") if len(parts) > 1 else parts[0].subquery()
    return select(combined.c.chat_id, combined.c.person_id, combined.c.is_group, combined.c.silent)


async def count_recipients(
    session: AsyncSession, audience: Audience, severity: Severity, local_time: time
) -> int:
    """How many copies an alert to this audience would send (for "this goes to N people")."""
    if audience.is_empty:
        return 0
    query = recipients(audience, severity, local_time).subquery()
    return int((await session.execute(select(func.count()).select_from(query))).scalar_one())


async def insert_deliveries(
    session: AsyncSession,
    *,
    alert_id: int,
    audience: Audience,
    severity: Severity,
    local_time: time,
    first_attempt_at: datetime,
    now: datetime,
) -> int:
    """Writes one pending delivery per recipient, in the caller's transaction; returns how many."""
    if audience.is_empty:
        return 0
    found = recipients(audience, severity, local_time).subquery()
    rows = select(
        literal(alert_id, BigInteger),
        found.c.chat_id,
        found.c.person_id,
        found.c.is_group,
        found.c.silent,
        literal(DeliveryState.PENDING.value, String(32)),
        literal(0, Integer),
        literal(0, Integer),
        literal(first_attempt_at, UTCDateTime()),
        literal(now, UTCDateTime()),
        literal(now, UTCDateTime()),
    )
    # No ON CONFLICT: the recipients are distinct chats and the alert is new, and speculative
    # insertion would cost a fifth of the time for a large audience.
    statement = insert(Delivery).from_select(
        [
            Delivery.alert_id,
            Delivery.chat_id,
            Delivery.person_id,
            Delivery.is_group,
            Delivery.silent,
            Delivery.state,
            Delivery.attempts,
            Delivery.recall_attempts,
            Delivery.next_attempt_at,
            Delivery.created_at,
            Delivery.updated_at,
        ],
        rows,
    )
    result: CursorResult[tuple[()]] = await session.execute(statement)  # type: ignore[assignment]
    return int(result.rowcount)
