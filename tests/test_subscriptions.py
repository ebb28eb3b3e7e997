"""People choose the warnings they hear about with /subscribe, through the sandbox."""

from __future__ import annotations

from datetime import time

from sqlalchemy import select

from core.enums import Severity
from sandbox.client import Message
from storage.db import Database
from storage.models import Area, Person, Subscription
from tests.support import factories
from tests.support.live import Person as Chatter
from tests.support.town import Town

SHOP_WATCH = "shop_watch"
EVERYTHING = "all"


async def tap(person: Chatter, label: str, on: Message) -> Message:
    """Presses a button on a /subscribe screen and returns the screen as redrawn."""
    answer = await person.press(label, on)
    assert not answer.get("show_alert"), answer
    return await person.live.sandbox.message(on.chat_id, on.message_id)


async def refused(person: Chatter, on: Message, data: str) -> str:
    """Sends callback data no button carries (a tampered client); returns the toast."""
    sandbox = person.live.sandbox
    query = await sandbox.press(
        person.id, on.message_id, chat_id=on.chat_id, data=data, forged=True
    )
    answer = await sandbox.wait_for_callback_answer(query)
    assert answer.get("show_alert"), answer
    return str(answer.get("text", ""))


async def area_id(database: Database, name: str) -> int:
    async with database.sessions() as session:
        return int((await session.execute(select(Area.id).where(Area.name == name))).scalar_one())


async def chosen(database: Database, person: Chatter) -> set[tuple[str | None, str]]:
    """The person's active subscriptions as (area name or None for everywhere, topic)."""
    async with database.sessions() as session:
        rows = await session.execute(
            select(Area.name, Subscription.topic)
            .select_from(Subscription)
            .join(Person, Person.id == Subscription.person_id)
            .outerjoin(Area, Area.id == Subscription.area_id)
            .where(Person.telegram_user_id == person.id, Subscription.active.is_(True))
        )
        return {(row[0], row[1]) for row in rows.all()}


async def row_count(database: Database, person: Chatter) -> int:
    async with database.sessions() as session:
        rows = await session.execute(
            select(Subscription.id)
            .join(Person, Person.id == Subscription.person_id)
            .where(Person.telegram_user_id == person.id)
        )
        return len(rows.all())


async def severities(database: Database, person: Chatter) -> set[Severity]:
    async with database.sessions() as session:
        rows = await session.execute(
            select(Subscription.min_severity)
            .join(Person, Person.id == Subscription.person_id)
            .where(Person.telegram_user_id == person.id)
        )
        return set(rows.scalars())


async def quiet_hours(database: Database, person: Chatter) -> tuple[time | None, time | None]:
    async with database.sessions() as session:
        row = (
            await session.execute(
                select(Person.quiet_hours_start, Person.quiet_hours_end).where(
                    Person.telegram_user_id == person.id
                )
            )
        ).one()
        return row[0], row[1]


async def subscribe(person: Chatter, *, areas: list[str], topics: list[str]) -> Message:
    """Chooses areas and topics through /subscribe; returns the main screen."""
    screen = await person.says("/subscribe")
    if areas:
        screen = await tap(person, "Areas", screen)
        for area in areas:
            screen = await tap(person, area, screen)
        screen = await tap(person, "« Back", screen)
    if topics:
        screen = await tap(person, "Topics", screen)
        for topic in topics:
            screen = await tap(person, topic, screen)
        screen = await tap(person, "« Back", screen)
    return screen


async def test_a_first_time_subscriber_is_told_what_they_will_get(town: Town) -> None:
    screen = await town.resident.says("/subscribe")

    assert screen.body.startswith("Choose areas and topics, and I'll send you the warnings")
    assert "Quiet hours: off" in screen.body
    assert screen.buttons == [["Areas", "Topics"], ["Quiet hours"], ["Done"]]


async def test_the_menu_button_opens_the_same_screen(town: Town) -> None:
    menu = await town.trader.says("/start")
    assert "Alerts I get" in sum(menu.buttons, [])

    screen = await town.trader.presses("Alerts I get", on=menu)

    assert screen.buttons[0] == ["Areas", "Topics"]


async def test_choosing_an_area_and_a_topic_subscribes_to_that_pair(
    town: Town, database: Database
) -> None:
    rosa = town.resident
    screen = await rosa.says("/subscribe")
    areas = await tap(rosa, "Areas", screen)
    assert [row[0] for row in areas.buttons] == ["Everywhere", "Market Town", "Riverside", "« Back"]

    areas = await tap(rosa, "Market Town", areas)
    assert "✅ Market Town" in sum(areas.buttons, [])
    # An area chosen before any topic hears about everything there.
    assert await chosen(database, rosa) == {("Market Town", EVERYTHING)}

    topics = await tap(rosa, "Topics", await tap(rosa, "« Back", areas))
    topics = await tap(rosa, "Fly tipping", topics)
    topics = await tap(rosa, "✅ Everything", topics)
    assert await chosen(database, rosa) == {("Market Town", "fly_tipping")}

    home = await tap(rosa, "« Back", topics)
    assert "Areas: Market Town" in home.body
    assert "Topics: Fly tipping" in home.body
    assert "How serious: all warnings" in home.body
    assert await severities(database, rosa) == {Severity.MINOR}


