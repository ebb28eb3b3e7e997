"""Cancel and Recall from the progress message: confirmed first, refused to anyone else."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.enums import AlertMessageType, AlertState, DeliveryState
from handlers.broadcasts.callbacks import ConfirmCallback, FollowUp, FollowUpCallback
from storage.models import Alert, Delivery
from tests import test_broadcast_progress as progress_tests
from tests.support.town import Town
from tests.test_broadcast_progress import (
    HEADLINE,
    WAIT,
    alert_row,
    crowd,
    final,
    presses_forged,
    queue,
    states,
    watch,
)

# The slower and more fragile towns, as fixtures here too.
slow_town = progress_tests.slow_town
fragile_town = progress_tests.fragile_town


async def sent_to(town: Town, alert_id: int) -> set[int]:
    """The chats a copy of the alert reached."""
    async with town.database.sessions() as session:
        rows = await session.execute(
            select(Delivery.chat_id).where(
                Delivery.alert_id == alert_id, Delivery.state == DeliveryState.SENT
            )
        )
        return set(rows.scalars())


async def all_clear_of(town: Town, alert_id: int) -> Alert | None:
    """The ALL CLEAR sent for an alert, if any."""
    async with town.database.sessions() as session:
        return await session.scalar(
            select(Alert).where(
                Alert.references_id == alert_id, Alert.message_type == AlertMessageType.CANCEL
            )
        )


async def settled(town: Town, alert_id: int) -> dict[DeliveryState, int]:
    """The alert's copies once none is waiting or in flight."""

    async def done() -> bool:
        found = await states(town, alert_id)
        return not found.get(DeliveryState.PENDING) and not found.get(DeliveryState.SENDING)

    await town.live.eventually(done, within=WAIT)
    return await states(town, alert_id)


async def test_cancel_mid_way_stops_the_rest_and_clears_those_who_got_it(slow_town: Town) -> None:
    town = slow_town
    cora = town.coordinator
    people = await crowd(town, 40)
    queued = await queue(town, people)
    progress = await watch(town, queued.alert_id)
    await town.live.eventually(lambda: _sent_at_least(town, queued.alert_id, 3), within=WAIT)

    question = await cora.presses("Cancel alert", on=progress)
    assert "This stops copies not yet sent and sends an ALL CLEAR to the" in question.body
    assert question.buttons == [["Yes, cancel it and send ALL CLEAR"], ["No, keep it"]]
    await cora.press("Yes, cancel it and send ALL CLEAR", on=question)
    answer = await final(town, question, "Cancelled")
    assert "An ALL CLEAR is going to the" in answer.body

    original = await settled(town, queued.alert_id)
    assert original[DeliveryState.SENT] + original[DeliveryState.CANCELLED] == 40
    assert original[DeliveryState.CANCELLED] > 0
    clear = await all_clear_of(town, queued.alert_id)
    assert clear is not None
    got_alert = await sent_to(town, queued.alert_id)

    async def everyone_who_got_it_is_cleared() -> bool:
        # Copies already on their way at the cancel arrive later; the job adds them.
        await town.live.process.run_job_now("broadcast_progress")
        await settled(town, clear.id)
        return await sent_to(town, clear.id) == got_alert

    await town.live.eventually(everyone_who_got_it_is_cleared, within=WAIT)
    got_clear = await sent_to(town, clear.id)
    for chat in set(people) - got_alert:
        assert not [m for m in await town.live.sandbox.transcript(chat) if m.from_bot]
    some_one = next(iter(got_clear))
    [warning, all_clear] = [m for m in await town.live.sandbox.transcript(some_one) if m.from_bot]
    assert HEADLINE in warning.body and "ALL CLEAR" in all_clear.body

    shown = await final(town, progress, "unsent copies stopped")
    assert "Stopped: " in shown.body
    assert ["Cancel alert"] not in shown.buttons and ["Send an update"] not in shown.buttons
    assert (await alert_row(town, queued.alert_id)).state == AlertState.CANCELLED


async def _sent_at_least(town: Town, alert_id: int, number: int) -> bool:
    return (await states(town, alert_id)).get(DeliveryState.SENT, 0) >= number


async def test_cancelling_before_anyone_got_it_just_stops_it(town: Town) -> None:
    cora = town.coordinator
    people = await crowd(town, 3)
    start = town.live.clock.now() + timedelta(hours=1)
    queued = await queue(town, people, scheduled_for=start)
    progress = await watch(town, queued.alert_id)
    assert "Scheduled: 3 copies wait for their time." in progress.body

    question = await cora.presses("Cancel alert", on=progress)
    assert "Nobody has got it yet" in question.body
    await cora.press("Yes, cancel it", on=question)
    await final(town, question, "Cancelled")

    # A scheduled alert has no copies until it starts, and now it never will.
    assert await states(town, queued.alert_id) == {}
    assert (await alert_row(town, queued.alert_id)).state == AlertState.CANCELLED
    assert await all_clear_of(town, queued.alert_id) is None
    await town.live.advance(timedelta(hours=2))
    for chat in people:
        await town.live.sandbox.assert_no_message(chat, within=0.5)


async def test_no_keeps_the_alert_and_a_second_cancel_is_refused(town: Town) -> None:
    cora = town.coordinator
    people = await crowd(town, 2)
    queued = await queue(town, people)
    progress = await watch(town, queued.alert_id)
    done = await final(town, progress)

    question = await cora.presses("Cancel alert", on=done)
    await cora.press("No, keep it", on=question)
    assert "Nothing changed" in (await final(town, question, "Nothing changed")).body
    assert await all_clear_of(town, queued.alert_id) is None

    question = await cora.presses("Cancel alert", on=done)
    await cora.press("Yes, cancel it and send ALL CLEAR", on=question)
    await final(town, question, "Cancelled")
    toast = await cora.press("Cancel alert", on=done)
    assert "already" in toast["text"]
    clear = await all_clear_of(town, queued.alert_id)
    assert clear is not None
    assert await settled(town, clear.id) == {DeliveryState.SENT: 2}


