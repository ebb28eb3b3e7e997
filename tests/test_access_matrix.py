"""The access matrix: every kind of person against every Shop Watch command, in one place.

Each feature's own tests go deeper (buttons, forged presses, other schemes' objects); this
file shows at a glance that each standing is refused with its own reason and that each role
gets exactly what it allows, with nothing from Market Town leaking to anyone else.
"""

from __future__ import annotations

import pytest

from tests.support.live import Person
from tests.support.town import Town

COMMANDS = ("/incident", "/incidents", "/gallery", "/members", "/invite", "/newscheme", "/audit")

OPENS = {
    "/incident": "What kind of incident was it?",
    "/incidents": "Incidents in",
    "/gallery": "gallery",
    "/members": "Members of",
    "/invite": "What kind of invite link",
    "/newscheme": "What is the scheme called?",
    "/audit": "Audit log",
}

NOT_A_MEMBER = "This is only for approved members of a Shop Watch scheme."
PENDING = "Your request to join Market Town Shop Watch is waiting for a coordinator's approval."
REJECTED = "Your request to join Market Town Shop Watch was not approved"
SUSPENDED = "Your membership of Market Town Shop Watch is suspended"
NO_NEW_SCHEME = "Setting up a new scheme is for this deployment's admins and for coordinators"


def role_refusal(scheme: str, role: str) -> str:
    return f"Your role in {scheme} ({role}) doesn't include this."


def refused_everywhere(reason: str) -> dict[str, str]:
    expected = dict.fromkeys(COMMANDS, reason)
    expected["/newscheme"] = NO_NEW_SCHEME
    return expected


TRADER = role_refusal("Market Town Shop Watch", "trader")
PARTNER = role_refusal("Market Town Shop Watch", "partner")
OTHER_TRADER = role_refusal("Riverside Shop Watch", "trader")

# What each person gets from each command: the start of the feature, or their refusal.
MATRIX: dict[str, dict[str, str]] = {
    "resident": refused_everywhere(NOT_A_MEMBER),
    "pending": refused_everywhere(PENDING),
    "rejected": refused_everywhere(REJECTED),
    "suspended": refused_everywhere(SUSPENDED),
    "other_trader": {
        "/incident": OPENS["/incident"],
        "/incidents": "Incidents in Riverside Shop Watch",
        "/gallery": "The Riverside Shop Watch gallery",
        "/members": OTHER_TRADER,
        "/invite": OTHER_TRADER,
        "/newscheme": NO_NEW_SCHEME,
        "/audit": OTHER_TRADER,
    },
    "partner": {
        "/incident": PARTNER,
        "/incidents": "Incidents in Market Town Shop Watch",
        "/gallery": "The Market Town Shop Watch gallery",
        "/members": PARTNER,
        "/invite": PARTNER,
        "/newscheme": NO_NEW_SCHEME,
        "/audit": PARTNER,
    },
    "trader": {
        "/incident": OPENS["/incident"],
        "/incidents": "Incidents in Market Town Shop Watch",
        "/gallery": "The Market Town Shop Watch gallery",
        "/members": TRADER,
        "/invite": TRADER,
        "/newscheme": NO_NEW_SCHEME,
        "/audit": TRADER,
    },
    "coordinator": {command: OPENS[command] for command in COMMANDS},
}


@pytest.mark.parametrize("who", list(MATRIX))
async def test_each_standing_gets_exactly_what_its_role_allows(town: Town, who: str) -> None:
    person: Person = getattr(town, who)
    for command, expected in MATRIX[who].items():
        reply = await person.says(command)

        assert expected in reply.body, f"{who} {command}: {reply.body!r}"
        if who == "other_trader":
            assert "Market Town" not in reply.body, f"{command} leaked Market Town to Otto"
        if expected not in OPENS.values() and not expected.startswith(("Incidents", "The ")):
            assert reply.buttons == [], f"{who} {command} was refused but offered buttons"
        await person.says("/cancel")


GROUP_COMMANDS = ("/incident", "/incidents", "/gallery", "/linkgroup", "/members", "/audit")


async def test_service_accounts_and_other_bots_commands_get_nothing_in_the_group(
    town: Town,
) -> None:
    sandbox, group = town.live.sandbox, town.group
    for command in GROUP_COMMANDS:
        await sandbox.automatic_forward(group.id, command, channel_title="Market Town News")
        await sandbox.send_text(town.trader.id, f"{command}@some_other_bot", chat_id=group.id)

    sentinel = await town.coordinator.says_in(group, "/incident")

    assert sentinel.body.startswith("Please don't type details here")


@pytest.mark.parametrize("command", GROUP_COMMANDS)
async def test_anonymous_admins_are_told_to_use_their_own_account_and_see_no_data(
    town: Town, command: str
) -> None:
    sandbox, group = town.live.sandbox, town.group
    await sandbox.send_anonymous(town.coordinator.id, group.id, command)

    answer = await town.live.next_in_group(group)

    assert "Market Town Shop Watch gallery" not in answer.body
    assert "Incidents in" not in answer.body
    assert answer.reply_markup is None or all(
        "url" in button for row in answer.reply_markup["rows"] for button in row
    ), answer.buttons
