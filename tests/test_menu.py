"""Which actions each kind of person is offered."""

from __future__ import annotations

import pytest
from aiogram.filters.callback_data import CallbackData

import handlers
from core.deeplinks import JoinScheme, parse_start_payload
from core.enums import Role
from core.errors import InvalidInput
from core.menu import Action, actions_for

EVERYTHING = frozenset(Action)


def test_a_resident_is_offered_reporting_and_their_own_data() -> None:
    assert actions_for({Role.RESIDENT}, is_admin=False, available=EVERYTHING) == [
        Action.REPORT,
        Action.MY_REPORTS,
        Action.SUBSCRIBE,
        Action.MY_DATA,
        Action.DELETE_ME,
        Action.HELP,
        Action.PRIVACY,
    ]


def test_a_coordinator_sees_their_tools_first_and_nothing_twice() -> None:
    actions = actions_for(
        {Role.COORDINATOR, Role.TRADER, Role.RESIDENT}, is_admin=False, available=EVERYTHING
    )

    assert actions[:2] == [Action.REPORTS, Action.BROADCAST]
    assert len(actions) == len(set(actions))
    assert Action.NEW_SCHEME not in actions


def test_an_admin_can_create_schemes() -> None:
    assert actions_for({Role.RESIDENT}, is_admin=True, available=EVERYTHING)[0] == (
        Action.NEW_SCHEME
    )


def test_actions_this_deployment_does_not_serve_are_left_out() -> None:
    available = {Action.HELP, Action.PRIVACY}
    assert actions_for({Role.COORDINATOR}, is_admin=True, available=available) == [
        Action.HELP,
        Action.PRIVACY,
    ]


def test_start_payloads() -> None:
    assert parse_start_payload(None) is None
    assert parse_start_payload("") is None
    assert parse_start_payload("join_ABC123") == JoinScheme(code="ABC123")
    for bad in ("join_", "join_abc", "join_" + "a" * 33, "hello", "join_abc$123", "x" * 65):
        with pytest.raises(InvalidInput):
            parse_start_payload(bad)


def _payload_classes(cls: type[CallbackData]) -> list[type[CallbackData]]:
    found: list[type[CallbackData]] = []
    for sub in cls.__subclasses__():
        found += [sub, *_payload_classes(sub)]
    return found


def test_every_button_payload_has_its_own_prefix() -> None:
    assert handlers.get_routers()  # every handler module, and so every payload class, imported
    prefixes = [str(payload.__prefix__) for payload in _payload_classes(CallbackData)]

    assert len(prefixes) > 20
    assert len(prefixes) == len(set(prefixes)), sorted(prefixes)
