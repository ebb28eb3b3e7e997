"""Coordinators add people from incidents to the gallery and look after the entries."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from sqlalchemy import func, select

from core.enums import SubjectStatus
from core.gallery.months import add_months
from handlers.gallery.callbacks import AddToGalleryCallback, GalleryAction, GalleryCallback
from sandbox.client import Message
from storage.models import Base, Exclusion, IncidentSubject, Subject, SubjectPhoto
from tests.support import factories
from tests.support import gallery_steps as steps
from tests.support.live import Person
from tests.support.town import Town

SUSPECT = {"height": "Tall", "build": "Slim", "clothing": "Grey hoodie, white trainers"}


def today(town: Town) -> date:
    return town.live.clock.now().astimezone(town.live.settings.tz).date()


def typed(day: date) -> str:
    return day.strftime("%d/%m/%Y")


async def incident(town: Town, **details: object) -> tuple[int, str]:
    async with town.database.sessions() as session:
        row = await factories.incident(
            session,
            scheme_id=town.scheme_id,
            reporter_telegram_id=town.trader.id,
            **details,  # type: ignore[arg-type]
        )
    return row.id, row.reference


async def adds_to_gallery(who: Person, incident_id: int) -> Message:
    """Presses "Add to gallery" on an incident (as on its Details view); returns the answer."""
    hello = await who.says("/help")
    toast = await steps.presses_forged(who, AddToGalleryCallback(incident_id=incident_id), hello)
    assert toast.get("text") in (None, ""), toast
    return await who.next_reply()


async def count(town: Town, model: type[Base]) -> int:
    async with town.database.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_a_coordinator_adds_a_known_person_with_photos_and_an_exclusion(town: Town) -> None:
    cora = town.coordinator
    incident_id, reference = await incident(town, people=[SUSPECT], photos=2)

    question = await adds_to_gallery(cora, incident_id)
    assert question.body.startswith(
        f"Adding a person from {reference} to the Market Town Shop Watch gallery."
    )
    assert question.buttons == [
        ["Known: I can name them"],
        ["ID sought: identity unknown"],
        ["Cancel"],
    ]
    name = await cora.presses("Known: I can name them", on=question)
    assert name.body.startswith("Type their name")
    assert (await cora.says("Al")).body == "Please type a name of 3 to 80 characters."

    describe = await cora.says("Alan Smithee")
    assert "height: Tall; build: Slim; clothing: Grey hoodie, white trainers" in describe.body
    assert describe.protect_content
    assert describe.buttons == [["Use the incident's description"], ["Cancel"]]
    photos = await cora.presses("Use the incident's description", on=describe)
    assert photos.body == f"{reference} has 2 photo(s). Show them with this entry?"
    exclusion = await cora.presses("Use the incident's photos", on=photos)
    assert exclusion.body == "Is this person under an exclusion notice?"
    await cora.presses("Yes", on=exclusion)
    starts, ends = today(town), add_months(today(town), 6)
    await cora.says(typed(starts))
    summary = await cora.says(typed(ends))
    assert summary.protect_content
    assert summary.body.splitlines() == [
        "Please check the new gallery entry:",
        "",
        "Known: Alan Smithee",
        "Description: height: Tall; build: Slim; clothing: Grey hoodie, white trainers",
        f"Photos: 2 from {reference}",
        f"Exclusion: {typed(starts)} to {typed(ends)}",
        f"Linked incident: {reference}",
        "",
        "Save it to the Market Town Shop Watch gallery?",
    ]

    saved = await cora.presses("Save", on=summary)
    async with town.database.sessions() as session:
        subject = (await session.execute(select(Subject))).scalar_one()
        photo_ids = (await session.execute(select(SubjectPhoto.file_id))).scalars().all()
        links = (await session.execute(select(IncidentSubject))).scalars().all()
        exclusion_row = (await session.execute(select(Exclusion))).scalar_one()
    assert saved.body.startswith(
        f"Saved as gallery entry #{subject.id} in the Market Town Shop Watch gallery."
    )
    assert (subject.status, subject.label) == (SubjectStatus.KNOWN, "Alan Smithee")
    assert sorted(photo_ids) == ["photo-0", "photo-1"]
    assert [(link.incident_id, link.subject_id) for link in links] == [(incident_id, subject.id)]
    assert (exclusion_row.starts_on, exclusion_row.ends_on) == (starts, ends)
    assert ("gallery.entry_created", "Cora", subject.id) in await steps.audit_trail(
        town.database, town.scheme_id
    )

    again = await cora.press("Save", on=summary)
    assert "earlier conversation" in again["text"]
    assert await count(town, Subject) == 1

    # The incident's photos are not known to this sandbox, so the entry says they can't show.
    entry = await cora.presses(f"Open entry #{subject.id}", on=saved)
    assert "Alan Smithee (Known)" in entry.body
    assert f"Excluded from {typed(starts)} to {typed(ends)}" in entry.body
    assert "(The photos could not be shown just now.)" in entry.body
    assert entry.buttons[1] == ["End exclusion"]


async def test_bad_answers_are_explained_and_cancel_saves_nothing(town: Town) -> None:
    cora = town.coordinator
    incident_id, _ = await incident(town)

    question = await adds_to_gallery(cora, incident_id)
    add_again = AddToGalleryCallback(incident_id=incident_id)
    twice = await steps.presses_forged(cora, add_again, question)
    assert twice["text"].startswith("You are already adding someone to the gallery.")
    label = await cora.presses("ID sought: identity unknown", on=question)
    assert label.body.startswith("Type a short label")
    describe = await cora.says("Woman with a red umbrella")
    assert describe.buttons == [["Cancel"]] and not describe.protect_content
    assert (await cora.says("Short")).body.startswith("That is too short to recognise anyone")
    sticker = await cora.sends_sticker()
    assert sticker.body == "Please type the description as text."
    exclusion = await cora.says("Short, red coat, red umbrella, pushes a pram.")
    assert exclusion.body == "Is this person under an exclusion notice?"  # no photos to ask about
    await cora.presses("Yes", on=exclusion)

    now = today(town)
    year_ago = add_months(now, -12)
    answers = [
        ("tomorrow", "Please type the date as dd/mm/yyyy, for example 01/03/2027."),
        ("31/02/2027", "There is no 31/02/2027. Please check the date."),
        (typed(year_ago - timedelta(days=1)), "The start can be at most a year ago"),
        (typed(year_ago), "When does it end?"),
        (typed(year_ago), "The end must be after the start"),
        (typed(now - timedelta(days=1)), "That end date has already passed"),
        (typed(add_months(year_ago, 24) + timedelta(days=1)), "can last at most 24 months"),
    ]
    for answer, expected in answers:
        reply = await cora.says(answer)
        assert expected in reply.body, (answer, reply.body)

    summary = await cora.says(typed(add_months(year_ago, 24)))
    assert summary.body.startswith("Please check the new gallery entry:")
    cancelled = await cora.presses("Cancel", on=summary)
    assert cancelled.body == "Cancelled. Nothing was added to the gallery."
    assert await count(town, Subject) == 0
    assert await count(town, Exclusion) == 0
    old_button = await cora.press("Save", on=summary)
    assert "earlier conversation" in old_button["text"]
    assert await count(town, Subject) == 0


async def test_only_coordinators_of_the_incidents_scheme_can_add_to_its_gallery(
    town: Town,
) -> None:
    incident_id, _ = await incident(town, people=[SUSPECT])
    for who, expected in (
        (town.trader, "(trader) doesn't include this"),
        (town.partner, "(partner) doesn't include this"),
        (town.other_coordinator, "a scheme you are not a member of"),
        (town.suspended, "is suspended"),
    ):
        hello = await who.says("/help")
        toast = await steps.presses_forged(
            who, AddToGalleryCallback(incident_id=incident_id), hello
        )
        assert expected in toast["text"], (who.user.first_name, toast)
        assert "Grey hoodie" not in toast["text"]
        await who.hears_nothing()


async def test_an_incident_past_the_retention_period_cannot_be_added(town: Town) -> None:
    cora = town.coordinator
    long_ago = add_months(town.live.clock.now(), -12) - timedelta(days=1)
    incident_id, reference = await incident(town, occurred_at=long_ago, people=[SUSPECT])
    hello = await cora.says("/help")
    toast = await steps.presses_forged(cora, AddToGalleryCallback(incident_id=incident_id), hello)
    assert toast["text"].startswith(
        f"{reference} is older than the scheme's 12-month retention period"
    )
    await cora.hears_nothing()


async def test_the_add_button_in_the_group_is_refused(town: Town) -> None:
    incident_id, _ = await incident(town)
    answer = await town.trader.says_in(town.group, "/gallery")
    toast = await steps.presses_forged(
        town.coordinator, AddToGalleryCallback(incident_id=incident_id), answer
    )
    assert toast["text"].startswith("The gallery is only shown in private chat")


async def test_coordinators_link_incidents_exclude_and_delete_entries(town: Town) -> None:
    cora = town.coordinator
    first_id, first = await incident(town)
    second_id, second = await incident(town)
    async with town.database.sessions() as session:
        elsewhere = await factories.incident(session, scheme_id=town.other_scheme_id)
    entry_id = await steps.entry(town, incident_ids=[first_id])

    gallery = await cora.says("/gallery")
    entry = await cora.presses("Man in a grey hoodie · ID sought · 1 incident", on=gallery)
    assert f"Linked incidents: {first}" in entry.body

    ask = await cora.presses("Link an incident", on=entry)
    assert ask.body.startswith("Type the reference of the incident to link")
    assert (await cora.says("the one from Tuesday")).body.startswith("That doesn't look like")
    assert (await cora.says(elsewhere.reference)).body.startswith(
        f"I can't find {elsewhere.reference} among this scheme's incidents."
    )
    linked = await cora.says(second.lower())
    assert linked.body == f"Linked {second} to gallery entry #{entry_id}."

    ask = await cora.presses("Link an incident", on=entry)
    assert (await cora.says(first)).body == f"{first} is already linked to Man in a grey hoodie."
    await cora.presses("Cancel", on=ask)

    start = await cora.presses("Add exclusion", on=entry)
    assert start.body.startswith("When does the exclusion start?")
    await cora.says(typed(today(town)))
    recorded = await cora.says(typed(add_months(today(town), 3)))
    assert recorded.body.startswith(f"Exclusion recorded on gallery entry #{entry_id}")
    again = await cora.presses("Add exclusion", on=entry)
    await cora.says(typed(today(town)))
    refused = await cora.says(typed(add_months(today(town), 1)))
    assert "already has an exclusion in force" in refused.body
    await cora.presses("Cancel", on=again)

    gallery = await cora.says("/gallery")
    until = typed(add_months(today(town), 3))
    label = f"Man in a grey hoodie · ID sought · excluded until {until} · 2 incidents"
    entry = await cora.presses(label, on=gallery)
    ended = await cora.presses("End exclusion", on=entry)
    assert ended.body == f"The exclusion on gallery entry #{entry_id} ended."
    assert await count(town, Exclusion) == 0

    forged = await steps.presses_forged(
        town.trader,
        GalleryCallback(action=GalleryAction.CONFIRM_DELETE, entry=entry_id),
        await town.trader.says("/help"),
    )
    assert "(trader) doesn't include this" in forged["text"]
    confirm = await cora.presses("Delete entry", on=entry)
    assert confirm.buttons == [["Yes, delete it", "No, keep it"]]
    assert (await cora.press("No, keep it", on=confirm))["text"] == "Nothing was deleted"
    deleted = await cora.presses("Yes, delete it", on=confirm)
    assert deleted.body == f"Gallery entry #{entry_id} is deleted, with its photos and exclusions."
    assert not await steps.entry_exists(town.database, entry_id)
    assert await count(town, IncidentSubject) == 0
    gone = await cora.press("Yes, delete it", on=confirm)
    assert gone["text"] == "That entry is no longer in the gallery."

    trail = [
        (action, who)
        for action, who, object_id in await steps.audit_trail(town.database, town.scheme_id)
        if object_id == entry_id and action != "gallery.viewed"
    ]
    assert trail == [
        ("gallery.incident_linked", "Cora"),
        ("gallery.exclusion_added", "Cora"),
        ("gallery.exclusion_ended", "Cora"),
        ("gallery.entry_deleted", "Cora"),
    ]


async def test_a_coordinator_exports_the_gallery_as_a_protected_csv(town: Town) -> None:
    live, cora = town.live, town.coordinator
    incident_id, reference = await incident(town)
    entry_id = await steps.entry(town, incident_ids=[incident_id])
    await steps.entry(town, label="=HYPERLINK(evil)", description="Formula-looking label here.")

    gallery = await cora.says("/gallery")
    document = await cora.presses("Export", on=gallery)
    assert document.kind == "document" and document.protect_content
    assert document.body.startswith("Market Town Shop Watch gallery: 2 entries, without photos.")
    stored = live.server.sandbox.world.files.get(document.raw["media"]["document"]["file_id"])
    assert stored is not None and stored.file_name is not None
    assert stored.file_name.startswith("gallery-market-town-shop-watch-")
    rows = list(csv.reader(io.StringIO(stored.content.decode("utf-8-sig"))))
    assert rows[0] == ["id", "status", "label", "description", "linked incidents", "exclusion"]
    assert rows[1] == [
        str(entry_id),
        "ID sought",
        "Man in a grey hoodie",
        "Tall, slim, grey hoodie, white trainers.",
        reference,
        "",
    ]
    assert rows[2][2] == "'=HYPERLINK(evil)"
    assert await steps.audit_details(town.database, "gallery.exported") == [{"entries": 2}]
    await steps.deletions_recorded(live, town.database, cora.id, 2)
    assert document.message_id in await steps.deletions_for(town.database, cora.id)
