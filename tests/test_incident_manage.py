"""Coordinators resolve, reopen and escalate incidents from the private full view."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.enums import (
    AlertMessageType,
    AlertState,
    AlertStatus,
    IncidentStatus,
    MembershipStatus,
    Role,
    Severity,
)
from handlers.incidents.card_callbacks import ManageAction, ManageCallback, OpenIncidentCallback
from sandbox.client import Message
from storage.models import Alert, AuditEntry, Incident, Membership, Person
from tests.support import factories
from tests.support.live import Person as Someone
from tests.support.town import Town
from tests.test_incident_card import card_now, count_rows, posted_card


async def details_for(person: Someone, card: Message) -> Message:
    """The person opens a private chat, presses Details on the card, and gets the full view."""
    await person.says("/start")
    assert (await person.press("🔒 Details", on=card))["text"] == "Sent to you privately"
    return await person.next_reply()


async def test_a_coordinator_resolves_and_reopens_an_incident(town: Town) -> None:
    filed, card = await posted_card(town)
    cora = town.coordinator
    full = await details_for(cora, card)
    assert full.buttons == [["Mark resolved"], ["Escalate to alert"], ["Add to gallery"]]
    assert full.button("Add to gallery")["callback_data"] == f"g1a:{filed.id}"

    assert (await cora.press("Mark resolved", on=full))["text"] == "Marked resolved"
    done = await cora.next_reply()
    assert done.body == f"{filed.reference} is marked resolved; its card in the group now says so."
    resolved_card = await card_now(town, card)
    assert resolved_card.body.startswith(f"✅ RESOLVED · {filed.reference}")
    assert "Status: Resolved" in resolved_card.body

    again = await cora.press("Mark resolved", on=full)
    assert again["text"] == f"{filed.reference} is already resolved."

    assert (await cora.press("Reopen", on=done))["text"] == "Reopened"
    reopened = await cora.next_reply()
    assert reopened.buttons == [["Mark resolved"]]
    assert (await card_now(town, card)).body.startswith(f"⚠️ {filed.reference}")

    async with town.database.sessions() as session:
        stored = await session.get(Incident, filed.id)
        actions = (
            (await session.execute(select(AuditEntry.action).order_by(AuditEntry.id)))
            .scalars()
            .all()
        )
    assert stored is not None and stored.status == IncidentStatus.OPEN
    assert stored.resolved_at is None
    assert actions == ["incident.viewed", "incident.resolved", "incident.reopened"]


async def test_a_resolved_incident_shows_its_status_and_offers_reopen(town: Town) -> None:
    _, card = await posted_card(town, status=IncidentStatus.RESOLVED)
    full = await details_for(town.coordinator, card)

    assert "\nStatus: Resolved" in full.body
    assert full.buttons[0] == ["Reopen"]
    sighting = await town.second_trader.press("👀 Seen them too", on=card)
    assert sighting["text"].startswith("This incident has been marked resolved")


async def test_escalating_opens_the_composer_prefilled_from_the_incident(town: Town) -> None:
    filed, card = await posted_card(
        town, location_text="Bus station", description="Two men shoplifting spirits."
    )
    cora = town.coordinator
    full = await details_for(cora, card)

    assert (await cora.press("Escalate to alert", on=full))["text"] == "Writing a warning"
    preview = await cora.next_reply()
    controls = await cora.next_reply()

    assert preview.body.startswith(
        "⚠️ Warning\nTheft: Bus station\n\nTwo men shoplifting spirits.\nWhere: Bus station\n"
    )
    assert "To: Traders, The scheme's group (3 recipients)." in controls.body
    assert await count_rows(town, Alert) == 0
    await cora.press("Send now (3 recipients)", on=controls)
    assert (await cora.next_reply()).body == "Sending to 3 recipients."

    async with town.database.sessions() as session:
        alert = (await session.execute(select(Alert))).scalar_one()
        cora_id = (
            await session.execute(select(Person.id).where(Person.telegram_user_id == cora.id))
        ).scalar_one()
        actions = (
            (await session.execute(select(AuditEntry.action).order_by(AuditEntry.id)))
            .scalars()
            .all()
        )
    assert (alert.status, alert.message_type, alert.severity) == (
        AlertStatus.ACTUAL,
        AlertMessageType.ALERT,
        Severity.MODERATE,
    )
    assert alert.state != AlertState.DRAFT
    assert alert.description == "Two men shoplifting spirits."
    assert alert.source_incident_id == filed.id and alert.scheme_id == town.scheme_id
    assert alert.created_by_id == cora_id
    assert alert.audience["roles"] == ["trader"] and alert.audience["include_group"]
    # 24 hours from the preview, so that what was previewed is what is sent.
    assert timedelta(hours=23, minutes=59) < alert.expires_at - alert.created_at
    assert alert.expires_at - alert.created_at <= timedelta(hours=24)
    assert actions == ["incident.viewed", "incident.escalated", "alert.sent"]


async def test_escalating_does_not_name_a_reporter_who_stayed_unnamed(town: Town) -> None:
    _, card = await posted_card(town, location_text="Tom's News")
    cora = town.coordinator
    full = await details_for(cora, card)
    assert "Where: Tom's News\nPosted by Tom's News (only coordinators see this)" in full.body

    await cora.press("Escalate to alert", on=full)
    preview = await cora.next_reply()

    assert preview.body.startswith("⚠️ Warning\nTheft: At a member business\n")
    assert "Where: At a member business\n" in preview.body
    assert "Tom's News" not in preview.body


async def test_an_incident_whose_details_were_purged_cannot_become_a_warning(town: Town) -> None:
    filed, card = await posted_card(town)
    cora = town.coordinator
    full = await details_for(cora, card)
    async with town.database.sessions() as session, session.begin():
        incident = await session.get(Incident, filed.id)
        assert incident is not None
        incident.description = ""
        incident.personal_data_purged_at = town.live.clock.now()

    refused = await cora.press("Escalate to alert", on=full)

    assert "were deleted under the scheme's retention rules" in refused["text"]
    assert await count_rows(town, Alert) == 0


async def test_traders_and_partners_get_no_coordinator_buttons(town: Town) -> None:
    _, card = await posted_card(town, location_text="Tom's News")

    for person in (town.second_trader, town.partner):
        full = await details_for(person, card)
        assert full.buttons == []
        assert "Where: At a member business" in full.body
        assert "Tom's News" not in full.body


async def test_forged_coordinator_presses_are_refused(town: Town) -> None:
    filed, card = await posted_card(town)
    resolve = ManageCallback(action=ManageAction.RESOLVE, incident_id=filed.id).pack()
    escalate = ManageCallback(action=ManageAction.ESCALATE, incident_id=filed.id).pack()
    tia, olga = town.second_trader, town.other_coordinator
    tias_chat = await tia.says("/start")
    olgas_chat = await olga.says("/start")

    for person, chat in ((tia, tias_chat), (olga, olgas_chat)):
        for data in (resolve, escalate):
            query_id = await town.live.sandbox.press(
                person.id, chat.message_id, data=data, forged=True
            )
            answer = await town.live.sandbox.wait_for_callback_answer(query_id)
            assert answer["show_alert"], answer
            assert "Market Town" not in answer["text"] or person is tia
        await person.hears_nothing()

    assert await count_rows(town, Alert) == 0
    async with town.database.sessions() as session:
        stored = await session.get(Incident, filed.id)
    assert stored is not None and stored.status == IncidentStatus.OPEN
    assert (await card_now(town, card)).version == card.version


async def test_a_forged_open_of_another_schemes_incident_is_refused(town: Town) -> None:
    filed, _ = await posted_card(town)
    otto = town.other_trader
    chat = await otto.says("/start")

    query_id = await town.live.sandbox.press(
        otto.id,
        chat.message_id,
        data=OpenIncidentCallback(incident_id=filed.id).pack(),
        forged=True,
    )
    answer = await town.live.sandbox.wait_for_callback_answer(query_id)

    assert answer["text"].startswith("That belongs to a scheme you are not a member of")
    await otto.hears_nothing()
    assert await count_rows(town, AuditEntry, AuditEntry.action == "incident.viewed") == 0


async def test_a_coordinator_who_stepped_down_can_no_longer_use_old_buttons(town: Town) -> None:
    filed, card = await posted_card(town)
    cora = town.coordinator
    full = await details_for(cora, card)
    async with town.database.sessions() as session, session.begin():
        membership = (
            await session.execute(
                select(Membership)
                .join(Person, Person.id == Membership.person_id)
                .where(Person.telegram_user_id == cora.id)
            )
        ).scalar_one()
        membership.role = Role.TRADER

    answer = await cora.press("Mark resolved", on=full)

    assert answer["text"].startswith("Your role in Market Town Shop Watch (trader)")
    async with town.database.sessions() as session:
        stored = await session.get(Incident, filed.id)
    assert stored is not None and stored.status == IncidentStatus.OPEN


async def test_a_coordinator_of_two_schemes_manages_only_where_they_coordinate(
    town: Town,
) -> None:
    olga = town.other_coordinator
    async with town.database.sessions() as session:
        await factories.member(
            session,
            telegram_user_id=olga.id,
            scheme_id=town.scheme_id,
            role=Role.TRADER,
            status=MembershipStatus.APPROVED,
            business_name="Olga's Florist",
        )
    _, card = await posted_card(town)
    await town.live.sandbox.join(town.group.id, olga.id)

    full = await details_for(olga, card)

    assert full.buttons == []
