"""/members: coordinators list, search, suspend, reinstate, remove and re-role members."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.enums import MembershipStatus, Role
from core.errors import InvalidInput, NotFound
from core.schemes.access import ROLE_NAMES, Permission, allowed_memberships, require
from storage.models import Membership, Person
from storage.repositories import memberships as memberships_repo
from storage.repositories import schemes as schemes_repo

PAGE_SIZE = 8
MAX_SEARCH = 60
GONE = "That member no longer exists (they may have deleted their data)."

STATUS_NAMES: dict[MembershipStatus, str] = {
    MembershipStatus.PENDING: "waiting for approval",
    MembershipStatus.APPROVED: "approved",
    MembershipStatus.REJECTED: "rejected",
    MembershipStatus.SUSPENDED: "suspended",
    MembershipStatus.REMOVED: "removed",
}
ASSIGNABLE_ROLES = (Role.TRADER, Role.COORDINATOR, Role.PARTNER)


@dataclass(frozen=True)
class ManagedScheme:
    """A scheme whose members this coordinator manages."""

    scheme_id: int
    name: str


async def managed_schemes(session: AsyncSession, person_id: int | None) -> list[ManagedScheme]:
    """The schemes whose members this person may manage; NotAllowed, with why, if none."""
    async with session.begin():
        allowed = await allowed_memberships(session, person_id, Permission.MANAGE_MEMBERS)
    return [ManagedScheme(m.scheme_id, m.scheme_name) for m in allowed]


@dataclass(frozen=True)
class MemberLine:
    """One member in the list."""

    membership_id: int
    name: str
    business_name: str | None
    role: Role
    status: MembershipStatus

    @property
    def label(self) -> str:
        """The member as a one-line button."""
        business = f", {self.business_name}" if self.business_name else ""
        return f"{self.name}{business} ({ROLE_NAMES[self.role]}, {STATUS_NAMES[self.status]})"


@dataclass(frozen=True)
class MemberPage:
    """One page of a scheme's members."""

    scheme_id: int
    scheme_name: str
    lines: list[MemberLine]
    page: int
    pages: int
    total: int
    search: str | None


def check_search(text: str) -> str:
    """A search term: part of a name or business."""
    term = " ".join(text.split())
    if len(term) < 2:
        raise InvalidInput("Please type at least two letters of a name or business.")
    if len(term) > MAX_SEARCH:
        raise InvalidInput(f"Please keep the search to {MAX_SEARCH} characters.")
    return term


