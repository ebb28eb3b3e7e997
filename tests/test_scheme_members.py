"""/members: coordinators list, search, suspend, reinstate, remove and re-role members."""

from __future__ import annotations

from sqlalchemy import select

from core.enums import MembershipStatus, Role
from handlers.schemes.callbacks import (
    InviteCallback,
    MemberAction,
    MemberCallback,
    MembersCallback,
)
from sandbox.client import Message
from storage.db import Database
from storage.models import AuditEntry, Membership, Person
from tests.support import factories
from tests.support.live import Person as Someone
from tests.support.town import ALL_RIGHTS, Town


async def membership_of(database: Database, who: Someone) -> Membership:
    async with database.sessions() as session:
        return (
            await session.execute(
                select(Membership)
                .join(Person, Person.id == Membership.person_id)
                .where(Person.telegram_user_id == who.id)
            )
        ).scalar_one()


async def open_member(coordinator: Someone, label_start: str) -> Message:
    """Opens /members and taps the member whose button starts with `label_start`."""
    listing = await coordinator.says("/members")
    label = next(b for row in listing.buttons for b in row if b.startswith(label_start))
    return await coordinator.presses(label, on=listing)


async def group_status(town: Town, who: Someone) -> str:
    group = await town.live.sandbox.group(town.group.id)
    return next((str(m["status"]) for m in group["members"] if m["user"]["id"] == who.id), "absent")


async def test_the_list_shows_everyone_pending_first_and_pages(
    town: Town, database: Database
) -> None:
    listing = await town.coordinator.says("/members")

    assert listing.body.startswith("Members of Market Town Shop Watch: 7 in all, page 1 of 1.")
    assert listing.buttons[0] == ["Penny, Penny's Bakery (trader, waiting for approval)"]
    labels = [row[0] for row in listing.buttons]
    assert "Tom, Tom's News (trader, approved)" in labels
    assert "Sue, Sue's Shoes (trader, suspended)" in labels
    assert "Pat (partner, approved)" in labels
    assert not any("Otto" in label or "Olga" in label for label in labels)
    assert listing.buttons[-1] == ["Search"]

    for number in range(3):
        extra = await town.live.person(f"Extra{number}")
        async with database.sessions() as session:
            await factories.member(
                session,
                telegram_user_id=extra.id,
                scheme_id=town.scheme_id,
                role=Role.TRADER,
                name=f"Extra{number}",
            )
    first = await town.coordinator.says("/members")
    assert "10 in all, page 1 of 2" in first.body
    assert ["Next ▶"] in first.buttons
    second = await town.coordinator.presses("Next ▶", on=first)
    assert "page 2 of 2" in second.body
    assert len(second.buttons) == 2 + 2  # two members, Previous, Search
    assert ["◀ Previous"] in second.buttons


async def test_searching_by_name_or_business(town: Town) -> None:
    cora = town.coordinator
    listing = await cora.says("/members")
    prompt = await cora.presses("Search", on=listing)
    assert prompt.body == "Type part of a name or business to search for."

    found = await cora.says("BAKERY")
    assert found.body.startswith('Members of Market Town Shop Watch matching "BAKERY": 1.')
    assert found.buttons[0] == ["Penny, Penny's Bakery (trader, waiting for approval)"]
    assert found.buttons[-1] == ["Search", "Show everyone"]

    by_command = await cora.says("/members ti")
    assert [row[0] for row in by_command.buttons[:-1]] == ["Tia, Tia's Pharmacy (trader, approved)"]
    nobody = await cora.says("/members otto")
    assert "Nobody matches" in nobody.body
    assert "at least two letters" in (await cora.says("/members x")).body


async def test_suspending_and_reinstating_tells_the_member(town: Town, database: Database) -> None:
    cora, tom = town.coordinator, town.trader
    await tom.says("/start")
    card = await open_member(cora, "Tom,")
    assert card.body.startswith("Tom - Market Town Shop Watch")
    assert "Business: Tom's News" in card.body
    assert card.buttons == [["Suspend", "Remove"], ["Change role"], ["Back to the list"]]

    same_card_again = await open_member(cora, "Tom,")
    done = await cora.presses("Suspend", on=same_card_again)
    assert done.body.startswith("Tom is suspended.")
    new_card = await cora.next_reply()
    assert "Status: suspended" in new_card.body
    assert new_card.buttons[0] == ["Reinstate", "Remove"]
    assert "has been suspended" in (await tom.next_reply()).body
    assert (await membership_of(town.database, tom)).status == MembershipStatus.SUSPENDED

    stale = await cora.press("Suspend", on=card)
    assert "is now suspended, so that button no longer applies" in stale["text"]

    await cora.presses("Reinstate", on=new_card)
    assert "has been reinstated" in (await tom.next_reply()).body
    assert (await membership_of(town.database, tom)).status == MembershipStatus.APPROVED
    async with database.sessions() as session:
        actions = list((await session.execute(select(AuditEntry.action))).scalars())
    assert actions[-2:] == ["member.suspend", "member.reinstate"]


async def test_removing_a_member_bans_them_from_the_group(town: Town, database: Database) -> None:
    cora, tia = town.coordinator, town.second_trader
    await tia.says("/start")
    card = await open_member(cora, "Tia,")

    confirm = await cora.presses("Remove", on=card)
    assert confirm.body.startswith("Remove Tia from the scheme?")
    kept = await cora.presses("Keep them", on=confirm)
    assert kept.body.startswith("Tia - Market Town Shop Watch")
    assert (await membership_of(database, tia)).status == MembershipStatus.APPROVED

    confirm = await cora.presses("Remove", on=kept)
    done = await cora.presses("Yes, remove them", on=confirm)

    assert done.body == (
        "Tia is removed from Market Town Shop Watch. They are banned from the scheme's group."
    )
    assert "You have been removed from Market Town Shop Watch" in (await tia.next_reply()).body
    assert (await membership_of(database, tia)).status == MembershipStatus.REMOVED
    assert await group_status(town, tia) == "kicked"
    assert "no longer a member" in (await tia.says("/members")).body


