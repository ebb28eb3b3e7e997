"""Sending a warning fast, as a paid broadcast, within the budget the operator gave the scheme."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from broadcast.outbox import set_paid_budget
from core.enums import AlertState, DeliveryState, Role
from sandbox.client import Message
from storage.models import Alert, AuditEntry
from storage.repositories import alerts as alerts_repo
from tests.support import factories
from tests.support.live import Person
from tests.support.town import Town
from tests.test_broadcast_compose import alerts, compose_to_preview, settled, started

EXTRA_TRADERS = 10


async def give_budget(town: Town, messages: int) -> None:
    """The operator sets the scheme's paid budget (the CLI does the same)."""
    async with town.database.sessions() as session:
        await set_paid_budget(session, town.scheme_id, messages, now=town.live.clock.now())


async def budget_left(town: Town) -> int:
    async with town.database.sessions() as session:
        return await alerts_repo.paid_budget_left(session, town.scheme_id)


async def back_to_preview(person: Person, controls: Message) -> Message:
    """Changes nothing (the expiry, kept at 24 h) to see the preview drawn again."""
    question = await person.presses("Change expiry", on=controls)
    await person.press("✅ 24 h", on=question)
    await person.next_reply()
    return await person.next_reply()


async def test_the_preview_offers_fast_sending_only_when_the_budget_covers_it(
    town: Town,
) -> None:
    cora, tom, tia = town.coordinator, town.trader, town.second_trader
    await started(tom, tia)

    _, controls = await compose_to_preview(town, cora)
    assert controls.buttons[:2] == [["Send now (2 recipients)"], ["Schedule"]]
    assert "paid" not in controls.body, "no budget, nothing to explain"

    await give_budget(town, 1)
    controls = await back_to_preview(cora, controls)
    assert controls.buttons[:2] == [["Send now (2 recipients)"], ["Schedule"]]
    assert (
        "Fast (paid) sending is not offered: it would take 2 paid messages and the scheme's "
        "budget has 1 left."
    ) in controls.body

    await give_budget(town, 5)
    controls = await back_to_preview(cora, controls)
    assert controls.buttons[:3] == [
        ["Send now (2 recipients)"],
        ["Send now, fast (paid: 2 of 5 left)"],
        ["Schedule"],
    ]
    assert "not offered" not in controls.body

    question = await cora.presses("Schedule", on=controls)
    assert question.body.startswith("When should it go out?")
    await cora.says("in 2 hours")
    controls = await cora.next_reply()
    assert controls.buttons[1][0].startswith("Schedule for ")
    assert controls.buttons[1][0].endswith(", fast (paid: 2 of 5 left)")


async def test_a_paid_warning_goes_as_paid_broadcasts_and_takes_exactly_its_copies(
    town: Town,
) -> None:
    cora, live = town.coordinator, town.live
    traders = [town.trader, town.second_trader]
    for number in range(EXTRA_TRADERS):
        extra = await live.person(f"Trader {number}")
        async with town.database.sessions() as session:
            await factories.member(
                session, telegram_user_id=extra.id, scheme_id=town.scheme_id, role=Role.TRADER
            )
        traders.append(extra)
    await started(*traders)
    await give_budget(town, 20)
    _, controls = await compose_to_preview(town, cora)
    fast = "Send now, fast (paid: 12 of 20 left)"
    assert controls.buttons[1] == [fast]
    # Telegram's free bot-wide limit is squeezed to a trickle: copies that are not sent as
    # paid broadcasts (allow_paid_broadcast) would be refused with 429s.
    await live.sandbox.set_limits(bot_per_second=0.2, bot_burst=4)
    await live.sandbox.reset_calls()

    assert (await cora.press(fast, on=controls))["text"] == "Sending"
    assert (await cora.next_reply()).body == "Sending to 12 recipients, fast (paid)."

    [alert] = await alerts(town)
    assert alert.paid
    assert await settled(town, alert.id) == {DeliveryState.SENT: 12}
    calls = await live.sandbox.calls()
    assert calls.status_429 == 0 and calls.rate_limited_total == 0
    assert await budget_left(town) == 8
    async with town.database.sessions() as session:
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "alert.sent"))
    assert entry is not None and entry.details["paid"] is True


async def test_two_coordinators_race_for_the_last_of_the_budget_and_one_is_told(
    town: Town,
) -> None:
    cora, tom, tia = town.coordinator, town.trader, town.second_trader
    cole = await town.live.person("Cole")
    async with town.database.sessions() as session:
        await factories.member(
            session, telegram_user_id=cole.id, scheme_id=town.scheme_id, role=Role.COORDINATOR
        )
    await started(tom, tia)
    await give_budget(town, 2)
    _, cora_controls = await compose_to_preview(town, cora)
    _, cole_controls = await compose_to_preview(town, cole, headline="Shoplifter at the market")
    fast = "Send now, fast (paid: 2 of 2 left)"
    assert cora_controls.buttons[1] == [fast] and cole_controls.buttons[1] == [fast]

    answers = await asyncio.gather(
        cora.press(fast, on=cora_controls), cole.press(fast, on=cole_controls)
    )

    texts = sorted(str(answer["text"]) for answer in answers)
    assert texts[0].startswith("Paid broadcasting would take 2 messages and the scheme has 0 left")
    assert texts[1] == "Sending"
    [alert] = await alerts(town)
    assert alert.paid and await budget_left(town) == 0
    loser, controls = (
        (cole, cole_controls) if texts[0] == answers[1]["text"] else (cora, cora_controls)
    )

    # Nothing was queued for the one who lost; Send now still sends at the normal pace.
    assert (await loser.press("Send now (2 recipients)", on=controls))["text"] == "Sending"
    assert (await loser.replies_until("Sending to 2 recipients."))[-1].body == (
        "Sending to 2 recipients."
    )
    second = (await alerts(town))[-1]
    assert not second.paid and second.state != AlertState.CANCELLED
    async with town.database.sessions() as session:
        audited = await session.execute(
            select(AuditEntry.object_id).where(AuditEntry.action == "alert.sent")
        )
        queued = await session.execute(select(Alert.id))
        assert sorted(int(i or 0) for i in audited.scalars()) == sorted(queued.scalars()), (
            "one alert.sent entry per alert, none for the refused one"
        )
