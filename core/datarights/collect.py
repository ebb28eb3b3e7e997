"""Gathering everything held about one person for their copy, and nothing about anyone else."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.subscriptions.topics import topic_label
from storage.models import (
    Alert,
    Area,
    AuditEntry,
    CaseReview,
    ConversationMark,
    Delivery,
    Incident,
    IncidentPhoto,
    Invite,
    Membership,
    MessageDeletion,
    Person,
    Report,
    ReportEvent,
    ReportPhoto,
    Scheme,
    Sighting,
    Subject,
    Subscription,
)

Document = dict[str, Any]

NOT_INCLUDED = [
    "Other people's names and Telegram ids: coordinators and members appear by role only.",
    "Other residents' reports: a case review shows only how many reports it covers.",
    "Gallery entries you created: they are about someone else, so only their ids and dates.",
    "Sightings other members added to your incidents.",
    "Unfinished conversations: a half-written report is kept only until you finish or "
    "cancel it, and is forgotten after a few hours.",
]


def stamp(moment: datetime | date | time | None) -> str | None:
    """A moment in ISO 8601, or None."""
    return None if moment is None else moment.isoformat()


async def _scheme_names(session: AsyncSession) -> dict[int, str]:
    rows = await session.execute(select(Scheme.id, Scheme.name))
    return {int(i): str(name) for i, name in rows.all()}


async def _area_names(session: AsyncSession) -> dict[int, str]:
    rows = await session.execute(select(Area.id, Area.name))
    return {int(i): str(name) for i, name in rows.all()}


def _profile(person: Person) -> Document:
    quiet = None
    if person.quiet_hours_start is not None and person.quiet_hours_end is not None:
        quiet = {"from": stamp(person.quiet_hours_start), "until": stamp(person.quiet_hours_end)}
    return {
        "internal_id": person.id,
        "telegram_user_id": person.telegram_user_id,
        "name": person.full_name,
        "username": person.username,
        "language": person.language_code,
        "quiet_hours": quiet,
        "privacy_notice_seen_at": stamp(person.privacy_seen_at),
        "blocked_the_bot_at": stamp(person.bot_blocked_at),
        "first_seen_at": stamp(person.created_at),
        "updated_at": stamp(person.updated_at),
    }


async def _memberships(
    session: AsyncSession, person_id: int, schemes: dict[int, str]
) -> list[Document]:
    rows = await session.execute(
        select(Membership).where(Membership.person_id == person_id).order_by(Membership.id)
    )
    return [
        {
            "scheme": schemes.get(m.scheme_id),
            "role": m.role.value,
            "status": m.status.value,
            "business_name": m.business_name,
            "business_address": m.business_address,
            "business_postcode": m.business_postcode,
            "job_title": m.job_title,
            "phone": m.phone,
            "rules_accepted_at": stamp(m.rules_accepted_at),
            "applied_at": stamp(m.created_at),
            "decided_at": stamp(m.decided_at),
            "decided_by": "a coordinator" if m.decided_by_id is not None else None,
            "decision_reason": m.decision_reason,
            "group_invite_link": m.group_invite_link,
        }
        for m in rows.scalars()
    ]


def _by(actor_id: int | None, person_id: int, *, kind: str = "") -> str:
    if actor_id == person_id or (actor_id is None and kind == "filed"):
        return "you"
    return "ShopWatch" if actor_id is None else "a coordinator"


async def _reports(
    session: AsyncSession, person_id: int, schemes: dict[int, str], areas: dict[int, str]
) -> tuple[list[Document], dict[int, str]]:
    reports = list(
        (
            await session.execute(
                select(Report).where(Report.reporter_id == person_id).order_by(Report.id)
            )
        ).scalars()
    )
    ids = [report.id for report in reports]
    photos: dict[int, list[Document]] = {}
    events: dict[int, list[Document]] = {}
    if ids:
        for photo in (
            await session.execute(
                select(ReportPhoto)
                .where(ReportPhoto.report_id.in_(ids))
                .order_by(ReportPhoto.position, ReportPhoto.id)
            )
        ).scalars():
            photos.setdefault(photo.report_id, []).append(
                {"file_id": photo.file_id, "file_unique_id": photo.file_unique_id}
            )
        for event in (
            await session.execute(
                select(ReportEvent).where(ReportEvent.report_id.in_(ids)).order_by(ReportEvent.id)
            )
        ).scalars():
            events.setdefault(event.report_id, []).append(
                {
                    "at": stamp(event.created_at),
                    "what": event.kind,
                    "from_status": event.from_status.value if event.from_status else None,
                    "to_status": event.to_status.value if event.to_status else None,
                    "note": event.note,
                    "by": _by(event.actor_id, person_id, kind=event.kind),
                }
            )
    documents = [
        {
            "reference": r.reference,
            "category": r.category.value,
            "subtype": r.subtype,
            "status": r.status.value,
            "scheme": schemes.get(r.scheme_id) if r.scheme_id else None,
            "area": areas.get(r.area_id) if r.area_id else None,
            "place": r.location_text,
            "postcode": r.postcode,
            "latitude": r.latitude,
            "longitude": r.longitude,
            "happened_at": stamp(r.occurred_at),
            "happened_as_you_put_it": r.occurred_label,
            "description": r.description,
            "anonymous": r.anonymous,
            "may_contact_you": r.contact_allowed,
            "filed_at": stamp(r.created_at),
            "personal_data_removed_at": stamp(r.personal_data_purged_at),
            "photos": photos.get(r.id, []),
            "history": events.get(r.id, []),
        }
        for r in reports
    ]
    return documents, {r.id: r.reference for r in reports}


async def _case_reviews(
    session: AsyncSession, person_id: int, mine: dict[int, str]
) -> list[Document]:
    reviews = (await session.execute(select(CaseReview).order_by(CaseReview.id))).scalars()
    found = []
    for review in reviews:
        yours = [mine[i] for i in review.report_ids if i in mine]
        if review.reporter_id != person_id and not yours:
            continue
        found.append(
            {
                "route": review.route,
                "category": review.category.value,
                "status": review.status,
                "flagged_at": stamp(review.flagged_at),
                "acknowledged_at": stamp(review.acknowledged_at),
                "your_reports": yours,
                "reports_in_review": len(review.report_ids),
            }
        )
    return found


async def _incidents(
    session: AsyncSession, person_id: int, schemes: dict[int, str]
) -> list[Document]:
    incidents = list(
        (
            await session.execute(
                select(Incident).where(Incident.reporter_id == person_id).order_by(Incident.id)
            )
        ).scalars()
    )
    photos: dict[int, list[Document]] = {}
    if incidents:
        for photo in (
            await session.execute(
                select(IncidentPhoto)
                .where(IncidentPhoto.incident_id.in_([i.id for i in incidents]))
                .order_by(IncidentPhoto.position, IncidentPhoto.id)
            )
        ).scalars():
            photos.setdefault(photo.incident_id, []).append(
                {"file_id": photo.file_id, "file_unique_id": photo.file_unique_id}
            )
    return [
        {
            "reference": i.reference,
            "scheme": schemes.get(i.scheme_id),
            "type": i.incident_type.value,
            "happened_at": stamp(i.occurred_at),
            "place": i.location_text,
            "description": i.description,
            "people_you_described": list(i.people_description.get("people", [])),
            "value_stolen_pence": i.value_stolen_pence,
            "police_reference": i.police_reference,
            "show_business_name": i.show_business_name,
            "status": i.status.value,
            "posted_at": stamp(i.created_at),
            "resolved_at": stamp(i.resolved_at),
            "personal_data_removed_at": stamp(i.personal_data_purged_at),
            "photos": photos.get(i.id, []),
        }
        for i in incidents
    ]


async def _sightings(session: AsyncSession, person_id: int) -> list[Document]:
    rows = await session.execute(
        select(Sighting, Incident.reference)
        .join(Incident, Incident.id == Sighting.incident_id)
        .where(Sighting.person_id == person_id)
        .order_by(Sighting.id)
    )
    return [
        {
            "incident": reference,
            "seen_at": stamp(sighting.seen_at),
            "business_name": sighting.business_name,
            "recorded_at": stamp(sighting.created_at),
        }
        for sighting, reference in rows.all()
    ]


async def _subscriptions(
    session: AsyncSession, person_id: int, areas: dict[int, str]
) -> list[Document]:
    rows = await session.execute(
        select(Subscription).where(Subscription.person_id == person_id).order_by(Subscription.id)
    )
    return [
        {
            "topic": topic_label(s.topic),
            "area": areas.get(s.area_id) if s.area_id else "everywhere",
            "lowest_severity": s.min_severity.value,
            "active": s.active,
            "since": stamp(s.created_at),
        }
        for s in rows.scalars()
    ]


async def _alerts_received(
    session: AsyncSession, person_id: int, telegram_id: int | None
) -> list[Document]:
    mine = Delivery.person_id == person_id
    if telegram_id is not None:
        mine = or_(mine, and_(Delivery.chat_id == telegram_id, Delivery.is_group.is_(False)))
    rows = await session.execute(
        select(Delivery, Alert.headline, Alert.severity, Alert.message_type)
        .join(Alert, Alert.id == Delivery.alert_id)
        .where(mine)
        .order_by(Delivery.id)
    )
    return [
        {
            "alert": f"ALERT-{delivery.alert_id}",
            "headline": headline,
            "severity": severity.value,
            "kind": message_type.value,
            "state": delivery.state.value,
            "queued_at": stamp(delivery.created_at),
            "sent_at": stamp(delivery.sent_at),
            "without_sound": delivery.silent,
        }
        for delivery, headline, severity, message_type in rows.all()
    ]


async def _made_by(session: AsyncSession, person_id: int, schemes: dict[int, str]) -> Document:
    alerts = await session.execute(
        select(Alert).where(Alert.created_by_id == person_id).order_by(Alert.id)
    )
    invites = await session.execute(
        select(Invite).where(Invite.created_by_id == person_id).order_by(Invite.id)
    )
    entries = await session.execute(
        select(Subject.id, Subject.created_at)
        .where(Subject.created_by_id == person_id)
        .order_by(Subject.id)
    )
    return {
        "alerts_you_sent": [
            {
                "alert": f"ALERT-{a.id}",
                "headline": a.headline,
                "state": a.state.value,
                "created_at": stamp(a.created_at),
            }
            for a in alerts.scalars()
        ],
        "invites_you_made": [
            {
                "scheme": schemes.get(i.scheme_id),
                "code": i.code,
                "role": i.role.value,
                "created_at": stamp(i.created_at),
                "expires_at": stamp(i.expires_at),
                "uses": i.uses,
                "revoked_at": stamp(i.revoked_at),
            }
            for i in invites.scalars()
        ],
        "gallery_entries_you_created": [
            {"entry": int(entry_id), "created_at": stamp(created)}
            for entry_id, created in entries.all()
        ],
    }


async def _chat_records(session: AsyncSession, telegram_id: int | None) -> Document:
    if telegram_id is None:
        return {"conversations_in_progress": [], "messages_to_be_deleted": []}
    marks = await session.execute(
        select(ConversationMark).where(ConversationMark.user_id == telegram_id)
    )
    deletions = await session.execute(
        select(MessageDeletion)
        .where(MessageDeletion.chat_id == telegram_id)
        .order_by(MessageDeletion.delete_at)
    )
    return {
        "conversations_in_progress": [
            {"conversation": mark.flow, "started_at": stamp(mark.started_at)}
            for mark in marks.scalars()
        ],
        "messages_to_be_deleted": [
            {"message_id": d.message_id, "delete_at": stamp(d.delete_at)}
            for d in deletions.scalars()
        ],
    }


async def _audit_entries(
    session: AsyncSession, person_id: int, telegram_id: int | None, schemes: dict[int, str]
) -> list[Document]:
    membership_ids = list(
        (
            await session.execute(select(Membership.id).where(Membership.person_id == person_id))
        ).scalars()
    )
    about_them = [
        and_(AuditEntry.object_type == "person", AuditEntry.object_id == person_id),
        and_(AuditEntry.object_type == "membership", AuditEntry.object_id.in_(membership_ids)),
    ]
    if telegram_id is not None:
        about_them.append(
            and_(AuditEntry.object_type == "telegram_user", AuditEntry.object_id == telegram_id)
        )
    rows = await session.execute(
        select(AuditEntry)
        .where(or_(AuditEntry.actor_id == person_id, *about_them))
        .order_by(AuditEntry.created_at, AuditEntry.id)
    )
    entries = []
    for entry in rows.scalars():
        line = audit.AuditLine(
            at=entry.created_at,
            actor="",
            action=entry.action,
            object_type=entry.object_type,
            object_id=entry.object_id,
            details=dict(entry.details),
        )
        target = entry.actor_id != person_id
        entries.append(
            {
                "at": stamp(entry.created_at),
                "action": entry.action,
                "what": audit.describe(line),
                "by": _by(entry.actor_id, person_id) if target else "you",
                "scheme": schemes.get(entry.scheme_id) if entry.scheme_id else None,
                # What was decided about them is theirs; what they did to others is not.
                "details": dict(entry.details) if target else {},
            }
        )
    return entries


def counts(document: Document) -> dict[str, int]:
    """How many records of each kind the copy holds."""
    return {key: len(value) for key, value in document.items() if isinstance(value, list)}


async def gather(session: AsyncSession, person: Person, *, now: datetime) -> Document:
    """The whole copy, as JSON-ready values (in the caller's transaction)."""
    schemes = await _scheme_names(session)
    areas = await _area_names(session)
    reports, references = await _reports(session, person.id, schemes, areas)
    made = await _made_by(session, person.id, schemes)
    chat = await _chat_records(session, person.telegram_user_id)
    sections: Document = {
        "memberships": await _memberships(session, person.id, schemes),
        "reports": reports,
        "case_reviews": await _case_reviews(session, person.id, references),
        "incidents": await _incidents(session, person.id, schemes),
        "sightings": await _sightings(session, person.id),
        "subscriptions": await _subscriptions(session, person.id, areas),
        "alerts_received": await _alerts_received(session, person.id, person.telegram_user_id),
        **made,
        **chat,
        "audit_log": await _audit_entries(session, person.id, person.telegram_user_id, schemes),
    }
    return {
        "about": "Everything ShopWatch holds about you, as a subject access copy (UK GDPR "
        "Article 15).",
        "generated_at": stamp(now),
        "you": _profile(person),
        **sections,
        "not_included": NOT_INCLUDED,
    }


def holds_anything(document: Document, skip: Sequence[str] = ("not_included",)) -> bool:
    """Whether the copy holds more than the profile every message to the bot carries."""
    you = document["you"]
    if you.get("quiet_hours"):
        return True
    return any(
        value for key, value in document.items() if isinstance(value, list) and key not in skip
    )
