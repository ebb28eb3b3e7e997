"""Traders post incidents through the guided private conversation, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, select, update

from core.enums import IncidentStatus, IncidentType, MembershipStatus, Role
from sandbox.client import Message
from storage.db import Database
from storage.models import AuditEntry, Incident, IncidentPhoto, IncidentSubject, Scheme, Subject
from tests.support import factories
from tests.support.incident_steps import post_quick_incident
from tests.support.live import Person
from tests.support.town import Town

EMERGENCY = "In an emergency call 999; for non-emergency crime call 101."
WHAT = "Man filled a rucksack with shaving gel and walked out without paying."
SENSITIVE_WARNING = (
    "Describe what you saw (clothing, build, features). Don't include ethnicity, religion or "
    "other sensitive details: they aren't needed to recognise someone and the scheme must not "
    "record them."
)


async def incident_count(database: Database) -> int:
    async with database.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(Incident))).scalar_one())


async def only_incident(database: Database) -> Incident:
    async with database.sessions() as session:
        return (await session.execute(select(Incident))).scalar_one()


def flow_id(message: Message) -> str:
    """The conversation id that the flow's buttons carry."""
    return next(
        str(button["callback_data"]).split(":")[-1]
        for row in (message.reply_markup or {})["rows"]
        for button in row
        if "callback_data" in button
    )


async def forged(town: Town, who: Person, on: Message, data: str) -> str:
    """Presses a button nobody was given; returns the toast."""
    query = await town.live.sandbox.press(who.id, on.message_id, data=data, forged=True)
    answer = await town.live.sandbox.wait_for_callback_answer(query)
    return str(answer.get("text") or "")


async def to_when(trader: Person, kind: str = "Theft") -> Message:
    """Starts an incident of `kind`; returns the "when" question."""
    return await trader.presses(kind, on=await trader.says("/incident"))


async def to_what(trader: Person, kind: str = "Theft") -> Message:
    """Answers up to "where" (at the trader's business); returns "what happened"."""
    where = await trader.presses("Now", on=await to_when(trader, kind))
    return await trader.presses(where.buttons[0][0], on=where)


async def to_people(trader: Person, kind: str = "Theft") -> Message:
    """Answers up to "what happened"; returns the people question."""
    await to_what(trader, kind)
    return await trader.says(WHAT)


async def to_photos(trader: Person) -> Message:
    """Answers up to the people (none described); returns the photos question."""
    return await trader.presses("No one to describe", on=await to_people(trader))


async def to_summary(trader: Person) -> Message:
    """Answers every question of a theft, skipping the optional ones; returns the summary."""
    photos = await to_photos(trader)
    value = await trader.presses("Skip", on=photos)
    police = await trader.presses("Skip", on=value)
    business = await trader.presses("Skip", on=police)
    return await trader.presses("No", on=business)


# ----------------------------------------------------------------------------- flows


