"""Coordinators review residents' reports and residents hear back, through the sandbox."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core.enums import MembershipStatus, ReportCategory, ReportStatus, Role
from core.people import PersonContext
from core.reports.draft import Contact, Draft
from core.reports.filing import Filed, file_report
from core.reports.status import set_status
from handlers.reports.callbacks import CaseReviewRequestCallback, ReviewAction, ReviewCallback
from sandbox.client import Message
from storage import models
from storage.db import Database
from tests.conftest import ADMIN_ID
from tests.support import factories
from tests.support.backends import Backend
from tests.support.live import LiveBot, Person, running_bot

DESCRIPTION = "Six people drinking and shouting by the benches every evening"
LIBRARY = "Library gardens, CB1 2AB"
STATUS_BUTTONS = [
    ["Under review"],
    ["Referred to partner"],
    ["Action taken"],
    ["Closed - no further action"],
]


@pytest.fixture(params=["polling", "webhook"])
async def unhurried_live(
    request: pytest.FixtureRequest, backend: Backend
) -> AsyncIterator[LiveBot]:
    """The `live` bot with room for three whole reports in a minute (27 updates).

    Tests answer at once, so filing three reports trips the flood limit of 20 updates a
    minute that no resident typing by hand would reach.
    """
    async with running_bot(
        backend, mode=request.param, admin_user_ids=(ADMIN_ID,), flood_limit_per_minute=100
    ) as bot:
        yield bot


def reference_in(message: Message) -> str:
    found = re.search(r"SW-\d{4}-\d{6}", message.body)
    assert found is not None, message.body
    return found.group(0)


async def coordinator(live: LiveBot, database: Database, name: str = "Cora") -> Person:
    """A scheme coordinator who has already started the bot, so it can message them first."""
    user = await live.sandbox.create_user(name, started=True)
    async with database.sessions() as session:
        scheme = await factories.scheme(session)
        await factories.member(
            session,
            telegram_user_id=user.id,
            scheme_id=scheme.id,
            role=Role.COORDINATOR,
            name=name,
        )
    return Person(live, user)


async def started(live: LiveBot, name: str) -> Person:
    """A resident who has started the bot (their reports are filed for them below)."""
    return Person(live, await live.sandbox.create_user(name, started=True))


async def files_report(
    person: Person, *, contact: str = "You may contact me", place: str = LIBRARY
) -> Message:
    """Reports street drinking at `place` just now; returns the thanks after Submit."""
    intro = await person.says("/report")
    subtypes = await person.presses("Street drinking", on=intro)
    await person.presses("Drinking in a public place", on=subtypes)
    await person.says(place)  # "Got it"
    when = await person.next_reply()
    await person.presses("Just now", on=when)
    photos = await person.says(DESCRIPTION)
    contact_question = await person.presses("Skip", on=photos)
    summary = await person.presses(contact, on=contact_question)
    thanks = await person.presses("Submit", on=summary)
    assert thanks.body.startswith("Thank you. Your report is SW-")
    return thanks


async def reporter_id(database: Database, person: Person) -> int:
    """The resident's record, created here if they have not talked to the bot yet."""
    async with database.sessions() as session, session.begin():
        row = (
            await session.execute(
                select(models.Person).where(models.Person.telegram_user_id == person.id)
            )
        ).scalar_one_or_none()
        if row is None:
            row = models.Person(telegram_user_id=person.id, full_name=person.user.first_name)
            session.add(row)
            await session.flush()
        return row.id


async def filed_for(
    database: Database,
    person: Person,
    category: ReportCategory = ReportCategory.STREET_DRINKING,
    *,
    postcode: str = "CB1 2AB",
    contact: Contact = Contact.CONTACT_ME,
) -> Filed:
    """A report filed straight through the service, as if the resident had used the flow."""
    now = datetime.now(UTC)
    draft = Draft(
        category=category.value,
        postcode=postcode,
        occurred_at=now.isoformat(),
        description=DESCRIPTION,
        photos_answered=True,
        contact=contact.value,
    )
    reporter = await reporter_id(database, person)
    async with database.sessions() as session:
        return await file_report(
            session,
            reporter_id=reporter,
            draft=draft,
            submission_key=uuid.uuid4().hex,
            now=now,
        )


