"""Rows that tests need to exist before a conversation starts."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import IncidentStatus, IncidentType, MembershipStatus, Role, SubjectStatus
from storage.models import (
    Area,
    Exclusion,
    Incident,
    IncidentPhoto,
    IncidentSubject,
    Invite,
    Membership,
    Person,
    Scheme,
    Subject,
    SubjectPhoto,
    utcnow,
)


async def scheme(session: AsyncSession, name: str = "Market Town Shop Watch") -> Scheme:
    """A scheme with default settings."""
    async with session.begin():
        row = Scheme(name=name, sharing_rules="Share only what the scheme needs.")
        session.add(row)
    return row


async def member(
    session: AsyncSession,
    *,
    telegram_user_id: int,
    scheme_id: int,
    role: Role,
    status: MembershipStatus = MembershipStatus.APPROVED,
    name: str = "Member",
    business_name: str | None = None,
    business_postcode: str | None = None,
) -> Membership:
    """A person (new, or known by Telegram id) with a membership of the given role and status."""
    async with session.begin():
        person = (
            await session.execute(select(Person).where(Person.telegram_user_id == telegram_user_id))
        ).scalar_one_or_none()
        if person is None:
            person = Person(telegram_user_id=telegram_user_id, full_name=name)
            session.add(person)
            await session.flush()
        row = Membership(
            person_id=person.id,
            scheme_id=scheme_id,
            role=role,
            status=status,
            business_name=business_name,
            business_address=f"1 High Street, {business_postcode}" if business_postcode else None,
            business_postcode=business_postcode,
            job_title="Manager" if role == Role.TRADER else None,
            rules_accepted_at=utcnow(),
        )
        session.add(row)
    return row


async def person(session: AsyncSession, *, telegram_user_id: int, name: str) -> Person:
    """Someone who has talked to the bot but belongs to no scheme."""
    async with session.begin():
        row = Person(telegram_user_id=telegram_user_id, full_name=name)
        session.add(row)
    return row


async def area(session: AsyncSession, *, scheme_id: int, name: str, districts: list[str]) -> Area:
    """An area a scheme covers, by postcode districts."""
    async with session.begin():
        row = Area(scheme_id=scheme_id, name=name, postcode_districts=districts)
        session.add(row)
    return row


async def invite(
    session: AsyncSession,
    *,
    scheme_id: int,
    code: str,
    expires_at: datetime | None = None,
    single_use: bool = False,
    uses: int = 0,
    revoked_at: datetime | None = None,
) -> Invite:
    """An invite code for a scheme."""
    async with session.begin():
        row = Invite(
            scheme_id=scheme_id,
            code=code,
            expires_at=expires_at,
            single_use=single_use,
            uses=uses,
            revoked_at=revoked_at,
        )
        session.add(row)
    return row


async def incident(
    session: AsyncSession,
    *,
    scheme_id: int,
    reporter_telegram_id: int | None = None,
    incident_type: IncidentType = IncidentType.THEFT,
    occurred_at: datetime | None = None,
    location_text: str | None = "High Street",
    description: str = "Took two bottles of whisky and left on foot.",
    people: list[dict[str, str]] | None = None,
    photos: int = 0,
    status: IncidentStatus = IncidentStatus.OPEN,
    show_business_name: bool = False,
) -> Incident:
    """A filed incident (reference INC-<year>-<id>), as if a trader had posted it."""
    when = occurred_at or utcnow()
    async with session.begin():
        reporter_id = membership_id = None
        if reporter_telegram_id is not None:
            found = (
                await session.execute(
                    select(Person.id, Membership.id)
                    .join(Membership, Membership.person_id == Person.id)
                    .where(
                        Person.telegram_user_id == reporter_telegram_id,
                        Membership.scheme_id == scheme_id,
                    )
                )
            ).first()
            if found is not None:
                reporter_id, membership_id = found
        row = Incident(
            reference=f"INC-pending-{uuid.uuid4().hex[:12]}",
            scheme_id=scheme_id,
            reporter_id=reporter_id,
            membership_id=membership_id,
            incident_type=incident_type,
            occurred_at=when,
            location_text=location_text,
            description=description,
            people_description={"people": people or []},
            show_business_name=show_business_name,
            status=status,
            created_at=when,
        )
        row.photos = [
            IncidentPhoto(file_id=f"photo-{i}", file_unique_id=f"unique-{i}", position=i)
            for i in range(photos)
        ]
        session.add(row)
        await session.flush()
        row.reference = f"INC-{when.year}-{row.id:06d}"
    return row


async def subject(
    session: AsyncSession,
    *,
    scheme_id: int,
    label: str = "Man in a grey hoodie",
    description: str = "Tall, slim, grey hoodie, white trainers.",
    status: SubjectStatus = SubjectStatus.ID_SOUGHT,
    incident_ids: list[int] | None = None,
    last_incident_at: datetime | None = None,
    photos: int = 0,
    created_at: datetime | None = None,
) -> Subject:
    """A gallery entry, linked to incidents if given."""
    async with session.begin():
        row = Subject(
            scheme_id=scheme_id,
            status=status,
            label=label,
            description=description,
            last_incident_at=last_incident_at or utcnow(),
            created_at=created_at or utcnow(),
        )
        row.photos = [
            SubjectPhoto(file_id=f"subject-{i}", file_unique_id=f"s-unique-{i}", position=i)
            for i in range(photos)
        ]
        session.add(row)
        await session.flush()
        for incident_id in incident_ids or []:
            session.add(IncidentSubject(incident_id=incident_id, subject_id=row.id))
    return row


async def exclusion(
    session: AsyncSession, *, subject_id: int, starts_on: date, ends_on: date
) -> Exclusion:
    """An exclusion notice against a gallery entry."""
    async with session.begin():
        row = Exclusion(subject_id=subject_id, starts_on=starts_on, ends_on=ends_on)
        session.add(row)
    return row


async def subscription(
    session: AsyncSession,
    *,
    telegram_user_id: int,
    topic: str,
    area_id: int | None = None,
    min_severity: str = "minor",
    name: str = "Subscriber",
) -> int:
    """A subscription (the person is created if the Telegram id is new); returns its id."""
    from core.enums import Severity
    from storage.models import Subscription

    async with session.begin():
        found = (
            await session.execute(select(Person).where(Person.telegram_user_id == telegram_user_id))
        ).scalar_one_or_none()
        if found is None:
            found = Person(telegram_user_id=telegram_user_id, full_name=name)
            session.add(found)
            await session.flush()
        row = Subscription(
            person_id=found.id, area_id=area_id, topic=topic, min_severity=Severity(min_severity)
        )
        session.add(row)
        await session.flush()
        return row.id
