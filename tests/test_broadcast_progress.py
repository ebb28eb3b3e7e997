"""The coordinator watches an alert go out: one message, edited live, then a final summary."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from aiogram.filters.callback_data import CallbackData
from sqlalchemy import select

from broadcast.audience import Audience
from broadcast.outbox import AlertDraft, QueuedAlert, queue_alert
from core.enums import AlertState, DeliveryState, Role, Severity
from handlers.broadcasts.callbacks import FailedAction, FailedCallback
from sandbox.client import Message
from storage.db import Database
from storage.models import Alert, Delivery, Person
from tests.conftest import ADMIN_ID
from tests.support import factories
from tests.support.backends import Backend
from tests.support.live import Person as LivePerson
from tests.support.live import running_bot
from tests.support.town import Town, build_town

HEADLINE = "Shoplifter active on the High Street"
# Slow enough that an alert to a few dozen people takes several seconds.
SLOW_RATE = 5.0
WAIT = 30.0
_next_id = 880_000_000


@pytest.fixture
async def slow_town(backend: Backend, database: Database) -> AsyncIterator[Town]:
    """The town, with the bot sending broadcasts at a few copies a second."""
    mode = "polling" if backend.redis_url is None else "webhook"
    async with running_bot(
        backend, mode=mode, admin_user_ids=(ADMIN_ID,), broadcast_rate_per_second=SLOW_RATE
    ) as live:
        yield await build_town(live, database)


@pytest.fixture
async def fragile_town(backend: Backend, database: Database) -> AsyncIterator[Town]:
    """The town, with the bot giving up on a copy after its first failed attempt."""
    mode = "polling" if backend.redis_url is None else "webhook"
    async with running_bot(
        backend, mode=mode, admin_user_ids=(ADMIN_ID,), broadcast_max_attempts=1
    ) as live:
        yield await build_town(live, database)


async def crowd(town: Town, count: int) -> list[int]:
    """People who get alerts (started the bot, known to it): their Telegram ids."""
    global _next_id
    ids: list[int] = []
    for _ in range(count):
        _next_id += 1
        user = await town.live.sandbox.create_user(f"Neighbour {_next_id}", started=True)
        async with town.database.sessions() as session:
            await factories.person(session, telegram_user_id=user.id, name=user.first_name)
        ids.append(user.id)
    return ids


async def person_id(town: Town, telegram_user_id: int) -> int:
    """The `people` row of someone the bot knows."""
    async with town.database.sessions() as session:
        found = await session.scalar(
            select(Person.id).where(Person.telegram_user_id == telegram_user_id)
        )
    assert found is not None
    return found


async def queue(
    town: Town,
    chat_ids: Sequence[int] = (),
    *,
    audience: Audience | None = None,
    **changes: Any,
) -> QueuedAlert:
    """Queues Cora's alert to these people, as the composer does."""
    live = town.live
    draft = AlertDraft(
        headline=HEADLINE,
        description="A man in a grey hoodie is taking spirits from shelves.",
        severity=Severity.MODERATE,
        expires_at=live.clock.now() + timedelta(hours=6),
        audience=audience or Audience(chat_ids=tuple(chat_ids)),
        scheme_id=town.scheme_id,
        created_by_id=await person_id(town, town.coordinator.id),
    )
    async with town.database.sessions() as session:
        return await queue_alert(
            session, replace(draft, **changes), now=live.clock.now(), tz=live.settings.tz
        )


async def watch(town: Town, alert_id: int, *, greet: bool = True) -> Message:
    """Starts the progress message in Cora's chat, as the composer does; returns it."""
    from handlers.broadcasts.progress import start_progress

    live = town.live
    assert live.process.bot is not None
    if greet:
        # Cora has talked to the bot (she used /broadcast), so it may write to her.
        await town.coordinator.says("/help")
    async with town.database.sessions() as session:
        await start_progress(live.process.bot, session, alert_id, town.coordinator.id)
    return await town.coordinator.next_reply()


async def final(town: Town, progress: Message, marker: str = "Done:") -> Message:
    """The progress message once it shows `marker` (the final summary by default)."""
    # A short alert can be over before its progress message is first sent: then that first
    # version already shows the marker and is never edited.
    shown = await town.live.sandbox.message(progress.chat_id, progress.message_id)
    if marker in shown.body:
        return shown
    return await town.live.sandbox.wait_for_edit(
        progress.chat_id, progress.message_id, lambda m: marker in m.body, timeout=WAIT
    )


async def states(town: Town, alert_id: int) -> dict[DeliveryState, int]:
    """How many copies of the alert are in each state."""
    async with town.database.sessions() as session:
        rows = await session.execute(select(Delivery.state).where(Delivery.alert_id == alert_id))
        found: dict[DeliveryState, int] = {}
        for (state,) in rows.all():
            found[state] = found.get(state, 0) + 1
    return found


async def alert_row(town: Town, alert_id: int) -> Alert:
    """The alert as stored."""
    async with town.database.sessions() as session:
        alert = await session.get(Alert, alert_id)
    assert alert is not None
    return alert


