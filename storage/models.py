"""The ShopWatch data model: people, schemes, reports, incidents, the gallery, alerts, audit."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from core.enums import (
    AlertMessageType,
    AlertState,
    AlertStatus,
    BotGroupStatus,
    Certainty,
    DeliveryState,
    IncidentStatus,
    IncidentType,
    MembershipStatus,
    ReportCategory,
    ReportStatus,
    Role,
    Severity,
    SubjectStatus,
    Urgency,
)
from storage.types import BigIntegerKey, UTCDateTime, enum_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Now, in UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base with portable types and stable constraint names."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime(),
        date: Date(),
        time: Time(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
        list[int]: JSON(),
        float: Float(),
        bool: Boolean(),
        str: Text(),
    }


class Person(Base):
    """Someone who has talked to the bot."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True)
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    username: Mapped[str | None] = mapped_column(String(64))
    full_name: Mapped[str] = mapped_column(String(256), default="")
    language_code: Mapped[str | None] = mapped_column(String(16))
    quiet_hours_start: Mapped[time | None]
    quiet_hours_end: Mapped[time | None]
    privacy_seen_at: Mapped[datetime | None]
    bot_blocked_at: Mapped[datetime | None]
    erased_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="person", foreign_keys="Membership.person_id"
    )


class Scheme(Base):
    """A Shop Watch scheme or community safety partnership area."""

    __tablename__ = "schemes"

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    sharing_rules: Mapped[str] = mapped_column(default="")
    retention_months: Mapped[int] = mapped_column(Integer, default=12)
    photos_allowed: Mapped[bool] = mapped_column(default=True)
    gallery_message_ttl_hours: Mapped[int] = mapped_column(Integer, default=24)
    report_retention_months: Mapped[int] = mapped_column(Integer, default=24)
    case_review_rules: Mapped[dict[str, Any]] = mapped_column(default=dict)
    telegram_group_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    areas: Mapped[list[Area]] = relationship(back_populates="scheme")


class Area(Base):
    """A neighbourhood or town centre a scheme covers: postcode districts and/or a circle."""

    __tablename__ = "areas"

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True)
    scheme_id: Mapped[int | None] = mapped_column(ForeignKey("schemes.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(128))
    postcode_districts: Mapped[list[str]] = mapped_column(default=list)
    centre_latitude: Mapped[float | None]
    centre_longitude: Mapped[float | None]
    radius_m: Mapped[int | None] = mapped_column(Integer)

    scheme: Mapped[Scheme | None] = relationship(back_populates="areas")

    __table_args__ = (UniqueConstraint("scheme_id", "name"),)


class TelegramGroup(Base):
    """A Telegram group the bot has been added to, and what it may do there."""

    __tablename__ = "telegram_groups"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    title: Mapped[str] = mapped_column(String(256), default="")
    chat_type: Mapped[str] = mapped_column(String(16))
    scheme_id: Mapped[int | None] = mapped_column(ForeignKey("schemes.id", ondelete="SET NULL"))
    bot_status: Mapped[BotGroupStatus] = mapped_column(enum_column(BotGroupStatus))
    missing_rights: Mapped[list[str]] = mapped_column(default=list)
    added_by_telegram_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Membership(Base):
    """A person's role in a scheme, and whether a coordinator has approved it."""

    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    scheme_id: Mapped[int] = mapped_column(ForeignKey("schemes.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    status: Mapped[MembershipStatus] = mapped_column(enum_column(MembershipStatus))
    business_name: Mapped[str | None] = mapped_column(String(256))
    business_address: Mapped[str | None] = mapped_column(String(512))
    business_postcode: Mapped[str | None] = mapped_column(String(16))
    job_title: Mapped[str | None] = mapped_column(String(128))
    phone: Mapped[str | None] = mapped_column(String(32))
    rules_accepted_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None]
    invite_id: Mapped[int | None] = mapped_column(ForeignKey("invites.id", ondelete="SET NULL"))
    group_invite_link: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    person: Mapped[Person] = relationship(back_populates="memberships", foreign_keys=[person_id])
    scheme: Mapped[Scheme] = relationship()

    __table_args__ = (
        UniqueConstraint("person_id", "scheme_id"),
        Index(None, "scheme_id", "status"),
    )


class Invite(Base):
    """A deep link a coordinator hands out so a trader can ask to join a scheme."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("schemes.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32), unique=True)
    role: Mapped[Role] = mapped_column(enum_column(Role), default=Role.TRADER)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    single_use: Mapped[bool] = mapped_column(default=False)
    expires_at: Mapped[datetime | None]
    uses: Mapped[int] = mapped_column(Integer, default=0)
    revoked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    scheme: Mapped[Scheme] = relationship()


class Report(Base):
    """A resident's report of a local problem."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    scheme_id: Mapped[int | None] = mapped_column(ForeignKey("schemes.id", ondelete="SET NULL"))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="SET NULL"))
    category: Mapped[ReportCategory] = mapped_column(enum_column(ReportCategory))
    subtype: Mapped[str | None] = mapped_column(String(64))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    location_text: Mapped[str | None] = mapped_column(String(256))
    postcode: Mapped[str | None] = mapped_column(String(16))
    occurred_at: Mapped[datetime]
    occurred_label: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str]
    anonymous: Mapped[bool] = mapped_column(default=False)
    contact_allowed: Mapped[bool] = mapped_column(default=False)
    status: Mapped[ReportStatus] = mapped_column(enum_column(ReportStatus))
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id", ondelete="SET NULL"))
    personal_data_purged_at: Mapped[datetime | None]
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    photos: Mapped[list[ReportPhoto]] = relationship(
        cascade="all, delete-orphan", order_by="ReportPhoto.position"
    )
    events: Mapped[list[ReportEvent]] = relationship(
        cascade="all, delete-orphan", order_by="ReportEvent.id"
    )

    __table_args__ = (
        Index(None, "status", "category"),
        Index(None, "reporter_id", "category", "created_at"),
    )


class CaseReview(Base):
    """An ASB Case Review (Community Trigger) threshold met, flagged to the coordinators."""

    __tablename__ = "case_reviews"

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True)
    scheme_id: Mapped[int | None] = mapped_column(ForeignKey("schemes.id", ondelete="SET NULL"))
    route: Mapped[str] = mapped_column(String(16))
    category: Mapped[ReportCategory] = mapped_column(enum_column(ReportCategory))
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    anchor_report_id: Mapped[int | None] = mapped_column(
        ForeignKey("reports.id", ondelete="SET NULL")
    )
    report_ids: Mapped[list[int]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(32), default="flagged")
    flagged_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None]

    __table_args__ = (Index(None, "route", "category", "flagged_at"),)


