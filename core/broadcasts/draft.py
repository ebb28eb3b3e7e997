"""A warning being composed: its parts, their checks, and the labels coordinators see."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from broadcast.audience import Audience
from broadcast.outbox import AlertDraft
from broadcast.render import render_alert, text_limit
from core.enums import AlertMessageType, AlertStatus, Role, Severity
from core.errors import InvalidInput
from core.reports.categories import CATEGORIES

MIN_HEADLINE = 5
MAX_HEADLINE = 120
MIN_TEXT = 10
MAX_TEXT = 2000
MAX_INSTRUCTION = 500
DEFAULT_EXPIRY_HOURS = 24
EXPIRY_CHOICES = (1, 6, 24, 72)

SHOP_WATCH_TOPIC = "shop_watch"

AUDIENCE_ROLES: tuple[tuple[Role, str], ...] = (
    (Role.TRADER, "Traders"),
    (Role.PARTNER, "Partners"),
    (Role.COORDINATOR, "Coordinators"),
)
GROUP_LABEL = "The scheme's group"
SUBSCRIBERS_LABEL = "Subscribed residents"

TOPIC_LABELS: dict[str, str] = {
    **{info.category.value: info.label for info in CATEGORIES},
    SHOP_WATCH_TOPIC: "Shop Watch warnings",
}

SEVERITY_WORDS: dict[Severity, str] = {
    Severity.EXTREME: "Extreme",
    Severity.SEVERE: "Severe",
    Severity.MODERATE: "Moderate",
    Severity.MINOR: "Minor",
}
STATUS_WORDS: dict[AlertStatus, str] = {
    AlertStatus.ACTUAL: "Actual",
    AlertStatus.TEST: "Test",
    AlertStatus.EXERCISE: "Exercise",
}


def expiry_label(hours: int) -> str:
    """ "1 h", "24 h", "3 days"."""
    return f"{hours // 24} days" if hours >= 48 and hours % 24 == 0 else f"{hours} h"


@dataclass
class ComposeDraft:
    """Everything chosen so far; kept in the conversation as plain JSON."""

    scheme_id: int
    roles: list[str] = field(default_factory=list)
    include_group: bool = False
    subscribers: bool = False
    area_ids: list[int] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    chat_ids: list[int] = field(default_factory=list)
    delivered_of: int | None = None
    fixed_audience: bool = False
    headline: str | None = None
    description: str | None = None
    photo_file_id: str | None = None
    instruction: str | None = None
    severity: str | None = None
    expiry_hours: int | None = DEFAULT_EXPIRY_HOURS
    expires_at: str | None = None
    status: str = AlertStatus.ACTUAL.value
    scheduled_for: str | None = None
    message_type: str = AlertMessageType.ALERT.value
    references_id: int | None = None
    source_incident_id: int | None = None
    source_report_id: int | None = None
    area_text: str | None = None

    def to_data(self) -> dict[str, Any]:
        """The draft as stored in the conversation."""
        return asdict(self)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> ComposeDraft:
        """The draft stored in the conversation."""
        return cls(**data)

    @property
    def is_test(self) -> bool:
        """A Test or Exercise: it goes only to the scheme's coordinators."""
        return self.status != AlertStatus.ACTUAL.value

    @property
    def schedule_time(self) -> datetime | None:
        """When a scheduled warning goes out."""
        return datetime.fromisoformat(self.scheduled_for) if self.scheduled_for else None

    def chosen_audience(self, sender_chat_id: int) -> Audience:
        """Who it goes to: the chosen audience, or for a test the coordinators only."""
        if self.is_test:
            return Audience(
                scheme_id=self.scheme_id,
                roles=(Role.COORDINATOR,),
                chat_ids=(sender_chat_id,),
            )
        return Audience(
            scheme_id=self.scheme_id,
            roles=tuple(Role(role) for role in self.roles),
            include_group=self.include_group,
            subscribers=self.subscribers,
            area_ids=tuple(self.area_ids),
            topics=tuple(self.topics),
            chat_ids=tuple(self.chat_ids),
            delivered_of=self.delivered_of,
        )

    def expiry(self, anchor: datetime) -> datetime:
        """When it expires: a typed time, or the chosen hours after `anchor`."""
        if self.expires_at is not None:
            return datetime.fromisoformat(self.expires_at)
        return anchor + timedelta(hours=self.expiry_hours or DEFAULT_EXPIRY_HOURS)

    def to_alert(self, *, anchor: datetime, created_by_id: int, sender_chat_id: int) -> AlertDraft:
        """The warning as the outbox queues it; `anchor` is when it goes out (or was previewed)."""
        return AlertDraft(
            headline=self.headline or "",
            description=self.description or "",
            severity=Severity(self.severity or Severity.MODERATE.value),
            expires_at=self.expiry(anchor),
            audience=self.chosen_audience(sender_chat_id),
            scheme_id=self.scheme_id,
            created_by_id=created_by_id,
            status=AlertStatus(self.status),
            message_type=AlertMessageType(self.message_type),
            references_id=self.references_id,
            instruction=self.instruction,
            area_text=self.area_text,
            photo_file_id=self.photo_file_id,
            scheduled_for=self.schedule_time,
            source_incident_id=self.source_incident_id,
            source_report_id=self.source_report_id,
        )

    def toggle_role(self, role: Role) -> None:
        """Adds or removes one role from the audience."""
        if role.value in self.roles:
            self.roles.remove(role.value)
        else:
            self.roles.append(role.value)

    def toggle_area(self, area_id: int) -> None:
        """Adds or removes one area (none chosen means all of them)."""
        if area_id in self.area_ids:
            self.area_ids.remove(area_id)
        else:
            self.area_ids.append(area_id)

    def toggle_topic(self, topic: str) -> None:
        """Adds or removes one topic (none chosen means every topic)."""
        if topic not in TOPIC_LABELS:
            raise InvalidInput("That isn't one of the topics. Please use the buttons.")
        if topic in self.topics:
            self.topics.remove(topic)
        else:
            self.topics.append(topic)


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    return "\n".join(lines).strip()


