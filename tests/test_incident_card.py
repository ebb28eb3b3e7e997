"""The incident card in the scheme's group: what it shows, and who may press its buttons."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from core.enums import MembershipStatus, Role
from handlers.incidents.card import post_card
from sandbox.client import Message
from storage.models import AuditEntry, Incident, IncidentPhoto, MessageDeletion, Sighting
from tests.support import factories
from tests.support.live import Person
from tests.support.town import Town

SENT_PRIVATELY = "Sent to you privately"
START_FIRST = (
    "Open a private chat with me first (tap my name, then Start), then press Details again"
)


async def file_incident(town: Town, **fields: Any) -> Incident:
    """An incident in Market Town, filed by Tom unless someone else is named."""
    fields.setdefault("reporter_telegram_id", town.trader.id)
    fields.setdefault("scheme_id", town.scheme_id)
    async with town.database.sessions() as session:
        return await factories.incident(session, **fields)


async def posted_card(town: Town, **fields: Any) -> tuple[Incident, Message]:
    """Files an incident and posts its card in the group; returns both."""
    filed = await file_incident(town, **fields)
    bot = town.live.process.bot
    assert bot is not None
    async with town.database.sessions() as session:
        assert await post_card(bot, session, filed.id) is None
    return filed, await town.live.next_in_group(town.group)


async def with_real_photos(town: Town, incident: Incident, count: int) -> list[str]:
    """Replaces the incident's photos with ones the sandbox really holds; returns their ids."""
    scratch = await town.live.group("Scratch", creator=town.trader)
    sent = await town.live.sandbox.send_photo(town.trader.id, chat_id=scratch.id, count=count)
    ids = [str(message.raw["media"]["photo"][-1]["file_id"]) for message in sent]
    async with town.database.sessions() as session, session.begin():
        for position, file_id in enumerate(ids):
            session.add(
                IncidentPhoto(
                    incident_id=incident.id,
                    file_id=file_id,
                    file_unique_id=f"real-{position}",
                    position=position,
                )
            )
    return ids


async def count_rows(town: Town, model: Any, *conditions: Any) -> int:
    async with town.database.sessions() as session:
        query = select(func.count()).select_from(model).where(*conditions)
        return int((await session.execute(query)).scalar_one())


async def card_now(town: Town, card: Message) -> Message:
    return await town.live.sandbox.message(card.chat_id, card.message_id)


async def in_the_group(town: Town, *people: Person) -> None:
    for person in people:
        await town.live.sandbox.join(town.group.id, person.id)


async def test_the_card_is_protected_numbered_and_names_nobody(town: Town) -> None:
    filed, card = await posted_card(
        town,
        location_text="Tom's News",
        description="Tall man, grey hoodie, took two bottles of whisky.",
        people=[{"height": "Tall", "clothing": "grey hoodie"}],
        photos=2,
    )

    assert card.protect_content
    assert card.body.splitlines()[0] == f"⚠️ {filed.reference} · Theft"
    assert "Where: At a member business" in card.body
    assert "People described: 1 · Photos: 2" in card.body
    assert "Seen by no other businesses yet" in card.body
    # Neither the reporter nor what they wrote about anyone is on the card.
    assert "Tom" not in card.body
    assert "hoodie" not in card.body and "whisky" not in card.body
    assert card.buttons == [["👀 Seen them too", "🔒 Details"]]
    async with town.database.sessions() as session:
        stored = await session.get(Incident, filed.id)
        assert stored is not None
        assert (stored.group_chat_id, stored.group_message_id) == (town.group.id, card.message_id)


async def test_a_reporter_who_chose_to_show_their_business_is_named(town: Town) -> None:
    _, card = await posted_card(town, location_text="Tom's News", show_business_name=True)

    assert "Where: Tom's News" in card.body
    assert "Posted by Tom's News" in card.body


async def test_a_place_that_is_not_the_reporters_business_is_shown(town: Town) -> None:
    _, card = await posted_card(town, location_text="Bus station, Market Street")

    assert "Where: Bus station, Market Street" in card.body
    assert "Posted by" not in card.body


async def test_a_scheme_without_a_linked_group_gets_a_clear_problem(town: Town) -> None:
    filed = await file_incident(
        town, scheme_id=town.other_scheme_id, reporter_telegram_id=town.other_trader.id
    )
    bot = town.live.process.bot
    assert bot is not None

    async with town.database.sessions() as session:
        problem = await post_card(bot, session, filed.id)

    assert problem is not None and problem.startswith("Your scheme's group isn't linked yet")


async def test_a_bot_removed_from_the_group_reports_the_problem(town: Town) -> None:
    filed = await file_incident(town)
    await town.live.sandbox.remove_bot_from_group(town.group.id, by_user_id=town.coordinator.id)
    bot = town.live.process.bot
    assert bot is not None

    async with town.database.sessions() as session:
        problem = await post_card(bot, session, filed.id)

    assert problem is not None
    assert "I couldn't post the incident in your scheme's group" in problem
    assert "removed from the group" in problem


