"""What a trader may choose from while writing an incident, re-checked on every choice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.errors import InvalidInput, NotAllowed
from core.schemes.access import Permission, SchemeMember, allowed_memberships, require
from storage.repositories import incidents as incidents_repo

GALLERY_CHOICES = 10


@dataclass(frozen=True)
class SchemeSetup:
    """The scheme an incident is for, and which optional questions it asks."""

    scheme_id: int
    scheme_name: str
    membership_id: int
    business_name: str | None
    photos_allowed: bool
    gallery_offered: bool


@dataclass(frozen=True)
class GalleryChoice:
    """A gallery entry the trader can link the incident to."""

    subject_id: int
    label: str


async def posting_memberships(session: AsyncSession, person_id: int) -> list[SchemeMember]:
    """The schemes this person may post incidents to; NotAllowed, with the reason, if none."""
    async with session.begin():
        return await allowed_memberships(session, person_id, Permission.POST_INCIDENT)


async def scheme_setup(session: AsyncSession, person_id: int, scheme_id: int) -> SchemeSetup:
    """The chosen scheme, if this person may post to it."""
    async with session.begin():
        member = await require(session, person_id, Permission.POST_INCIDENT, scheme_id)
        scheme = await incidents_repo.scheme(session, scheme_id)
        assert scheme is not None
        gallery = member.may(Permission.VIEW_GALLERY) and (
            await incidents_repo.gallery_size(session, scheme_id) > 0
        )
    return SchemeSetup(
        scheme_id=scheme_id,
        scheme_name=member.scheme_name,
        membership_id=member.membership_id,
        business_name=member.business_name,
        photos_allowed=scheme.photos_allowed,
        gallery_offered=gallery,
    )


async def gallery_choices(
    session: AsyncSession, person_id: int, scheme_id: int, now: datetime
) -> list[GalleryChoice]:
    """The scheme's most recent gallery entries, for a member allowed to see them (audited)."""
    async with session.begin():
        try:
            await require(session, person_id, Permission.VIEW_GALLERY, scheme_id)
        except NotAllowed:
            return []
        subjects = await incidents_repo.recent_subjects(session, scheme_id, GALLERY_CHOICES)
        if subjects:
            await audit.record(
                session,
                actor_id=person_id,
                scheme_id=scheme_id,
                action="gallery.listed",
                details={"purpose": "linking an incident", "shown": len(subjects)},
                at=now,
            )
    return [GalleryChoice(subject.id, subject.label) for subject in subjects]


async def gallery_choice(
    session: AsyncSession, person_id: int, scheme_id: int, subject_id: int
) -> GalleryChoice:
    """One gallery entry of the scheme, if this person may see it."""
    async with session.begin():
        await require(session, person_id, Permission.VIEW_GALLERY, scheme_id)
        subject = await incidents_repo.subject_in_scheme(session, scheme_id, subject_id)
    if subject is None:
        raise InvalidInput("That gallery entry isn't available any more. Please pick another.")
    return GalleryChoice(subject.id, subject.label)
