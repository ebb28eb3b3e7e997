"""/broadcast: a coordinator chooses an audience, writes, previews, and sends a warning."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.enums import (
    AlertMessageType,
    AlertStatus,
    DeliveryState,
    MembershipStatus,
    Role,
    Severity,
)
from handlers.broadcasts.callbacks import FollowUp, FollowUpCallback
from sandbox.client import Message
from storage.models import Alert, Area, AuditEntry, Delivery
from tests.support import factories
from tests.support.live import Person
from tests.support.town import Town
from tests.test_incident_card import count_rows

STREET_DRINKING = "street_drinking"


async def toggle(town: Town, person: Person, label: str, on: Message) -> Message:
    """Presses a toggle and returns its message as edited."""
    answer = await person.press(label, on)
    assert not answer.get("show_alert"), answer
    return await town.live.sandbox.wait_for_edit(
        on.chat_id, on.message_id, since_version=on.version
    )


async def started(*people: Person) -> None:
    """The people open a chat with the bot, so it may message them."""
    for person in people:
        await person.says("/start")


async def received(town: Town, person_or_chat: Person | int, body: str) -> Message:
    """The copy of the warning the person (or the group) received."""
    chat_id = person_or_chat if isinstance(person_or_chat, int) else person_or_chat.id
    return await town.live.sandbox.wait_for_message(
        chat_id, predicate=lambda message: message.body == body, timeout=10.0
    )


async def market_area(town: Town) -> int:
    """The id of the Market Town area."""
    async with town.database.sessions() as session:
        return int(
            (
                await session.execute(select(Area.id).where(Area.scheme_id == town.scheme_id))
            ).scalar_one()
        )


async def subscribers(town: Town) -> tuple[Person, Person, Person]:
    """Rosa (street drinking in Market Town), Ravi (everything, everywhere), Rhea (noise)."""
    area_id = await market_area(town)
    rosa = town.resident
    ravi = await town.live.person("Ravi")
    rhea = await town.live.person("Rhea")
    async with town.database.sessions() as session:
        await factories.subscription(
            session, telegram_user_id=rosa.id, topic=STREET_DRINKING, area_id=area_id
        )
        await factories.subscription(session, telegram_user_id=ravi.id, topic="all", name="Ravi")
        await factories.subscription(
            session, telegram_user_id=rhea.id, topic="noise", area_id=area_id, name="Rhea"
        )
    await started(rosa, ravi, rhea)
    return rosa, ravi, rhea


async def test_a_coordinator_sends_a_warning_with_every_part(town: Town) -> None:
    cora, tom, tia = town.coordinator, town.trader, town.second_trader
    rosa, ravi, rhea = await subscribers(town)
    await started(tom, tia)

    audience = await cora.says("/broadcast")
    assert audience.body.startswith("New warning for Market Town Shop Watch.")
    assert "Recipients now: up to 0" in audience.body
    audience = await toggle(town, cora, "Traders", audience)
    assert "up to 2 " in audience.body
    audience = await toggle(town, cora, "The scheme's group", audience)
    assert "up to 3 " in audience.body
    audience = await toggle(town, cora, "Subscribed residents", audience)
    assert "up to 6 " in audience.body
    assert audience.buttons[0] == ["✅ Traders", "Partners"]

    areas = await cora.presses("Next", on=audience)
    assert areas.body.startswith("Which areas?")
    areas = await toggle(town, cora, "Market Town", areas)
    topics = await cora.presses("Next", on=areas)
    topics = await toggle(town, cora, "Street drinking", topics)
    assert "up to 5 " in topics.body  # Rhea only wants noise

    assert (await cora.presses("Next", on=topics)).body.startswith("Type the headline")
    assert "Type the text" in (await cora.says("Street drinking at the bus station")).body
    photo_question = await cora.says("A group drinking and shouting by the shelters since 6pm.")
    assert photo_question.body.startswith("Send a photo")
    assert (await cora.sends_photos(1)).body == "Photo added."
    assert (await cora.next_reply()).body.startswith("What should people do?")
    severity = await cora.says("Avoid the shelters and call 101.")
    expiry = await cora.presses("Severe", on=severity)
    status = await cora.presses("6 h", on=expiry)
    preview = await cora.presses("Actual", on=status)
    controls = await cora.next_reply()

    assert preview.kind == "photo" and preview.protect_content
    assert preview.body.startswith("⚠️ SEVERE WARNING\nStreet drinking at the bus station\n\n")
    assert "What to do: Avoid the shelters and call 101." in preview.body
    assert controls.body.startswith("Above is exactly what recipients will see.")
    assert "(5 recipients)" in controls.body
    assert controls.buttons[0] == ["Send now (5 recipients)"]

    assert (await cora.press("Send now (5 recipients)", on=controls))["text"] == "Sending"
    assert (await cora.next_reply()).body == "Sending to 5 recipients."
    for person in (tom, tia, rosa, ravi):
        copy = await received(town, person, preview.body)
        assert copy.kind == "photo" and copy.protect_content
    await received(town, town.group.id, preview.body)
    await town.live.sandbox.assert_no_message(rhea.id, within=0.3)

    async with town.database.sessions() as session:
        alert = (await session.execute(select(Alert))).scalar_one()
        audit = (
            await session.execute(select(AuditEntry).where(AuditEntry.action == "alert.sent"))
        ).scalar_one()
    assert alert.severity == Severity.SEVERE and alert.status == AlertStatus.ACTUAL
    assert alert.instruction == "Avoid the shelters and call 101."
    assert alert.photo_file_id is not None
    assert alert.expires_at - alert.created_at <= timedelta(hours=6)
    assert alert.source_incident_id is None and alert.source_report_id is None
    assert audit.object_id == alert.id and audit.details["recipients"] == 5


async def compose_to_preview(
    town: Town,
    person: Person,
    *,
    toggles: tuple[str, ...] = ("Traders",),
    headline: str = "Shoplifter on the High Street",
    text: str = "A man in a grey hoodie is taking spirits from shelves.",
    severity: str = "Minor",
    expiry: str = "✅ 24 h",
    status: str = "Actual",
) -> tuple[Message, Message]:
    """Goes through the composer without optional parts; returns the preview and its buttons."""
    audience = await person.says("/broadcast")
    for label in toggles:
        audience = await toggle(town, person, label, audience)
    await person.presses("Next", on=audience)
    await person.says(headline)
    photo = await person.says(text)
    instruction = await person.presses("Skip", on=photo)
    severity_question = await person.presses("Skip", on=instruction)
    expiry_question = await person.presses(severity, on=severity_question)
    status_question = await person.presses(expiry, on=expiry_question)
    await person.press(status, on=status_question)
    if status != "Actual":
        assert (
            "go only to you and the scheme's other coordinators" in (await person.next_reply()).body
        )
    return await person.next_reply(), await person.next_reply()


async def alerts(town: Town) -> list[Alert]:
    async with town.database.sessions() as session:
        return list((await session.execute(select(Alert).order_by(Alert.id))).scalars())


async def settled(town: Town, alert_id: int) -> dict[DeliveryState, int]:
    """Waits until no copy of the alert is waiting, then counts them by state."""
    states: dict[DeliveryState, int] = {}

    async def done() -> bool:
        async with town.database.sessions() as session:
            rows = (
                await session.execute(select(Delivery.state).where(Delivery.alert_id == alert_id))
            ).scalars()
            states.clear()
            for state in rows:
                states[state] = states.get(state, 0) + 1
        return bool(states) and not (states.keys() & {DeliveryState.PENDING, DeliveryState.SENDING})

    await town.live.eventually(done)
    return states


async def test_a_test_goes_only_to_the_coordinators_and_is_labelled(town: Town) -> None:
    cora, olga, tom = town.coordinator, town.other_coordinator, town.trader
    async with town.database.sessions() as session:
        await factories.member(
            session, telegram_user_id=olga.id, scheme_id=town.scheme_id, role=Role.COORDINATOR
        )
    await started(olga, tom)

    preview, controls = await compose_to_preview(town, cora, status="Test")

    assert preview.body.startswith("🧪 TEST: no action needed.\nℹ️ Advice\n")
    assert "TEST: it goes only to you and the scheme's other coordinators (2 recipients)" in (
        controls.body
    )
    await cora.press("Send now (2 recipients)", on=controls)
    await received(town, olga, preview.body)
    await received(town, cora, preview.body)
    await town.live.sandbox.assert_no_message(tom.id, within=0.5)
    [alert] = await alerts(town)
    assert alert.status == AlertStatus.TEST


async def test_a_scheduled_warning_goes_out_at_its_time(town: Town) -> None:
    cora, tom = town.coordinator, town.trader
    await started(tom)
    _, controls = await compose_to_preview(town, cora)

    question = await cora.presses("Schedule", on=controls)
    assert question.body.startswith("When should it go out?")
    preview = await cora.says("in 2 hours")
    controls = await cora.next_reply()
    [send] = controls.buttons[0]
    assert send.startswith("Schedule for ") and send.endswith("(2 recipients)")
    assert "Scheduled for " in controls.body

    await cora.press(send, on=controls)
    done = await cora.next_reply()
    assert done.body.startswith("Scheduled for ")
    assert done.body.endswith("2 recipients; you'll get the progress here when it starts.")
    await town.live.sandbox.assert_no_message(tom.id, within=1.0)
    [alert] = await alerts(town)
    assert alert.scheduled_for is not None
    assert alert.expires_at - alert.scheduled_for == timedelta(hours=24)

    await town.live.advance(timedelta(hours=2, minutes=1))
    await received(town, tom, preview.body)
    async with town.database.sessions() as session:
        actions = (await session.execute(select(AuditEntry.action))).scalars().all()
    assert "alert.scheduled" in actions


async def test_an_alert_that_expires_before_its_time_is_never_sent(town: Town) -> None:
    cora, tom = town.coordinator, town.trader
    await started(tom)
    audience = await cora.says("/broadcast")
    audience = await toggle(town, cora, "Traders", audience)
    await cora.presses("Next", on=audience)
    await cora.says("Shoplifter on the High Street")
    photo = await cora.says("A man in a grey hoodie is taking spirits from shelves.")
    instruction = await cora.presses("Skip", on=photo)
    severity = await cora.presses("Skip", on=instruction)
    await cora.presses("Moderate", on=severity)

    assert "already passed" in (await cora.says("01/01/2020 10:00")).body
    assert "couldn't read" in (await cora.says("whenever")).body
    assert (await cora.says("in 3 hours")).body.startswith("It expires at ")
    status = await cora.next_reply()
    await cora.press("Actual", on=status)
    await cora.next_reply()
    controls = await cora.next_reply()
    await cora.presses("Schedule", on=controls)
    late = await cora.says("in 4 hours")
    assert "so it must go out before then" in late.body
    await cora.says("in 2 hours")
    controls = await cora.next_reply()
    await cora.press(controls.buttons[0][0], on=controls)
    await cora.next_reply()

    await town.live.advance(timedelta(hours=3, minutes=5))
    [alert] = await alerts(town)
    assert await settled(town, alert.id) == {DeliveryState.CANCELLED: 2}
    await town.live.sandbox.assert_no_message(tom.id, within=0.5)


async def test_an_update_goes_only_to_those_who_got_the_original(town: Town) -> None:
    cora, tom, tia = town.coordinator, town.trader, town.second_trader
    await started(tom)  # Tia never opened a chat with the bot, so she can't get the original
    _, controls = await compose_to_preview(town, cora, toggles=("Traders", "The scheme's group"))
    await cora.press("Send now (3 recipients)", on=controls)
    [original] = await alerts(town)
    assert (await settled(town, original.id)).get(DeliveryState.SENT) == 2
    await started(tia)

    chat = await cora.says("/start")
    data = FollowUpCallback(alert_id=original.id, action=FollowUp.UPDATE).pack()
    await town.live.sandbox.press(cora.id, chat.message_id, data=data, forged=True)
    asked = await cora.replies_until("Type the text")
    assert asked[-1].body.startswith("Headline: Shoplifter on the High Street")
    photo = await cora.says("He has left towards the station; stay alert.")
    instruction = await cora.presses("Skip", on=photo)
    severity = await cora.presses("Skip", on=instruction)
    expiry = await cora.presses("Moderate", on=severity)
    status = await cora.presses("✅ 24 h", on=expiry)
    preview = await cora.presses("Actual", on=status)
    controls = await cora.next_reply()

    assert preview.body.startswith("⚠️ Warning · UPDATE\nShoplifter on the High Street\n")
    assert "To: the people who received the original warning (2 recipients)" in controls.body
    assert "Change audience" not in sum(controls.buttons, [])
    await cora.press("Send now (2 recipients)", on=controls)
    await received(town, tom, preview.body)
    await received(town, town.group.id, preview.body)
    update = (await alerts(town))[-1]
    assert await settled(town, update.id) == {DeliveryState.SENT: 2}
    assert update.message_type == AlertMessageType.UPDATE
    assert update.references_id == original.id
    async with town.database.sessions() as session:
        chats = set(
            (
                await session.execute(
                    select(Delivery.chat_id).where(Delivery.alert_id == update.id)
                )
            ).scalars()
        )
    assert chats == {tom.id, town.group.id}


async def test_changing_a_part_from_the_preview_returns_to_the_preview(town: Town) -> None:
    cora = town.coordinator
    _, controls = await compose_to_preview(town, cora)

    question = await cora.presses("Change headline", on=controls)
    assert question.buttons[0] == ["Keep the headline"]
    preview = await cora.says("Shoplifter now on Market Street")
    controls = await cora.next_reply()
    assert preview.body.startswith("ℹ️ Advice\nShoplifter now on Market Street\n")

    question = await cora.presses("Change photo", on=controls)
    await cora.sends_photos(1)
    preview = await cora.next_reply()
    controls = await cora.next_reply()
    assert preview.kind == "photo"

    audience = await cora.presses("Change audience", on=controls)
    audience = await toggle(town, cora, "Partners", audience)
    await cora.press("Next", on=audience)
    await cora.next_reply()
    controls = await cora.next_reply()
    assert "To: Traders, Partners (3 recipients)." in controls.body

    stale = await cora.press("Skip", on=question)
    assert stale["show_alert"]


async def test_send_pressed_twice_queues_once(town: Town) -> None:
    cora = town.coordinator
    _, controls = await compose_to_preview(town, cora)
    label = controls.buttons[0][0]

    await cora.press(label, on=controls)
    again = await cora.press(label, on=controls)

    assert again["text"] == "That warning has already been sent."
    assert len(await alerts(town)) == 1


async def test_bad_inputs_are_explained_and_change_nothing(town: Town) -> None:
    cora = town.coordinator
    audience = await cora.says("/broadcast")
    refused = await cora.press("Next", on=audience)
    assert refused["show_alert"] and refused["text"].startswith("Nobody would receive this")
    audience = await toggle(town, cora, "Traders", audience)
    await cora.presses("Next", on=audience)

    assert "too short" in (await cora.says("Hi")).body
    assert "please keep it to 120" in (await cora.says("x" * 121)).body
    await cora.says("Shoplifter on the High Street")
    assert "at least 10 characters" in (await cora.says("Help!")).body
    photo = await cora.says("A long account. " * 62)
    assert photo.body.startswith("Send a photo")
    await town.live.sandbox.send_document(cora.id)
    assert "as a photo, not as a file" in (await cora.next_reply()).body
    too_long = await cora.sends_photos(1)
    assert "Under a photo Telegram allows 1,024 characters" in too_long.body
    assert "Please send a photo" in (await cora.says("here you go")).body
    instruction = await cora.presses("Skip", on=photo)
    assert instruction.body.startswith("What should people do?")
    assert await alerts(town) == []


async def test_back_and_cancel_leave_no_rows(town: Town) -> None:
    cora = town.coordinator
    await subscribers(town)
    audience = await cora.says("/broadcast")
    assert "Back" not in sum(audience.buttons, [])
    audience = await toggle(town, cora, "Subscribed residents", audience)
    areas = await cora.presses("Next", on=audience)
    topics = await cora.presses("Next", on=areas)
    back = await cora.presses("Back", on=topics)
    assert back.body.startswith("Which areas?")
    audience = await cora.presses("Back", on=back)
    assert audience.body.startswith("New warning for")
    audience = await toggle(town, cora, "✅ Subscribed residents", audience)
    audience = await toggle(town, cora, "Traders", audience)
    headline = await cora.presses("Next", on=audience)
    assert (await cora.presses("Back", on=headline)).body.startswith("New warning for")
    await cora.presses("Next", on=audience)
    await cora.says("Shoplifter on the High Street")
    photo = await cora.says("A man in a grey hoodie is taking spirits from shelves.")
    assert (await cora.presses("Back", on=photo)).body.startswith("Type the text")

    assert (await cora.presses("Cancel", on=photo)).body.startswith("Cancelled. Nothing was sent")
    assert (await cora.press("Skip", on=photo))["show_alert"]

    _, controls = await compose_to_preview(town, cora)
    assert (await cora.says("/cancel")).body.startswith("Cancelled.")
    assert (await cora.press(controls.buttons[0][0], on=controls))["show_alert"]
    assert await alerts(town) == []
    assert await count_rows(town, Delivery) == 0


async def test_people_who_are_not_coordinators_are_refused(town: Town) -> None:
    assert (await town.trader.says("/broadcast")).body.startswith(
        "Your role in Market Town Shop Watch (trader) doesn't include this."
    )
    assert (await town.pending.says("/broadcast")).body.startswith("Your request to join")
    assert (await town.resident.says("/broadcast")).body.startswith(
        "This is only for approved members"
    )

    _, controls = await compose_to_preview(town, town.coordinator)
    await town.coordinator.press(controls.buttons[0][0], on=controls)
    [alert] = await alerts(town)
    olga = town.other_coordinator
    chat = await olga.says("/start")
    data = FollowUpCallback(alert_id=alert.id, action=FollowUp.UPDATE).pack()
    query = await town.live.sandbox.press(olga.id, chat.message_id, data=data, forged=True)
    answer = await town.live.sandbox.wait_for_callback_answer(query)
    assert answer["text"].startswith("That belongs to a scheme you are not a member of")
    await olga.hears_nothing()


async def test_a_coordinator_of_two_schemes_chooses_one(town: Town) -> None:
    olga = town.other_coordinator
    async with town.database.sessions() as session:
        await factories.member(
            session,
            telegram_user_id=olga.id,
            scheme_id=town.scheme_id,
            role=Role.COORDINATOR,
            status=MembershipStatus.APPROVED,
        )
    question = await olga.says("/broadcast")
    assert question.body == "Which scheme is this warning for?"
    assert sorted(sum(question.buttons, [])) == [
        "Cancel",
        "Market Town Shop Watch",
        "Riverside Shop Watch",
    ]
    audience = await olga.presses("Riverside Shop Watch", on=question)
    assert audience.body.startswith("New warning for Riverside Shop Watch.")
    assert "The scheme's group" not in sum(audience.buttons, [])