async def test_seen_them_too_counts_each_business_once(town: Town) -> None:
    filed, card = await posted_card(town)
    tia, cora = town.second_trader, town.coordinator

    noted = await tia.press("👀 Seen them too", on=card)
    assert noted["text"].startswith("Thanks, noted at ")
    edited = await town.live.sandbox.wait_for_edit(card.chat_id, card.message_id)
    assert "Seen by 1 other business\n" in edited.body
    assert edited.buttons == card.buttons

    again = await tia.press("👀 Seen them too", on=card)
    assert again["text"] == (
        f"You already said you've seen them at {noted['text'].removeprefix('Thanks, noted at ')}."
    )
    assert (await cora.press("👀 Seen them too", on=card))["text"].startswith("Thanks, noted")
    await town.live.eventually(
        lambda: _has(town, card, "Seen by 2 other businesses"),
    )

    async with town.database.sessions() as session:
        rows = (await session.execute(select(Sighting).order_by(Sighting.id))).scalars().all()
    assert [(row.incident_id, row.business_name) for row in rows] == [
        (filed.id, "Tia's Pharmacy"),
        (filed.id, None),
    ]


async def _has(town: Town, card: Message, text: str) -> bool:
    return text in (await card_now(town, card)).body


async def test_the_reporter_cannot_see_their_own_incident_too(town: Town) -> None:
    _, card = await posted_card(town)

    answer = await town.trader.press("👀 Seen them too", on=card)

    assert answer["text"] == "This is your own incident."
    assert await count_rows(town, Sighting) == 0


async def test_only_approved_traders_and_coordinators_of_the_scheme_add_sightings(
    town: Town,
) -> None:
    _, card = await posted_card(town)
    stranger = await town.live.person("Gus")  # in the group, never talked to the bot
    refused = {
        town.partner: "Your role in Market Town Shop Watch (partner) doesn't include this.",
        town.pending: "Your request to join Market Town Shop Watch is waiting",
        town.rejected: "Your request to join Market Town Shop Watch was not approved",
        town.suspended: "Your membership of Market Town Shop Watch is suspended",
        town.resident: "That belongs to a scheme you are not a member of",
        town.other_trader: "That belongs to a scheme you are not a member of",
        stranger: "This is only for approved members of a Shop Watch scheme.",
    }
    await in_the_group(town, *[p for p in refused if p is not town.partner])

    for person, expected in refused.items():
        answer = await person.press("👀 Seen them too", on=card)
        assert answer["text"].startswith(expected), (person.user.first_name, answer)
        assert answer["show_alert"]
        assert "Riverside" not in answer["text"] and "Tom" not in answer["text"]

    assert await count_rows(town, Sighting) == 0
    assert (await card_now(town, card)).version == card.version


async def test_details_go_privately_to_a_trader_with_the_photos(town: Town) -> None:
    filed, card = await posted_card(
        town,
        description="Took two bottles of whisky and left towards the bus station.",
        people=[{"height": "Tall", "build": "Slim", "clothing": "Grey hoodie, white trainers"}],
    )
    photo_ids = await with_real_photos(town, filed, 2)
    tia = town.second_trader
    await tia.says("/start")

    answer = await tia.press("🔒 Details", on=card)
    assert answer["text"] == SENT_PRIVATELY

    full = await tia.next_reply()
    assert full.protect_content
    assert full.body.startswith(f"{filed.reference} · Theft\nStatus: Open\n")
    assert "Took two bottles of whisky and left towards the bus station." in full.body
    assert "Person 1: height: tall; build: slim; clothing: Grey hoodie, white trainers" in (
        full.body
    )
    assert "Photos: 2 (below)" in full.body
    assert full.buttons == []  # traders don't manage incidents
    album = [full, *[await tia.next_reply() for _ in photo_ids]]
    assert all(message.protect_content for message in album)
    assert [message.kind for message in album[1:]] == ["photo", "photo"]
    assert album[1].media_group_id is not None

    assert (
        await count_rows(
            town,
            AuditEntry,
            AuditEntry.action == "incident.viewed",
            AuditEntry.object_id == filed.id,
        )
        == 1
    )
    assert await count_rows(town, MessageDeletion, MessageDeletion.chat_id == tia.id) == 3
    async with town.database.sessions() as session:
        deletion = (await session.execute(select(MessageDeletion).limit(1))).scalar_one()
        audit = (await session.execute(select(AuditEntry).limit(1))).scalar_one()
    assert deletion.reason == "incident_details"
    # Market Town keeps gallery-type messages for its default 24 hours.
    assert round((deletion.delete_at - deletion.created_at).total_seconds()) == 24 * 3600
    assert audit.details["via"] == "card"