async def test_a_trader_posts_an_incident_with_every_optional_field(
    town: Town, database: Database
) -> None:
    tom, live = town.trader, town.live
    tz = live.settings.tz
    async with database.sessions() as session:
        entry = await factories.subject(
            session,
            scheme_id=town.scheme_id,
            label="Man in a grey hoodie",
            last_incident_at=live.clock.now() - timedelta(days=30),
        )

    intro = await tom.says("/incident")
    assert EMERGENCY in intro.body
    assert "What kind of incident was it?" in intro.body
    assert intro.buttons[:5] == [
        ["Theft", "Attempted theft"],
        ["Aggression or abuse", "Violence"],
        ["Suspicious behaviour", "Begging"],
        ["Counterfeit money", "Criminal damage"],
        ["Other"],
    ]
    when = await tom.presses("Theft", on=intro)
    assert when.body.startswith("When did it happen?")
    assert when.buttons[0] == ["Now", "15 minutes ago"]

    yesterday = (live.clock.now().astimezone(tz) - timedelta(days=1)).date()
    got_it = await tom.says(f"{yesterday:%d/%m/%Y} 18:30")
    assert got_it.body.startswith("Got it:")
    where = await tom.next_reply()
    assert where.body.startswith("Where did it happen?")
    assert where.buttons[0] == ["At Tom's News"]

    what = await tom.presses("At Tom's News", on=where)
    assert what.body.startswith("What happened?")
    people = await tom.says(WHAT)
    assert SENSITIVE_WARNING in people.body
    assert people.buttons[:2] == [["Describe a person"], ["No one to describe"]]

    height = await tom.presses("Describe a person", on=people)
    assert height.body.startswith("Person 1: how tall were they?")
    build = await tom.presses("Tall", on=height)
    assert build.body == "Person 1: what build were they?"
    clothing = await tom.presses("Slim", on=build)
    assert clothing.body.startswith("Person 1: what were they wearing?")
    features = await tom.says("Black puffer jacket, grey joggers, white cap")
    assert features.body.startswith("Person 1: any distinguishing features?")
    assert "leave out ethnicity" in features.body
    more = await tom.says("Scar on left cheek")
    assert more.body.startswith(
        "Person 1: height: tall; build: slim; clothing: Black puffer jacket, grey joggers, "
        "white cap; features: Scar on left cheek"
    )
    height = await tom.presses("Add another person", on=more)
    assert height.body.startswith("Person 2: how tall were they?")
    build = await tom.says("about 5ft 6")
    clothing = await tom.presses("Heavy", on=build)
    features = await tom.says("Red tracksuit")
    more = await tom.presses("Skip", on=features)
    assert "Person 2: height: about 5ft 6; build: heavy; clothing: Red tracksuit" in more.body

    photos = await tom.presses("Done", on=more)
    assert photos.body.startswith("Would you like to add photos")
    added = await tom.sends_photos(3)
    assert added.body.startswith("1 of up to 5 photos added")
    updated = await live.sandbox.wait_for_edit(tom.id, added.message_id, lambda m: "3 of" in m.body)

    value = await tom.presses("Done", on=updated)
    assert value.body.startswith("What was the value of what was stolen?")
    police = await tom.says("£45.50")
    assert police.body.startswith("Did you report it to the police?")
    gallery = await tom.says("cri/12345/26")
    assert gallery.body.startswith("Is this someone already in the scheme's gallery?")
    assert gallery.buttons[:2] == [["Man in a grey hoodie"], ["None"]]
    # Gallery entries are listed by name: protected like the gallery itself.
    assert gallery.protect_content
    business = await tom.presses("Man in a grey hoodie", on=gallery)
    assert business.body.startswith("Show your business name (Tom's News) on the card")

    summary = await tom.presses("Yes, show it", on=business)
    assert summary.body.startswith(
        "Please check your incident before it is posted to Market Town Shop Watch:"
    )
    for line in (
        "Type: Theft",
        f"When: {yesterday:%a %d %b %Y}, 18:30",
        "Where: Tom's News",
        f"What happened: {WHAT}",
        "  Person 2: height: about 5ft 6; build: heavy; clothing: Red tracksuit",
        "Photos: 3 attached",
        "Value: £45.50",
        "Police reference: CRI/12345/26",
        "Gallery entry: Man in a grey hoodie",
        "Your business name on the card: shown",
    ):
        assert line in summary.body, line
    assert summary.protect_content

    done = await tom.presses("Submit", on=summary)
    assert done.body.startswith("Thank you. Your incident is INC-")

    incident = await only_incident(database)
    occurred = datetime.combine(yesterday, time(18, 30), tzinfo=tz).astimezone(UTC)
    assert incident.reference == f"INC-{live.clock.now().year}-{incident.id:06d}"
    assert incident.reference in done.body
    assert {
        "scheme_id": incident.scheme_id,
        "incident_type": incident.incident_type,
        "occurred_at": incident.occurred_at,
        "location_text": incident.location_text,
        "description": incident.description,
        "people_description": incident.people_description,
        "value_stolen_pence": incident.value_stolen_pence,
        "police_reference": incident.police_reference,
        "show_business_name": incident.show_business_name,
        "status": incident.status,
    } == {
        "scheme_id": town.scheme_id,
        "incident_type": IncidentType.THEFT,
        "occurred_at": occurred,
        "location_text": "Tom's News",
        "description": WHAT,
        "people_description": {
            "people": [
                {
                    "height": "Tall",
                    "build": "Slim",
                    "clothing": "Black puffer jacket, grey joggers, white cap",
                    "features": "Scar on left cheek",
                },
                {"height": "about 5ft 6", "build": "Heavy", "clothing": "Red tracksuit"},
            ]
        },
        "value_stolen_pence": 4550,
        "police_reference": "CRI/12345/26",
        "show_business_name": True,
        "status": IncidentStatus.OPEN,
    }
    async with database.sessions() as session:
        photos_stored = (
            await session.execute(select(IncidentPhoto).order_by(IncidentPhoto.position))
        ).scalars()
        links = (await session.execute(select(IncidentSubject))).scalars().all()
        linked = await session.get(Subject, entry.id)
        audited = set((await session.execute(select(AuditEntry.action))).scalars())
        reporter = (
            await session.execute(
                select(Incident.reporter_id, Incident.membership_id).where(
                    Incident.id == incident.id
                )
            )
        ).one()
    assert [photo.position for photo in photos_stored] == [0, 1, 2]
    assert [(link.incident_id, link.subject_id) for link in links] == [(incident.id, entry.id)]
    assert linked is not None and linked.last_incident_at == occurred
    assert None not in reporter
    assert {"gallery.listed", "incident.filed", "gallery.incident_linked"} <= audited

    card = await live.next_in_group(town.group)
    assert card.protect_content
    assert incident.reference in card.body
    assert "Tom's News" in card.body