class ReportPhoto(Base):
    """A photo attached to a resident report, kept as Telegram's file id."""

    __tablename__ = "report_photos"

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    file_id: Mapped[str] = mapped_column(String(256))
    file_unique_id: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer, default=0)


class ReportEvent(Base):
    """One line of a report's history: filed, status changed, note added."""

    __tablename__ = "report_events"

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[ReportStatus | None] = mapped_column(enum_column(ReportStatus))
    to_status: Mapped[ReportStatus | None] = mapped_column(enum_column(ReportStatus))
    note: Mapped[str | None]
    reporter_notified: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Incident(Base):
    """Something a trader saw happen, shared with the scheme."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("schemes.id", ondelete="CASCADE"))
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    membership_id: Mapped[int | None] = mapped_column(
        ForeignKey("memberships.id", ondelete="SET NULL")
    )
    incident_type: Mapped[IncidentType] = mapped_column(enum_column(IncidentType))
    occurred_at: Mapped[datetime]
    location_text: Mapped[str | None] = mapped_column(String(256))
    description: Mapped[str]
    people_description: Mapped[dict[str, Any]] = mapped_column(default=dict)
    value_stolen_pence: Mapped[int | None] = mapped_column(Integer)
    police_reference: Mapped[str | None] = mapped_column(String(64))
    show_business_name: Mapped[bool] = mapped_column(default=False)
    status: Mapped[IncidentStatus] = mapped_column(enum_column(IncidentStatus))
    group_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    group_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    personal_data_purged_at: Mapped[datetime | None]
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)

    photos: Mapped[list[IncidentPhoto]] = relationship(
        cascade="all, delete-orphan", order_by="IncidentPhoto.position"
    )

    __table_args__ = (Index(None, "scheme_id", "occurred_at"),)


class IncidentPhoto(Base):
    """A photo attached to an incident."""

    __tablename__ = "incident_photos"

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    file_id: Mapped[str] = mapped_column(String(256))
    file_unique_id: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer, default=0)


class Sighting(Base):
    """A member's "seen them too" on an incident."""

    __tablename__ = "sightings"

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    membership_id: Mapped[int | None] = mapped_column(
        ForeignKey("memberships.id", ondelete="SET NULL")
    )
    business_name: Mapped[str | None] = mapped_column(String(256))
    seen_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("incident_id", "person_id"),)


class Subject(Base):
    """A person of interest in a scheme's gallery (Known, or ID sought)."""

    __tablename__ = "subjects"

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("schemes.id", ondelete="CASCADE"))
    status: Mapped[SubjectStatus] = mapped_column(enum_column(SubjectStatus))
    label: Mapped[str] = mapped_column(String(128))
    description: Mapped[str]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    last_incident_at: Mapped[datetime | None]
    review_prompted_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    photos: Mapped[list[SubjectPhoto]] = relationship(
        cascade="all, delete-orphan", order_by="SubjectPhoto.position"
    )
    exclusions: Mapped[list[Exclusion]] = relationship(cascade="all, delete-orphan")


