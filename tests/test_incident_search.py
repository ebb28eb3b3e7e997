"""/incidents: members search their scheme's incidents, most recent first, with filters."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from core.enums import IncidentStatus, IncidentType
from handlers.incidents.card_callbacks import SearchCallback
from sandbox.client import Message
from storage.models import AuditEntry
from tests.support.live import Person
from tests.support.town import Town
from tests.test_incident_card import count_rows, file_incident

NEWS = "Tom's News"


async def local_noon_tomorrow(town: Town) -> datetime:
    """Moves the clocks to tomorrow's local noon, so day boundaries are never near; returns it."""
    tz = town.live.settings.tz
    now = town.live.clock.now()
    target = datetime.combine(now.astimezone(tz).date() + timedelta(days=1), time(12), tzinfo=tz)
    await town.live.advance(target - now)
    return target.astimezone(UTC)


def incident_lines(listing: Message) -> list[str]:
    """The incident buttons of a results page, top to bottom."""
    return [row[0] for row in listing.buttons if row[0].startswith("INC-")]


async def file_at(town: Town, when: datetime, **fields: Any) -> str:
    filed = await file_incident(town, occurred_at=when, **fields)
    return filed.reference


async def test_incidents_are_listed_most_recent_first_ten_to_a_page(town: Town) -> None:
    noon = await local_noon_tomorrow(town)
    references = [await file_at(town, noon - timedelta(hours=hours)) for hours in range(12, 0, -1)]
    resolved = await file_at(town, noon - timedelta(days=3), status=IncidentStatus.RESOLVED)
    tia = town.second_trader

    menu = await tia.says("/start")
    listing = await tia.presses("Recent incidents", on=menu)

    assert listing.body.startswith("Incidents in Market Town Shop Watch, most recent first\n")
    assert listing.protect_content
    assert "All types · All dates\n13 found · page 1 of 2" in listing.body
    lines = incident_lines(listing)
    assert [line.split(" · ")[0] for line in lines] == references[::-1][:10]
    assert lines[0].startswith(f"{references[-1]} · Theft · ")
    older = await tia.presses("Older ▶", on=listing)
    assert "page 2 of 2" in older.body
    assert [line.split(" · ")[0] for line in incident_lines(older)] == [
        references[1],
        references[0],
        resolved,
    ]
    assert incident_lines(older)[-1].endswith(" · ✅ Resolved")
    assert "Older ▶" not in str(older.buttons) and "◀ Newer" in str(older.buttons)


async def test_filters_by_type_and_by_date_range_with_the_clock(town: Town) -> None:
    noon = await local_noon_tomorrow(town)
    today_theft = await file_at(town, noon - timedelta(hours=1))
    today_aggression = await file_at(
        town, noon - timedelta(hours=2), incident_type=IncidentType.AGGRESSION
    )
    last_week = await file_at(town, noon - timedelta(days=5))
    last_month = await file_at(town, noon - timedelta(days=20))
    long_ago = await file_at(town, noon - timedelta(days=90))
    tia = town.second_trader
    listing = await tia.says("/incidents")

    def shown(message: Message) -> list[str]:
        return [line.split(" · ")[0] for line in incident_lines(message)]

    today = await tia.presses("Today", on=listing)
    assert shown(today) == [today_theft, today_aggression]
    assert "All types · Today\n" in today.body
    week = await tia.presses("Last 7 days", on=listing)
    assert shown(week) == [today_theft, today_aggression, last_week]
    month = await tia.presses("Last 30 days", on=listing)
    assert shown(month) == [today_theft, today_aggression, last_week, last_month]
    everything = await tia.presses("• All dates", on=listing)
    assert shown(everything)[-1] == long_ago

    aggression = await tia.presses("Aggression or abuse", on=month)
    assert shown(aggression) == [today_aggression]
    assert "Aggression or abuse · Last 30 days" in aggression.body
    both = await tia.presses("Theft", on=aggression)
    assert shown(both) == [today_theft, today_aggression, last_week, last_month]
    theft_only = await tia.presses("• Aggression or abuse", on=both)
    assert shown(theft_only) == [today_theft, last_week, last_month]

    # A day later, "Today" no longer includes yesterday's incidents.
    await town.live.advance(timedelta(days=1))
    tomorrow = await tia.presses("Today", on=listing)
    assert "Nothing matches these filters." in tomorrow.body