async def test_the_minimal_incident_skips_every_optional_question(
    town: Town, database: Database
) -> None:
    tia, live = town.second_trader, town.live
    where = await tia.presses("1 hour ago", on=await to_when(tia))
    what = await tia.says("Market Place, by the fountain")
    assert what.body.startswith("What happened?")
    people = await tia.says(WHAT)
    photos = await tia.presses("No one to describe", on=people)
    value = await tia.presses("Skip", on=photos)
    police = await tia.presses("Skip", on=value)
    business = await tia.presses("Skip", on=police)
    assert business.body.startswith("Show your business name (Tia's Pharmacy)")
    summary = await tia.presses("No", on=business)
    for line in (
        "Where: Market Place, by the fountain",
        "People involved: none described",
        "Photos: none",
        "Value: not given",
        "Police reference: none",
        "Your business name on the card: not shown",
    ):
        assert line in summary.body, line
    assert "Gallery entry" not in summary.body
    before = live.clock.now()
    done = await tia.presses("Submit", on=summary)
    assert done.body.startswith("Thank you. Your incident is INC-")

    incident = await only_incident(database)
    assert before - timedelta(hours=1, minutes=1) <= incident.occurred_at
    assert incident.occurred_at <= before - timedelta(minutes=59)
    assert incident.location_text == "Market Place, by the fountain"
    assert incident.people_description == {"people": []}
    assert incident.value_stolen_pence is None and incident.police_reference is None
    assert not incident.show_business_name
    async with database.sessions() as session:
        assert (await session.execute(select(func.count(IncidentPhoto.id)))).scalar_one() == 0
    card = await live.next_in_group(town.group)
    assert card.protect_content and incident.reference in card.body
    assert "Tia" not in card.body
    assert where


async def test_the_card_hides_a_trader_who_posts_at_their_business_without_showing_it(
    town: Town, database: Database
) -> None:
    done = await post_quick_incident(town.trader, clothing="Green parka, black jeans")
    assert done.body.startswith("Thank you. Your incident is INC-")

    card = await town.live.next_in_group(town.group)
    incident = await only_incident(database)
    assert card.protect_content and incident.reference in card.body
    assert "Tom" not in card.body
    assert incident.people_description == {"people": [{"clothing": "Green parka, black jeans"}]}
    assert incident.location_text == "Tom's News" and not incident.show_business_name


async def test_photos_and_value_are_not_asked_when_they_do_not_apply(
    town: Town, database: Database
) -> None:
    async with database.sessions() as session, session.begin():
        await session.execute(
            update(Scheme).where(Scheme.id == town.scheme_id).values(photos_allowed=False)
        )
    tom = town.trader
    people = await to_people(tom, kind="Suspicious behaviour")

    police = await tom.presses("No one to describe", on=people)

    assert police.body.startswith("Did you report it to the police?")
    summary = await tom.presses("No", on=await tom.presses("Skip", on=police))
    assert "Photos" not in summary.body and "Value" not in summary.body
    assert "Change photos" not in summary.buttons[1] + summary.buttons[2]
    await tom.presses("Submit", on=summary)
    assert (await only_incident(database)).incident_type == IncidentType.SUSPICIOUS