async def test_a_failed_ban_is_reported(town: Town, database: Database) -> None:
    cora = town.coordinator
    await town.live.sandbox.set_bot_admin(
        town.group.id, admin=True, rights=dict(ALL_RIGHTS, can_restrict_members=False)
    )
    await town.live.next_in_group(town.group)
    card = await open_member(cora, "Tom,")
    confirm = await cora.presses("Remove", on=card)

    done = await cora.presses("Yes, remove them", on=confirm)

    assert "I couldn't ban them from the scheme's group" in done.body
    assert "remove them from the group yourself" in done.body
    assert (await membership_of(database, town.trader)).status == MembershipStatus.REMOVED
    assert await group_status(town, town.trader) == "member"


async def test_changing_a_role(town: Town, database: Database) -> None:
    cora, pat = town.coordinator, town.partner
    await pat.says("/start")
    card = await open_member(cora, "Pat ")
    roles = await cora.presses("Change role", on=card)
    assert roles.buttons == [["Trader", "Coordinator"], ["Keep the role"]]

    done = await cora.presses("Coordinator", on=roles)

    assert done.body.startswith("Pat is now a coordinator.")
    assert (
        "Your role in Market Town Shop Watch is now: coordinator" in (await pat.next_reply()).body
    )
    assert (await membership_of(database, pat)).role == Role.COORDINATOR
    assert "You are a coordinator" in (await pat.says("/start")).body


async def test_the_last_coordinator_cannot_suspend_remove_or_demote_themselves(
    town: Town, database: Database
) -> None:
    cora = town.coordinator
    card = await open_member(cora, "Cora ")

    refused = await cora.press("Suspend", on=card)
    assert "Cora is the last approved coordinator of Market Town Shop Watch" in refused["text"]
    roles = await cora.presses("Change role", on=card)
    assert "last approved coordinator" in (await cora.press("Trader", on=roles))["text"]
    confirm = await cora.presses("Remove", on=card)
    assert "last approved coordinator" in (await cora.press("Yes, remove them", on=confirm))["text"]
    stored = await membership_of(database, cora)
    assert (stored.role, stored.status) == (Role.COORDINATOR, MembershipStatus.APPROVED)


async def test_a_pending_request_can_be_approved_from_the_list(
    town: Town, database: Database
) -> None:
    cora, penny = town.coordinator, town.pending
    await penny.says("/start")
    card = await open_member(cora, "Penny,")
    assert card.buttons[0] == ["Approve", "Reject"]

    await cora.press("Approve", on=card)

    assert "has been approved" in (await penny.next_reply()).body
    assert (await membership_of(database, penny)).status == MembershipStatus.APPROVED


REFUSALS = {
    "pending": "is waiting for a coordinator's approval",
    "rejected": "was not approved",
    "suspended": "is suspended",
    "resident": "only for approved members of a Shop Watch scheme",
    "trader": "(trader) doesn't include this",
    "partner": "(partner) doesn't include this",
}


async def test_only_coordinators_may_manage_members_or_invite(town: Town) -> None:
    for who, told in REFUSALS.items():
        for command in ("/members", "/invite"):
            reply = await getattr(town, who).says(command)
            assert told in reply.body, (who, command, reply.body)
            assert "Tom's" not in reply.body and "Penny's" not in reply.body


async def test_someone_the_bot_has_never_seen_is_refused(town: Town) -> None:
    newcomer = await town.live.person("Newcomer")

    assert "only for approved members" in (await newcomer.says("/members")).body


async def test_a_coordinator_of_another_scheme_sees_none_of_this_one(
    town: Town, database: Database
) -> None:
    olga = town.other_coordinator
    listing = await olga.says("/members")
    assert listing.body.startswith("Members of Riverside Shop Watch: 2 in all")
    tom = await membership_of(database, town.trader)

    for data in (
        MembersCallback(scheme_id=town.scheme_id).pack(),
        InviteCallback(scheme_id=town.scheme_id, kind="single").pack(),
        MemberCallback(action=MemberAction.OPEN, membership_id=tom.id).pack(),
        MemberCallback(
            action=MemberAction.SUSPEND, membership_id=tom.id, expected=MembershipStatus.APPROVED
        ).pack(),
    ):
        query = await town.live.sandbox.press(olga.id, listing.message_id, data=data, forged=True)
        answer = await town.live.sandbox.wait_for_callback_answer(query)
        assert "not a member of" in answer["text"] or "not a coordinator of" in answer["text"]
        assert "Tom" not in answer["text"]
    await olga.hears_nothing()
    assert (await membership_of(database, town.trader)).status == MembershipStatus.APPROVED


async def test_menu_buttons_other_bots_commands_and_group_commands(town: Town) -> None:
    cora = town.coordinator
    menu = await cora.says("/start")

    listing = await cora.presses("Members", on=menu)
    assert listing.body.startswith("Members of Market Town Shop Watch")
    kinds = await cora.presses("Invite a trader", on=menu)
    assert kinds.body.startswith("What kind of invite link for Market Town Shop Watch?")

    other_bot = await cora.says("/members@someotherbot")
    assert other_bot.body.startswith("That command is addressed to @someotherbot, not to me.")
    in_group = await cora.says_in(town.group, "/members")
    assert in_group.body.startswith("That works only in a private chat with me")
    assert "Tom" not in in_group.body
