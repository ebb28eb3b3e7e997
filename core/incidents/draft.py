"""An incident being written: what the trader has answered so far, kept between messages."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from core.drafts import MAX_PHOTOS as MAX_PHOTOS
from core.drafts import keep_photo, known_fields
from core.enums import IncidentType
from core.errors import InvalidInput
from core.incidents.types import asks_value

MAX_PEOPLE = 4

# How each described person is stored in Incident.people_description["people"]: a list of
# objects with these keys, each present only when the trader gave it.
PERSON_FIELDS: tuple[tuple[str, str], ...] = (
    ("height", "Height"),
    ("build", "Build"),
    ("clothing", "Clothing"),
    ("features", "Distinguishing features"),
)


def describe_person(person: dict[str, str]) -> str:
    """One described person on a line: "Tall, slim build; clothing: ...; features: ..."."""
    parts = []
    if person.get("height"):
        parts.append(f"height: {person['height'].lower()}")
    if person.get("build"):
        parts.append(f"build: {person['build'].lower()}")
    if person.get("clothing"):
        parts.append(f"clothing: {person['clothing']}")
    if person.get("features"):
        parts.append(f"features: {person['features']}")
    return "; ".join(parts) or "no details"


@dataclass
class IncidentDraft:
    """Every answer in the incident flow; serialisable into conversation state."""

    scheme_id: int | None = None
    scheme_name: str | None = None
    membership_id: int | None = None
    business_name: str | None = None
    photos_allowed: bool = False
    gallery_offered: bool = False
    incident_type: str | None = None
    occurred_at: str | None = None
    occurred_label: str | None = None
    location_text: str | None = None
    at_business: bool = False
    description: str | None = None
    people_answered: bool = False
    people: list[dict[str, str]] = field(default_factory=list)
    person: dict[str, str] = field(default_factory=dict)
    people_before: list[dict[str, str]] | None = None
    photos: list[list[str]] = field(default_factory=list)
    photos_answered: bool = False
    value_pence: int | None = None
    value_answered: bool = False
    police_reference: str | None = None
    police_answered: bool = False
    subject_id: int | None = None
    subject_label: str | None = None
    gallery_answered: bool = False
    show_business_name: bool | None = None

    def to_data(self) -> dict[str, Any]:
        """The draft as plain JSON-able values."""
        return asdict(self)

    @classmethod
    def from_data(cls, data: dict[str, Any] | None) -> IncidentDraft:
        """A draft from stored state, ignoring anything unknown."""
        return cls(**known_fields(cls, data))

    @property
    def kind(self) -> IncidentType | None:
        """The kind of incident, if chosen."""
        if self.incident_type is None or self.incident_type not in IncidentType._value2member_map_:
            return None
        return IncidentType(self.incident_type)

    @property
    def occurred(self) -> datetime | None:
        """When it happened, as a datetime."""
        return datetime.fromisoformat(self.occurred_at) if self.occurred_at else None

    @property
    def asks_value(self) -> bool:
        """The value question applies to this kind of incident."""
        return asks_value(self.kind)

    @property
    def asks_business_name(self) -> bool:
        """The trader has a business name they could choose to show."""
        return bool(self.business_name)

    def set_type(self, incident_type: IncidentType) -> None:
        """Chooses the kind; a value given for a kind that has none is dropped."""
        self.incident_type = incident_type.value
        if not self.asks_value:
            self.value_pence, self.value_answered = None, False

    def finish_person(self) -> None:
        """Adds the person being described to the list."""
        if self.person:
            self.people.append(self.person)
        self.person = {}

    def add_photo(self, file_id: str, file_unique_id: str) -> bool:
        """Keeps a photo unless it is a repeat or the limit is reached; True if kept."""
        return keep_photo(self.photos, file_id, file_unique_id)

    def missing(self) -> list[str]:
        """The answers still needed before it can be filed."""
        needed = []
        if self.scheme_id is None:
            needed.append("which scheme")
        if self.kind is None:
            needed.append("what kind of incident")
        if self.occurred_at is None:
            needed.append("when")
        if not self.location_text:
            needed.append("where")
        if not self.description:
            needed.append("what happened")
        if not self.people_answered:
            needed.append("the people involved")
        if self.asks_business_name and self.show_business_name is None:
            needed.append("whether to show your business name")
        return needed

    def require_complete(self) -> None:
        """Refuses to file a draft with answers missing."""
        missing = self.missing()
        if missing:
            raise InvalidInput("This incident still needs: " + ", ".join(missing) + ".")
