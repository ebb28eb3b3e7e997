"""Composing a warning: who may, what they can choose, and sending it (Telegram-free)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from broadcast.outbox import QueuedAlert, paid_budget, preview_recipients, queue_alert
from core import audit
from core.broadcasts.draft import MAX_HEADLINE, MIN_HEADLINE, ComposeDraft
from core.enums import AlertMessageType, DeliveryState, Role, Severity
from core.errors import InvalidInput, NotAllowed, NotFound
from core.incidents.actions import Escalated
from core.reports.categories import category_info
from core.schemes.access import (
    Permission,
    SchemeMember,
    allowed_memberships,
    memberships_of,
    refusal,
    require,
)
from storage.models import Alert, Area, Delivery, Report, Scheme

# Coordinators are the only role allowed to manage incidents, and the only one that warns.
BROADCAST = Permission.MANAGE_INCIDENTS
TEST_AUDIENCE = "you and the scheme's other coordinators"


@dataclass(frozen=True)
class SchemeChoices:
    """What a coordinator can choose from in one scheme."""

    scheme_id: int
    name: str
    has_group: bool
    areas: list[tuple[int, str]]

    @property
    def area_names(self) -> dict[int, str]:
        """Area names by id."""
        return dict(self.areas)


async def coordinated_schemes(session: AsyncSession, person_id: int) -> list[SchemeMember]:
    """The schemes the person coordinates; NotAllowed, with the reason, if none."""
    async with session.begin():
        allowed = await allowed_memberships(session, person_id, BROADCAST)
    coordinating = [member for member in allowed if member.role == Role.COORDINATOR]
    if not coordinating:
        raise NotAllowed(refusal(allowed, BROADCAST))
    return coordinating


async def choices(session: AsyncSession, person_id: int, scheme_id: int) -> SchemeChoices:
    """The scheme's areas and group, if the person coordinates it."""
    async with session.begin():
        await require(session, person_id, BROADCAST, scheme_id)
        scheme = await session.get(Scheme, scheme_id)
        if scheme is None:
            raise NotFound("That scheme no longer exists.")
        areas = (
            await session.execute(
                select(Area.id, Area.name).where(Area.scheme_id == scheme_id).order_by(Area.name)
            )
        ).all()
    return SchemeChoices(
        scheme_id=scheme.id,
        name=scheme.name,
        has_group=scheme.telegram_group_id is not None,
        areas=[(area_id, name) for area_id, name in areas],
    )


async def count(
    session: AsyncSession, draft: ComposeDraft, *, sender_chat_id: int, now: datetime, tz: ZoneInfo
) -> int:
    """How many copies the warning would send right now."""
    severity = Severity(draft.severity or Severity.MINOR.value)
    return await preview_recipients(
        session, draft.chosen_audience(sender_chat_id), severity, now=now, tz=tz
    )


@dataclass(frozen=True)
class Sent:
    """A warning queued or scheduled."""

    alert_id: int
    recipients: int
    scheduled_for: datetime | None


async def send(
    session: AsyncSession,
    draft: ComposeDraft,
    *,
    person_id: int,
    sender_chat_id: int,
    anchor: datetime,
    now: datetime,
    tz: ZoneInfo,
    paid: bool = False,
) -> Sent:
    """Queues the warning (now or at its scheduled time), if the person still coordinates.

    A paid warning takes its copies from the scheme's budget in the same transaction, or is
    refused (nothing queued) if the budget no longer covers them.
    """
    async with session.begin():
        await require(session, person_id, BROADCAST, draft.scheme_id)
    schedule = draft.schedule_time
    if schedule is not None and schedule <= now:
        raise InvalidInput("That scheduled time has passed. Choose Schedule again, or Send now.")
    alert = replace(
        draft.to_alert(
            anchor=schedule or anchor, created_by_id=person_id, sender_chat_id=sender_chat_id
        ),
        paid=paid,
    )

    async def audited(inner: AsyncSession, queued: QueuedAlert) -> None:
        await audit.record(
            inner,
            actor_id=person_id,
            scheme_id=draft.scheme_id,
            action="alert.scheduled" if queued.scheduled else "alert.sent",
            object_type="alert",
            object_id=queued.alert_id,
            details={
                "recipients": queued.recipients,
                "status": draft.status,
                "message_type": draft.message_type,
                "references_id": draft.references_id,
                "source_incident_id": draft.source_incident_id,
                "source_report_id": draft.source_report_id,
                "paid": paid,
            },
            at=now,
        )

    queued = await queue_alert(session, alert, now=now, tz=tz, also=audited)
    return Sent(queued.alert_id, queued.recipients, schedule if queued.scheduled else None)