async def test_a_typed_date_range_is_checked_and_used(town: Town) -> None:
    noon = await local_noon_tomorrow(town)
    tz = town.live.settings.tz
    inside = await file_at(town, noon - timedelta(days=10))
    await file_at(town, noon - timedelta(days=40))
    first = (noon - timedelta(days=12)).astimezone(tz).date()
    last = (noon - timedelta(days=8)).astimezone(tz).date()
    tia = town.second_trader
    listing = await tia.says("/incidents")

    asked = await tia.presses("Type dates…", on=listing)
    assert asked.body.startswith("Type the dates you want, first then last")

    garbled = await tia.says("last tuesday")
    assert garbled.body.startswith("I couldn't read those dates.")
    impossible = await tia.says("31/2/2026 - 3/3/2026")
    assert impossible.body.startswith("31/2/2026 isn't a real date.")
    reversed_range = await tia.says(f"{last:%d/%m/%Y} - {first:%d/%m/%Y}")
    assert reversed_range.body.startswith(
        f"The first date ({last:%d/%m/%Y}) is after the last ({first:%d/%m/%Y})."
    )
    future = (noon + timedelta(days=3)).astimezone(tz).date()
    in_future = await tia.says(f"{future:%d/%m/%Y} - {future:%d/%m/%Y}")
    assert "is in the future" in in_future.body

    found = await tia.says(f"{first.day}/{first.month}/{first.year} - {last:%d/%m/%Y}")
    assert f"All types · {first:%d/%m/%Y} to {last:%d/%m/%Y}\n1 found" in found.body
    assert [line.split(" · ")[0] for line in incident_lines(found)] == [inside]
    assert any("• Type dates…" in row for row in found.buttons)
    # The conversation is over: ordinary messages are not taken as dates any more.
    assert (await tia.says("hello")).body.startswith("Sorry, I didn't understand that.")


async def test_filters_by_business_respect_a_reporter_who_stayed_unnamed(town: Town) -> None:
    named = await file_at(town, datetime.now(UTC), show_business_name=True)
    unnamed = await file_at(town, datetime.now(UTC) - timedelta(hours=1))
    by_tia = await file_at(
        town, datetime.now(UTC) - timedelta(hours=2), reporter_telegram_id=town.second_trader.id
    )

    async def by_tom(person: Person) -> list[str]:
        listing = await person.says("/incidents")
        businesses = await person.presses("Business: all (change)", on=listing)
        assert ["Tom's News"] in businesses.buttons and ["Tia's Pharmacy"] in businesses.buttons
        chosen = await person.presses(NEWS, on=businesses)
        assert f"All types · All dates · {NEWS}" in chosen.body
        assert all(by_tia not in line for line in incident_lines(chosen))
        return [line.split(" · ")[0] for line in incident_lines(chosen)]

    # Another trader only finds what Tom chose to put his name to; the coordinator finds all.
    assert await by_tom(town.partner) == [named]
    assert await by_tom(town.coordinator) == [named, unnamed]


async def test_opening_an_incident_from_the_list_is_audited(town: Town) -> None:
    reference = await file_at(town, datetime.now(UTC), description="Swapped price labels.")
    tia = town.second_trader
    listing = await tia.says("/incidents")

    full = await tia.presses(incident_lines(listing)[0], on=listing)

    assert full.body.startswith(f"{reference} · Theft")
    assert "Swapped price labels." in full.body and full.protect_content
    async with town.database.sessions() as session:
        entries = (
            (await session.execute(select(AuditEntry).order_by(AuditEntry.id))).scalars().all()
        )
    assert [(entry.action, entry.details.get("via")) for entry in entries] == [
        ("incident.searched", None),
        ("incident.viewed", "search"),
    ]
    assert entries[0].details == {
        "types": [],
        "period": "All dates",
        "business": None,
        "page": 0,
        "results": 1,
    }


