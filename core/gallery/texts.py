"""What the gallery says, independent of the messenger that carries it."""

from __future__ import annotations

from datetime import date

from core.enums import SubjectStatus

STATUS_LABELS: dict[SubjectStatus, str] = {
    SubjectStatus.KNOWN: "Known",
    SubjectStatus.ID_SOUGHT: "ID sought",
}

PRIVATE_ONLY = "The gallery is only shown in private chat. Message me directly to open it."
AUDIT_PRIVATE_ONLY = "The audit log is only shown in private chat. Message me directly."
CHOOSE_SCHEME = "Which scheme's gallery would you like to see?"
CHOOSE_AUDIT_SCHEME = "Which scheme's audit log would you like to read?"
STALE_BUTTON = "That button belongs to an earlier conversation. Please use the newest message."
BUSY = "You are in the middle of something else. Finish it, or send /cancel, and then try again."
ALREADY_ADDING = (
    "You are already adding someone to the gallery. Finish that, or press its Cancel, first."
)
NO_ENTRY = "That entry is no longer in the gallery."
CANCELLED = "Cancelled. Nothing was added to the gallery."
ASK_STATUS = (
    "Adding a person from {reference} to the {scheme} gallery.\n\nDo you know who they are?"
)
ASK_NAME = "Type their name as it should appear in the gallery (3-80 characters)."
ASK_LABEL = (
    'Type a short label that describes them, such as "Man in a grey hoodie" (3-80 characters).'
)
ASK_DESCRIPTION = (
    "Type a description that will help members recognise them (10-1000 characters): "
    "build, clothing, habits. Describe appearance and behaviour only, not ethnicity or "
    "religion."
)
ASK_DESCRIPTION_WITH_INCIDENT = (
    ASK_DESCRIPTION + "\n\nOr use what the incident says about the people involved:\n{people}"
)
ASK_PHOTOS = "{reference} has {count} photo(s). Show them with this entry?"
ASK_EXCLUSION = "Is this person under an exclusion notice?"
ASK_START = "When does the exclusion start? Type the date as dd/mm/yyyy."
ASK_END = "When does it end? Type the date as dd/mm/yyyy (at most 24 months after the start)."
ASK_QUERY = "Type a word or two to look for in names, labels and descriptions."
ASK_REFERENCE = "Type the reference of the incident to link, such as INC-2026-000123."
ASK_HOURS = (
    "Delete gallery messages after how long? Pick one, or type a number of hours from 1 to 47."
)
TOO_LONG_TTL = (
    "The longest is 47 hours: Telegram lets a bot delete its messages only within 48 hours, "
    "and an hour is kept in hand in case Telegram is slow. Please choose 1 to 47 hours."
)
PHOTOS_NOT_SHOWN = "(The photos could not be shown just now.)"


def status_label(status: SubjectStatus) -> str:
    """Known / ID sought."""
    return STATUS_LABELS[status]


def day(value: date) -> str:
    """A date as people in the UK write it."""
    return value.strftime("%d/%m/%Y")


def deletion_note(hours: int) -> str:
    """The line that tells a member the message will not stay."""
    unit = "hour" if hours == 1 else "hours"
    return f"For you only: this can't be forwarded and will be deleted in {hours} {unit}."