def check_headline(text: str) -> str:
    """A one-line headline of 5 to 120 characters."""
    headline = " ".join(text.split())
    if len(headline) < MIN_HEADLINE:
        raise InvalidInput(
            f"That headline is too short: please use at least {MIN_HEADLINE} characters, "
            'e.g. "Shoplifter active on the High Street".'
        )
    if len(headline) > MAX_HEADLINE:
        raise InvalidInput(
            f"That headline has {len(headline)} characters; please keep it to {MAX_HEADLINE} "
            "and put the details in the text."
        )
    return headline


def check_text(text: str) -> str:
    """What happened, 10 to 2000 characters."""
    tidy = _tidy(text)
    if len(tidy) < MIN_TEXT:
        raise InvalidInput(
            f"Please write at least {MIN_TEXT} characters about what is happening, so people "
            "know what the warning is about."
        )
    if len(tidy) > MAX_TEXT:
        raise InvalidInput(f"That text has {len(tidy)} characters; please keep it to {MAX_TEXT}.")
    return tidy


def check_instruction(text: str) -> str:
    """What people should do, at most 500 characters."""
    tidy = _tidy(text)
    if len(tidy) < 3:
        raise InvalidInput("Please type what people should do, or press Skip.")
    if len(tidy) > MAX_INSTRUCTION:
        raise InvalidInput(
            f"That instruction has {len(tidy)} characters; please keep it to {MAX_INSTRUCTION}."
        )
    return tidy


def check_fits(draft: ComposeDraft, *, anchor: datetime, tz: ZoneInfo) -> None:
    """Refuses a warning whose whole message would not fit in one Telegram message."""
    if not draft.headline or not draft.description:
        return
    rendered = render_alert(draft.to_alert(anchor=anchor, created_by_id=0, sender_chat_id=0), tz)
    has_photo = draft.photo_file_id is not None
    limit = text_limit(has_photo)
    if len(rendered) <= limit:
        return
    if has_photo:
        raise InvalidInput(
            f"Under a photo Telegram allows {limit:,} characters for the whole message, and "
            f"this warning would have {len(rendered):,}. Shorten the text or the instruction "
            "by at least "
            f"{len(rendered) - limit:,} characters, or send it without the photo."
        )
    raise InvalidInput(
        f"This warning would have {len(rendered):,} characters; Telegram allows {limit:,}. "
        "Please shorten it."
    )


def preview_text(draft: ComposeDraft, *, anchor: datetime, tz: ZoneInfo) -> str:
    """The message exactly as recipients will see it."""
    return render_alert(draft.to_alert(anchor=anchor, created_by_id=0, sender_chat_id=0), tz)


def audience_summary(draft: ComposeDraft, area_names: dict[int, str]) -> str:
    """Who was chosen, in words: "Traders, the scheme's group, subscribed residents (...)"."""
    if draft.fixed_audience:
        return "the people who received the original warning"
    parts = [label for role, label in AUDIENCE_ROLES if role.value in draft.roles]
    if draft.include_group:
        parts.append(GROUP_LABEL)
    if draft.subscribers:
        areas = (
            ", ".join(area_names.get(area, "?") for area in draft.area_ids)
            if draft.area_ids
            else "all areas"
        )
        topics = (
            ", ".join(TOPIC_LABELS.get(topic, topic) for topic in draft.topics)
            if draft.topics
            else "all topics"
        )
        parts.append(f"{SUBSCRIBERS_LABEL} ({areas}; {topics})")
    return ", ".join(parts) if parts else "nobody yet"
