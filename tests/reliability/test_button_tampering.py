"""Forged, replayed, expired and other people's buttons are refused and change nothing.

One table across the button families whose own test files do not already cover tampering
(see the report for which tests cover the rest). Every press must be answered with a
refusal (a toast, or a message in the presser's own chat), never with the "something went
wrong" apology; no database row may change; nobody else may receive or see an edited
message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from core.reports.categories import CATEGORIES
from handlers.errors import SORRY
from handlers.reports.callbacks import (
    MyReportCallback,
    QueueCallback,
    ReviewAction,
    ReviewCallback,
)
from sandbox.client import Message
from storage.db import Database
from storage.models import Base, Incident, Membership
from tests.support.incident_steps import post_quick_incident
from tests.support.live import Person
from tests.support.scheme_steps import apply, invite_link, request_for
from tests.support.town import Town

EXPIRED = "That button has expired"
HUGE = "9" * 30  # a number no row id can be: too big for BIGINT and for SQLite
SUPERSCRIPT_TWO = "²"  # str.isdigit() says yes, int() says no

# Rows that every update touches whoever sends it (who was last seen, which update came in):
# not state a button could change.
BOOKKEEPING = {"handled_updates", "conversation_marks", "job_runs"}


@dataclass
class Press:
    """Someone pressing a button with `data` under `on`, and the refusal they should see."""

    who: Person
    on: Message
    data: str | None
    refusal: str
    label: str | None = None  # press the real button with this label instead of forging


Scenario = Callable[[Town], Awaitable[list[Press]]]


async def snapshot(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the update bookkeeping."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    async with database.sessions() as session:
        for table in Base.metadata.sorted_tables:
            if table.name in BOOKKEEPING:
                continue
            found = await session.execute(select(table))
            rows[table.name] = sorted((tuple(map(repr, row)) for row in found), key=repr)
    return rows


async def chats_seen(town: Town) -> dict[int, list[tuple[int, int, bool]]]:
    """(message id, edit version, deleted) of the bot's messages in every chat of the town."""
    chats = [person.id for person in town.people.values()] + [town.resident.id, town.group.id]
    seen: dict[int, list[tuple[int, int, bool]]] = {}
    for chat in chats:
        transcript = await town.live.sandbox.transcript(chat)
        seen[chat] = [(m.message_id, m.version, m.deleted) for m in transcript if m.from_bot]
    return seen


async def answer_to(press: Press) -> str:
    """The toast the presser sees."""
    if press.label is not None:
        answer = await press.who.press(press.label, press.on)
    else:
        assert press.data is not None
        sandbox = press.who.live.sandbox
        query = await sandbox.press(
            press.who.id, press.on.message_id, chat_id=press.on.chat_id, data=press.data,
            forged=True,
        )  # fmt: skip
        answer = await sandbox.wait_for_callback_answer(query)
    return str(answer.get("text") or "")


async def messages_until_help(who: Person) -> list[str]:
    """What the bot sent the presser before answering a /help sent now (updates are in order)."""
    await who.live.sandbox.send_text(who.id, "/help")
    said: list[str] = []
    while True:
        reply = await who.next_reply()
        if reply.body.startswith("Here is what I can do for you:"):
            return said
        said.append(reply.body)


async def refused_and_nothing_changed(town: Town, press: Press) -> None:
    before_rows = await snapshot(town.database)
    before_chats = await chats_seen(town)

    toast = await answer_to(press)
    told = await messages_until_help(press.who)

    assert not toast.startswith(SORRY[:30]), f"{press.data}: the bot crashed instead of refusing"
    assert all(not said.startswith(SORRY[:30]) for said in told), (press.data, told)
    assert press.refusal in " | ".join([toast, *told]), (press.data, toast, told)
    after_rows = await snapshot(town.database)
    changed = {name for name, rows in after_rows.items() if before_rows[name] != rows}
    assert not changed, (
        press.data,
        {n: set(after_rows[n]) ^ set(before_rows[n]) for n in changed},
    )
    after_chats = await chats_seen(town)
    for chat, messages in before_chats.items():
        if chat == press.who.id:
            # The presser may be told something new; nothing already sent may change.
            assert after_chats[chat][: len(messages)] == messages
        else:
            assert after_chats[chat] == messages, f"{press.data} reached chat {chat}"


# --------------------------------------------------------------------------- the families

OPEN = ReviewAction.OPEN