async def status_of(database: Database, report_id: int) -> ReportStatus:
    async with database.sessions() as session:
        report = await session.get(models.Report, report_id)
    assert report is not None
    return report.status


# ------------------------------------------------------------------ new reports


async def test_a_coordinator_is_told_of_a_new_report_and_opens_it(
    live: LiveBot, database: Database
) -> None:
    cora = await coordinator(live, database)
    dan = await live.person("Dan")

    reference = reference_in(await files_report(dan))

    new = await cora.next_reply()
    assert new.body.startswith(
        f"New report {reference}: Street drinking (Drinking in a public place)"
    )
    assert f"Where: {LIBRARY}" in new.body
    assert new.buttons == [[f"Open {reference}"]]

    details = await cora.presses(f"Open {reference}", on=new)
    assert details.body.startswith(f"{reference}: Street drinking (Drinking in a public place)")
    assert "Status: Received" in details.body
    assert "Reporter: Dan (may be contacted)" in details.body
    assert DESCRIPTION in details.body
    assert details.body.endswith("Set its status:")
    assert details.buttons == STATUS_BUTTONS


async def test_an_anonymous_resident_stays_anonymous_and_without_updates_hears_nothing(
    live: LiveBot, database: Database
) -> None:
    cora = await coordinator(live, database)
    eve = await live.person("Eve")

    thanks = await files_report(eve, contact="Keep me anonymous (no updates)")
    assert "we will not message you" in thanks.body
    reference = reference_in(thanks)

    new = await cora.next_reply()
    details = await cora.presses(f"Open {reference}", on=new)
    assert "Reporter: anonymous" in details.body
    assert "Eve" not in details.body

    await cora.presses("Under review", on=details)
    done = await cora.says("Passed to the council's street drinking team")
    assert done.body == f"{reference}: now Under review. 0 reporter(s) notified."
    await eve.hears_nothing()


# ------------------------------------------------------------------ the queue


async def test_the_queue_lists_open_reports_newest_first_in_pages_and_by_category(
    live: LiveBot, database: Database
) -> None:
    cora = await coordinator(live, database)
    dan = await started(live, "Dan")
    kinds = [ReportCategory.STREET_DRINKING] * 3 + [ReportCategory.FLY_TIPPING] * 2
    kinds += [ReportCategory.NOISE] * 2
    filed = [
        await filed_for(database, dan, kind, postcode=f"CB{n + 1} 2AB")
        for n, kind in enumerate([*kinds, ReportCategory.NOISE])
    ]
    async with database.sessions() as session, session.begin():
        closed = await session.get(models.Report, filed[-1].report_id)
        assert closed is not None
        closed.status = ReportStatus.CLOSED
    labels = {
        ReportCategory.STREET_DRINKING: "Street drinking",
        ReportCategory.FLY_TIPPING: "Fly tipping",
        ReportCategory.NOISE: "Noise",
    }
    lines = [f"{f.reference} · {labels[f.category]} · Received" for f in filed[:7]]

    first_page = await cora.says("/reports")
    assert first_page.body == "Reports (Open): 7 in all, page 1 of 2."
    assert first_page.buttons[:7] == [
        *([line] for line in reversed(lines[2:])),
        ["Older ▶"],
        ["• Open", "All", "Closed"],
    ]
    assert "Fly tipping" in sum(first_page.buttons, [])

    second_page = await cora.presses("Older ▶", on=first_page)
    assert second_page.body == "Reports (Open): 7 in all, page 2 of 2."
    assert second_page.buttons[:3] == [[lines[1]], [lines[0]], ["◀ Newer"]]

    fly_tipping = await cora.presses("Fly tipping", on=first_page)
    assert fly_tipping.body == "Reports (Open, fly tipping): 2 in all, page 1 of 1."
    assert fly_tipping.buttons[:3] == [[lines[4]], [lines[3]], ["• Open", "All", "Closed"]]
    assert "• Fly tipping" in sum(fly_tipping.buttons, [])

    everything = await cora.presses("All", on=first_page)
    assert everything.body == "Reports (All): 8 in all, page 1 of 2."
    assert everything.buttons[0] == [f"{filed[-1].reference} · Noise · Closed - no further action"]


