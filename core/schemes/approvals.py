"""Coordinators approving or rejecting a trader's request to join."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.enums import MembershipStatus
from core.errors import InvalidInput, NotFound
from core.schemes.access import ROLE_NAMES, Permission, require
from storage.models import Membership, Person
from storage.repositories import memberships as memberships_repo

MAX_REASON = 500
GONE = "That request no longer exists (the person may have deleted their data)."
DECISION_WORDS = {
    MembershipStatus.APPROVED: "approved",
    MembershipStatus.REJECTED: "rejected",
    MembershipStatus.SUSPENDED: "approved (and since suspended)",
    MembershipStatus.REMOVED: "decided (and the member since removed)",
}


@dataclass(frozen=True)
class Request:
    """A request to join, as coordinators see it."""

    membership_id: int
    scheme_id: int
    scheme_name: str
    name: str
    business_name: str
    address: str
    job_title: str
    phone: str | None
    role_name: str

    def text(self) -> str:
        """The approval request a coordinator receives."""
        return "\n".join(
            [
                f"New request to join {self.scheme_name}:",
                "",
                f"Name: {self.name}",
                f"Business: {self.business_name}",
                f"Address: {self.address}",
                f"Role at the business: {self.job_title}",
                f"Phone: {self.phone or 'not given'}",
                f"Joining as: {self.role_name}",
                "",
                "They have accepted the scheme's information-sharing rules.",
            ]
        )


def _request(membership: Membership) -> Request:
    return Request(
        membership_id=membership.id,
        scheme_id=membership.scheme_id,
        scheme_name=membership.scheme.name,
        name=membership.person.full_name,
        business_name=membership.business_name or "-",
        address=membership.business_address or "-",
        job_title=membership.job_title or "-",
        phone=membership.phone,
        role_name=ROLE_NAMES[membership.role],
    )


async def load_request(session: AsyncSession, membership_id: int) -> Request:
    """A request as filed, for sending to coordinators."""
    async with session.begin():
        membership = await memberships_repo.get(session, membership_id)
        if membership is None:
            raise NotFound(GONE)
        return _request(membership)


async def _already_decided(session: AsyncSession, membership: Membership) -> InvalidInput:
    decider = (
        await session.get(Person, membership.decided_by_id)
        if membership.decided_by_id is not None
        else None
    )
    who = f" by {decider.full_name}" if decider is not None else ""
    words = DECISION_WORDS.get(membership.status, membership.status.value)
    return InvalidInput(
        f"{membership.person.full_name}'s request was already {words}{who}. Nothing changed."
    )


async def pending_request(
    session: AsyncSession, *, coordinator_id: int, membership_id: int
) -> Request:
    """The request if the person may decide it and it is still waiting; else why not."""
    async with session.begin():
        membership = await memberships_repo.get(session, membership_id)
        if membership is None:
            raise NotFound(GONE)
        await require(session, coordinator_id, Permission.MANAGE_MEMBERS, membership.scheme_id)
        if membership.status != MembershipStatus.PENDING:
            raise await _already_decided(session, membership)
        return _request(membership)


@dataclass(frozen=True)
class Decision:
    """A decided request: whom to tell, and where they may join."""

    membership_id: int
    scheme_id: int
    scheme_name: str
    member_name: str
    member_chat_id: int | None
    group_chat_id: int | None
    approved: bool
    reason: str | None


async def decide(
    session: AsyncSession,
    *,
    coordinator_id: int,
    membership_id: int,
    approve: bool,
    reason: str | None,
    now: datetime,
) -> Decision:
    """Approves or rejects a pending request, once: a later press is told who decided."""
    if not approve:
        reason = " ".join((reason or "").split())
        if len(reason) < 3:
            raise InvalidInput("Please give a reason the person will understand.")
        if len(reason) > MAX_REASON:
            raise InvalidInput(f"Please keep the reason to {MAX_REASON} characters.")
    async with session.begin():
        membership = await memberships_repo.get_for_update(session, membership_id)
        if membership is None:
            raise NotFound(GONE)
        await require(session, coordinator_id, Permission.MANAGE_MEMBERS, membership.scheme_id)
        if membership.status != MembershipStatus.PENDING:
            raise await _already_decided(session, membership)
        membership.status = MembershipStatus.APPROVED if approve else MembershipStatus.REJECTED
        membership.decided_by_id = coordinator_id
        membership.decided_at = now
        membership.decision_reason = None if approve else reason
        await audit.record(
            session,
            actor_id=coordinator_id,
            scheme_id=membership.scheme_id,
            action="member.approved" if approve else "member.rejected",
            object_type="membership",
            object_id=membership.id,
            details={} if approve else {"reason": reason},
            at=now,
        )
        return Decision(
            membership_id=membership.id,
            scheme_id=membership.scheme_id,
            scheme_name=membership.scheme.name,
            member_name=membership.person.full_name,
            member_chat_id=membership.person.telegram_user_id,
            group_chat_id=membership.scheme.telegram_group_id,
            approved=approve,
            reason=reason if not approve else None,
        )


async def keep_group_link(session: AsyncSession, membership_id: int, link: str) -> None:
    """Remembers the one-time group link sent to a newly approved member."""
    async with session.begin():
        membership = await memberships_repo.get(session, membership_id)
        if membership is not None:
            membership.group_invite_link = link[:128]