async def test_a_coordinator_without_a_business_types_the_place_and_is_not_asked_to_show_it(
    town: Town, database: Database
) -> None:
    cora = town.coordinator
    where = await cora.presses("Now", on=await to_when(cora, kind="Begging"))
    assert where.buttons == [["Back", "Cancel"]]
    await cora.says("Bus station entrance")
    photos = await cora.presses("No one to describe", on=await cora.says(WHAT))
    police = await cora.presses("Skip", on=photos)
    summary = await cora.presses("Skip", on=police)
    assert summary.body.startswith("Please check your incident")
    assert "business name" not in summary.body

    await cora.presses("Submit", on=summary)
    incident = await only_incident(database)
    assert incident.incident_type == IncidentType.BEGGING
    assert incident.value_stolen_pence is None


# -------------------------------------------------------------------------- the group


async def test_incident_in_the_group_answers_with_a_private_link_and_nothing_else(
    town: Town,
) -> None:
    tom, live = town.trader, town.live
    username = (await live.sandbox.bot_info())["username"]

    answer = await tom.says_in(town.group, "/incident")

    assert answer.body == "Please don't type details here: tap the button to report it privately."
    assert answer.buttons == [["Report an incident privately"]]
    assert answer.button("Report an incident privately")["url"] == (
        f"https://t.me/{username}?start=incident"
    )
    await live.sandbox.assert_no_message(town.group.id)
    intro = await tom.says("/start incident")
    assert "What kind of incident was it?" in intro.body


async def test_details_typed_after_incident_in_the_group_are_removed(town: Town) -> None:
    sent = await town.live.sandbox.send_text(
        town.trader.id, "/incident man in red coat took perfume", chat_id=town.group.id
    )

    answer = await town.live.next_in_group(town.group)

    assert answer.body.startswith("I removed your message so its details aren't shared here.")
    assert (await town.live.sandbox.message(town.group.id, sent.message_id)).deleted


async def test_anonymous_admins_forwards_and_other_bots_commands_in_the_group(
    town: Town,
) -> None:
    sandbox = town.live.sandbox
    await sandbox.send_anonymous(town.coordinator.id, town.group.id, "/incident")
    answer = await town.live.next_in_group(town.group)
    assert answer.body.startswith("You are posting anonymously as the group")

    await sandbox.automatic_forward(town.group.id, "/incident")
    await sandbox.send_text(town.trader.id, "/incident@otherbot", chat_id=town.group.id)

    await sandbox.assert_no_message(town.group.id, within=0.5)
    await town.trader.hears_nothing()


# ---------------------------------------------------------------------------- access


async def test_people_who_may_not_post_get_only_their_refusal(
    town: Town, database: Database
) -> None:
    for who, expected in (
        (town.pending, "is waiting for a coordinator's approval"),
        (town.rejected, "was not approved"),
        (town.suspended, "is suspended"),
        (town.resident, "only for approved members of a Shop Watch scheme"),
        (town.partner, "(partner) doesn't include this"),
    ):
        refused = await who.says("/incident")
        assert expected in refused.body, refused.body
        assert refused.buttons == []
        await who.hears_nothing()
    assert await incident_count(database) == 0


async def test_a_trader_of_another_scheme_posts_only_to_their_own(
    town: Town, database: Database
) -> None:
    otto, olga = town.other_trader, town.other_coordinator
    await olga.says("/start")  # she has talked to the bot, so it may message her

    summary = await to_summary(otto)
    assert "posted to Riverside Shop Watch" in summary.body
    submitted = await otto.presses("Submit", on=summary)
    assert submitted.body.startswith("Thank you. Your incident is INC-")
    saved = await otto.next_reply()
    assert saved.body.startswith("Your incident INC-")
    assert "is saved and the scheme's coordinator will see it" in saved.body

    told = await olga.next_reply()
    assert "could not be posted in the scheme's group" in told.body
    incident = await only_incident(database)
    assert incident.scheme_id == town.other_scheme_id
    await town.live.sandbox.assert_no_message(town.group.id)