async def menu(town: Town) -> list[Press]:
    """Main menu: nonsense after the prefix, and a coordinator's tool pressed by a resident."""
    rosa = town.resident
    start = await rosa.says("/start")
    return [
        Press(rosa, start, "m1:nonsense", "That button has expired"),
        Press(rosa, start, "m1:report:extra", "That button has expired"),
        Press(rosa, start, "m1:broadcast", "coordinator"),
        Press(rosa, start, "m1:members", "coordinator"),
    ]


async def report_steps(town: Town) -> list[Press]:
    """A resident's own report, with a sub-type index no button carries."""
    rosa = town.resident
    intro = await rosa.says("/report")
    with_subtypes = next(info for info in CATEGORIES if info.subtypes)
    subtypes = await rosa.presses(with_subtypes.label, on=intro)
    flow = subtypes.button("Skip")["callback_data"].split(":")[-1]
    refusal = "That isn't one of the options"
    return [
        Press(rosa, subtypes, f"r1:sub:{SUPERSCRIPT_TWO}:{flow}", refusal),
        Press(rosa, subtypes, f"r1:sub:{HUGE}:{flow}", EXPIRED),
        Press(rosa, subtypes, f"r1:sub:99:{flow}", refusal),
        Press(rosa, subtypes, f"r1:sub:-1:{flow}", refusal),
    ]


async def report_reviews(town: Town) -> list[Press]:
    """The coordinator's report queue, with report ids that cannot exist."""
    cora = town.coordinator
    queue = await cora.says("/reports")
    return [
        Press(cora, queue, ReviewCallback(action=OPEN, report_id=int(HUGE)).pack(), EXPIRED),
        Press(cora, queue, ReviewCallback(action=OPEN, report_id=987654321).pack(), "report"),
        Press(cora, queue, MyReportCallback(report_id=int(HUGE)).pack(), EXPIRED),
        Press(cora, queue, QueueCallback(area=int(HUGE)).pack(), EXPIRED),
    ]


async def incident_cards(town: Town) -> list[Press]:
    """The card in the scheme's group: invented and impossible incident ids."""
    await post_quick_incident(town.trader)
    card = await town.live.next_in_group(town.group)

    async def card_recorded() -> bool:
        async with town.database.sessions() as session:
            found = await session.execute(select(Incident.group_message_id))
            return found.scalar_one() == card.message_id

    await town.live.eventually(card_recorded)
    return [
        Press(town.second_trader, card, "i1c:seen:987654321", "incident"),
        Press(town.second_trader, card, f"i1c:det:{HUGE}", EXPIRED),
        Press(town.second_trader, card, "i1c:sneeze:1", "That button has expired"),
    ]


async def incident_manage(town: Town) -> list[Press]:
    """A coordinator's incident tools with ids that cannot exist."""
    cora = town.coordinator
    start = await cora.says("/start")
    return [
        Press(cora, start, f"i1m:res:{HUGE}", EXPIRED),
        Press(cora, start, "i1m:res:987654321", "incident"),
        Press(cora, start, f"i1o:{HUGE}", EXPIRED),
        Press(cora, start, "i1o:987654321", "incident"),
        Press(cora, start, f"g1a:{HUGE}", EXPIRED),
    ]


async def scheme_decisions(town: Town) -> list[Press]:
    """Approve pressed twice, and decisions about memberships that do not exist."""
    cora = town.coordinator
    link = await invite_link(cora)
    ula = await town.live.person("Ula")
    await apply(ula, link)
    request = await request_for(cora, "Ula")
    approve, reject = (request.button(label)["callback_data"] for label in ("Approve", "Reject"))
    approved = await cora.press("Approve", on=request)
    assert "Approved" in approved["text"] or approved["text"] == "", approved
    async with town.database.sessions() as session:
        membership = (
            (await session.execute(select(Membership).order_by(Membership.id.desc())))
            .scalars()
            .first()
        )
    assert membership is not None
    town.people["Ula"] = ula
    await messages_until_help(cora)
    await messages_until_help(ula)
    return [
        Press(cora, request, approve, "already approved"),
        Press(cora, request, reject, "already approved"),
        Press(cora, request, "s1d:ok:987654321:-1", "request"),
        Press(cora, request, f"s1d:ok:{HUGE}:-1", EXPIRED),
        Press(cora, request, f"s1a:suspend:{HUGE}::", EXPIRED),
        Press(cora, request, "s1a:suspend:987654321::", "member"),
        Press(cora, request, f"s1m:{HUGE}:0:0", EXPIRED),
    ]


