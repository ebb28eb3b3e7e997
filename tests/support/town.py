"""A market town with a running Shop Watch scheme, and everyone who might talk to the bot.

Built straight into the database and the sandbox, so that tests about incidents, the gallery
and access start from a scheme in use; the scheme tests build theirs through the bot.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.enums import MembershipStatus, Role
from sandbox.client import SandboxGroup
from storage.db import Database
from storage.models import Scheme, TelegramGroup
from tests.support import factories
from tests.support.live import LiveBot, Person

ALL_RIGHTS = {
    "can_delete_messages": True,
    "can_invite_users": True,
    "can_restrict_members": True,
    "can_pin_messages": True,
}
ANONYMOUS_ADMIN = 1087968824
AUTOMATIC_FORWARD = 777000


@dataclass
class Town:
    """Market Town Shop Watch (linked to its group) and its neighbour, Riverside."""

    live: LiveBot
    database: Database
    scheme_id: int
    group: SandboxGroup
    coordinator: Person
    trader: Person
    second_trader: Person
    partner: Person
    pending: Person
    rejected: Person
    suspended: Person
    resident: Person
    other_scheme_id: int
    other_trader: Person
    other_coordinator: Person
    people: dict[str, Person] = field(default_factory=dict)

    @property
    def members_in_group(self) -> list[Person]:
        """The approved members who have joined the scheme's group."""
        return [self.coordinator, self.trader, self.second_trader, self.partner]


async def build_town(live: LiveBot, database: Database) -> Town:
    """Creates both schemes, their members in every standing, and the linked group."""
    async with database.sessions() as session:
        market = await factories.scheme(session, "Market Town Shop Watch")
        riverside = await factories.scheme(session, "Riverside Shop Watch")
        await factories.area(session, scheme_id=market.id, name="Market Town", districts=["MT1"])
        await factories.area(session, scheme_id=riverside.id, name="Riverside", districts=["RV1"])
    people: dict[str, Person] = {}
    specs: list[tuple[str, int, Role, MembershipStatus, str | None]] = [
        ("Cora", market.id, Role.COORDINATOR, MembershipStatus.APPROVED, None),
        ("Tom", market.id, Role.TRADER, MembershipStatus.APPROVED, "Tom's News"),
        ("Tia", market.id, Role.TRADER, MembershipStatus.APPROVED, "Tia's Pharmacy"),
        ("Pat", market.id, Role.PARTNER, MembershipStatus.APPROVED, None),
        ("Penny", market.id, Role.TRADER, MembershipStatus.PENDING, "Penny's Bakery"),
        ("Rex", market.id, Role.TRADER, MembershipStatus.REJECTED, "Rex Vapes"),
        ("Sue", market.id, Role.TRADER, MembershipStatus.SUSPENDED, "Sue's Shoes"),
        ("Otto", riverside.id, Role.TRADER, MembershipStatus.APPROVED, "Otto's Off-Licence"),
        ("Olga", riverside.id, Role.COORDINATOR, MembershipStatus.APPROVED, None),
    ]
    for name, scheme_id, role, status, business in specs:
        person = await live.person(name)
        people[name] = person
        async with database.sessions() as session:
            await factories.member(
                session,
                telegram_user_id=person.id,
                scheme_id=scheme_id,
                role=role,
                status=status,
                name=name,
                business_name=business,
                business_postcode="MT1 1AA" if scheme_id == market.id else "RV1 1AA",
            )
    rosa = await live.person("Rosa")
    people["Rosa"] = rosa
    async with database.sessions() as session:
        await factories.person(session, telegram_user_id=rosa.id, name="Rosa")
    group = await _linked_group(live, database, market, people)
    return Town(
        live=live,
        database=database,
        scheme_id=market.id,
        group=group,
        coordinator=people["Cora"],
        trader=people["Tom"],
        second_trader=people["Tia"],
        partner=people["Pat"],
        pending=people["Penny"],
        rejected=people["Rex"],
        suspended=people["Sue"],
        resident=rosa,
        other_scheme_id=riverside.id,
        other_trader=people["Otto"],
        other_coordinator=people["Olga"],
        people=people,
    )


async def _linked_group(
    live: LiveBot, database: Database, scheme: Scheme, people: dict[str, Person]
) -> SandboxGroup:
    """The scheme's supergroup with the bot as a full admin and the approved members in it."""
    coordinator = people["Cora"]
    group = await live.group("Market Town Shop Watch", creator=coordinator)
    await coordinator.adds_bot_to(group, rights=ALL_RIGHTS)
    await live.next_in_group(group)  # the bot's "ready" message
    async with database.sessions() as session, session.begin():
        row = await session.get(Scheme, scheme.id)
        linked = await session.get(TelegramGroup, group.id)
        assert row is not None and linked is not None
        row.telegram_group_id = group.id
        linked.scheme_id = scheme.id
    for name in ("Tom", "Tia", "Pat"):
        await live.sandbox.join(group.id, people[name].id)
    return group