async def test_a_member_of_two_schemes_chooses_one_and_cannot_forge_another(
    town: Town, database: Database
) -> None:
    otto = town.other_trader
    async with database.sessions() as session:
        hilltop = await factories.scheme(session, "Hilltop Shop Watch")
        await factories.member(
            session,
            telegram_user_id=otto.id,
            scheme_id=hilltop.id,
            role=Role.TRADER,
            status=MembershipStatus.APPROVED,
            business_name="Otto's Hilltop Store",
        )
    choose = await otto.says("/incident")
    assert choose.body == "Which scheme is this incident for?"
    assert choose.buttons[:2] == [["Riverside Shop Watch"], ["Hilltop Shop Watch"]]

    toast = await forged(town, otto, choose, f"i1:scheme:{town.scheme_id}:{flow_id(choose)}")
    assert "a scheme you are not a member of" in toast

    intro = await otto.presses("Hilltop Shop Watch", on=choose)
    assert "What kind of incident was it?" in intro.body
    assert (await otto.presses("Back", on=intro)).body == "Which scheme is this incident for?"
    assert await incident_count(database) == 0


# ------------------------------------------------------------------------ bad inputs


async def test_bad_times_descriptions_and_non_text_answers_are_refused(town: Town) -> None:
    tom = town.trader
    intro = await tom.says("/incident")
    nudged = await tom.sends_sticker()
    assert nudged.body == "Please use the buttons on my last message to answer."
    assert (await tom.next_reply()).body == intro.body

    await tom.presses("Theft", on=intro)
    assert "future" in (await tom.says("tomorrow at 9pm")).body
    assert "future" in (await tom.says("01/01/2099 10:00")).body
    where = await tom.says("20 minutes ago")
    assert where.body.startswith("Got it:")
    where = await tom.next_reply()

    assert (await tom.says("x")).body.startswith("Please say where it happened")
    assert (await tom.sends_sticker()).body == "Please type where it happened as a text message."
    await tom.presses("At Tom's News", on=where)
    assert (await tom.sends_sticker()).body == "Please type what happened as a text message."
    assert "at least 10" in (await tom.says("Theft")).body
    assert "2000" in (await tom.says("x" * 1990 + " stole it " + "y" * 10)).body

    people = await tom.says(WHAT)
    height = await tom.presses("Describe a person", on=people)
    build = await tom.presses("Average", on=height)
    assert (await tom.says("chunky")).body == "Please use the buttons on my last message to answer."
    clothing = await tom.presses("Medium", on=(await tom.next_reply()))
    assert clothing.body.startswith("Person 1: what were they wearing?")
    assert (await tom.says("x")).body.startswith("Please describe the clothing")
    assert build


async def test_bad_money_and_police_references_are_refused(town: Town, database: Database) -> None:
    tom = town.trader
    value = await tom.presses("Skip", on=await to_photos(tom))

    assert "couldn't read that as an amount" in (await tom.says("£abc")).body
    assert "can't be negative" in (await tom.says("-5")).body
    assert "more than £100,000" in (await tom.says("£250,000")).body
    assert "press Skip" in (await tom.says("0")).body
    police = await tom.says("45.5")
    assert police.body.startswith("Did you report it to the police?")

    assert "no spaces" in (await tom.says("CRI 12345")).body
    assert "4 to 30 characters" in (await tom.says("AB1")).body
    assert "4 to 30 characters" in (await tom.says("A" * 31)).body
    assert "no spaces" in (await tom.says("crime#1")).body
    business = await tom.says("mt-2026-0042")
    summary = await tom.presses("No", on=business)
    assert "Value: £45.50" in summary.body
    assert "Police reference: MT-2026-0042" in summary.body
    assert value
    assert await incident_count(database) == 0


async def test_files_a_sixth_photo_and_captions_are_refused_or_explained(town: Town) -> None:
    tom, live = town.trader, town.live
    await to_photos(tom)

    await live.sandbox.send_document(tom.id, file_name="IMG_2041.jpg")
    assert "not as files" in (await tom.next_reply()).body
    added = await tom.sends_photos(5)
    await live.sandbox.wait_for_edit(tom.id, added.message_id, lambda m: m.body.startswith("5 of"))
    extra = await tom.sends_photos(1)
    assert extra.body.startswith("I can keep up to 5 photos")

    cleared = await tom.presses("Remove all", on=extra)
    assert cleared.body.startswith("Would you like to add photos")
    await live.sandbox.send_photo(tom.id, caption="Still of him at the door")
    replies = await tom.replies_until("photos added")
    assert replies[0].body.startswith("Photo captions are not kept with the incident")
    assert replies[-1].body.startswith("1 of up to 5 photos added")


