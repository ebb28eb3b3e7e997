"""/mydata gives a person everything held about them, and nothing about anyone else."""

from __future__ import annotations

import json

from sqlalchemy import select

from core.enums import DeliveryState
from storage.models import AuditEntry, CaseReview, Subscription
from tests.support import factories
from tests.support.datarights_steps import (
    PLACE,
    copy_of,
    count,
    filed_report,
    person_id,
    sighting,
    waiting_alert,
)
from tests.support.town import Town

VIC_WORDS = "Vic's own account of the shouting by the library steps"
COORDINATOR_NOTE = "A patrol will pass by this week."


async def test_a_resident_gets_their_reports_photos_and_history_but_nobody_elses(
    town: Town,
) -> None:
    live, rosa, cora = town.live, town.resident, town.coordinator
    vic = await live.person("Vic")
    await vic.says("/start")
    first = await filed_report(
        town.database,
        reporter_telegram_id=rosa.id,
        scheme_id=town.scheme_id,
        photos=2,
        note=COORDINATOR_NOTE,
        noted_by_telegram_id=cora.id,
    )
    second = await filed_report(
        town.database, reporter_telegram_id=rosa.id, scheme_id=None, photos=1
    )
    theirs = await filed_report(
        town.database, reporter_telegram_id=vic.id, scheme_id=town.scheme_id, description=VIC_WORDS
    )
    async with town.database.sessions() as session, session.begin():
        session.add(
            CaseReview(
                scheme_id=town.scheme_id,
                route="community",
                category=first.category,
                anchor_report_id=theirs.id,
                report_ids=[first.id, theirs.id],
            )
        )
    async with town.database.sessions() as session:
        await factories.subscription(session, telegram_user_id=rosa.id, topic="street_drinking")
    await waiting_alert(
        live,
        town.database,
        [rosa.id, vic.id],
        headline="Shoplifter on the High Street",
        state=DeliveryState.SENT,
    )

    document = await rosa.says("/mydata")

    assert document.protect_content
    assert document.body.startswith("Here is everything ShopWatch holds about you")
    assert "2 reports" in document.body and "1 alert subscription" in document.body
    name, copy = copy_of(live, document)
    assert name.startswith("shopwatch-data-") and name.endswith(".json")
    assert copy["you"]["telegram_user_id"] == rosa.id and copy["you"]["name"] == "Rosa"
    assert copy["memberships"] == []
    assert [r["reference"] for r in copy["reports"]] == [first.reference, second.reference]
    report = copy["reports"][0]
    assert report["place"] == PLACE and report["postcode"] == "MT1 2AB"
    assert report["latitude"] == 52.205337 and report["scheme"] == "Market Town Shop Watch"
    assert report["photos"] == [
        {"file_id": "report-photo-0", "file_unique_id": "rp-unique-0"},
        {"file_id": "report-photo-1", "file_unique_id": "rp-unique-1"},
    ]
    assert [(e["what"], e["to_status"], e["by"]) for e in report["history"]] == [
        ("filed", "received", "you"),
        ("status", "under_review", "a coordinator"),
    ]
    assert report["history"][1]["note"] == COORDINATOR_NOTE
    assert copy["reports"][1]["scheme"] is None and len(copy["reports"][1]["photos"]) == 1
    assert copy["case_reviews"] == [
        {
            "route": "community",
            "category": "street_drinking",
            "status": "flagged",
            "flagged_at": copy["case_reviews"][0]["flagged_at"],
            "acknowledged_at": None,
            "your_reports": [first.reference],
            "reports_in_review": 2,
        }
    ]
    assert [s["topic"] for s in copy["subscriptions"]] == ["Street drinking"]
    assert [(a["headline"], a["state"]) for a in copy["alerts_received"]] == [
        ("Shoplifter on the High Street", "sent")
    ]
    text = json.dumps(copy)
    for someone_else in ("Cora", "Vic", VIC_WORDS, theirs.reference, str(vic.id), str(cora.id)):
        assert someone_else not in text

    async with town.database.sessions() as session:
        audit = (
            await session.execute(select(AuditEntry).where(AuditEntry.action == "data.exported"))
        ).scalar_one()
    assert audit.actor_id == audit.object_id == await person_id(town.database, rosa.id)
    assert audit.details == {"via": "telegram"} and audit.scheme_id is None


async def test_a_trader_gets_their_membership_incidents_and_sightings(town: Town) -> None:
    live, tom, tia = town.live, town.trader, town.second_trader
    async with town.database.sessions() as session:
        posted = await factories.incident(
            session,
            scheme_id=town.scheme_id,
            reporter_telegram_id=tom.id,
            description="Took razor blades and ran towards the station.",
            people=[{"clothing": "Red cap"}],
            photos=2,
        )
        hers = await factories.incident(
            session,
            scheme_id=town.scheme_id,
            reporter_telegram_id=tia.id,
            description="Tia's account: a woman hid perfume in a pram.",
        )
        entry = await factories.subject(
            session,
            scheme_id=town.scheme_id,
            label="Woman with a blue pram",
            incident_ids=[posted.id, hers.id],
        )
    await sighting(
        town.database, incident_id=hers.id, telegram_user_id=tom.id, business_name="Tom's News"
    )
    await sighting(
        town.database,
        incident_id=posted.id,
        telegram_user_id=tia.id,
        business_name="Tia's Pharmacy",
    )

    document = await tom.says("/mydata")

    _, copy = copy_of(live, document)
    [membership] = copy["memberships"]
    assert membership["scheme"] == "Market Town Shop Watch"
    assert (membership["role"], membership["status"]) == ("trader", "approved")
    assert membership["business_name"] == "Tom's News"
    assert membership["business_postcode"] == "MT1 1AA" and membership["job_title"] == "Manager"
    [incident] = copy["incidents"]
    assert incident["reference"] == posted.reference
    assert incident["description"] == "Took razor blades and ran towards the station."
    assert incident["people_you_described"] == [{"clothing": "Red cap"}]
    assert [p["file_id"] for p in incident["photos"]] == ["photo-0", "photo-1"]
    assert copy["sightings"] == [
        {
            "incident": hers.reference,
            "seen_at": copy["sightings"][0]["seen_at"],
            "business_name": "Tom's News",
            "recorded_at": copy["sightings"][0]["recorded_at"],
        }
    ]
    text = json.dumps(copy)
    for not_his in ("Tia", "Woman with a blue pram", "a woman hid perfume", str(tia.id)):
        assert not_his not in text
    assert copy["gallery_entries_you_created"] == [] and str(entry.id) not in incident.values()
    assert "Cora" not in text


async def test_someone_the_bot_has_never_seen_is_told_nothing_is_held(town: Town) -> None:
    stranger = await town.live.person("Una")

    reply = await stranger.says("/mydata")

    assert reply.kind == "text"
    assert reply.body.startswith("I hold nothing about you")
    assert await count(town.database, AuditEntry, AuditEntry.action == "data.exported") == 0
    await stranger.hears_nothing()


async def test_the_main_menu_offers_my_data(town: Town) -> None:
    rosa = town.resident
    async with town.database.sessions() as session:
        await factories.subscription(session, telegram_user_id=rosa.id, topic="asb")
    menu = await rosa.says("/start")

    document = await rosa.presses("My data", on=menu)

    _, copy = copy_of(town.live, document)
    assert [s["topic"] for s in copy["subscriptions"]] == ["Anti-social behaviour"]
    assert await count(town.database, Subscription) == 1