@dataclass(frozen=True)
class PaidOffer:
    """Whether sending fast (paid) is offered, and the scheme's budget."""

    left: int | None
    needed: int

    @property
    def offered(self) -> bool:
        """The budget covers every copy."""
        return self.left is not None and self.needed > 0 and self.left >= self.needed


async def paid_offer(session: AsyncSession, scheme_id: int, recipients: int) -> PaidOffer:
    """What the scheme's paid budget allows for a warning to `recipients` chats."""
    return PaidOffer(left=await paid_budget(session, scheme_id), needed=recipients)


def from_incident(escalated: Escalated) -> ComposeDraft:
    """A warning to the scheme's traders and group, written from an incident."""
    return ComposeDraft(
        scheme_id=escalated.scheme_id,
        roles=[Role.TRADER.value],
        include_group=escalated.has_group,
        headline=escalated.headline[:MAX_HEADLINE],
        description=escalated.description,
        area_text=escalated.area_text,
        severity=Severity.MODERATE.value,
        source_incident_id=escalated.incident_id,
    )


async def may_escalate_report(session: AsyncSession, person_id: int, report_id: int) -> bool:
    """Whether the report is in a scheme the person coordinates (so residents can be warned)."""
    async with session.begin():
        report = await session.get(Report, report_id)
        if report is None or report.scheme_id is None:
            return False
        members = await memberships_of(session, person_id)
    return any(m.scheme_id == report.scheme_id and m.may(BROADCAST) for m in members)


async def from_report(session: AsyncSession, person_id: int, report_id: int) -> ComposeDraft:
    """A warning to residents subscribed to the report's area and category; no reporter details."""
    async with session.begin():
        report = await session.get(Report, report_id)
        if report is None:
            raise NotFound("That report no longer exists.")
        if report.scheme_id is None:
            memberships = await memberships_of(session, person_id)
            raise NotAllowed(
                "That report is outside every scheme's areas, so there is nobody to warn."
                if any(member.may(BROADCAST) for member in memberships)
                else refusal(memberships, BROADCAST)
            )
        await require(session, person_id, BROADCAST, report.scheme_id)
        area = await session.get(Area, report.area_id) if report.area_id is not None else None
    label = category_info(report.category.value).label
    headline = label if len(label) >= MIN_HEADLINE else f"{label} warning"
    return ComposeDraft(
        scheme_id=report.scheme_id,
        subscribers=True,
        area_ids=[area.id] if area is not None else [],
        topics=[report.category.value],
        headline=headline,
        area_text=area.name if area is not None else None,
        source_report_id=report.id,
    )


async def for_update(session: AsyncSession, person_id: int, alert_id: int) -> ComposeDraft:
    """An update to a sent warning, for exactly the people (and group) who received it."""
    async with session.begin():
        original = await session.get(Alert, alert_id)
        if original is None or original.scheme_id is None:
            raise NotFound("That warning no longer exists.")
        await require(session, person_id, BROADCAST, original.scheme_id)
        received = await session.scalar(
            select(Delivery.id)
            .where(Delivery.alert_id == alert_id, Delivery.state == DeliveryState.SENT)
            .limit(1)
        )
    if received is None:
        raise InvalidInput(
            "Nobody has received that warning yet, so there is nobody to update. "
            "Cancel it instead, or wait until it has gone out."
        )
    return ComposeDraft(
        scheme_id=original.scheme_id,
        delivered_of=original.id,
        fixed_audience=True,
        headline=original.headline,
        area_text=original.area_text,
        severity=original.severity.value,
        message_type=AlertMessageType.UPDATE.value,
        references_id=original.id,
    )
