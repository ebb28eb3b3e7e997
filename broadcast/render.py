"""The words each recipient sees: one plain-text message per alert, in CAP's order."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from core.enums import AlertMessageType, AlertStatus, Severity

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024

SEVERITY_LABELS = {
    Severity.EXTREME: "🚨 EXTREME WARNING",
    Severity.SEVERE: "⚠️ SEVERE WARNING",
    Severity.MODERATE: "⚠️ Warning",
    Severity.MINOR: "ℹ️ Advice",
}
STATUS_LABELS = {
    AlertStatus.TEST: "🧪 TEST: no action needed.",
    AlertStatus.EXERCISE: "🧪 EXERCISE: no action needed.",
    AlertStatus.DRAFT: "📝 DRAFT: not for action.",
}
TYPE_LABELS = {
    AlertMessageType.UPDATE: "UPDATE",
    AlertMessageType.CANCEL: "ALL CLEAR",
}


class AlertWords(Protocol):
    """What an alert says (an `Alert` row or a draft of one)."""

    @property
    def headline(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def instruction(self) -> str | None: ...
    @property
    def area_text(self) -> str | None: ...
    @property
    def severity(self) -> Severity: ...
    @property
    def status(self) -> AlertStatus: ...
    @property
    def message_type(self) -> AlertMessageType: ...
    @property
    def expires_at(self) -> datetime: ...


def render_alert(alert: AlertWords, tz: ZoneInfo) -> str:
    """The message text: label, headline, what happened, what to do, where, until when."""
    lines: list[str] = []
    if alert.status in STATUS_LABELS:
        lines.append(STATUS_LABELS[alert.status])
    label = SEVERITY_LABELS[alert.severity]
    kind = TYPE_LABELS.get(alert.message_type)
    lines.append(f"{label} · {kind}" if kind else label)
    lines.append(alert.headline.strip())
    lines.append("")
    lines.append(alert.description.strip())
    if alert.instruction:
        lines.append("")
        lines.append(f"What to do: {alert.instruction.strip()}")
    if alert.area_text:
        lines.append(f"Where: {alert.area_text.strip()}")
    until = alert.expires_at.astimezone(tz)
    lines.append(f"Until {until:%H:%M} on {until.day} {until:%b %Y}")
    return "\n".join(lines)


def text_limit(has_photo: bool) -> int:
    """Telegram's longest text, or caption under a photo."""
    return CAPTION_LIMIT if has_photo else TEXT_LIMIT
