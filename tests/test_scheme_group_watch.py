"""Someone joins a scheme's group without being approved: the coordinators hear of it."""

from __future__ import annotations

from sqlalchemy import select

from handlers.schemes.callbacks import RemoveNewcomerCallback
from storage.db import Database
from storage.models import AuditEntry, Person
from tests.support.scheme_steps import apply, invite_link, request_for
from tests.support.town import Town


async def status_in_group(town: Town, user_id: int) -> str:
    group = await town.live.sandbox.group(town.group.id)
    return next(
        (str(m["status"]) for m in group["members"] if m["user"]["id"] == user_id), "absent"
    )


async def test_an_unapproved_newcomer_is_reported_and_can_be_removed(
    town: Town, database: Database
) -> None:
    cora = town.coordinator
    await cora.says("/start")
    mallory = await town.live.sandbox.create_user("Mallory", username="mal")

    await town.live.sandbox.join(town.group.id, mallory.id)

    alert = await cora.next_reply()
    assert alert.body.startswith(
        "Mallory (@mal) joined Market Town Shop Watch but is not an approved member of "
        "Market Town Shop Watch."
    )
    assert alert.buttons == [["Remove from group"]]

    answer = await cora.press("Remove from group", on=alert)

    assert answer["text"] == "Removed from the group"
    edited = await town.live.sandbox.wait_for_edit(cora.id, alert.message_id)
    assert edited.body.endswith("Removed from the group by Cora.")
    assert await status_in_group(town, mallory.id) == "left", "removed, but not banned for good"
    async with database.sessions() as session:
        actions = list((await session.execute(select(AuditEntry.action))).scalars())
        names = set((await session.execute(select(Person.full_name))).scalars())
    assert actions[-2:] == ["group.unapproved_join", "group.removed_unapproved"]
    assert "Mallory" not in names, "someone who never used the bot is not stored"


async def test_members_of_other_schemes_and_pending_traders_are_reported_too(
    town: Town,
) -> None:
    cora = town.coordinator
    await cora.says("/start")

    for who in (town.other_trader, town.pending):
        await town.live.sandbox.join(town.group.id, who.id)
        alert = await cora.next_reply()
        assert f"{who.user.first_name} joined Market Town Shop Watch but is not" in alert.body


async def test_an_approved_trader_joining_through_their_link_raises_no_alert(town: Town) -> None:
    cora = town.coordinator
    link = await invite_link(cora)
    kay = await town.live.person("Kay")
    await apply(kay, link)
    await cora.press("Approve", on=await request_for(cora, "Kay"))
    welcome = await kay.next_reply()
    group_link = next(line for line in welcome.body.splitlines() if line.startswith("https://"))

    await town.live.sandbox.join_via_link(kay.id, group_link)

    await cora.hears_nothing()
    assert await status_in_group(town, kay.id) == "member"


async def test_only_a_coordinator_of_the_scheme_may_press_remove(town: Town) -> None:
    cora = town.coordinator
    await cora.says("/start")
    mallory = await town.live.sandbox.create_user("Mallory")
    await town.live.sandbox.join(town.group.id, mallory.id)
    await cora.next_reply()
    data = RemoveNewcomerCallback(scheme_id=town.scheme_id, user_id=mallory.id).pack()

    for who, told in (
        (town.trader, "(trader) doesn't include this"),
        (town.other_coordinator, "a scheme you are not a member of"),
        (town.suspended, "is suspended"),
    ):
        menu = await who.says("/start")
        query = await town.live.sandbox.press(who.id, menu.message_id, data=data, forged=True)
        answer = await town.live.sandbox.wait_for_callback_answer(query)
        assert told in answer["text"], (who.user, answer)

    assert await status_in_group(town, mallory.id) == "member"


async def test_a_newcomer_approved_since_the_alert_is_not_removed(town: Town) -> None:
    cora = town.coordinator
    link = await invite_link(cora)
    lee = await town.live.person("Lee")
    await town.live.sandbox.join(town.group.id, lee.id)
    alert = await cora.next_reply()
    assert "Lee joined" in alert.body
    await apply(lee, link)
    await cora.press("Approve", on=await request_for(cora, "Lee"))

    answer = await cora.press("Remove from group", on=alert)

    assert "since been approved" in answer["text"]
    assert await status_in_group(town, lee.id) == "member"
