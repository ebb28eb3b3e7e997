"""Erasure: everything that identifies a person goes, in one transaction, leaving one audit line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.datarights.texts import ErasureOutline
from core.enums import DeliveryState, MembershipStatus, Role
from core.errors import NotFound
from core.reports.retention import ON_REQUEST, anonymise_reports
from storage.models import (
    Alert,
    AuditEntry,
    CaseReview,
    ConversationMark,
    Delivery,
    Incident,
    Invite,
    Membership,
    Person,
    Report,
    Scheme,
    Sighting,
    Subscription,
    TelegramGroup,
)

NO_SUCH_PERSON = (
    "No one with that Telegram id has used ShopWatch (or their data has already been "
    "erased), so there is nothing to erase."
)
# Copies of warnings to an erased person keep their outcome for the scheme's statistics, but
# their chat is replaced by a number far outside any Telegram chat id, unique per copy.
ERASED_CHAT_BASE = -(2**62)
WAITING = (DeliveryState.PENDING, DeliveryState.SENDING)


@dataclass(frozen=True)
class Erased:
    """What an erasure did, for the person (or coordinator) and the deployment's admins."""

    person_id: int
    reports: int
    schemes_without_coordinator: list[str]


async def _person(session: AsyncSession, telegram_user_id: int) -> Person | None:
    return (
        await session.execute(
            select(Person).where(
                Person.telegram_user_id == telegram_user_id, Person.erased_at.is_(None)
            )
        )
    ).scalar_one_or_none()


async def _count(session: AsyncSession, query: Select[int]) -> int:
    return int((await session.execute(query)).scalar_one())


def _deliveries_to(person: Person) -> ColumnElement[bool]:
    mine = Delivery.person_id == person.id
    if person.telegram_user_id is None:
        return mine
    return or_(
        mine, and_(Delivery.chat_id == person.telegram_user_id, Delivery.is_group.is_(False))
    )


async def _last_coordinator_of(session: AsyncSession, person_id: int) -> list[str]:
    """Schemes where this person is the only approved coordinator."""
    coordinator = and_(
        Membership.role == Role.COORDINATOR, Membership.status == MembershipStatus.APPROVED
    )
    theirs = select(Membership.scheme_id).where(Membership.person_id == person_id, coordinator)
    rows = await session.execute(
        select(Scheme.name)
        .join(Membership, Membership.scheme_id == Scheme.id)
        .where(Scheme.id.in_(theirs), coordinator)
        .group_by(Scheme.id, Scheme.name)
        .having(func.count(Membership.id) == 1)
        .order_by(Scheme.name)
    )
    return [str(name) for name in rows.scalars()]


async def outline(session: AsyncSession, *, telegram_user_id: int) -> ErasureOutline:
    """What erasing the person with this Telegram id would remove, and whom it would affect."""
    async with session.begin():
        person = await _person(session, telegram_user_id)
        if person is None:
            raise NotFound(NO_SUCH_PERSON)
        pid = person.id
        memberships = await session.execute(
            select(Scheme.name)
            .join(Membership, Membership.scheme_id == Scheme.id)
            .where(
                Membership.person_id == pid,
                Membership.status.in_((MembershipStatus.APPROVED, MembershipStatus.PENDING)),
            )
            .order_by(Scheme.name)
        )
        return ErasureOutline(
            reports=await _count(
                session, select(func.count(Report.id)).where(Report.reporter_id == pid)
            ),
            incidents=await _count(
                session, select(func.count(Incident.id)).where(Incident.reporter_id == pid)
            ),
            sightings=await _count(
                session, select(func.count(Sighting.id)).where(Sighting.person_id == pid)
            ),
            memberships=[str(name) for name in memberships.scalars()],
            subscriptions=await _count(
                session,
                select(func.count(Subscription.id)).where(Subscription.person_id == pid),
            ),
            waiting_alerts=await _count(
                session,
                select(func.count(Delivery.id)).where(
                    _deliveries_to(person), Delivery.state.in_(WAITING)
                ),
            ),
            last_coordinator_of=await _last_coordinator_of(session, pid),
        )


