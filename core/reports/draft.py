"""A report being written: what the resident has answered so far, kept between messages."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from core.drafts import MAX_PHOTOS as MAX_PHOTOS
from core.drafts import keep_photo, known_fields
from core.errors import InvalidInput


class Contact(StrEnum):
    """How the resident wants to hear back, and whether coordinators see who they are."""

    ANONYMOUS = "anonymous"
    ANONYMOUS_UPDATES = "anonymous_updates"
    CONTACT_ME = "contact_me"

    @property
    def anonymous(self) -> bool:
        """Coordinators do not see who filed it."""
        return self is not Contact.CONTACT_ME

    @property
    def gets_updates(self) -> bool:
        """The resident is told of each status change."""
        return self is not Contact.ANONYMOUS


CONTACT_LABELS: dict[Contact, str] = {
    Contact.ANONYMOUS: "Keep me anonymous (no updates)",
    Contact.ANONYMOUS_UPDATES: "Anonymous, but send me updates here",
    Contact.CONTACT_ME: "You may contact me",
}


@dataclass
class Draft:
    """Every answer in the report flow; serialisable into conversation state."""

    category: str | None = None
    subtype: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    place: str | None = None
    postcode: str | None = None
    occurred_at: str | None = None
    occurred_label: str | None = None
    description: str | None = None
    photos: list[list[str]] = field(default_factory=list)
    photos_answered: bool = False
    contact: str | None = None

    def to_data(self) -> dict[str, Any]:
        """The draft as plain JSON-able values."""
        return asdict(self)

    @classmethod
    def from_data(cls, data: dict[str, Any] | None) -> Draft:
        """A draft from stored state, ignoring anything unknown."""
        return cls(**known_fields(cls, data))

    @property
    def has_location(self) -> bool:
        """A pin, a place or a postcode has been given."""
        return self.latitude is not None or bool(self.place) or bool(self.postcode)

    @property
    def occurred(self) -> datetime | None:
        """When it happened, as a datetime."""
        return datetime.fromisoformat(self.occurred_at) if self.occurred_at else None

    @property
    def contact_choice(self) -> Contact | None:
        """The contact choice, if made."""
        if self.contact is None or self.contact not in Contact._value2member_map_:
            return None
        return Contact(self.contact)

    def add_photo(self, file_id: str, file_unique_id: str) -> bool:
        """Keeps a photo unless it is a repeat or the limit is reached; True if kept."""
        return keep_photo(self.photos, file_id, file_unique_id)

    def missing(self) -> list[str]:
        """The answers still needed before it can be filed."""
        needed = []
        if self.category is None:
            needed.append("what kind of problem")
        if not self.has_location:
            needed.append("where")
        if self.occurred_at is None:
            needed.append("when")
        if not self.description:
            needed.append("what happened")
        if self.contact_choice is None:
            needed.append("how we may contact you")
        return needed

    def require_complete(self) -> None:
        """Refuses to file a draft with answers missing."""
        missing = self.missing()
        if missing:
            raise InvalidInput("This report still needs: " + ", ".join(missing) + ".")
