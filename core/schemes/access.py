"""What each role in a scheme may do, and the one place that says no (and why)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import MembershipStatus, Role
from core.errors import NotAllowed
from storage.models import Membership, Scheme


class Permission(StrEnum):
    """Something a member of a scheme may be allowed to do."""

    POST_INCIDENT = "post_incident"
    VIEW_INCIDENTS = "view_incidents"
    ADD_SIGHTING = "add_sighting"
    VIEW_GALLERY = "view_gallery"
    MANAGE_INCIDENTS = "manage_incidents"
    MANAGE_GALLERY = "manage_gallery"
    MANAGE_MEMBERS = "manage_members"
    READ_AUDIT = "read_audit"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.RESIDENT: frozenset(),
    Role.TRADER: frozenset(
        {
            Permission.POST_INCIDENT,
            Permission.VIEW_INCIDENTS,
            Permission.ADD_SIGHTING,
            Permission.VIEW_GALLERY,
        }
    ),
    # Police, council and housing partners read what the scheme shares; they do not post.
    Role.PARTNER: frozenset({Permission.VIEW_INCIDENTS, Permission.VIEW_GALLERY}),
    Role.COORDINATOR: frozenset(Permission),
}

ROLE_NAMES: dict[Role, str] = {
    Role.RESIDENT: "resident",
    Role.TRADER: "trader",
    Role.COORDINATOR: "coordinator",
    Role.PARTNER: "partner",
}

NOT_A_MEMBER = (
    "This is only for approved members of a Shop Watch scheme. If your business belongs to "
    "one, ask its coordinator for an invite link."
)


@dataclass(frozen=True)
class SchemeMember:
    """A person's membership of one scheme, as access checks need it."""

    membership_id: int
    person_id: int
    scheme_id: int
    scheme_name: str
    role: Role
    status: MembershipStatus
    business_name: str | None

    @property
    def approved(self) -> bool:
        """A coordinator has approved them and they are not suspended or removed."""
        return self.status == MembershipStatus.APPROVED

    def may(self, permission: Permission) -> bool:
        """Whether this membership, as it stands now, allows `permission`."""
        return self.approved and permission in ROLE_PERMISSIONS[self.role]


async def memberships_of(session: AsyncSession, person_id: int | None) -> list[SchemeMember]:
    """Every membership the person has or had, oldest first (in the caller's transaction)."""
    if person_id is None:
        return []
    result = await session.execute(
        select(Membership, Scheme.name)
        .join(Scheme, Scheme.id == Membership.scheme_id)
        .where(Membership.person_id == person_id)
        .order_by(Membership.id)
    )
    return [
        SchemeMember(
            membership_id=row.id,
            person_id=row.person_id,
            scheme_id=row.scheme_id,
            scheme_name=name,
            role=row.role,
            status=row.status,
            business_name=row.business_name,
        )
        for row, name in result.all()
    ]


def refusal(memberships: list[SchemeMember], permission: Permission) -> str:
    """Why none of these memberships allows `permission`, in words that say what to do."""
    if not memberships:
        return NOT_A_MEMBER
    by_status = {m.status: m for m in memberships}
    if MembershipStatus.APPROVED in by_status:
        member = by_status[MembershipStatus.APPROVED]
        return (
            f"Your role in {member.scheme_name} ({ROLE_NAMES[member.role]}) doesn't include "
            "this. Ask the scheme coordinator if you need it."
        )
    if MembershipStatus.SUSPENDED in by_status:
        name = by_status[MembershipStatus.SUSPENDED].scheme_name
        return (
            f"Your membership of {name} is suspended, so this isn't available. "
            "Please contact the scheme coordinator."
        )
    if MembershipStatus.PENDING in by_status:
        name = by_status[MembershipStatus.PENDING].scheme_name
        return (
            f"Your request to join {name} is waiting for a coordinator's approval. "
            "I'll message you here as soon as it is decided."
        )
    if MembershipStatus.REJECTED in by_status:
        name = by_status[MembershipStatus.REJECTED].scheme_name
        return (
            f"Your request to join {name} was not approved, so this isn't available. "
            "Contact the scheme coordinator if you think that is a mistake."
        )
    name = memberships[-1].scheme_name
    return f"You are no longer a member of {name}, so this isn't available."


async def allowed_memberships(
    session: AsyncSession, person_id: int | None, permission: Permission
) -> list[SchemeMember]:
    """The person's memberships that allow `permission`; NotAllowed, with the reason, if none."""
    memberships = await memberships_of(session, person_id)
    allowed = [m for m in memberships if m.may(permission)]
    if not allowed:
        raise NotAllowed(refusal(memberships, permission))
    return allowed


async def require(
    session: AsyncSession, person_id: int | None, permission: Permission, scheme_id: int
) -> SchemeMember:
    """The person's membership of `scheme_id` if it allows `permission`, else NotAllowed."""
    memberships = await memberships_of(session, person_id)
    for member in memberships:
        if member.scheme_id == scheme_id and member.may(permission):
            return member
    in_scheme = [m for m in memberships if m.scheme_id == scheme_id]
    if not in_scheme:
        raise NotAllowed(
            "That belongs to a scheme you are not a member of, so I can't show or change it."
        )
    raise NotAllowed(refusal(in_scheme, permission))