async def test_new_areas_and_topics_pair_with_every_earlier_choice(
    town: Town, database: Database
) -> None:
    tom = town.trader
    await subscribe(tom, areas=["Market Town", "Riverside"], topics=["Shop Watch warnings"])
    assert await chosen(database, tom) == {
        ("Market Town", EVERYTHING),
        ("Riverside", EVERYTHING),
        ("Market Town", SHOP_WATCH),
        ("Riverside", SHOP_WATCH),
    }

    await subscribe(tom, areas=[], topics=["✅ Everything", "Scam"])

    assert await chosen(database, tom) == {
        ("Market Town", SHOP_WATCH),
        ("Riverside", SHOP_WATCH),
        ("Market Town", "scam"),
        ("Riverside", "scam"),
    }


async def test_toggling_off_and_on_again_reuses_the_same_rows(
    town: Town, database: Database
) -> None:
    rosa = town.resident
    await subscribe(rosa, areas=["Market Town"], topics=["Noise"])
    assert await row_count(database, rosa) == 2  # Market Town x Everything, then x Noise

    areas = await tap(rosa, "Areas", await rosa.says("/subscribe"))
    areas = await tap(rosa, "✅ Market Town", areas)
    assert "Market Town" in sum(areas.buttons, [])
    assert await chosen(database, rosa) == set()

    await tap(rosa, "Market Town", areas)

    assert await chosen(database, rosa) == {("Market Town", EVERYTHING)}
    assert await row_count(database, rosa) == 2, "no duplicate rows"


async def test_a_topic_chosen_first_is_heard_everywhere(town: Town, database: Database) -> None:
    rosa = town.resident
    home = await subscribe(rosa, areas=[], topics=["Bike theft"])

    assert await chosen(database, rosa) == {(None, "bike_theft")}
    assert "Areas: Everywhere" in home.body

    areas = await tap(rosa, "Areas", home)
    assert areas.buttons[0] == ["✅ Everywhere"]
    areas = await tap(rosa, "Riverside", areas)
    areas = await tap(rosa, "✅ Everywhere", areas)

    assert await chosen(database, rosa) == {("Riverside", "bike_theft")}
    areas = await tap(rosa, "Everywhere", areas)
    assert await chosen(database, rosa) == {("Riverside", "bike_theft"), (None, "bike_theft")}
    assert await row_count(database, rosa) == 2, "Everywhere came back as the same row"


async def test_only_serious_warnings_applies_to_every_subscription(
    town: Town, database: Database
) -> None:
    rosa = town.resident
    home = await subscribe(rosa, areas=["Market Town", "Riverside"], topics=[])

    home = await tap(rosa, "Only serious warnings", home)
    assert "How serious: only Severe and Extreme" in home.body
    assert await severities(database, rosa) == {Severity.SEVERE}

    # A subscription added later hears at the same threshold.
    await subscribe(rosa, areas=["Everywhere"], topics=[])
    assert await severities(database, rosa) == {Severity.SEVERE}

    home = await tap(rosa, "All warnings", await rosa.says("/subscribe"))
    assert "How serious: all warnings" in home.body
    assert await severities(database, rosa) == {Severity.MINOR}


async def test_quiet_hours_presets_and_off(town: Town, database: Database) -> None:
    tom = town.trader
    quiet = await tap(tom, "Quiet hours", await tom.says("/subscribe"))
    assert "warnings arrive silently" in quiet.body
    assert "except Extreme and Severe ones" in quiet.body
    assert quiet.buttons == [["22:00–07:00", "23:00–08:00"], ["✅ Off"], ["« Back"]]

    home = await tap(tom, "23:00–08:00", quiet)
    assert "Quiet hours: 23:00–08:00" in home.body
    assert await quiet_hours(database, tom) == (time(23, 0), time(8, 0))

    quiet = await tap(tom, "Quiet hours", home)
    assert quiet.buttons[0] == ["22:00–07:00", "✅ 23:00–08:00"]
    await tap(tom, "Off", quiet)
    assert await quiet_hours(database, tom) == (None, None)


async def test_typed_quiet_hours_may_cross_midnight(town: Town, database: Database) -> None:
    rosa = town.resident
    await tap(rosa, "Quiet hours", await rosa.says("/subscribe"))

    reply = await rosa.says("21:30-06:45")

    assert reply.body.startswith("Quiet hours set.")
    assert "Quiet hours: 21:30–06:45" in reply.body
    assert await quiet_hours(database, rosa) == (time(21, 30), time(6, 45))
    await rosa.hears_nothing()  # the typed answer is no longer awaited


