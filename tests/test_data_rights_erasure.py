"""/deleteme erases a person once they confirm; reports stay anonymised, nothing links back."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from core.datarights.erase import ERASED_CHAT_BASE
from core.enums import DeliveryState, MembershipStatus, Role
from core.reports.retention import ON_REQUEST, PURGED_EVENT
from handlers.datarights import ErasureCallback, ErasureChoice
from storage.models import (
    AuditEntry,
    ConversationMark,
    Delivery,
    Incident,
    Invite,
    Membership,
    Person,
    Report,
    ReportEvent,
    ReportPhoto,
    Sighting,
    Subscription,
    TelegramGroup,
)
from tests.conftest import ADMIN_ID
from tests.support import factories
from tests.support.datarights_steps import (
    count,
    filed_report,
    person_id,
    sighting,
    waiting_alert,
)
from tests.support.gallery_steps import presses_forged
from tests.support.live import LiveBot
from tests.support.live import Person as Someone
from tests.support.town import Town

HEADLINE = "Shoplifter heading for the market"


async def telegram_state(live: LiveBot, who: Someone) -> str | None:
    assert live.process.dispatcher is not None and live.process.bot is not None
    context = live.process.dispatcher.fsm.get_context(
        live.process.bot, chat_id=who.id, user_id=who.id
    )
    return await context.get_state()


async def test_keeping_my_data_changes_nothing(town: Town) -> None:
    rosa = town.resident
    report = await filed_report(
        town.database, reporter_telegram_id=rosa.id, scheme_id=town.scheme_id, photos=1
    )
    rosa_id = await person_id(town.database, rosa.id)

    outline = await rosa.says("/deleteme")
    assert outline.body.startswith("Delete my data")
    assert "- from your 1 report: your link to them" in outline.body
    assert outline.buttons == [["Erase my data", "Keep my data"]]
    kept = await rosa.presses("Keep my data", on=outline)

    assert kept.body == "Nothing was erased: your data is as it was."
    assert await person_id(town.database, rosa.id) == rosa_id
    async with town.database.sessions() as session:
        stored = await session.get(Report, report.id)
    assert stored is not None and stored.reporter_id == rosa_id
    assert stored.personal_data_purged_at is None
    assert await count(town.database, ReportPhoto, ReportPhoto.report_id == report.id) == 1
    assert await count(town.database, AuditEntry, AuditEntry.action == "person.erased") == 0


async def test_a_trader_erases_everything_and_a_queued_warning_never_reaches_them(
    town: Town,
) -> None:
    live, tom, tia, cora = town.live, town.trader, town.second_trader, town.coordinator
    await tia.says("/start")
    tom_id = await person_id(town.database, tom.id)
    report = await filed_report(
        town.database,
        reporter_telegram_id=tom.id,
        scheme_id=town.scheme_id,
        photos=2,
        note="We spoke to the shop next door, Tom.",
        noted_by_telegram_id=cora.id,
    )
    async with town.database.sessions() as session:
        posted = await factories.incident(
            session, scheme_id=town.scheme_id, reporter_telegram_id=tom.id, photos=1
        )
        hers = await factories.incident(
            session, scheme_id=town.scheme_id, reporter_telegram_id=tia.id
        )
        await factories.subscription(session, telegram_user_id=tom.id, topic="shop_watch")
    await sighting(
        town.database, incident_id=hers.id, telegram_user_id=tom.id, business_name="Tom's News"
    )
    await sighting(
        town.database, incident_id=posted.id, telegram_user_id=tia.id, business_name="Tia's"
    )
    delivered = await waiting_alert(
        live, town.database, [tom.id], headline="Earlier warning", state=DeliveryState.SENT
    )
    waiting = await waiting_alert(live, town.database, [tom.id, tia.id], headline=HEADLINE)
    async with town.database.sessions() as session, session.begin():
        session.add(
            AuditEntry(
                action="group.unapproved_join",
                object_type="telegram_user",
                object_id=tom.id,
                scheme_id=town.scheme_id,
            )
        )
    intro = await tom.says("/report")
    await tom.presses("Street drinking", on=intro)  # part-way through a new report
    async with town.database.sessions() as session, session.begin():
        await session.merge(ConversationMark(chat_id=tom.id, user_id=tom.id, flow="report"))
    assert await telegram_state(live, tom) is not None

    outline = await tom.says("/deleteme")
    assert "- your membership of Market Town Shop Watch (it ends)" in outline.body
    assert "1 warning still waiting to be sent to you" in outline.body
    assert "the 1 incident you posted stay with the scheme" in outline.body
    done = await tom.presses("Erase my data", on=outline)

    assert done.body.startswith("Done: I have erased your data.")
    assert await telegram_state(live, tom) is None
    async with town.database.sessions() as session:
        erased = await session.get(Person, tom_id)
        anonymised = await session.get(Report, report.id)
        incident = await session.get(Incident, posted.id)
        membership = (
            await session.execute(select(Membership).where(Membership.person_id == tom_id))
        ).scalar_one()
        events = (
            (
                await session.execute(
                    select(ReportEvent)
                    .where(ReportEvent.report_id == report.id)
                    .order_by(ReportEvent.id)
                )
            )
            .scalars()
            .all()
        )
        copies = {
            d.alert_id: d
            for d in (await session.execute(select(Delivery).where(Delivery.chat_id < 0))).scalars()
        }
        audit = (
            await session.execute(select(AuditEntry).where(AuditEntry.action == "person.erased"))
        ).scalar_one()
    assert erased is not None and erased.erased_at is not None
    assert (erased.telegram_user_id, erased.full_name, erased.username) == (None, "", None)
    assert anonymised is not None and anonymised.reference == report.reference
    assert anonymised.reporter_id is None and anonymised.location_text is None
    assert anonymised.description == ON_REQUEST and anonymised.postcode == "MT1"
    assert (anonymised.latitude, anonymised.longitude) == (52.21, 0.12)
    assert not anonymised.contact_allowed and anonymised.submission_key is None
    assert [e.note for e in events] == [None, ON_REQUEST, None]
    assert events[-1].kind == PURGED_EVENT
    assert await count(town.database, ReportPhoto, ReportPhoto.report_id == report.id) == 0
    assert incident is not None and incident.reporter_id is None and incident.membership_id is None
    assert incident.description == posted.description
    assert membership.status == MembershipStatus.REMOVED
    assert (membership.business_name, membership.business_address, membership.job_title) == (
        None,
        None,
        None,
    )
    assert await count(town.database, Sighting, Sighting.person_id == tom_id) == 0
    assert await count(town.database, Sighting, Sighting.incident_id == posted.id) == 1
    assert await count(town.database, Subscription, Subscription.person_id == tom_id) == 0
    assert await count(town.database, ConversationMark, ConversationMark.user_id == tom.id) == 0
    assert copies[waiting].state == DeliveryState.CANCELLED and copies[waiting].person_id is None
    assert copies[delivered].state == DeliveryState.SENT
    assert all(copy.chat_id <= ERASED_CHAT_BASE for copy in copies.values())
    assert (audit.actor_id, audit.object_id, audit.details) == (tom_id, tom_id, {"via": "telegram"})
    # Nothing anywhere still carries his Telegram id.
    assert await count(town.database, Person, Person.telegram_user_id == tom.id) == 0
    assert await count(town.database, Delivery, Delivery.chat_id == tom.id) == 0
    assert (
        await count(
            town.database,
            AuditEntry,
            AuditEntry.object_type == "telegram_user",
            AuditEntry.object_id == tom.id,
        )
        == 0
    )

    await live.advance(timedelta(hours=2))
    await live.eventually(lambda: _sent(town, waiting, tia.id), within=30)
    assert not [m for m in await live.sandbox.transcript(tom.id) if HEADLINE in m.body]

    again = await tom.says("/start")
    assert "Hello Tom" in again.body
    assert await person_id(town.database, tom.id) != tom_id


async def _sent(town: Town, alert_id: int, chat_id: int) -> bool:
    async with town.database.sessions() as session:
        state = await session.scalar(
            select(Delivery.state).where(Delivery.alert_id == alert_id, Delivery.chat_id == chat_id)
        )
    return state == DeliveryState.SENT


async def test_stale_forged_and_repeated_confirmations_change_nothing(town: Town) -> None:
    live, rosa, tom = town.live, town.resident, town.trader
    await filed_report(town.database, reporter_telegram_id=rosa.id, scheme_id=town.scheme_id)
    rosa_id = await person_id(town.database, rosa.id)
    tom_id = await person_id(town.database, tom.id)

    old = await rosa.says("/deleteme")
    await live.advance(timedelta(minutes=16))
    expired = await rosa.press("Erase my data", on=old)
    assert expired["text"].startswith("That confirmation has expired")

    fresh = await rosa.says("/deleteme")
    forged = ErasureCallback(
        choice=ErasureChoice.ERASE, person_id=tom_id, asked_at=int(live.clock.now().timestamp())
    )
    refused = await presses_forged(rosa, forged, on=fresh)
    assert refused["text"].startswith("That button belongs to an earlier conversation")
    assert await person_id(town.database, rosa.id) == rosa_id
    assert await person_id(town.database, tom.id) == tom_id
    assert await count(town.database, AuditEntry, AuditEntry.action == "person.erased") == 0

    done = await rosa.presses("Erase my data", on=fresh)
    assert done.body.startswith("Done: I have erased your data.")
    replayed = await presses_forged(
        rosa,
        ErasureCallback(
            choice=ErasureChoice.ERASE,
            person_id=rosa_id,
            asked_at=int(live.clock.now().timestamp()),
        ),
        on=fresh,
    )
    assert replayed["text"].startswith("That button belongs to an earlier conversation")

    second = await rosa.says("/deleteme")
    assert "- your name, username, language, quiet hours and Telegram id" in second.body
    assert "report" not in second.body
    assert await count(town.database, AuditEntry, AuditEntry.action == "person.erased") == 1
    assert await count(town.database, Report, Report.reporter_id.is_not(None)) == 0


async def test_the_last_coordinator_is_warned_and_the_admins_are_told(town: Town) -> None:
    live, cora = town.live, town.coordinator
    cora_id = await person_id(town.database, cora.id)
    ada = await live.person("Ada", user_id=ADMIN_ID)
    await ada.says("/start")
    async with town.database.sessions() as session:
        invite = await factories.invite(session, scheme_id=town.scheme_id, code="CORA0001")
    async with town.database.sessions() as session, session.begin():
        await session.execute(
            update(Invite).where(Invite.id == invite.id).values(created_by_id=cora_id)
        )
        added_by = await session.scalar(
            select(TelegramGroup.added_by_telegram_id).where(TelegramGroup.chat_id == town.group.id)
        )
    assert added_by == cora.id

    outline = await cora.says("/deleteme")
    assert "you are the only coordinator of Market Town Shop Watch" in outline.body
    done = await cora.presses("Erase my data", on=outline)
    assert done.body.startswith("Done: I have erased your data.")

    told = await ada.next_reply()
    assert "Market Town Shop Watch now has no coordinator" in told.body
    assert "Cora" not in told.body
    coordinators = await count(
        town.database,
        Membership,
        Membership.scheme_id == town.scheme_id,
        Membership.status == MembershipStatus.APPROVED,
        Membership.role == Role.COORDINATOR,
    )
    assert coordinators == 0
    async with town.database.sessions() as session:
        group = await session.get(TelegramGroup, town.group.id)
        kept_invite = await session.get(Invite, invite.id)
    # She added the bot to the scheme's group: that record no longer points at her.
    assert group is not None and group.added_by_telegram_id is None
    assert kept_invite is not None and kept_invite.created_by_id is None
    other = await town.other_coordinator.says("/deleteme")
    assert "you are the only coordinator of Riverside Shop Watch" in other.body