# ------------------------------------------------------------------ status changes


async def test_a_status_change_and_its_note_reach_the_reporter(
    live: LiveBot, database: Database
) -> None:
    cora = await coordinator(live, database)
    dan = await live.person("Dan")
    reference = reference_in(await files_report(dan))
    new = await cora.next_reply()
    details = await cora.presses(f"Open {reference}", on=new)

    prompt = await cora.presses("Under review", on=details)
    assert prompt.body == (
        f"Setting {reference} to Under review. Type a note (the reporter will see it), or "
        "press No note."
    )
    assert prompt.buttons == [["No note", "Cancel"]]
    done = await cora.says("PCSOs will patrol the gardens this week")
    assert done.body == f"{reference}: now Under review. 1 reporter(s) notified."

    update = await dan.next_reply()
    assert update.body == (
        f"Update on your report {reference}: Under review.\n\n"
        "Note from the coordinator: PCSOs will patrol the gardens this week"
    )

    details = await cora.presses(f"Open {reference}", on=new)
    assert "Status: Under review" in details.body
    assert ["Under review"] not in details.buttons
    prompt = await cora.presses("Action taken", on=details)
    done = await cora.presses("No note", on=prompt)
    assert done.body == f"{reference}: now Action taken. 1 reporter(s) notified."

    update = await dan.next_reply()
    assert update.body == f"Update on your report {reference}: Action taken."


async def test_status_buttons_from_before_a_change_are_refused(
    live: LiveBot, database: Database
) -> None:
    cora = await coordinator(live, database)
    dan = await started(live, "Dan")
    filed = await filed_for(database, dan)
    queue = await cora.says("/reports")
    details = await cora.presses(f"{filed.reference} · Street drinking · Received", on=queue)
    prompt = await cora.presses("Under review", on=details)
    await cora.presses("No note", on=prompt)
    assert (
        await dan.next_reply()
    ).body == f"Update on your report {filed.reference}: Under review."

    refused = await cora.press("Closed - no further action", on=details)

    assert refused["text"] == (
        f"{filed.reference} changed since that message: it is now Under review. Open it again."
    )
    assert refused["show_alert"] is True
    expired = await cora.press("No note", on=prompt)
    assert "expired" in expired["text"]
    assert await status_of(database, filed.report_id) == ReportStatus.UNDER_REVIEW
    await cora.hears_nothing()
    await dan.hears_nothing()


# ------------------------------------------------------------------ who may review


async def test_residents_cannot_review_reports_even_with_forged_buttons(
    live: LiveBot, database: Database
) -> None:
    await coordinator(live, database)
    dan = await started(live, "Dan")
    filed = [await filed_for(database, dan) for _ in range(3)]
    flagged = filed[-1].flagged
    assert flagged is not None
    zed = await live.person("Zed")

    refusal = await zed.says("/reports")
    assert refusal.body == "Only coordinators can review reports."

    async def forged(callback: str) -> dict[str, object]:
        query = await live.sandbox.press(zed.id, refusal.message_id, data=callback, forged=True)
        return await live.sandbox.wait_for_callback_answer(query)

    report_id = filed[0].report_id
    opened = await forged(ReviewCallback(action=ReviewAction.OPEN, report_id=report_id).pack())
    assert opened["text"] == "Only the scheme's coordinators can open this report."
    closing = ReviewCallback(
        action=ReviewAction.STATUS,
        report_id=report_id,
        status=ReportStatus.CLOSED,
        expected=ReportStatus.RECEIVED,
    )
    assert (await forged(closing.pack()))["text"] == (
        "Only the scheme's coordinators can open this report."
    )
    asked = await forged(CaseReviewRequestCallback(review_id=flagged.review_id).pack())
    assert asked["text"] == "Only the person it belongs to can ask for this case review."

    await zed.hears_nothing()
    assert await status_of(database, report_id) == ReportStatus.RECEIVED
    async with database.sessions() as session:
        review = await session.get(models.CaseReview, flagged.review_id)
    assert review is not None and review.status == "flagged"


# ------------------------------------------------------------------ a resident's own reports