async def test_old_and_forged_buttons_are_refused_and_change_nothing(
    town: Town, database: Database
) -> None:
    tom = town.trader
    intro = await tom.says("/incident")
    assert "isn't one of the incident types" in await forged(
        town, tom, intro, f"i1:kind:burglary:{flow_id(intro)}"
    )
    when = await tom.presses("Theft", on=intro)

    answer = await tom.press("Violence", intro)
    assert "earlier message" in answer["text"]
    await tom.presses("Cancel", on=when)

    summary = await to_summary(tom)
    flow = flow_id(summary)
    assert "earlier message" in await forged(town, tom, summary, "i1:submit::deadbeef")
    assert "earlier message" in await forged(town, tom, summary, f"i1:kind:theft:{flow}")
    assert "isn't one of the choices" in await forged(town, tom, summary, f"i1:change:x:{flow}")
    assert "That button has expired" in await forged(town, tom, summary, "i1:nonsense")
    assert await incident_count(database) == 0
    assert (await tom.presses("Submit", on=summary)).body.startswith("Thank you.")


async def test_a_gallery_entry_of_another_scheme_cannot_be_linked(
    town: Town, database: Database
) -> None:
    async with database.sessions() as session:
        await factories.subject(session, scheme_id=town.scheme_id, label="Woman with a pram")
        theirs = await factories.subject(
            session, scheme_id=town.other_scheme_id, label="Riverside man"
        )
    tom = town.trader
    police = await tom.presses("Skip", on=await tom.presses("Skip", on=await to_photos(tom)))
    gallery = await tom.presses("Skip", on=police)
    assert gallery.buttons[0] == ["Woman with a pram"]

    toast = await forged(town, tom, gallery, f"i1:subject:{theirs.id}:{flow_id(gallery)}")

    assert "isn't available" in toast
    business = await tom.presses("None", on=gallery)
    summary = await tom.presses("No", on=business)
    assert "Gallery entry: none" in summary.body


# ------------------------------------------------------------------ back, cancel, edit


async def test_back_returns_to_the_previous_question_at_every_step(town: Town) -> None:
    tom = town.trader
    more = await _one_person(tom)
    photos = await tom.presses("Done", on=more)
    value = await tom.presses("Skip", on=photos)
    police = await tom.presses("Skip", on=value)
    business = await tom.presses("Skip", on=police)
    summary = await tom.presses("No", on=business)

    expected = [
        "Show your business name",
        "Did you report it to the police?",
        "What was the value",
        "Would you like to add photos",
        "Person 1: height: tall",
        "Person 1: any distinguishing features?",
        "Person 1: what were they wearing?",
        "Person 1: what build were they?",
        "Person 1: how tall were they?",
        "Would you like to describe the people involved?",
        "What happened?",
        "Where did it happen?",
        "When did it happen?",
        "Post an incident",
    ]
    current = summary
    for start in expected:
        current = await tom.presses("Back", on=current)
        assert current.body.startswith(start), (start, current.body)
    assert current.buttons[-1] == ["Cancel"]


async def _one_person(tom: Person) -> Message:
    """Answers up to the people and describes one; returns the people-so-far message."""
    height = await tom.presses("Describe a person", on=await to_people(tom))
    clothing = await tom.presses("Slim", on=await tom.presses("Tall", on=height))
    assert clothing.body.startswith("Person 1: what were they wearing?")
    return await tom.presses("Skip", on=await tom.says("Blue hoodie"))


async def test_cancel_at_any_step_writes_nothing(town: Town, database: Database) -> None:
    tom = town.trader
    for reach in (to_when, to_what, to_people, to_photos, to_summary):
        prompt = await reach(tom)
        cancelled = await tom.presses("Cancel", on=prompt)
        assert cancelled.body.startswith("Incident cancelled. Nothing was posted.")
    await to_what(tom)
    assert (
        "Cancelled. Nothing from that conversation was saved." in (await tom.says("/cancel")).body
    )
    assert await incident_count(database) == 0
    await town.live.sandbox.assert_no_message(town.group.id)


