"""Invites, trader registration, approval and rejection, through the sandbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.enums import MembershipStatus, Role
from handlers.schemes.callbacks import DecisionAction, DecisionCallback
from sandbox.client import Message, SandboxError
from storage.db import Database
from storage.models import AuditEntry, Invite, Membership, Person
from tests.support import factories
from tests.support.live import Person as Someone
from tests.support.scheme_steps import apply, invite_link, request_for, start_command, to_rules
from tests.support.town import ALL_RIGHTS, Town

INVALID = "This invite link is not valid any more"


async def membership_of(database: Database, who: Someone) -> Membership | None:
    async with database.sessions() as session:
        return (
            await session.execute(
                select(Membership)
                .join(Person, Person.id == Membership.person_id)
                .where(Person.telegram_user_id == who.id)
            )
        ).scalar_one_or_none()


async def test_a_coordinator_gets_an_invite_deep_link(town: Town, database: Database) -> None:
    kinds = await town.coordinator.says("/invite")
    assert kinds.buttons == [
        ["Single use"],
        ["Reusable, expires in 7 days"],
        ["Reusable, no expiry"],
    ]

    made = await town.coordinator.presses("Reusable, expires in 7 days", on=kinds)

    link = f"https://t.me/{town.live.server.username}?start=join_"
    assert link in made.body
    assert "Anyone with it can ask to join until" in made.body
    assert made.buttons == [["Revoke this link"]]
    async with database.sessions() as session:
        invite = (await session.execute(select(Invite))).scalar_one()
    assert not invite.single_use and invite.expires_at is not None
    assert len(invite.code) >= 12 and invite.code.isalnum()
    assert f"join_{invite.code}" in made.body


async def test_a_trader_joins_shares_their_number_and_is_approved(
    town: Town, database: Database
) -> None:
    live, cora = town.live, town.coordinator
    link = await invite_link(cora)
    nadia = await live.person("Nadia")

    intro = await nadia.says(start_command(link))
    assert intro.body.startswith("This invite is for Market Town Shop Watch.")
    assert (await nadia.next_reply()).body == "What is the name of your business?"
    assert "address, or its postcode" in (await nadia.says("Nadia's Deli")).body
    assert "your role at the business" in (await nadia.says("4 Market Street, mt1 1ab")).body
    phone = await nadia.says("Owner")
    assert phone.keyboard_type == "reply"
    assert phone.button("📞 Share my phone number")["request_contact"] is True

    await live.sandbox.send_contact(nadia.id, "+44 7700 900123", "Nadia", contact_user_id=nadia.id)
    assert (await nadia.next_reply()).body == "Thanks, got your number."
    rules = await nadia.next_reply()
    assert "Share only what the scheme needs." in rules.body
    assert rules.buttons[0] == ["I accept", "I decline"]

    thanks = await nadia.presses("I accept", on=rules)
    assert thanks.body.startswith("Thank you. Your request to join Market Town Shop Watch")

    request = await request_for(cora, "Nadia")
    for line in (
        "Business: Nadia's Deli",
        "Address: 4 Market Street, mt1 1ab",
        "Role at the business: Owner",
        "Phone: +447700900123",
    ):
        assert line in request.body
    assert request.buttons == [["Approve", "Reject"]]
    pending = await membership_of(database, nadia)
    assert pending is not None and pending.status == MembershipStatus.PENDING
    assert pending.business_postcode == "MT1 1AB" and pending.rules_accepted_at is not None

    toast = await cora.press("Approve", on=request)
    assert toast["text"] == "Approved"
    welcome = await nadia.next_reply()
    assert welcome.body.startswith("Good news: your request to join Market Town Shop Watch")
    group_link = next(line for line in welcome.body.splitlines() if line.startswith("https://"))
    edited = await live.sandbox.wait_for_edit(cora.id, request.message_id)
    assert edited.body.endswith("Approved by Cora.") and not edited.buttons

    approved = await membership_of(database, nadia)
    assert approved is not None and approved.status == MembershipStatus.APPROVED
    assert approved.role == Role.TRADER and approved.group_invite_link == group_link
    async with database.sessions() as session:
        actions = set((await session.execute(select(AuditEntry.action))).scalars())
    assert {"member.applied", "member.approved"} <= actions
    assert "approved Shop Watch member" in (await nadia.says("/start")).body

    await live.sandbox.join_via_link(nadia.id, group_link)
    someone_else = await live.person("Gatecrasher")
    with pytest.raises(SandboxError, match="member limit"):
        await live.sandbox.join_via_link(someone_else.id, group_link)
    await cora.hears_nothing()  # no "joined but is not an approved member" alert


async def test_bad_answers_and_other_peoples_contacts_are_refused(
    town: Town, database: Database
) -> None:
    live = town.live
    link = await invite_link(town.coordinator, "Reusable, no expiry")
    ned = await live.person("Ned")
    await ned.says(start_command(link))
    await ned.next_reply()

    assert "name of your business" in (await ned.says("!")).body
    await ned.says("Ned's Hardware")
    assert "street address or its full postcode" in (await ned.says("here")).body
    await ned.says("MT1 2AB")
    assert "what you do at the business" in (await ned.says("?")).body
    await ned.says("Manager")

    await live.sandbox.send_contact(
        ned.id, "+447700900999", "Someone", contact_user_id=town.trader.id
    )
    assert "someone else's contact" in (await ned.next_reply()).body
    assert "doesn't look like a phone number" in (await ned.says("call me maybe")).body
    assert "share your number" in (await ned.sends_sticker()).body
    await ned.says("07700 900456")  # "Thanks, got your number."
    rules = await ned.next_reply()
    await ned.presses("I accept", on=rules)

    membership = await membership_of(database, ned)
    assert membership is not None
    assert (membership.business_address, membership.business_postcode) == ("MT1 2AB", "MT1 2AB")
    assert membership.phone == "07700900456"


async def test_back_skip_and_declining_the_rules(town: Town, database: Database) -> None:
    link = await invite_link(town.coordinator)
    ola = await town.live.person("Ola")
    await ola.says(start_command(link))
    business = await ola.next_reply()
    address = await ola.says("Ola's Cafe")
    assert (await ola.presses("Back", on=address)).body == "What is the name of your business?"
    await ola.says("Ola's Coffee")
    await ola.says("1 Church Lane, MT1 3AB")
    await ola.says("Owner")
    assert (await ola.says("Back")).body == "Going back."
    assert "your role at the business" in (await ola.next_reply()).body
    await ola.says("Co-owner")
    assert (await ola.says("Skip")).body == "No phone number, then."
    rules = await ola.next_reply()

    declined = await ola.presses("I decline", on=rules)

    assert declined.body.startswith("You declined the rules, so you have not joined")
    assert await membership_of(database, ola) is None
    stale = await ola.press("Cancel", on=business)
    assert "earlier conversation" in stale["text"]
    again = await to_rules(ola, link)
    assert "Do you accept these rules?" in again.body, "the single-use link was not used up"


async def test_a_single_use_link_works_once_even_when_two_people_race(
    town: Town, database: Database
) -> None:
    link = await invite_link(town.coordinator)
    first, second = await town.live.person("First"), await town.live.person("Second")
    first_rules = await to_rules(first, link)
    second_rules = await to_rules(second, link, business="Second Shop")

    await first.presses("I accept", on=first_rules)
    refused = await second.press("I accept", on=second_rules)

    assert refused["text"].startswith(INVALID)
    assert await membership_of(database, second) is None
    third = await town.live.person("Late")
    assert (await third.says(start_command(link))).body.startswith(INVALID)


async def test_expired_revoked_and_garbled_links_are_refused(
    town: Town, database: Database
) -> None:
    live = town.live
    weekly = await invite_link(town.coordinator, "Reusable, expires in 7 days")
    kinds = await town.coordinator.says("/invite")
    made = await town.coordinator.presses("Reusable, no expiry", on=kinds)
    revoked_link = next(line for line in made.body.splitlines() if line.startswith("https://"))
    revoked = await town.coordinator.presses("Revoke this link", on=made)
    assert "no longer works" in revoked.body
    visitor = await live.person("Vera")

    assert (await visitor.says(start_command(revoked_link))).body.startswith(INVALID)
    assert "Do you accept these rules?" in (await to_rules(visitor, weekly)).body
    await visitor.says("/cancel")
    await live.advance(timedelta(days=7, minutes=1))
    assert (await visitor.says(start_command(weekly))).body.startswith(INVALID)
    assert (await visitor.says("/start join_NoSuchCode123")).body.startswith(INVALID)
    assert (await visitor.says("/start join_abc$")).body == (
        "That link is not one of ours, so I have ignored it."
    )
    assert await membership_of(database, visitor) is None


async def test_someone_already_in_the_scheme_is_told_their_standing(town: Town) -> None:
    link = await invite_link(town.coordinator, "Reusable, no expiry")

    for who, told in (
        (town.trader, "You are already a member of Market Town Shop Watch (trader)"),
        (town.pending, "You have already asked to join Market Town Shop Watch"),
        (town.suspended, "Your membership of Market Town Shop Watch is suspended"),
    ):
        assert (await who.says(start_command(link))).body.startswith(told)
    second_try = await town.rejected.says(start_command(link))
    assert second_try.body.startswith("This invite is for"), "a rejected trader may apply again"


async def test_a_rejected_trader_is_told_the_reason(town: Town, database: Database) -> None:
    cora = town.coordinator
    link = await invite_link(cora)
    rory = await town.live.person("Rory")
    await apply(rory, link, business="Rory's Vapes")
    request = await request_for(cora, "Rory")

    why = await cora.presses("Reject", on=request)
    assert why.body.startswith("Why are you rejecting Rory (Rory's Vapes)?")
    assert why.buttons[0] == ["Not a business in the scheme's area"]
    assert "Please give a reason" in (await cora.says("no")).body

    done = await cora.says("We could not confirm the shop is in Market Town")
    assert done.body == "Rejected Rory's request. I've told them the reason."
    told = await rory.next_reply()
    assert told.body.startswith("Sorry, your request to join Market Town Shop Watch")
    assert "Reason: We could not confirm the shop is in Market Town" in told.body
    rejected = await membership_of(database, rory)
    assert rejected is not None and rejected.status == MembershipStatus.REJECTED
    assert rejected.decision_reason == "We could not confirm the shop is in Market Town"
    request_now = await town.live.sandbox.message(cora.id, request.message_id)
    assert not request_now.buttons
    assert "not approved" in (await rory.says("/members")).body


async def cora_rejects_with_preset(town: Town, request: Message) -> str:
    """Cora rejects with the first preset reason; returns her confirmation."""
    why = await town.coordinator.presses("Reject", on=request)
    return (await town.coordinator.presses("Not a business in the scheme's area", on=why)).body


async def test_a_second_coordinator_is_told_who_decided(town: Town, database: Database) -> None:
    cole = await town.live.person("Cole")
    async with database.sessions() as session:
        await factories.member(
            session, telegram_user_id=cole.id, scheme_id=town.scheme_id, role=Role.COORDINATOR
        )
    await cole.says("/start")
    link = await invite_link(town.coordinator)
    uma = await town.live.person("Uma")
    await apply(uma, link)
    for_cora = await request_for(town.coordinator, "Uma")
    for_cole = await request_for(cole, "Uma")

    why = await cora_rejects_with_preset(town, for_cora)
    assert why == "Rejected Uma's request. I've told them the reason."
    late = await cole.press("Approve", on=for_cole)

    assert late["text"] == "Uma's request was already rejected by Cora. Nothing changed."
    rejected = await membership_of(database, uma)
    assert (
        rejected is not None and rejected.decision_reason == "Not a business in the scheme's area"
    )


async def test_approval_still_happens_when_the_group_link_cannot_be_made(
    town: Town, database: Database
) -> None:
    cora = town.coordinator
    link = await invite_link(cora)
    wyn = await town.live.person("Wyn")
    await apply(wyn, link)
    request = await request_for(cora, "Wyn")
    await town.live.sandbox.set_bot_admin(
        town.group.id, admin=True, rights=dict(ALL_RIGHTS, can_invite_users=False)
    )
    await town.live.next_in_group(town.group)

    await cora.press("Approve", on=request)

    welcome = await wyn.next_reply()
    assert "A coordinator will add you to the scheme's Telegram group." in welcome.body
    warning = await cora.next_reply()
    assert "I couldn't create a link to the scheme's group for Wyn" in warning.body
    approved = await membership_of(database, wyn)
    assert approved is not None and approved.status == MembershipStatus.APPROVED


async def test_a_forged_approval_from_someone_else_is_refused(
    town: Town, database: Database
) -> None:
    link = await invite_link(town.coordinator)
    zoe = await town.live.person("Zoe")
    await apply(zoe, link)
    pending = await membership_of(database, zoe)
    assert pending is not None
    data = DecisionCallback(action=DecisionAction.APPROVE, membership_id=pending.id).pack()

    for who, expected in (
        (town.trader, "(trader) doesn't include this"),
        (town.other_coordinator, "a scheme you are not a member of"),
        (town.suspended, "is suspended"),
        (zoe, "is waiting for a coordinator's approval"),
    ):
        menu = await who.says("/start")
        query = await town.live.sandbox.press(who.id, menu.message_id, data=data, forged=True)
        answer = await town.live.sandbox.wait_for_callback_answer(query)
        assert expected in answer["text"], (who.user, answer)

    still = await membership_of(database, zoe)
    assert still is not None and still.status == MembershipStatus.PENDING