class SubjectPhoto(Base):
    """A photo of a person of interest; deleted with the entry."""

    __tablename__ = "subject_photos"

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id", ondelete="CASCADE"))
    file_id: Mapped[str] = mapped_column(String(256))
    file_unique_id: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer, default=0)


class IncidentSubject(Base):
    """Links an incident to a gallery entry."""

    __tablename__ = "incident_subjects"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    subject_id: Mapped[int] = mapped_column(
        ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True
    )


class Exclusion(Base):
    """An exclusion notice against a person of interest, with its dates."""

    __tablename__ = "exclusions"

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id", ondelete="CASCADE"))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    notes: Mapped[str | None]
    reminder_sent_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Alert(Base):
    """A warning broadcast to an audience, in CAP 1.2 terms."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True)
    scheme_id: Mapped[int | None] = mapped_column(ForeignKey("schemes.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    status: Mapped[AlertStatus] = mapped_column(enum_column(AlertStatus))
    message_type: Mapped[AlertMessageType] = mapped_column(enum_column(AlertMessageType))
    references_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="SET NULL"))
    severity: Mapped[Severity] = mapped_column(enum_column(Severity))
    urgency: Mapped[Urgency] = mapped_column(enum_column(Urgency), default=Urgency.UNKNOWN)
    certainty: Mapped[Certainty] = mapped_column(enum_column(Certainty), default=Certainty.UNKNOWN)
    headline: Mapped[str] = mapped_column(String(256))
    description: Mapped[str]
    instruction: Mapped[str | None]
    area_text: Mapped[str | None] = mapped_column(String(256))
    photo_file_id: Mapped[str | None] = mapped_column(String(256))
    audience: Mapped[dict[str, Any]] = mapped_column(default=dict)
    paid: Mapped[bool] = mapped_column(default=False)
    state: Mapped[AlertState] = mapped_column(enum_column(AlertState))
    expires_at: Mapped[datetime]
    scheduled_for: Mapped[datetime | None]
    source_incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL")
    )
    source_report_id: Mapped[int | None] = mapped_column(
        ForeignKey("reports.id", ondelete="SET NULL")
    )
    progress_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    recall_requested_at: Mapped[datetime | None]

    __table_args__ = (Index(None, "state", "scheduled_for"),)


class Delivery(Base):
    """One recipient's copy of an alert: the durable outbox row the sender works through."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    is_group: Mapped[bool] = mapped_column(default=False)
    silent: Mapped[bool] = mapped_column(default=False)
    state: Mapped[DeliveryState] = mapped_column(enum_column(DeliveryState))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None]
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(String(512))
    sent_at: Mapped[datetime | None]
    recall_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    recalled_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("alert_id", "chat_id"),
        Index(None, "state", "next_attempt_at"),
    )


class Subscription(Base):
    """A person's wish to hear about a topic in an area."""

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(32))
    min_severity: Mapped[Severity] = mapped_column(enum_column(Severity), default=Severity.MINOR)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("person_id", "area_id", "topic"),
        Index(None, "area_id", "topic", "active"),
    )


class BroadcastBudget(Base):
    """How many paid-broadcast messages (0.1 Star each) a scheme may still send."""

    __tablename__ = "broadcast_budgets"

    scheme_id: Mapped[int] = mapped_column(
        ForeignKey("schemes.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    paid_messages_left: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AuditEntry(Base):
    """Who viewed, exported, changed or erased personal data, and when."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    scheme_id: Mapped[int | None] = mapped_column(ForeignKey("schemes.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[int | None] = mapped_column(BigInteger)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index(None, "scheme_id", "created_at"),)


class MessageDeletion(Base):
    """A message the bot sent that must be deleted at a set time (gallery views, mostly)."""

    __tablename__ = "message_deletions"

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    scheme_id: Mapped[int | None] = mapped_column(ForeignKey("schemes.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(32))
    delete_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("chat_id", "message_id"),
        Index(None, "delete_at"),
    )


class JobRun(Base):
    """A claimed run of a scheduled job, so that several processes run it once."""

    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    slot: Mapped[str] = mapped_column(String(64))
    claimed_by: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(256))

    __table_args__ = (UniqueConstraint("job", "slot"),)


class HandledUpdate(Base):
    """A Telegram update claimed by one process, so a redelivered copy has no second effect."""

    __tablename__ = "handled_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    state: Mapped[str] = mapped_column(String(16), default="handling")
    claimed_by: Mapped[str] = mapped_column(String(64))
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]

    __table_args__ = (Index(None, "claimed_at"),)


class ConversationMark(Base):
    """That a person is part-way through a guided conversation, kept where Redis can't lose it."""

    __tablename__ = "conversation_marks"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    flow: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
