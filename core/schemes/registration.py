"""A trader asking to join a scheme through an invite: their details, then the scheme's rules."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.enums import MembershipStatus, Role
from core.errors import InvalidInput, NotAllowed, NotFound
from core.invites import INVALID_INVITE, InviteView, check_invite
from core.reports.parsing import normalise_postcode
from core.schemes.access import ROLE_NAMES
from storage.models import Membership
from storage.repositories import invites as invites_repo
from storage.repositories import memberships as memberships_repo
from storage.repositories import people as people_repo

MAX_BUSINESS_NAME = 120
MAX_ADDRESS = 250
MAX_JOB_TITLE = 80

_POSTCODE_IN_TEXT = re.compile(r"[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}", re.ASCII)
_PHONE = re.compile(r"\+?[0-9][0-9 ()-]{5,20}[0-9]", re.ASCII)


def _tidy(text: str) -> str:
    return " ".join("".join(char for char in text if char.isprintable() or char.isspace()).split())


def check_business_name(text: str) -> str:
    """The business's name as customers know it."""
    name = _tidy(text)
    if len(name) < 2 or not any(char.isalpha() for char in name):
        raise InvalidInput(
            "Please type the name of your business as customers know it, e.g. Tom's News."
        )
    if len(name) > MAX_BUSINESS_NAME:
        raise InvalidInput(f"Please keep the business name to {MAX_BUSINESS_NAME} characters.")
    return name


def check_address(text: str) -> tuple[str, str | None]:
    """The business's address or postcode, and the postcode found in it, if any."""
    address = _tidy(text)
    postcode = None
    for found in _POSTCODE_IN_TEXT.finditer(address):
        postcode = normalise_postcode(found.group(0)) or postcode
    if postcode is None and (len(address) < 8 or not any(c.isalpha() for c in address)):
        raise InvalidInput(
            "Please give the business's street address or its full postcode, "
            "e.g. 12 High Street, LS1 4AB."
        )
    if len(address) > MAX_ADDRESS:
        raise InvalidInput(f"Please keep the address to {MAX_ADDRESS} characters.")
    return address, postcode


def check_job_title(text: str) -> str:
    """The person's role at the business, e.g. owner or store manager."""
    title = _tidy(text)
    if len(title) < 2 or not any(char.isalpha() for char in title):
        raise InvalidInput(
            "Please say what you do at the business, e.g. Owner, Store manager or Security."
        )
    if len(title) > MAX_JOB_TITLE:
        raise InvalidInput(f"Please keep your role to {MAX_JOB_TITLE} characters.")
    return title


def check_phone(text: str) -> str:
    """A typed phone number, tidied; anything else is refused."""
    candidate = text.strip()
    if not _PHONE.fullmatch(candidate):
        raise InvalidInput(
            "That doesn't look like a phone number. Press the button to share your number, "
            "type a number like 07700 900123, or press Skip."
        )
    digits = "".join(char for char in candidate if char.isdigit())
    if not 7 <= len(digits) <= 15:
        raise InvalidInput(
            "A phone number has 7 to 15 digits. Press the button to share yours, or press Skip."
        )
    return ("+" if candidate.startswith("+") else "") + digits


def contact_phone(phone_number: str) -> str:
    """The number from a shared Telegram contact, as stored."""
    digits = "".join(char for char in phone_number if char.isdigit())
    return "+" + digits if digits else ""


@dataclass
class Application:
    """What a trader has told us so far."""

    code: str
    business_name: str | None = None
    address: str | None = None
    postcode: str | None = None
    job_title: str | None = None
    phone: str | None = None

    def to_data(self) -> dict[str, Any]:
        """Plain values for conversation storage."""
        return asdict(self)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Application:
        """The application back from conversation storage."""
        return cls(**data)


def standing(status: MembershipStatus, role: Role, scheme_name: str) -> str | None:
    """What to tell someone who follows an invite to a scheme they already belong to.

    None when they may apply again (after a rejection or a removal).
    """
    if status == MembershipStatus.APPROVED:
        return f"You are already a member of {scheme_name} ({ROLE_NAMES[role]}). Send /start."
    if status == MembershipStatus.PENDING:
        return (
            f"You have already asked to join {scheme_name} and a coordinator hasn't decided "
            "yet. I'll message you here as soon as they do."
        )
    if status == MembershipStatus.SUSPENDED:
        return (
            f"Your membership of {scheme_name} is suspended. Please contact the scheme coordinator."
        )
    return None


async def open_invite(
    session: AsyncSession, *, person_id: int, code: str, now: datetime
) -> InviteView:
    """The invite, if it is usable and the person may apply through it."""
    invite = await check_invite(session, code, now)
    async with session.begin():
        existing = await memberships_repo.of_person_in_scheme(session, person_id, invite.scheme_id)
        if existing is not None:
            told = standing(existing.status, existing.role, invite.scheme_name)
            if told is not None:
                raise NotAllowed(told)
    return invite


@dataclass(frozen=True)
class Submitted:
    """An application waiting for a coordinator, and who to ask."""

    membership_id: int
    scheme_name: str
    coordinator_chat_ids: list[int]


async def submit_application(
    session: AsyncSession,
    *,
    person_id: int,
    application: Application,
    now: datetime,
) -> Submitted:
    """Files the application as pending and uses up a single-use invite, all or nothing."""
    if not (application.business_name and application.address and application.job_title):
        raise InvalidInput("Some answers are missing. Please follow your invite link again.")
    try:
        async with session.begin():
            invite = await invites_repo.by_code(session, application.code)
            if invite is None or not await invites_repo.use(session, invite.id, now):
                raise NotFound(INVALID_INVITE)
            membership = await memberships_repo.of_person_in_scheme(
                session, person_id, invite.scheme_id
            )
            if membership is not None:
                told = standing(membership.status, membership.role, invite.scheme.name)
                if told is not None:
                    raise NotAllowed(told)
            else:
                membership = Membership(person_id=person_id, scheme_id=invite.scheme_id)
                session.add(membership)
            membership.role = invite.role
            membership.status = MembershipStatus.PENDING
            membership.business_name = application.business_name
            membership.business_address = application.address
            membership.business_postcode = application.postcode
            membership.job_title = application.job_title
            membership.phone = application.phone
            membership.rules_accepted_at = now
            membership.invite_id = invite.id
            membership.decided_by_id = None
            membership.decided_at = None
            membership.decision_reason = None
            membership.group_invite_link = None
            membership.created_at = now
            await session.flush()
            await audit.record(
                session,
                actor_id=person_id,
                scheme_id=invite.scheme_id,
                action="member.applied",
                object_type="membership",
                object_id=membership.id,
                details={"invite_id": invite.id},
                at=now,
            )
            coordinators = await people_repo.coordinator_chat_ids(session, invite.scheme_id)
            scheme_name = invite.scheme.name
    except IntegrityError:
        raise NotAllowed(
            "You have already asked to join this scheme. I'll message you when it is decided."
        ) from None
    return Submitted(membership.id, scheme_name, coordinators)
