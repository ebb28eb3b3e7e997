"""Who may do what in a scheme: the rules every Shop Watch handler asks."""

from __future__ import annotations

import pytest

from core.enums import MembershipStatus, Role
from core.errors import NotAllowed
from core.schemes.access import ROLE_PERMISSIONS, Permission, allowed_memberships, require
from storage.repositories import people as people_repo
from tests.support import factories
from tests.support.live import Person
from tests.support.town import Town


async def _person_id(town: Town, who: Person) -> int | None:
    async with town.database.sessions() as session, session.begin():
        person = await people_repo.by_telegram_id(session, who.id)
        return None if person is None else person.id


async def test_the_town_has_its_group_linked_with_the_approved_members_in_it(town: Town) -> None:
    for who in town.members_in_group:
        member = await town.live.sandbox.group(town.group.id)
        assert str(who.id) in {str(m["user"]["id"]) for m in member["members"]}, who.user


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("pending", "is waiting for a coordinator's approval"),
        ("rejected", "was not approved"),
        ("suspended", "is suspended"),
        ("resident", "only for approved members of a Shop Watch scheme"),
        ("partner", "(partner) doesn't include this"),
    ],
)
async def test_each_refusal_says_why_and_what_to_do(town: Town, who: str, expected: str) -> None:
    person_id = await _person_id(town, getattr(town, who))
    async with town.database.sessions() as session, session.begin():
        with pytest.raises(NotAllowed) as refused:
            await allowed_memberships(session, person_id, Permission.POST_INCIDENT)
    assert expected in refused.value.message


async def test_a_member_of_another_scheme_is_refused_without_naming_it(town: Town) -> None:
    person_id = await _person_id(town, town.other_trader)
    async with town.database.sessions() as session, session.begin():
        with pytest.raises(NotAllowed) as refused:
            await require(session, person_id, Permission.VIEW_GALLERY, town.scheme_id)
    assert "a scheme you are not a member of" in refused.value.message
    assert "Market Town" not in refused.value.message


async def test_approved_roles_get_exactly_their_permissions(town: Town) -> None:
    for who, role in (
        (town.trader, Role.TRADER),
        (town.partner, Role.PARTNER),
        (town.coordinator, Role.COORDINATOR),
    ):
        person_id = await _person_id(town, who)
        async with town.database.sessions() as session, session.begin():
            for permission in Permission:
                if permission in ROLE_PERMISSIONS[role]:
                    member = await require(session, person_id, permission, town.scheme_id)
                    assert member.status == MembershipStatus.APPROVED
                else:
                    with pytest.raises(NotAllowed):
                        await require(session, person_id, permission, town.scheme_id)


async def test_factories_make_linked_incidents_and_gallery_entries(town: Town) -> None:
    async with town.database.sessions() as session:
        filed = await factories.incident(
            session, scheme_id=town.scheme_id, reporter_telegram_id=town.trader.id, photos=2
        )
        entry = await factories.subject(session, scheme_id=town.scheme_id, incident_ids=[filed.id])
    assert filed.reference.startswith("INC-") and filed.membership_id is not None
    assert entry.id is not None
