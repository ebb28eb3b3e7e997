"""Warnings started from a resident's report, and the typed times the composer reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core.broadcasts.when import parse_future
from core.enums import ReportCategory, ReportStatus
from core.errors import InvalidInput
from handlers.broadcasts.compose_callbacks import EscalateReportCallback
from storage.models import Alert, Person, Report
from tests.support.town import Town
from tests.test_broadcast_compose import market_area, received, subscribers

LONDON = ZoneInfo("Europe/London")
# A Wednesday, 14:00 in London (winter time).
NOW = datetime(2026, 11, 18, 14, 0, tzinfo=UTC)


async def filed_report(town: Town) -> Report:
    """Rosa's named report of street drinking in Market Town."""
    area_id = await market_area(town)
    async with town.database.sessions() as session, session.begin():
        rosa_id = (
            await session.execute(
                select(Person.id).where(Person.telegram_user_id == town.resident.id)
            )
        ).scalar_one()
        report = Report(
            reference="SW-2026-000042",
            reporter_id=rosa_id,
            scheme_id=town.scheme_id,
            area_id=area_id,
            category=ReportCategory.STREET_DRINKING,
            location_text="Outside 12 Mill Road",
            occurred_at=town.live.clock.now(),
            description="Rosa from number 12 here: men drinking on my doorstep every night.",
            status=ReportStatus.RECEIVED,
        )
        session.add(report)
    return report


async def test_a_report_becomes_a_warning_for_its_area_and_topic_subscribers(
    town: Town,
) -> None:
    rosa, ravi, rhea = await subscribers(town)
    report = await filed_report(town)
    cora = town.coordinator
    queue = await cora.says("/reports")
    view = await cora.presses("SW-2026-000042 · Street drinking · Received", on=queue)
    assert view.buttons[-1] == ["Escalate to alert"]

    assert (await cora.press("Escalate to alert", on=view))["text"] == "Writing a warning"
    asked = await cora.next_reply()
    assert asked.body.startswith("Headline: Street drinking\nType the text")
    photo = await cora.says("Street drinking reported around Mill Road in the evenings.")
    instruction = await cora.presses("Skip", on=photo)
    severity = await cora.presses("Skip", on=instruction)
    expiry = await cora.presses("Minor", on=severity)
    status = await cora.presses("✅ 24 h", on=expiry)
    preview = await cora.presses("Actual", on=status)
    controls = await cora.next_reply()

    for private in ("Rosa", "number 12", "Mill Road 12", "doorstep", "SW-2026-000042"):
        assert private not in preview.body
    assert preview.body.startswith("ℹ️ Advice\nStreet drinking\n\n")
    assert "Where: Market Town\n" in preview.body
    assert "To: Subscribed residents (Market Town; Street drinking) (2 recipients)." in (
        controls.body
    )
    await cora.press("Send now (2 recipients)", on=controls)
    await received(town, rosa, preview.body)
    await received(town, ravi, preview.body)
    await town.live.sandbox.assert_no_message(rhea.id, within=0.3)
    async with town.database.sessions() as session:
        alert = (await session.execute(select(Alert))).scalar_one()
    assert alert.source_report_id == report.id
    assert alert.audience["subscribers"] and alert.audience["topics"] == ["street_drinking"]


async def test_only_the_schemes_coordinators_can_escalate_a_report(town: Town) -> None:
    report = await filed_report(town)
    data = EscalateReportCallback(report_id=report.id).pack()
    for person, refusal in (
        (town.trader, "Your role in Market Town Shop Watch (trader)"),
        (town.other_coordinator, "That belongs to a scheme you are not a member of"),
    ):
        chat = await person.says("/start")
        query = await town.live.sandbox.press(person.id, chat.message_id, data=data, forged=True)
        answer = await town.live.sandbox.wait_for_callback_answer(query)
        assert answer["show_alert"] and answer["text"].startswith(refusal), answer
        await person.hears_nothing()


@pytest.mark.parametrize(
    ("typed", "local"),
    [
        ("18:30", "2026-11-18 18:30"),
        ("9am", "2026-11-19 09:00"),
        ("tomorrow 9am", "2026-11-19 09:00"),
        ("friday 7pm", "2026-11-20 19:00"),
        ("21/11/2026 18:30", "2026-11-21 18:30"),
        ("21 Nov 08:15", "2026-11-21 08:15"),
        ("2026-11-25 10:00", "2026-11-25 10:00"),
        ("in 2 hours", "2026-11-18 16:00"),
        ("in 45 minutes", "2026-11-18 14:45"),
    ],
)
def test_typed_future_times_are_read_in_local_time(typed: str, local: str) -> None:
    at = parse_future(typed, NOW, LONDON)
    assert at.astimezone(LONDON).strftime("%Y-%m-%d %H:%M") == local


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("01/01/2020 10:00", "already passed"),
        ("18/11/2026 09:00", "already passed"),
        ("31/02/2027 10:00", "doesn't exist"),
        ("25:00", "couldn't read"),
        ("soon", "couldn't read"),
        ("in 40 days", "more than 30 days"),
    ],
)
def test_past_far_and_unreadable_times_are_refused(typed: str, problem: str) -> None:
    with pytest.raises(InvalidInput, match=problem):
        parse_future(typed, NOW, LONDON)


def test_a_time_is_always_after_now() -> None:
    assert parse_future("14:00", NOW, LONDON) == NOW + timedelta(days=1)