async def test_the_progress_message_is_edited_live_then_summed_up(slow_town: Town) -> None:
    town = slow_town
    people = await crowd(town, 40)
    queued = await queue(town, people)

    progress = await watch(town, queued.alert_id)
    assert HEADLINE in progress.body
    assert "of 40" in progress.body
    assert progress.buttons == [["Send an update"], ["Cancel alert"], ["Recall"]]

    done = await final(town, progress)
    # At least one edit on the way, then the summary.
    assert done.version >= 2
    assert "Done: 40 sent · 0 blocked · 0 failed" in done.body
    assert done.buttons == [["Send an update"], ["Cancel alert"], ["Recall"]]
    row = await alert_row(town, queued.alert_id)
    assert (row.progress_chat_id, row.progress_message_id) == (
        town.coordinator.id,
        progress.message_id,
    )


async def test_intermediate_progress_shows_how_many_are_left(slow_town: Town) -> None:
    town = slow_town
    people = await crowd(town, 40)
    queued = await queue(town, people)
    progress = await watch(town, queued.alert_id)

    midway = await town.live.sandbox.wait_for_edit(
        progress.chat_id,
        progress.message_id,
        lambda m: "Sent " in m.body and "Done" not in m.body and "Sent 0 " not in m.body,
        timeout=WAIT,
    )
    assert "of 40 · 0 blocked · 0 failed" in midway.body
    assert "left" in midway.body
    await final(town, progress)


async def test_the_summary_counts_blocked_copies(town: Town) -> None:
    people = await crowd(town, 3)
    await town.live.sandbox.block(people[0])
    queued = await queue(town, people)
    progress = await watch(town, queued.alert_id)

    done = await final(town, progress)
    assert "Done: 2 sent · 1 blocked · 0 failed" in done.body
    assert ["Show failed"] not in done.buttons


async def failed_alert(town: Town) -> tuple[QueuedAlert, int]:
    """An alert whose only copy Telegram refused (the bot gives up after one attempt)."""
    [neighbour] = await crowd(town, 1)
    await town.coordinator.says("/help")
    await town.live.sandbox.inject_fault("sendMessage", kind="500", count=1)
    queued = await queue(town, [neighbour])
    await town.live.eventually(
        lambda: _has(town, queued.alert_id, DeliveryState.FAILED), within=WAIT
    )
    return queued, neighbour


async def presses_forged(someone: LivePerson, data: CallbackData) -> dict[str, Any]:
    """Presses a button no message of theirs carries, as a tampered client could."""
    hello = await someone.says("/help")
    query = await someone.live.sandbox.press(
        someone.id, hello.message_id, chat_id=hello.chat_id, data=data.pack(), forged=True
    )
    return await someone.live.sandbox.wait_for_callback_answer(query, timeout=WAIT)


async def _has(town: Town, alert_id: int, state: DeliveryState) -> bool:
    return state in await states(town, alert_id)


async def test_failed_copies_are_shown_and_sent_again(fragile_town: Town) -> None:
    town = fragile_town
    queued, neighbour = await failed_alert(town)
    progress = await watch(town, queued.alert_id, greet=False)
    assert "Done: 0 sent · 0 blocked · 1 failed (see details)" in progress.body
    assert ["Show failed"] in progress.buttons

    details = await town.coordinator.presses("Show failed", on=progress)
    assert f"chat {neighbour}" in details.body and "500" in details.body
    assert details.buttons == [["Retry failed"]]

    await town.coordinator.press("Retry failed", on=details)
    assert "Sending 1 failed copies again" in (await final(town, details, "again")).body
    done = await final(town, progress, "Done: 1 sent")
    assert "0 failed" in done.body
    assert HEADLINE in (await town.live.sandbox.wait_for_message(neighbour)).body


async def test_show_failed_is_refused_to_anyone_but_a_coordinator(fragile_town: Town) -> None:
    town = fragile_town
    queued, _ = await failed_alert(town)
    await watch(town, queued.alert_id, greet=False)

    for someone, refusal in (
        (town.trader, "doesn't include this"),
        (town.other_coordinator, "Only coordinators of Market Town Shop Watch"),
        (town.resident, "only for approved members"),
    ):
        show = FailedCallback(alert_id=queued.alert_id, action=FailedAction.SHOW)
        assert refusal in (await presses_forged(someone, show))["text"]
        retry = FailedCallback(alert_id=queued.alert_id, action=FailedAction.RETRY)
        assert refusal in (await presses_forged(someone, retry))["text"]
    assert await states(town, queued.alert_id) == {DeliveryState.FAILED: 1}


async def test_an_alert_to_the_scheme_shows_its_group_in_the_count(town: Town) -> None:
    for trader in (town.trader, town.second_trader):
        await trader.says("/help")
    queued = await queue(
        town, audience=Audience(scheme_id=town.scheme_id, roles=(Role.TRADER,), include_group=True)
    )
    progress = await watch(town, queued.alert_id)
    done = await final(town, progress)
    assert "Done: 3 sent · 0 blocked · 0 failed" in done.body
    assert (await alert_row(town, queued.alert_id)).state == AlertState.COMPLETED


async def test_the_job_runs_on_demand_without_harm(town: Town) -> None:
    people = await crowd(town, 2)
    queued = await queue(town, people)
    progress = await watch(town, queued.alert_id)
    await town.live.process.run_job_now("broadcast_progress")
    await town.live.process.run_job_now("broadcast_progress")
    done = await final(town, progress)
    assert "Done: 2 sent" in done.body
    assert await states(town, queued.alert_id) == {DeliveryState.SENT: 2}