async def test_a_partner_gets_the_details_with_sightings_value_and_gallery(town: Town) -> None:
    filed, card = await posted_card(town)
    async with town.database.sessions() as session:
        await factories.subject(session, scheme_id=town.scheme_id, incident_ids=[filed.id])
    async with town.database.sessions() as session, session.begin():
        stored = await session.get(Incident, filed.id)
        assert stored is not None
        stored.value_stolen_pence = 4599
        stored.police_reference = "CAD 1234-22/11"
    await town.second_trader.press("👀 Seen them too", on=card)
    pat = town.partner
    await pat.says("/start")

    assert (await pat.press("🔒 Details", on=card))["text"] == SENT_PRIVATELY
    full = await pat.next_reply()

    assert "Value: £45.99\nPolice reference: CAD 1234-22/11\n" in full.body
    assert "Gallery entries: Man in a grey hoodie" in full.body
    assert "Seen too by 1:" in full.body
    assert ": Tia's Pharmacy" in full.body
    assert full.buttons == []


async def test_details_are_refused_to_everyone_else_and_nothing_is_sent(town: Town) -> None:
    _, card = await posted_card(town)
    refused = [town.pending, town.rejected, town.suspended, town.resident, town.other_trader]
    await in_the_group(town, *refused)
    for person in refused:
        await person.says("/start")

    for person in refused:
        answer = await person.press("🔒 Details", on=card)
        assert answer["show_alert"] and answer["text"] != SENT_PRIVATELY, answer
        assert "Riverside" not in answer["text"]
        await person.hears_nothing()

    assert await count_rows(town, AuditEntry, AuditEntry.action == "incident.viewed") == 0
    assert await count_rows(town, MessageDeletion) == 0


async def test_details_need_a_private_chat_with_the_bot_first(town: Town) -> None:
    _, card = await posted_card(town)

    answer = await town.second_trader.press("🔒 Details", on=card)

    assert answer == {**answer, "text": START_FIRST, "show_alert": True}
    assert await count_rows(town, AuditEntry, AuditEntry.action == "incident.viewed") == 0


async def test_a_member_suspended_after_the_card_was_posted_is_refused(town: Town) -> None:
    _, card = await posted_card(town)
    tia = town.second_trader
    await tia.says("/start")
    async with town.database.sessions() as session:
        await factories.member(
            session,
            telegram_user_id=tia.id,
            scheme_id=town.other_scheme_id,
            role=Role.TRADER,
            status=MembershipStatus.APPROVED,
        )
    await _suspend(town, tia)

    seen = await tia.press("👀 Seen them too", on=card)
    details = await tia.press("🔒 Details", on=card)

    assert seen["text"].startswith("Your membership of Market Town Shop Watch is suspended")
    assert details["text"].startswith("Your membership of Market Town Shop Watch is suspended")
    await tia.hears_nothing()


async def _suspend(town: Town, person: Person) -> None:
    from storage.models import Membership
    from storage.models import Person as PersonRow

    async with town.database.sessions() as session, session.begin():
        row = (
            await session.execute(
                select(Membership)
                .join(PersonRow, PersonRow.id == Membership.person_id)
                .where(
                    PersonRow.telegram_user_id == person.id,
                    Membership.scheme_id == town.scheme_id,
                )
            )
        ).scalar_one()
        row.status = MembershipStatus.SUSPENDED


async def test_service_accounts_in_the_group_get_nothing(town: Town) -> None:
    _, card = await posted_card(town)

    await town.live.sandbox.send_anonymous(town.coordinator.id, town.group.id, "Seen them too")
    await town.live.sandbox.automatic_forward(town.group.id, "Channel news")

    await town.live.sandbox.assert_no_message(town.group.id, within=0.5)
    assert (await card_now(town, card)).version == card.version


async def test_an_incident_posted_through_the_conversation_gets_its_card(town: Town) -> None:
    from tests.support.incident_steps import QUICK_DESCRIPTION, post_quick_incident

    tom, tia = town.trader, town.second_trader
    confirmation = await post_quick_incident(tom, clothing="Red cap, black puffer jacket")
    card = await town.live.next_in_group(town.group)
    reference = card.body.splitlines()[0].removeprefix("⚠️ ").split(" · ")[0]
    assert reference in confirmation.body
    assert card.protect_content
    assert "Where: At a member business" in card.body and "Tom" not in card.body
    assert "People described: 1 · Photos: 0" in card.body
    assert QUICK_DESCRIPTION not in card.body and "puffer" not in card.body

    await tia.says("/start")
    assert (await tia.press("👀 Seen them too", on=card))["text"].startswith("Thanks, noted")
    assert (await tia.press("🔒 Details", on=card))["text"] == SENT_PRIVATELY
    full = await tia.next_reply()
    assert QUICK_DESCRIPTION in full.body
    assert "Person 1: clothing: Red cap, black puffer jacket" in full.body
    assert "Seen too by 1:" in full.body