async def test_bad_typed_quiet_hours_are_explained_and_change_nothing(
    town: Town, database: Database
) -> None:
    rosa = town.resident
    await tap(rosa, "22:00–07:00", await tap(rosa, "Quiet hours", await rosa.says("/subscribe")))
    await tap(rosa, "Quiet hours", await rosa.says("/subscribe"))

    out_of_range = await rosa.says("25:00-07:00")
    same = await rosa.says("22:00-22:00")
    words = await rosa.says("tonight")

    assert "Times go from 00:00 to 23:59" in out_of_range.body
    assert "need to start and end at different times" in same.body
    assert 'I could not read "tonight" as quiet hours' in words.body
    assert await quiet_hours(database, rosa) == (time(22, 0), time(7, 0))
    # Still waiting for a good answer.
    assert (await rosa.says("23:15 - 06:00")).body.startswith("Quiet hours set.")
    assert await quiet_hours(database, rosa) == (time(23, 15), time(6, 0))


async def test_unsubscribe_from_everything_and_undo(town: Town, database: Database) -> None:
    tom = town.trader
    home = await subscribe(tom, areas=["Market Town", "Everywhere"], topics=["Shop Watch warnings"])
    before = await chosen(database, tom)
    assert len(before) == 4

    stopped = await tap(tom, "Unsubscribe from everything", home)

    assert stopped.body.startswith("Done: you are unsubscribed from everything (4 subscriptions")
    assert stopped.buttons == [["Undo"]]
    assert await chosen(database, tom) == set()
    assert "You get no warnings at the moment." in (await tom.says("/subscribe")).body

    restored = await tap(tom, "Undo", stopped)

    assert restored.body.startswith("Your subscriptions are back.")
    assert await chosen(database, tom) == before
    # The same Undo, replayed, does nothing more.
    undo = str(stopped.button("Undo")["callback_data"])
    assert "can no longer be undone" in await refused(tom, restored, undo)


async def test_buttons_on_an_old_screen_act_on_the_current_choices(
    town: Town, database: Database
) -> None:
    rosa = town.resident
    old = await tap(rosa, "Areas", await rosa.says("/subscribe"))
    newer = await tap(rosa, "Areas", await rosa.says("/subscribe"))
    await tap(rosa, "Riverside", newer)

    redrawn = await tap(rosa, "Market Town", old)

    assert await chosen(database, rosa) == {("Riverside", EVERYTHING), ("Market Town", EVERYTHING)}
    assert "✅ Riverside" in sum(redrawn.buttons, []), "the old screen shows today's choices"


async def test_forged_presses_are_refused_and_change_nothing(
    town: Town, database: Database
) -> None:
    rosa = town.resident
    home = await subscribe(rosa, areas=["Market Town"], topics=[])
    before = await chosen(database, rosa)

    assert "area no longer exists" in await refused(rosa, home, "s1:area:987654:0")
    assert "not one you can choose" in await refused(rosa, home, "s1:area:drop table:0")
    assert "not one you can subscribe to" in await refused(rosa, home, "s1:topic:gossip:0")
    assert "not one of the choices" in await refused(rosa, home, "s1:sev:extreme:0")
    assert "not one of the quiet-hours choices" in await refused(rosa, home, "s1:quiet:1-2:0")
    assert "can no longer be undone" in await refused(rosa, home, "s1:undo:abcd1234:0")

    assert await chosen(database, rosa) == before
    assert await quiet_hours(database, rosa) == (None, None)
    assert await severities(database, rosa) == {Severity.MINOR}


async def test_done_closes_the_screen_with_a_summary(town: Town) -> None:
    rosa = town.resident
    home = await subscribe(rosa, areas=["Riverside"], topics=["Hate incident"])

    closed = await tap(rosa, "Done", home)

    assert closed.body.startswith("Saved. Your warnings:")
    assert "Areas: Riverside" in closed.body and "Topics: Hate incident" in closed.body
    assert closed.buttons == []


async def test_many_areas_are_paged_and_a_choice_keeps_its_page(
    town: Town, database: Database
) -> None:
    async with database.sessions() as session:
        big = await factories.scheme(session, "Big Town Shop Watch")
    for ward in range(1, 13):
        async with database.sessions() as session:
            await factories.area(session, scheme_id=big.id, name=f"Ward {ward:02}", districts=[])
    rosa = town.resident

    first = await tap(rosa, "Areas", await rosa.says("/subscribe"))
    assert [row[0] for row in first.buttons][:3] == ["Everywhere", "Ward 01", "Ward 02"]
    assert first.buttons[-2:] == [["Next ▶"], ["« Back"]]

    second = await tap(rosa, "Next ▶", first)
    assert [row[0] for row in second.buttons][:4] == [
        "Everywhere",
        "Ward 11",
        "Ward 12",
        "Market Town",
    ]
    second = await tap(rosa, "Riverside", second)

    assert "✅ Riverside" in sum(second.buttons, [])
    assert ["◀ Previous"] in second.buttons
    assert await chosen(database, rosa) == {("Riverside", EVERYTHING)}