async def test_every_part_can_be_changed_from_the_summary(town: Town, database: Database) -> None:
    tom = town.trader
    summary = await to_summary(tom)

    people = await tom.presses("Change people", on=summary)
    restored = await tom.presses("Back", on=people)
    assert "People involved: none described" in restored.body
    height = await tom.presses(
        "Describe a person", on=await tom.presses("Change people", on=restored)
    )
    clothing = await tom.presses("Not sure", on=await tom.presses("Not sure", on=height))
    more = await tom.presses("Skip", on=await tom.says("Yellow hi-vis vest"))
    summary = await tom.presses("Done", on=more)
    assert "Person 1: clothing: Yellow hi-vis vest" in summary.body
    assert clothing

    where = await tom.presses("Change where", on=summary)
    summary = await tom.says("Car park behind the Co-op")
    assert "Where: Car park behind the Co-op" in summary.body
    assert where

    value = await tom.presses("Change value", on=summary)
    summary = await tom.says("12")
    assert "Value: £12.00" in summary.body and value

    kind = await tom.presses("Change type", on=summary)
    summary = await tom.presses("Criminal damage", on=kind)
    assert "Type: Criminal damage" in summary.body and "Value" not in summary.body

    kind = await tom.presses("Change type", on=summary)
    value = await tom.presses("Counterfeit money", on=kind)
    assert value.body.startswith("How much was the counterfeit money for?")
    summary = await tom.says("£20")
    assert "Value: £20.00" in summary.body

    when = await tom.presses("Change when", on=summary)
    back = await tom.presses("Back", on=when)
    assert back.body.startswith("Please check your incident")

    business = await tom.presses("Change business name", on=back)
    summary = await tom.presses("Yes, show it", on=business)
    await tom.presses("Submit", on=summary)
    incident = await only_incident(database)
    assert incident.incident_type == IncidentType.COUNTERFEIT
    assert incident.value_stolen_pence == 2000
    assert incident.location_text == "Car park behind the Co-op"
    assert incident.people_description == {"people": [{"clothing": "Yellow hi-vis vest"}]}
    assert incident.show_business_name


async def test_pressing_submit_twice_files_one_incident(town: Town, database: Database) -> None:
    tom = town.trader
    summary = await to_summary(tom)

    await tom.press("Submit", summary)
    await tom.press("Submit", summary)
    replies = [await tom.next_reply(), await tom.next_reply()]

    texts = sorted(reply.body for reply in replies)
    assert texts[0].startswith("Already submitted: your incident is INC-")
    assert texts[1].startswith("Thank you. Your incident is INC-")
    assert await incident_count(database) == 1
    await town.live.next_in_group(town.group)
    await town.live.sandbox.assert_no_message(town.group.id)


async def test_no_more_than_four_people_are_described(town: Town) -> None:
    tom = town.trader
    prompt = await tom.presses("Describe a person", on=await to_people(tom))
    for number in range(1, 5):
        assert prompt.body.startswith(f"Person {number}: how tall")
        build = await tom.presses("Not sure", on=prompt)
        clothing = await tom.presses("Not sure", on=build)
        more = await tom.presses("Skip", on=await tom.says(f"Coat number {number}"))
        if number < 4:
            prompt = await tom.presses("Add another person", on=more)
        assert clothing
    assert more.buttons[0] == ["Done"]
    assert "Person 4: clothing: Coat number 4" in more.body


async def test_an_incident_in_progress_resumes_and_an_idle_one_expires(town: Town) -> None:
    tom, live = town.trader, town.live
    await to_what(tom)
    resumed = await tom.says("/incident")
    assert resumed.body.startswith("You have an incident in progress")
    assert (await tom.next_reply()).body.startswith("What happened?")

    live.clock.advance(timedelta(hours=24, minutes=1))
    expired = await tom.says(WHAT)

    assert expired.body.startswith("Your unfinished incident was idle for too long")
    await tom.hears_nothing()


async def test_the_menu_button_starts_an_incident(town: Town) -> None:
    tom = town.trader
    menu = await tom.says("/start")

    intro = await tom.presses("Post an incident", on=menu)

    assert "What kind of incident was it?" in intro.body