async def test_a_resident_sees_their_reports_and_each_ones_history(
    live: LiveBot, database: Database
) -> None:
    dan = await live.person("Dan")
    nothing = await dan.says("/myreports")
    assert nothing.body == "You have not filed any reports yet. Send /report to file one."
    drinking = await filed_for(database, dan)
    tipping = await filed_for(database, dan, ReportCategory.FLY_TIPPING, postcode="CB2 1TN")
    admin = PersonContext(
        id=await reporter_id(database, await started(live, "Ada")),
        telegram_user_id=ADMIN_ID,
        full_name="Ada",
        roles=frozenset({Role.COORDINATOR}),
        is_admin=True,
    )
    async with database.sessions() as session:
        await set_status(
            session,
            person=admin,
            report_id=drinking.report_id,
            expected=ReportStatus.RECEIVED,
            status=ReportStatus.UNDER_REVIEW,
            note="Passed to the licensing team",
            whole_cluster=False,
            now=datetime.now(UTC),
        )

    mine = await dan.says("/myreports")
    assert mine.body == "Your reports (newest first):"
    assert mine.buttons == [
        [f"{tipping.reference} · Fly tipping · Received"],
        [f"{drinking.reference} · Street drinking · Under review"],
    ]

    details = await dan.presses(f"{drinking.reference} · Street drinking · Under review", on=mine)
    assert details.body.startswith(f"{drinking.reference}: Street drinking")
    assert "Status: Under review" in details.body
    history = details.body.split("History:\n", 1)[1].splitlines()
    assert len(history) == 2
    assert history[0].endswith(": Received")
    assert history[1].endswith(": Under review - Passed to the licensing team")
    assert "Reporter:" not in details.body


# ------------------------------------------------------------------ ASB Case Review


async def test_a_resident_who_reports_three_times_may_ask_for_a_case_review(
    unhurried_live: LiveBot, database: Database
) -> None:
    live = unhurried_live
    cora = await coordinator(live, database)
    dan = await live.person("Dan")

    first = reference_in(await files_report(dan))
    second = reference_in(await files_report(dan))
    advice = await dan.next_reply()
    assert advice.body.startswith("You have now reported this problem twice in six months.")
    assert "ASB Case Review" in advice.body
    assert advice.buttons == []

    third = reference_in(await files_report(dan))
    offer = await dan.next_reply()
    assert offer.body.startswith(
        "You can now ask for an ASB Case Review (Community Trigger): you have reported this "
        "problem 3 times in six months."
    )
    assert offer.buttons == [["Ask for a case review"]]

    flag = (await cora.replies_until("ASB Case Review threshold met"))[-1]
    assert flag.body.startswith(
        "ASB Case Review threshold met (one person's repeated reports).\n"
        f"Qualifying reports: {first}, {second}, {third}\n"
    )

    confirmation = await dan.presses("Ask for a case review", on=offer)
    assert confirmation.body == (
        "Your request for an ASB Case Review has been passed to the coordinator. They should "
        "acknowledge it within 10 working days."
    )
    asked = await cora.next_reply()
    assert asked.body == (
        f"A resident has asked for an ASB Case Review. Reports: {first}, {second}, {third}"
    )

    again = await dan.press("Ask for a case review", on=offer)
    assert again["text"] == "You have already asked for this case review; a coordinator has it."
    await dan.hears_nothing()
    await cora.hears_nothing()


async def test_a_case_review_request_reaches_the_admins_when_there_is_no_coordinator(
    live: LiveBot, database: Database
) -> None:
    ada = Person(live, await live.sandbox.create_user("Ada", user_id=ADMIN_ID, started=True))
    dan = await live.person("Dan")
    await filed_for(database, dan)
    await filed_for(database, dan)
    await files_report(dan)
    offer = await dan.next_reply()
    await ada.replies_until("ASB Case Review threshold met")

    await dan.presses("Ask for a case review", on=offer)

    asked = await live.sandbox.wait_for_message(ada.id, timeout=1.0)
    assert asked.body.startswith("A resident has asked for an ASB Case Review.")


# ------------------------------------------------------------------ similar reports