async def broadcasts(town: Town) -> list[Press]:
    """The composer with values no button carries, and retry/recall of alerts that don't exist."""
    cora = town.coordinator
    start = await cora.says("/broadcast")
    flow = next(
        button["callback_data"].split(":")[-1]
        for row in (start.reply_markup or {}).get("rows", [])
        for button in row
        if str(button.get("callback_data", "")).startswith("b1c:")
    )
    return [
        Press(cora, start, f"b1c:sc:{SUPERSCRIPT_TWO}:{flow}", "older message"),
        Press(cora, start, f"b1c:sc:{HUGE}:{flow}", EXPIRED),
        Press(cora, start, f"b1d:{HUGE}:retry", EXPIRED),
        Press(cora, start, "b1d:987654321:retry", "alert"),
        Press(cora, start, f"b1f:{HUGE}:recall", EXPIRED),
        Press(cora, start, "b1k:987654321:recall:1", "alert"),
        Press(town.trader, await town.trader.says("/start"), "b1d:1:retry", "no longer exists"),
    ]


async def ended_conversations(town: Town) -> list[Press]:
    """Buttons of a report and of a warning pressed again after each was cancelled."""
    rosa, cora = town.resident, town.coordinator
    intro = await rosa.says("/report")
    with_subtypes = next(info for info in CATEGORIES if info.subtypes)
    subtypes = await rosa.presses(with_subtypes.label, on=intro)
    await rosa.presses("Cancel", on=subtypes)
    composing = await cora.says("/broadcast")
    cancel = next(label for row in composing.buttons for label in row if "Cancel" in label)
    await cora.presses(cancel, on=composing)
    pressable = [label for row in composing.buttons for label in row if label != cancel]
    return [
        Press(rosa, subtypes, None, "earlier message", label=with_subtypes.subtypes[0]),
        Press(rosa, subtypes, None, "earlier message", label="Skip"),
        Press(rosa, intro, None, "earlier message", label=with_subtypes.label),
        Press(cora, composing, None, "older message", label=pressable[0]),
    ]


async def someone_elses_conversation(town: Town) -> list[Press]:
    """Another person sends the data of Rosa's report buttons and Cora's composer buttons."""
    rosa, cora = town.resident, town.coordinator
    intro = await rosa.says("/report")
    subtypes = await rosa.presses(next(i for i in CATEGORIES if i.subtypes).label, on=intro)
    composing = await cora.says("/broadcast")
    tom = town.trader
    toms_menu = await tom.says("/start")
    olga = town.other_coordinator
    olgas_menu = await olga.says("/start")
    rosas = [b["callback_data"] for row in subtypes.reply_markup["rows"] for b in row]  # type: ignore[index]
    coras = [b["callback_data"] for row in composing.reply_markup["rows"] for b in row]  # type: ignore[index]
    return [
        *(Press(tom, toms_menu, data, "earlier message") for data in rosas),
        *(Press(tom, toms_menu, data, "older message") for data in coras[:2]),
        *(Press(olga, olgas_menu, data, "older message") for data in coras[:2]),
    ]


async def subscriptions(town: Town) -> list[Press]:
    """/subscribe with areas no button carries."""
    rosa = town.resident
    screen = await rosa.says("/subscribe")
    refusal = "That area is not one you can choose"
    return [
        Press(rosa, screen, f"s1:area:{SUPERSCRIPT_TWO}:0", refusal),
        Press(rosa, screen, f"s1:area:{HUGE}:0", EXPIRED),
        Press(rosa, screen, "s1:area:987654321:0", "That area no longer exists"),
    ]


async def gallery(town: Town) -> list[Press]:
    """The gallery with entries and schemes that cannot exist."""
    tom = town.trader
    start = await tom.says("/start")
    return [
        Press(tom, start, f"g1:open:{HUGE}:1:0", EXPIRED),
        Press(tom, start, f"g1:open:{town.scheme_id}:987654321:0", "no longer in the gallery"),
        Press(tom, start, f"g1u:{HUGE}:0", EXPIRED),
        Press(tom, start, f"g1u:{town.scheme_id}:0", "coordinator"),
    ]


FAMILIES: dict[str, Scenario] = {
    "menu": menu,
    "report steps": report_steps,
    "report reviews": report_reviews,
    "incident cards": incident_cards,
    "incident manage": incident_manage,
    "scheme decisions and members": scheme_decisions,
    "broadcasts": broadcasts,
    "ended conversations": ended_conversations,
    "someone else's conversation": someone_elses_conversation,
    "subscriptions": subscriptions,
    "gallery": gallery,
}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("family", list(FAMILIES))
async def test_tampered_buttons_are_refused_and_change_nothing(town: Town, family: str) -> None:
    presses = await FAMILIES[family](town)
    assert presses
    for press in presses:
        await refused_and_nothing_changed(town, press)
