"""The vocabulary of ShopWatch, shared by storage, services and every messenger front end."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What a person is in a scheme."""

    RESIDENT = "resident"
    TRADER = "trader"
    COORDINATOR = "coordinator"
    PARTNER = "partner"


class MembershipStatus(StrEnum):
    """Where a person's membership of a scheme stands."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUSPENDED = "suspended"
    REMOVED = "removed"


class ReportCategory(StrEnum):
    """The kinds of local problem a resident can report."""

    ASB = "asb"
    FLY_TIPPING = "fly_tipping"
    STREET_DRINKING = "street_drinking"
    DRUG_DEALING = "drug_dealing"
    SPEEDING = "speeding"
    BIKE_THEFT = "bike_theft"
    VANDALISM = "vandalism"
    NOISE = "noise"
    SCAM = "scam"
    HATE_INCIDENT = "hate_incident"
    OTHER = "other"


class ReportStatus(StrEnum):
    """The stages a resident report moves through."""

    RECEIVED = "received"
    UNDER_REVIEW = "under_review"
    REFERRED = "referred"
    ACTION_TAKEN = "action_taken"
    CLOSED = "closed"


class IncidentType(StrEnum):
    """The kinds of incident a trader can post."""

    THEFT = "theft"
    ATTEMPTED_THEFT = "attempted_theft"
    AGGRESSION = "aggression"
    VIOLENCE = "violence"
    SUSPICIOUS = "suspicious"
    BEGGING = "begging"
    COUNTERFEIT = "counterfeit"
    CRIMINAL_DAMAGE = "criminal_damage"
    OTHER = "other"


class IncidentStatus(StrEnum):
    """Whether an incident still needs attention."""

    OPEN = "open"
    RESOLVED = "resolved"


class SubjectStatus(StrEnum):
    """A gallery entry: a known person, or one whose identity is sought."""

    KNOWN = "known"
    ID_SOUGHT = "id_sought"


class AlertStatus(StrEnum):
    """CAP 1.2 status: who an alert is for."""

    ACTUAL = "actual"
    EXERCISE = "exercise"
    TEST = "test"
    DRAFT = "draft"


class AlertMessageType(StrEnum):
    """CAP 1.2 message type."""

    ALERT = "alert"
    UPDATE = "update"
    CANCEL = "cancel"


class Severity(StrEnum):
    """CAP 1.2 severity."""

    EXTREME = "extreme"
    SEVERE = "severe"
    MODERATE = "moderate"
    MINOR = "minor"


class Urgency(StrEnum):
    """CAP 1.2 urgency."""

    IMMEDIATE = "immediate"
    EXPECTED = "expected"
    FUTURE = "future"
    PAST = "past"
    UNKNOWN = "unknown"


class Certainty(StrEnum):
    """CAP 1.2 certainty."""

    OBSERVED = "observed"
    LIKELY = "likely"
    POSSIBLE = "possible"
    UNLIKELY = "unlikely"
    UNKNOWN = "unknown"


class AlertState(StrEnum):
    """Where an alert is in its life, from draft to done."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    QUEUED = "queued"
    SENDING = "sending"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class DeliveryState(StrEnum):
    """Where one recipient's copy of an alert is."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"
    CANCELLED = "cancelled"
    RECALLED = "recalled"


class BotGroupStatus(StrEnum):
    """The bot's own standing in a Telegram group."""

    MEMBER = "member"
    ADMINISTRATOR = "administrator"
    RESTRICTED = "restricted"
    LEFT = "left"
    KICKED = "kicked"