async def erase(session: AsyncSession, *, telegram_user_id: int, now: datetime, via: str) -> Erased:
    """Erases the person with this Telegram id; a second erasure finds nobody."""
    async with session.begin():
        person = await _person(session, telegram_user_id)
        if person is None:
            raise NotFound(NO_SUCH_PERSON)
        pid = person.id
        orphaned = await _last_coordinator_of(session, pid)
        reports = list(
            (await session.execute(select(Report.id).where(Report.reporter_id == pid))).scalars()
        )
        await anonymise_reports(session, reports, now=now, replacement=ON_REQUEST)
        await _unlink(session, person, now)
        await _strip(session, person, now)
        await audit.record(
            session,
            actor_id=pid if via == "telegram" else None,
            scheme_id=None,
            action="person.erased",
            object_type="person",
            object_id=pid,
            details={"via": via},
            at=now,
        )
    return Erased(person_id=pid, reports=len(reports), schemes_without_coordinator=orphaned)


async def _unlink(session: AsyncSession, person: Person, now: datetime) -> None:
    """Ends memberships and removes every link from other records back to the person."""
    pid, telegram_id = person.id, person.telegram_user_id
    membership_ids = select(Membership.id).where(Membership.person_id == pid)
    await session.execute(
        update(CaseReview).where(CaseReview.reporter_id == pid).values(reporter_id=None)
    )
    await session.execute(
        update(Incident)
        .where(or_(Incident.reporter_id == pid, Incident.membership_id.in_(membership_ids)))
        .values(reporter_id=None, membership_id=None, submission_key=None)
    )
    await session.execute(
        delete(Sighting).where(
            or_(Sighting.person_id == pid, Sighting.membership_id.in_(membership_ids))
        )
    )
    await session.execute(
        update(Membership)
        .where(Membership.person_id == pid)
        .values(
            status=MembershipStatus.REMOVED,
            business_name=None,
            business_address=None,
            business_postcode=None,
            job_title=None,
            phone=None,
            decision_reason=None,
            group_invite_link=None,
            decided_at=now,
        )
    )
    await session.execute(delete(Subscription).where(Subscription.person_id == pid))
    deliveries = _deliveries_to(person)
    await session.execute(
        update(Delivery)
        .where(deliveries, Delivery.state.in_(WAITING))
        .values(
            state=DeliveryState.CANCELLED,
            last_error="the recipient's data was erased",
            updated_at=now,
        )
    )
    await session.execute(
        update(Delivery)
        .where(deliveries)
        .values(chat_id=ERASED_CHAT_BASE - Delivery.id, person_id=None, telegram_message_id=None)
    )
    await session.execute(
        update(Invite).where(Invite.created_by_id == pid).values(created_by_id=None)
    )
    if telegram_id is None:
        return
    await session.execute(delete(ConversationMark).where(ConversationMark.user_id == telegram_id))
    await session.execute(
        update(TelegramGroup)
        .where(TelegramGroup.added_by_telegram_id == telegram_id)
        .values(added_by_telegram_id=None)
    )
    await session.execute(
        update(Alert)
        .where(Alert.progress_chat_id == telegram_id)
        .values(progress_chat_id=None, progress_message_id=None)
    )
    await session.execute(
        update(AuditEntry)
        .where(AuditEntry.object_type == "telegram_user", AuditEntry.object_id == telegram_id)
        .values(object_id=None)
    )


async def _strip(session: AsyncSession, person: Person, now: datetime) -> None:
    """Leaves the person row as an internal number with nothing that identifies anyone."""
    person.telegram_user_id = None
    person.username = None
    person.full_name = ""
    person.language_code = None
    person.quiet_hours_start = None
    person.quiet_hours_end = None
    person.privacy_seen_at = None
    person.bot_blocked_at = None
    person.erased_at = now
    person.updated_at = now
    await session.flush()
