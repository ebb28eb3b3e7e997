"""Setting up a new scheme: its name, areas, sharing rules, retention and photo policy."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.enums import MembershipStatus, Role
from core.errors import InvalidInput, NotAllowed
from core.schemes.access import memberships_of
from core.schemes.areas import AreaSpec, describe_areas
from storage.models import Membership
from storage.repositories import schemes as schemes_repo

MIN_NAME, MAX_NAME = 3, 80
MIN_RULES, MAX_RULES = 20, 2000
MIN_RETENTION, MAX_RETENTION = 1, 36
DEFAULT_RETENTION = 12

STANDARD_RULES = (
    "1. Share information only to prevent or detect crime and keep people safe.\n"
    "2. Offender details and photos stay inside the scheme: do not copy, forward, screenshot "
    "or post them anywhere else.\n"
    "3. Report only what you saw yourself, accurately and without speculation; never "
    "mention anyone's ethnicity, religion or other protected characteristics.\n"
    "4. Tell the coordinator straight away if something you shared was wrong.\n"
    "5. Call 999 in an emergency; this scheme is not an emergency service."
)

NOT_ALLOWED = (
    "Setting up a new scheme is for this deployment's admins and for coordinators of an "
    "existing scheme. If you run a Shop Watch scheme, ask the admin to set it up for you."
)


def check_name(text: str) -> str:
    """A scheme name of 3 to 80 characters, spaces tidied."""
    name = " ".join(text.split())
    if len(name) < MIN_NAME:
        raise InvalidInput(
            f"A scheme name needs at least {MIN_NAME} characters, e.g. Leeds City Centre "
            "Shop Watch."
        )
    if len(name) > MAX_NAME:
        raise InvalidInput(
            f"That name is {len(name)} characters; please keep it to {MAX_NAME} or fewer."
        )
    if name.startswith("/"):
        raise InvalidInput("A scheme name can't start with /. Please type the name.")
    return name


def check_rules(text: str) -> str:
    """Information-sharing rules long enough to mean something."""
    rules = text.strip()
    if len(rules) < MIN_RULES:
        raise InvalidInput(
            f"The rules need at least {MIN_RULES} characters: say what members may share, with "
            'whom, and what they must never do. Or press "Use the standard rules".'
        )
    if len(rules) > MAX_RULES:
        raise InvalidInput(
            f"The rules are {len(rules)} characters; please keep them to {MAX_RULES} or fewer."
        )
    return rules


def check_retention(text: str) -> int:
    """Months to keep offender data: a whole number from 1 to 36."""
    cleaned = text.strip().lower().removesuffix("months").removesuffix("month").strip()
    if not cleaned.isdecimal() or not MIN_RETENTION <= int(cleaned) <= MAX_RETENTION:
        raise InvalidInput(
            f"Please give a whole number of months from {MIN_RETENTION} to {MAX_RETENTION}, "
            "or press one of the buttons."
        )
    return int(cleaned)


@dataclass
class SchemeDraft:
    """A scheme being set up, answer by answer."""

    name: str | None = None
    areas: list[AreaSpec] = field(default_factory=list)
    rules: str | None = None
    retention_months: int | None = None
    photos_allowed: bool | None = None

    def to_data(self) -> dict[str, Any]:
        """Plain values for conversation storage."""
        return {
            "name": self.name,
            "areas": [[area.name, list(area.districts)] for area in self.areas],
            "rules": self.rules,
            "retention_months": self.retention_months,
            "photos_allowed": self.photos_allowed,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any] | None) -> SchemeDraft:
        """The draft back from conversation storage."""
        data = data or {}
        return cls(
            name=data.get("name"),
            areas=[AreaSpec(name, tuple(districts)) for name, districts in data.get("areas", [])],
            rules=data.get("rules"),
            retention_months=data.get("retention_months"),
            photos_allowed=data.get("photos_allowed"),
        )

    def summary(self) -> str:
        """The answers, for the coordinator to check before creating the scheme."""
        photos = {True: "Yes", False: "No", None: "-"}[self.photos_allowed]
        rules = self.rules or "-"
        return "\n".join(
            [
                "Please check the new scheme:",
                "",
                f"Name: {self.name or '-'}",
                "Areas:",
                describe_areas(self.areas) if self.areas else "-",
                f"Offender data kept for: {self.retention_months or '-'} months",
                f"Photos may be shared: {photos}",
                "",
                "Information-sharing rules traders accept:",
                rules,
            ]
        )


async def check_may_create(session: AsyncSession, person_id: int, *, is_admin: bool) -> None:
    """Deployment admins and approved coordinators may set up schemes; others are told why not."""
    if is_admin:
        return
    async with session.begin():
        memberships = await memberships_of(session, person_id)
    if not any(m.approved and m.role == Role.COORDINATOR for m in memberships):
        raise NotAllowed(NOT_ALLOWED)


def _name_taken(name: str) -> InvalidInput:
    return InvalidInput(
        f'There is already a scheme called "{name}". Please choose another name, e.g. add the town.'
    )


async def check_name_free(session: AsyncSession, text: str) -> str:
    """A valid name no other scheme uses."""
    name = check_name(text)
    async with session.begin():
        if await schemes_repo.name_taken(session, name):
            raise _name_taken(name)
    return name


@dataclass(frozen=True)
class CreatedScheme:
    """A scheme just set up."""

    scheme_id: int
    name: str


async def create_scheme(
    session: AsyncSession, *, person_id: int, is_admin: bool, draft: SchemeDraft, now: datetime
) -> CreatedScheme:
    """Creates the scheme and makes its creator an approved coordinator of it."""
    await check_may_create(session, person_id, is_admin=is_admin)
    if (
        draft.name is None
        or not draft.areas
        or draft.rules is None
        or draft.retention_months is None
        or draft.photos_allowed is None
    ):
        raise InvalidInput("Some answers are missing. Please send /newscheme to start again.")
    try:
        async with session.begin():
            if await schemes_repo.name_taken(session, draft.name):
                raise _name_taken(draft.name)
            scheme = await schemes_repo.add(
                session,
                name=draft.name,
                sharing_rules=draft.rules,
                retention_months=draft.retention_months,
                photos_allowed=draft.photos_allowed,
                created_by_id=person_id,
                areas=[(area.name, list(area.districts)) for area in draft.areas],
            )
            scheme.created_at = now
            session.add(
                Membership(
                    person_id=person_id,
                    scheme_id=scheme.id,
                    role=Role.COORDINATOR,
                    status=MembershipStatus.APPROVED,
                    rules_accepted_at=now,
                    decided_by_id=person_id,
                    decided_at=now,
                    created_at=now,
                )
            )
            await audit.record(
                session,
                actor_id=person_id,
                scheme_id=scheme.id,
                action="scheme.created",
                object_type="scheme",
                object_id=scheme.id,
                details={"name": draft.name, "areas": len(draft.areas)},
                at=now,
            )
    except IntegrityError:
        raise _name_taken(draft.name) from None
    return CreatedScheme(scheme_id=scheme.id, name=scheme.name)