async def test_linked_reports_are_shown_together_and_updated_together(
    live: LiveBot, database: Database
) -> None:
    cora = await coordinator(live, database)
    dan = await live.person("Dan")
    eve = await live.person("Eve")
    dans = reference_in(await files_report(dan))
    await cora.next_reply()

    eves = reference_in(await files_report(eve, contact="Anonymous, but send me updates here"))

    new = await cora.next_reply()
    assert "Linked with 1 similar open report(s) nearby." in new.body
    details = await cora.presses(f"Open {eves}", on=new)
    assert details.body.endswith(f"Linked similar reports: {dans}\n\nSet its status:")
    this_one = "Applies to this report only (tap for all 2 linked)"
    assert details.buttons == [*STATUS_BUTTONS, [this_one]]

    for_all = await cora.presses(this_one, on=details)
    assert for_all.buttons[-1] == ["Applies to all 2 linked reports (tap for this one only)"]
    prompt = await cora.presses("Under review", on=for_all)
    done = await cora.presses("No note", on=prompt)
    assert done.body == f"{dans}, {eves}: now Under review. 2 reporter(s) notified."

    assert (await dan.next_reply()).body == f"Update on your report {dans}: Under review."
    assert (await eve.next_reply()).body == f"Update on your report {eves}: Under review."


async def test_a_status_change_can_be_cancelled_or_left_to_lapse(
    live: LiveBot, database: Database
) -> None:
    cora = await coordinator(live, database)
    dan = await live.person("Dan")
    reference = reference_in(await files_report(dan))
    new = await cora.next_reply()
    details = await cora.presses(f"Open {reference}", on=new)

    prompt = await cora.presses("Under review", on=details)
    cancelled = await cora.presses("Cancel", on=prompt)
    assert cancelled.body == "Status change cancelled; the report is unchanged."

    await cora.presses("Closed - no further action", on=details)
    live.clock.advance(timedelta(minutes=31))
    lapsed = await cora.says("Sorted now")
    assert lapsed.body.startswith("That status change was left waiting too long")
    assert "Sorted now" not in (await cora.says("/help")).body
    assert "Status: Received" in (await cora.presses(f"Open {reference}", on=new)).body
    await dan.hears_nothing()


async def test_a_resident_cannot_open_someone_elses_report(
    live: LiveBot, database: Database
) -> None:
    dan = await live.person("Dan")
    eve = await live.person("Eve")
    filed = await filed_for(database, dan)
    listing = await eve.says("/myreports")
    assert listing.body.startswith("You have not filed any reports yet")
    await eve.says("/help")
    menu = await eve.says("/start")

    query = await live.sandbox.press(
        eve.id, menu.message_id, data=f"r1m:{filed.report_id}", forged=True
    )
    answer = await live.sandbox.wait_for_callback_answer(query)

    assert answer.get("text") == "You can only open your own reports."


async def test_the_queue_can_be_narrowed_to_one_area(live: LiveBot, database: Database) -> None:
    cora_user = await live.sandbox.create_user("Cora", started=True)
    async with database.sessions() as session, session.begin():
        scheme = models.Scheme(name="Town and River Watch")
        scheme.areas.append(models.Area(name="Town centre", postcode_districts=["CB1"]))
        scheme.areas.append(models.Area(name="Riverside", postcode_districts=["CB4"]))
        person = models.Person(telegram_user_id=cora_user.id, full_name="Cora")
        session.add_all([scheme, person])
        await session.flush()
        session.add(
            models.Membership(
                person_id=person.id,
                scheme_id=scheme.id,
                role=Role.COORDINATOR,
                status=MembershipStatus.APPROVED,
            )
        )
    cora = Person(live, cora_user)
    dan = await started(live, "Dan")
    town = await filed_for(database, dan, postcode="CB1 2AB")
    river = await filed_for(database, dan, ReportCategory.NOISE, postcode="CB4 1AA")

    queue = await cora.says("/reports")
    assert ["Town centre", "Riverside"] in queue.buttons

    riverside = await cora.presses("Riverside", on=queue)
    assert riverside.body.startswith("Reports (Open, Riverside): 1 in all")
    listed = [row[0] for row in riverside.buttons if row[0].startswith("SW-")]
    assert listed == [f"{river.reference} · Noise · Received"]
    assert town.reference not in riverside.body