async def member_page(
    session: AsyncSession, *, person_id: int, scheme_id: int, page: int, search: str | None
) -> MemberPage:
    """A page of members (pending first), matching `search` if given."""
    async with session.begin():
        member = await require(session, person_id, Permission.MANAGE_MEMBERS, scheme_id)
        rows, total = await memberships_repo.page(
            session,
            scheme_id=scheme_id,
            search=search,
            offset=max(page, 0) * PAGE_SIZE,
            limit=PAGE_SIZE,
        )
    pages = max(1, -(-total // PAGE_SIZE))
    return MemberPage(
        scheme_id=scheme_id,
        scheme_name=member.scheme_name,
        lines=[
            MemberLine(m.id, person.full_name, m.business_name, m.role, m.status)
            for m, person in rows
        ],
        page=min(max(page, 0), pages - 1),
        pages=pages,
        total=total,
        search=search,
    )


@dataclass(frozen=True)
class MemberCard:
    """One member in full, for a coordinator."""

    membership_id: int
    scheme_id: int
    name: str
    role: Role
    status: MembershipStatus
    is_self: bool
    text: str


def _card(
    membership: Membership, person: Person, viewer_id: int, decider: str | None
) -> MemberCard:
    lines = [
        f"{person.full_name} - {membership.scheme.name}",
        "",
        f"Role: {ROLE_NAMES[membership.role]}",
        f"Status: {STATUS_NAMES[membership.status]}",
    ]
    if membership.business_name:
        lines.append(f"Business: {membership.business_name}")
    if membership.business_address:
        lines.append(f"Address: {membership.business_address}")
    if membership.job_title:
        lines.append(f"Role at the business: {membership.job_title}")
    lines.append(f"Phone: {membership.phone or 'not given'}")
    if decider is not None:
        lines.append(f"Last decision by: {decider}")
    if membership.decision_reason:
        lines.append(f"Reason: {membership.decision_reason}")
    return MemberCard(
        membership_id=membership.id,
        scheme_id=membership.scheme_id,
        name=person.full_name,
        role=membership.role,
        status=membership.status,
        is_self=membership.person_id == viewer_id,
        text="\n".join(lines),
    )


async def _load(session: AsyncSession, person_id: int, membership_id: int) -> Membership:
    membership = await memberships_repo.get(session, membership_id)
    if membership is None:
        raise NotFound(GONE)
    await require(session, person_id, Permission.MANAGE_MEMBERS, membership.scheme_id)
    return membership


async def _decider(session: AsyncSession, membership: Membership) -> str | None:
    if membership.decided_by_id is None:
        return None
    decider = await session.get(Person, membership.decided_by_id)
    return decider.full_name if decider is not None else None


async def member_card(session: AsyncSession, *, person_id: int, membership_id: int) -> MemberCard:
    """A member's details, for a coordinator of their scheme."""
    async with session.begin():
        membership = await _load(session, person_id, membership_id)
        return _card(membership, membership.person, person_id, await _decider(session, membership))


class MemberChange(StrEnum):
    """What a coordinator can do to a member."""

    SUSPEND = "suspend"
    REINSTATE = "reinstate"
    REMOVE = "remove"
    ROLE = "role"


_ALLOWED_FROM: dict[MemberChange, frozenset[MembershipStatus]] = {
    MemberChange.SUSPEND: frozenset({MembershipStatus.APPROVED}),
    MemberChange.REINSTATE: frozenset({MembershipStatus.SUSPENDED}),
    MemberChange.REMOVE: frozenset({MembershipStatus.APPROVED, MembershipStatus.SUSPENDED}),
    MemberChange.ROLE: frozenset({MembershipStatus.APPROVED, MembershipStatus.SUSPENDED}),
}


@dataclass(frozen=True)
class MemberChanged:
    """A change made: the member's new card, and whom to tell or remove from the group."""

    card: MemberCard
    change: MemberChange
    member_chat_id: int | None
    group_chat_id: int | None
    scheme_name: str
    message_to_member: str
    done: str


def _to_member(change: MemberChange, scheme: str, role: Role) -> str:
    if change == MemberChange.SUSPEND:
        return (
            f"Your membership of {scheme} has been suspended by a coordinator. Scheme features "
            "are unavailable until it is reinstated; please contact the coordinator."
        )
    if change == MemberChange.REINSTATE:
        return f"Your membership of {scheme} has been reinstated. Send /start to carry on."
    if change == MemberChange.REMOVE:
        return (
            f"You have been removed from {scheme} by a coordinator, and from its group. "
            "Contact the coordinator if you think this is a mistake."
        )
    return f"Your role in {scheme} is now: {ROLE_NAMES[role]}. Send /start to see your tools."


async def change_member(
    session: AsyncSession,
    *,
    person_id: int,
    membership_id: int,
    change: MemberChange,
    expected: MembershipStatus,
    role: Role | None = None,
    now: datetime,
) -> MemberChanged:
    """Suspends, reinstates, removes or re-roles a member; the last coordinator is kept."""
    async with session.begin():
        membership = await memberships_repo.get_for_update(session, membership_id)
        if membership is None:
            raise NotFound(GONE)
        await require(session, person_id, Permission.MANAGE_MEMBERS, membership.scheme_id)
        name = membership.person.full_name
        if membership.status != expected or membership.status not in _ALLOWED_FROM[change]:
            raise InvalidInput(
                f"{name} is now {STATUS_NAMES[membership.status]}, so that button no longer "
                "applies. Open the member again."
            )
        if change == MemberChange.ROLE and (
            role not in ASSIGNABLE_ROLES or role == membership.role
        ):
            raise InvalidInput("Please choose one of the other roles.")
        leaves_coordinators = (
            membership.role == Role.COORDINATOR
            and membership.status == MembershipStatus.APPROVED
            and (change != MemberChange.ROLE or role != Role.COORDINATOR)
            and change != MemberChange.REINSTATE
        )
        if leaves_coordinators:
            # Serialises coordinator changes per scheme, so two coordinators removing each
            # other at once cannot leave the scheme with none.
            await schemes_repo.get_for_update(session, membership.scheme_id)
        if (
            leaves_coordinators
            and await memberships_repo.approved_coordinator_count(session, membership.scheme_id)
            <= 1
        ):
            raise InvalidInput(
                f"{name} is the last approved coordinator of {membership.scheme.name}, so I "
                "can't do that. Make someone else a coordinator first."
            )
        before = {"status": membership.status.value, "role": membership.role.value}
        if change == MemberChange.SUSPEND:
            membership.status = MembershipStatus.SUSPENDED
        elif change == MemberChange.REINSTATE:
            membership.status = MembershipStatus.APPROVED
        elif change == MemberChange.REMOVE:
            membership.status = MembershipStatus.REMOVED
        else:
            assert role is not None
            membership.role = role
        membership.decided_by_id = person_id
        membership.decided_at = now
        await audit.record(
            session,
            actor_id=person_id,
            scheme_id=membership.scheme_id,
            action=f"member.{change.value}",
            object_type="membership",
            object_id=membership.id,
            details={
                "before": before,
                "after": {"status": membership.status.value, "role": membership.role.value},
            },
            at=now,
        )
        scheme = await schemes_repo.get(session, membership.scheme_id)
        assert scheme is not None
        done = {
            MemberChange.SUSPEND: f"{name} is suspended.",
            MemberChange.REINSTATE: f"{name} is reinstated.",
            MemberChange.REMOVE: f"{name} is removed from {scheme.name}.",
            MemberChange.ROLE: f"{name} is now a {ROLE_NAMES[membership.role]}.",
        }[change]
        return MemberChanged(
            card=_card(
                membership, membership.person, person_id, await _decider(session, membership)
            ),
            change=change,
            member_chat_id=membership.person.telegram_user_id,
            group_chat_id=scheme.telegram_group_id,
            scheme_name=scheme.name,
            message_to_member=_to_member(change, scheme.name, membership.role),
            done=done,
        )
