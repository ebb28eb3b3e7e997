"""Members view the gallery in private, protected and deleted on time; everyone else is refused."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core.deletions import Outcome, sweep
from core.enums import MembershipStatus, Role
from handlers.gallery.callbacks import GalleryAction, GalleryCallback
from sandbox.client import Message
from storage.db import Database
from storage.models import MessageDeletion
from tests.support import factories
from tests.support import gallery_steps as steps
from tests.support.town import Town

HOODIE = "Man in a grey hoodie · ID sought · 0 incidents"
SWEEP = "delete_expired_messages"


def sent_at(message: Message) -> datetime:
    return datetime.fromtimestamp(message.date, UTC)


async def test_a_trader_opens_the_gallery_and_an_entry_with_its_photos(town: Town) -> None:
    live, tom = town.live, town.trader
    photos = await steps.real_photos(live, 2)
    entry_id = await steps.entry(town, photos=photos)

    gallery = await tom.says("/gallery")
    assert gallery.body.startswith("Market Town Shop Watch gallery: 1 entry, page 1 of 1.")
    assert "can't be forwarded and will be deleted in 24 hours" in gallery.body
    assert gallery.buttons == [[HOODIE], ["Search"]]

    await tom.press(HOODIE, on=gallery)
    album = await live.sandbox.wait_for_messages(tom.id, 2)
    text = await tom.next_reply()
    assert [m.kind for m in album] == ["photo", "photo"]
    assert text.body.startswith(f"Gallery entry #{entry_id} · Market Town Shop Watch")
    assert "Man in a grey hoodie (ID sought)" in text.body
    assert "Tall, slim, grey hoodie, white trainers." in text.body
    assert "No exclusion in force." in text.body
    assert text.buttons == [["Back to the gallery"]]
    for message in (gallery, *album, text):
        assert message.protect_content, message

    await steps.deletions_recorded(live, town.database, tom.id, 4)
    due = await steps.deletions_for(town.database, tom.id)
    for message in (gallery, *album, text):
        assert due[message.message_id] - sent_at(message) <= timedelta(hours=24)
        assert due[message.message_id] - sent_at(message) > timedelta(hours=23, minutes=59)
    assert await steps.audit_trail(town.database, town.scheme_id) == [
        ("gallery.listed", "Tom", None),
        ("gallery.viewed", "Tom", entry_id),
    ]


async def test_gallery_messages_are_deleted_after_24_hours_not_a_minute_sooner(
    town: Town,
) -> None:
    live, tom = town.live, town.trader
    await steps.entry(town, photos=await steps.real_photos(live, 1))
    gallery = await tom.says("/gallery")
    await tom.press(HOODIE, on=gallery)
    photo = await tom.next_reply()
    text = await tom.next_reply()
    await steps.deletions_recorded(live, town.database, tom.id, 3)

    await live.advance(timedelta(hours=23, minutes=59))
    await live.process.run_job_now(SWEEP)
    for message in (gallery, photo, text):
        assert not (await live.sandbox.message(tom.id, message.message_id)).deleted

    await live.advance(timedelta(minutes=1))
    await live.process.run_job_now(SWEEP)
    for message in (gallery, photo, text):
        assert (await live.sandbox.message(tom.id, message.message_id)).deleted
    assert await steps.deletions_for(town.database, tom.id) == {}


async def test_two_sweeps_at_the_same_moment_delete_each_message_once(town: Town) -> None:
    live, tom = town.live, town.trader
    await steps.entry(town)
    gallery = await tom.says("/gallery")
    await tom.press(HOODIE, on=gallery)
    await tom.next_reply()
    await steps.deletions_recorded(live, town.database, tom.id, 2)
    await live.advance(timedelta(hours=25))
    before = (await live.sandbox.calls()).count("deleteMessage")

    await asyncio.gather(live.process.run_job_now(SWEEP), live.process.run_job_now(SWEEP))

    assert (await live.sandbox.calls()).count("deleteMessage") - before == 2
    assert await steps.deletions_for(town.database, tom.id) == {}


async def test_the_sweeper_forgets_messages_that_are_already_gone(town: Town) -> None:
    live, tom = town.live, town.trader
    await tom.says("/help")
    now = live.clock.now()
    async with town.database.sessions() as session, session.begin():
        session.add_all(
            [
                MessageDeletion(
                    chat_id=tom.id,
                    message_id=987654,
                    reason="incident",
                    delete_at=now - timedelta(minutes=1),
                    created_at=now - timedelta(hours=1),
                ),
                MessageDeletion(
                    chat_id=tom.id,
                    message_id=987655,
                    reason="gallery",
                    delete_at=now + timedelta(hours=1),
                    created_at=now,
                ),
            ]
        )

    await live.process.run_job_now(SWEEP)

    assert list(await steps.deletions_for(town.database, tom.id)) == [987655]


async def test_the_sweeper_keeps_trying_through_an_outage_until_telegram_cannot_delete(
    database: Database,
) -> None:
    sent = datetime(2026, 11, 22, 12, tzinfo=UTC)
    async with database.sessions() as session, session.begin():
        session.add(
            MessageDeletion(
                chat_id=4242,
                message_id=7,
                reason="gallery",
                delete_at=sent + timedelta(hours=24),
                created_at=sent,
            )
        )

    async def telegram_down(chat_id: int, message_id: int) -> Outcome:
        return Outcome.RETRY

    # An hour of failures, one sweep every 30 seconds: the message must not be forgotten.
    now = sent + timedelta(hours=24)
    for _ in range(120):
        done = await sweep(database.sessions, delete=telegram_down, now=now, worker="test")
        assert done.claimed == 1 and done.given_up == 0
        now += timedelta(seconds=30)
    assert list(await steps.deletions_for(database, 4242)) == [7]

    # Only once Telegram's 48-hour window has closed is there no point in trying again.
    done = await sweep(
        database.sessions, delete=telegram_down, now=sent + timedelta(hours=48), worker="test"
    )
    assert done.given_up == 1
    assert await steps.deletions_for(database, 4242) == {}


async def test_coordinators_and_partners_get_exactly_what_their_role_allows(town: Town) -> None:
    live, cora, pat = town.live, town.coordinator, town.partner
    entry_id = await steps.entry(town)

    coordinator_view = await cora.says("/gallery")
    assert coordinator_view.buttons == [[HOODIE], ["Search"], ["Export", "Settings", "Audit log"]]
    await cora.press(HOODIE, on=coordinator_view)
    entry = await cora.next_reply()
    assert entry.buttons == [
        ["Link an incident"],
        ["Add exclusion"],
        ["Delete entry"],
        ["Back to the gallery"],
    ]

    log = await cora.presses("Audit log", on=coordinator_view)
    assert log.body.startswith("Audit log · Market Town Shop Watch · page 1")
    assert f"Cora · viewed gallery entry #{entry_id}" in log.body

    partner_view = await pat.says("/gallery")
    assert partner_view.buttons == [[HOODIE], ["Search"]]
    await pat.press(HOODIE, on=partner_view)
    entry = await pat.next_reply()
    assert entry.protect_content and entry.buttons == [["Back to the gallery"]]
    refused = await steps.presses_forged(
        pat, GalleryCallback(action=GalleryAction.DELETE, entry=entry_id), on=entry
    )
    assert "(partner) doesn't include this" in refused["text"]
    refused = await steps.presses_forged(
        pat, GalleryCallback(action=GalleryAction.EXPORT, scheme=town.scheme_id), on=entry
    )
    assert "(partner) doesn't include this" in refused["text"]
    assert await steps.entry_exists(town.database, entry_id)
    actions = [action for action, _, _ in await steps.audit_trail(town.database, town.scheme_id)]
    assert "gallery.exported" not in actions and "gallery.entry_deleted" not in actions
    await live.sandbox.assert_no_message(pat.id)


@pytest.mark.parametrize(
    ("who", "expected", "on_a_forged_press"),
    [
        ("pending", "is waiting for a coordinator's approval", None),
        ("rejected", "was not approved", None),
        ("suspended", "is suspended", None),
        (
            "resident",
            "only for approved members of a Shop Watch scheme",
            "a scheme you are not a member of",
        ),
    ],
)
async def test_people_without_an_approved_membership_are_refused(
    town: Town, who: str, expected: str, on_a_forged_press: str | None
) -> None:
    person = getattr(town, who)
    entry_id = await steps.entry(town)

    refusal = await person.says("/gallery")
    assert expected in refusal.body
    assert "grey hoodie" not in refusal.body and not refusal.buttons

    forged = await steps.presses_forged(
        person, GalleryCallback(action=GalleryAction.OPEN, entry=entry_id), on=refusal
    )
    assert (on_a_forged_press or expected) in forged["text"]
    assert "grey hoodie" not in forged["text"]
    await person.hears_nothing()
    assert await steps.audit_trail(town.database, town.scheme_id) == []


async def test_a_member_of_another_scheme_sees_only_their_own_gallery(town: Town) -> None:
    otto = town.other_trader
    market_entry = await steps.entry(town, label="Market Town shoplifter")
    await steps.entry(town, label="Riverside fare dodger", scheme_id=town.other_scheme_id)

    own = await otto.says("/gallery")
    assert own.body.startswith("Riverside Shop Watch gallery: 1 entry")
    assert own.buttons[0] == ["Riverside fare dodger · ID sought · 0 incidents"]

    for forged_press in (
        GalleryCallback(action=GalleryAction.OPEN, entry=market_entry),
        GalleryCallback(action=GalleryAction.LIST, scheme=town.scheme_id),
        GalleryCallback(action=GalleryAction.SEARCH, scheme=town.scheme_id),
    ):
        answer = await steps.presses_forged(otto, forged_press, on=own)
        assert "a scheme you are not a member of" in answer["text"]
        assert "Market Town" not in answer["text"]
    await otto.hears_nothing()
    assert await steps.audit_trail(town.database, town.scheme_id) == []


async def test_someone_in_two_schemes_chooses_which_gallery_from_the_menu(town: Town) -> None:
    tom = town.trader
    async with town.database.sessions() as session:
        await factories.member(
            session,
            telegram_user_id=tom.id,
            scheme_id=town.other_scheme_id,
            role=Role.TRADER,
            status=MembershipStatus.APPROVED,
        )
    await steps.entry(town, label="Riverside fare dodger", scheme_id=town.other_scheme_id)

    menu = await tom.says("/start")
    await tom.press("Offender gallery", on=menu)
    choice = await tom.next_reply()
    assert choice.body == "Which scheme's gallery would you like to see?"
    assert choice.buttons == [["Market Town Shop Watch"], ["Riverside Shop Watch"]]
    riverside = await tom.presses("Riverside Shop Watch", on=choice)
    assert riverside.body.startswith("Riverside Shop Watch gallery: 1 entry")


async def test_in_the_group_the_gallery_is_refused_and_shows_nothing(town: Town) -> None:
    live, tom, group = town.live, town.trader, town.group
    entry_id = await steps.entry(town)

    answer = await tom.says_in(group, "/gallery")
    assert answer.body == (
        "The gallery is only shown in private chat. Message me directly to open it."
    )
    assert not answer.protect_content and not answer.buttons

    await live.sandbox.send_anonymous(town.coordinator.id, group.id, "/gallery")
    anonymous = await live.next_in_group(group)
    assert anonymous.body.startswith("You are posting anonymously as the group")
    assert not anonymous.buttons
    await live.sandbox.automatic_forward(group.id, "/gallery")
    forged = await steps.presses_forged(
        tom, GalleryCallback(action=GalleryAction.OPEN, entry=entry_id), on=answer
    )
    assert forged["text"].startswith("The gallery is only shown in private chat")
    await live.sandbox.assert_no_message(group.id, within=0.5)
    assert await steps.audit_trail(town.database, town.scheme_id) == []


async def test_a_search_finds_entries_and_is_audited(town: Town) -> None:
    tom = town.trader
    await steps.entry(town)
    await steps.entry(town, label="Woman with a red umbrella", description="Short, red coat.")

    gallery = await tom.says("/gallery")
    question = await tom.presses("Search", on=gallery)
    assert question.body.startswith("Type a word or two")
    too_short = await tom.says("a")
    assert too_short.body == "Please type 2 to 80 characters to search for."
    results = await tom.says("HOODIE")
    assert results.body.startswith('Market Town Shop Watch gallery search: 1 entry match "HOODIE"')
    assert results.buttons == [[HOODIE], ["Search again", "Whole gallery"]]
    assert results.protect_content

    nothing = await tom.presses("Search again", on=results)
    empty = await tom.says("bicycle")
    assert 'Nothing in the gallery matches "bicycle".' in empty.body
    assert nothing.body.startswith("Type a word or two")
    assert await steps.audit_details(town.database, "gallery.searched") == [
        {"query": "HOODIE", "results": 1},
        {"query": "bicycle", "results": 0},
    ]


async def test_a_long_gallery_is_paged(town: Town) -> None:
    tom = town.trader
    for number in range(10):
        await steps.entry(
            town,
            label=f"Person {number:02d}",
            last_incident_at=datetime.now(UTC) - timedelta(days=number),
        )

    first = await tom.says("/gallery")
    assert first.body.startswith("Market Town Shop Watch gallery: 10 entries, page 1 of 2.")
    assert first.buttons[0] == ["Person 00 · ID sought · 0 incidents"]
    assert first.buttons[8] == ["Older ▶"]
    second = await tom.presses("Older ▶", on=first)
    assert second.body.startswith("Market Town Shop Watch gallery: 10 entries, page 2 of 2.")
    assert second.buttons[:3] == [
        ["Person 08 · ID sought · 0 incidents"],
        ["Person 09 · ID sought · 0 incidents"],
        ["◀ Newer"],
    ]


async def test_coordinators_choose_how_long_gallery_messages_stay(town: Town) -> None:
    live, cora, tom = town.live, town.coordinator, town.trader
    await steps.entry(town)
    gallery = await cora.says("/gallery")
    settings = await cora.presses("Settings", on=gallery)
    assert settings.body.startswith(
        "Market Town Shop Watch: gallery messages are deleted 24 hours after they are sent."
    )
    assert settings.buttons == [["1 h", "6 h", "24 h", "47 h"], ["Cancel"]]

    too_long = await cora.says("48")
    assert "Telegram lets a bot delete its messages only within 48 hours" in too_long.body
    not_a_number = await cora.says("two days")
    assert not_a_number.body.startswith("Please type a whole number of hours")
    longest = await cora.says("47")
    assert longest.body.startswith(
        "Done: Market Town Shop Watch gallery messages will now be deleted 47 hours after"
    )
    settings = await cora.presses("Settings", on=gallery)
    done = await cora.presses("6 h", on=settings)
    assert "will now be deleted 6 hours after they are sent" in done.body
    assert await steps.audit_details(town.database, "gallery.ttl_changed") == [
        {"hours": 47, "was": 24},
        {"hours": 6, "was": 47},
    ]

    view = await tom.says("/gallery")
    assert "will be deleted in 6 hours" in view.body
    refused = await steps.presses_forged(
        tom, GalleryCallback(action=GalleryAction.SETTINGS, scheme=town.scheme_id), on=view
    )
    assert "(trader) doesn't include this" in refused["text"]
    await steps.deletions_recorded(live, town.database, tom.id, 1)
    await live.advance(timedelta(hours=5, minutes=59))
    await live.process.run_job_now(SWEEP)
    assert not (await live.sandbox.message(tom.id, view.message_id)).deleted
    await live.advance(timedelta(minutes=1))
    await live.process.run_job_now(SWEEP)
    assert (await live.sandbox.message(tom.id, view.message_id)).deleted


async def test_messages_scheduled_before_a_change_keep_their_time(town: Town) -> None:
    live, cora = town.live, town.coordinator
    gallery = await cora.says("/gallery")
    await steps.deletions_recorded(live, town.database, cora.id, 1)
    settings = await cora.presses("Settings", on=gallery)
    await cora.presses("1 h", on=settings)
    async with town.database.sessions() as session:
        rows = (await session.execute(select(MessageDeletion))).scalars().all()
    assert [row.delete_at - row.created_at for row in rows] == [timedelta(hours=24)]