async def test_recall_deletes_the_delivered_copies(town: Town) -> None:
    cora = town.coordinator
    people = await crowd(town, 3)
    queued = await queue(town, people)
    progress = await watch(town, queued.alert_id)
    done = await final(town, progress)

    question = await cora.presses("Recall", on=done)
    assert "deletes the copies already delivered (3 can be deleted)" in question.body
    await cora.press("Yes, recall it", on=question)
    assert "deleting 3 delivered copies" in (await final(town, question, "Recalling")).body

    shown = await final(town, progress, "Recalled 3 copies.")
    assert "Recall" not in sum(shown.buttons, [])
    for chat in people:
        [copy] = [m for m in await town.live.sandbox.transcript(chat) if m.from_bot]
        assert copy.deleted
    assert await states(town, queued.alert_id) == {DeliveryState.RECALLED: 3}


async def test_copies_older_than_48_hours_are_not_recalled_and_are_reported(
    fragile_town: Town,
) -> None:
    town = fragile_town
    cora = town.coordinator
    people = await crowd(town, 2)
    await cora.says("/help")
    # The first copy fails (and is sent again two days later); the other arrives now.
    await town.live.sandbox.inject_fault("sendMessage", kind="500", count=1)
    queued = await queue(town, people, expires_at=town.live.clock.now() + timedelta(days=4))
    assert await settled(town, queued.alert_id) == {DeliveryState.SENT: 1, DeliveryState.FAILED: 1}
    [early] = await sent_to(town, queued.alert_id)
    [late] = set(people) - {early}
    await town.live.advance(timedelta(hours=49))
    progress = await watch(town, queued.alert_id, greet=False)
    await cora.press("Show failed", on=progress)
    details = await cora.next_reply()
    await cora.press("Retry failed", on=details)
    await final(town, progress, "Done: 2 sent")

    question = await cora.presses("Recall", on=progress)
    assert "1 were delivered more than 48 hours ago" in question.body
    await cora.press("Yes, recall it", on=question)
    shown = await final(town, progress, "Recalled 1 copy")
    assert "Recalled 1 copy; 1 was older than 48 hours and could not be deleted." in shown.body

    [old] = [m for m in await town.live.sandbox.transcript(early) if m.from_bot]
    [young] = [m for m in await town.live.sandbox.transcript(late) if m.from_bot]
    assert young.deleted and not old.deleted
    assert await states(town, queued.alert_id) == {
        DeliveryState.RECALLED: 1,
        DeliveryState.SENT: 1,
    }


async def test_cancel_and_recall_are_refused_to_anyone_but_its_coordinators(town: Town) -> None:
    people = await crowd(town, 2)
    queued = await queue(town, people)
    progress = await watch(town, queued.alert_id)
    await final(town, progress)
    alert_id = queued.alert_id

    presses = [
        FollowUpCallback(alert_id=alert_id, action=FollowUp.CANCEL),
        FollowUpCallback(alert_id=alert_id, action=FollowUp.RECALL),
        ConfirmCallback(alert_id=alert_id, action=FollowUp.CANCEL, go=True),
        ConfirmCallback(alert_id=alert_id, action=FollowUp.RECALL, go=True),
        ConfirmCallback(alert_id=alert_id, action=FollowUp.RECALL, go=False),
    ]
    for someone, refusal in (
        (town.trader, "doesn't include this"),
        (town.partner, "doesn't include this"),
        (town.suspended, "suspended"),
        (town.other_coordinator, "Only coordinators of Market Town Shop Watch"),
        (town.resident, "only for approved members"),
    ):
        for press in presses:
            assert refusal in (await presses_forged(someone, press))["text"]

    missing = ConfirmCallback(alert_id=alert_id + 1000, action=FollowUp.CANCEL, go=True)
    assert "no longer exists" in (await presses_forged(town.coordinator, missing))["text"]
    assert await states(town, alert_id) == {DeliveryState.SENT: 2}
    assert await all_clear_of(town, alert_id) is None
    assert (await alert_row(town, alert_id)).recall_requested_at is None


async def test_a_scheduled_alert_starts_at_its_time_with_its_progress_message(
    town: Town,
) -> None:
    cora = town.coordinator
    await cora.says("/help")
    people = await crowd(town, 3)
    start = town.live.clock.now() + timedelta(minutes=30)
    queued = await queue(town, people, scheduled_for=start)
    assert queued.scheduled
    for chat in people:
        await town.live.sandbox.assert_no_message(chat, within=0.3)
    assert await states(town, queued.alert_id) == {}, "its recipients are found at its time"

    await town.live.advance(timedelta(minutes=31))
    progress = await cora.next_reply()
    assert HEADLINE in progress.body
    for chat in people:
        assert HEADLINE in (await town.live.sandbox.wait_for_message(chat, timeout=WAIT)).body
    done = await final(town, progress) if "Done" not in progress.body else progress
    assert "Done: 3 sent" in done.body

    async def remembered() -> bool:
        row = await alert_row(town, queued.alert_id)
        return row.progress_message_id == progress.message_id

    await town.live.eventually(remembered, within=WAIT)
    row = await alert_row(town, queued.alert_id)
    assert row.started_at is not None and row.started_at >= start
    await cora.hears_nothing()