async def test_forged_filters_are_refused(town: Town) -> None:
    await file_at(town, datetime.now(UTC))
    tia = town.second_trader
    listing = await tia.says("/incidents")
    forged = {
        "bad period": SearchCallback(scheme=town.scheme_id, period="1y"),
        "range with a preset": SearchCallback(scheme=town.scheme_id, period="7d", since=20260101),
        "impossible date": SearchCallback(
            scheme=town.scheme_id, period="r", since=20261341, until=20261401
        ),
        "reversed range": SearchCallback(
            scheme=town.scheme_id, period="r", since=20261120, until=20261101
        ),
        "unknown types": SearchCallback(scheme=town.scheme_id, types=1 << 12),
        "negative page": SearchCallback(scheme=town.scheme_id, page=-1),
        "another scheme": SearchCallback(scheme=town.other_scheme_id),
        "another scheme's business": SearchCallback(scheme=town.scheme_id, business=999999),
    }
    searches_before = await count_rows(town, AuditEntry, AuditEntry.action == "incident.searched")

    for name, data in forged.items():
        query_id = await town.live.sandbox.press(
            tia.id, listing.message_id, data=data.pack(), forged=True
        )
        answer = await town.live.sandbox.wait_for_callback_answer(query_id)
        assert answer["show_alert"], (name, answer)
        assert "Riverside" not in answer["text"], name

    await tia.hears_nothing()
    assert (
        await count_rows(town, AuditEntry, AuditEntry.action == "incident.searched")
        == searches_before
    )


async def test_incidents_in_the_group_gives_no_data(town: Town) -> None:
    await file_at(town, datetime.now(UTC))

    reply = await town.coordinator.says_in(town.group, "/incidents")
    assert reply.body.startswith("Searching incidents is only available in a private chat")
    assert "INC-" not in reply.body and reply.buttons == []

    await town.live.sandbox.send_anonymous(town.coordinator.id, town.group.id, "/incidents")
    anonymous = await town.live.next_in_group(town.group)
    assert anonymous.body.startswith("Searching incidents is only available in a private chat")
    assert anonymous.buttons == []
    assert await count_rows(town, AuditEntry, AuditEntry.action == "incident.searched") == 0


async def test_incidents_is_refused_to_anyone_without_the_right(town: Town) -> None:
    await file_at(town, datetime.now(UTC))
    refused = {
        town.pending: "Your request to join Market Town Shop Watch is waiting",
        town.rejected: "Your request to join Market Town Shop Watch was not approved",
        town.suspended: "Your membership of Market Town Shop Watch is suspended",
        town.resident: "This is only for approved members of a Shop Watch scheme.",
    }

    for person, expected in refused.items():
        reply = await person.says("/incidents")
        assert reply.body.startswith(expected), reply.body
        assert reply.buttons == []

    riverside = await town.other_trader.says("/incidents")
    assert riverside.body.startswith("Incidents in Riverside Shop Watch")
    assert "0 found" in riverside.body and incident_lines(riverside) == []


async def test_a_member_of_two_schemes_chooses_which_to_search(town: Town) -> None:
    from core.enums import MembershipStatus, Role
    from tests.support import factories

    await file_at(town, datetime.now(UTC))
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

    choice = await olga.says("/incidents")
    assert choice.body == "Which scheme's incidents?"
    assert choice.buttons == [["Riverside Shop Watch"], ["Market Town Shop Watch"]]
    market = await olga.presses("Market Town Shop Watch", on=choice)
    assert "1 found" in market.body
