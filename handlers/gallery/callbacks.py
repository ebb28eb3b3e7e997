"""Gallery button payloads. Never trusted: every press re-checks the presser's membership."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class AddToGalleryCallback(CallbackData, prefix="g1a"):
    """A coordinator adding the people in an incident to the scheme's gallery."""

    incident_id: int


class GalleryAction(StrEnum):
    """What a gallery button does."""

    LIST = "list"
    OPEN = "open"
    SEARCH = "find"
    EXPORT = "csv"
    SETTINGS = "ttl"
    LINK = "link"
    EXCLUDE = "excl"
    END_EXCLUSION = "endx"
    DELETE = "del"
    CONFIRM_DELETE = "delok"
    KEEP = "keep"
    STOP_TYPING = "stop"


class GalleryCallback(CallbackData, prefix="g1"):
    """A press in /gallery: a list page, an entry, or a coordinator's action on one."""

    action: GalleryAction
    scheme: int = 0
    entry: int = 0
    page: int = 0


class MessageTimeCallback(CallbackData, prefix="g1t"):
    """A coordinator choosing how long gallery messages stay."""

    scheme: int
    hours: int


class ReviewCallback(CallbackData, prefix="g1r"):
    """Keep or Delete, in answer to the 6-monthly review prompt."""

    entry: int
    keep: bool


class AuditCallback(CallbackData, prefix="g1u"):
    """A coordinator paging through the audit log."""

    scheme: int
    page: int = 0


class EntryStep(StrEnum):
    """A button in the "add to gallery" conversation."""

    STATUS = "st"
    USE_INCIDENT_TEXT = "txt"
    PHOTOS = "ph"
    EXCLUSION = "ex"
    SAVE = "save"
    CANCEL = "cancel"


class NewEntryCallback(CallbackData, prefix="g1n"):
    """A press in the "add to gallery" conversation; `flow` refuses older conversations."""

    step: EntryStep
    value: str = ""
    flow: str


GALLERY_CALLBACKS: tuple[type[CallbackData], ...] = (
    AddToGalleryCallback,
    GalleryCallback,
    MessageTimeCallback,
    ReviewCallback,
    AuditCallback,
    NewEntryCallback,
)
