"""The main actions a person is offered, according to their roles."""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum

from core.enums import Role


class Action(StrEnum):
    """Something a person can start from the main menu; the value is its command."""

    REPORT = "report"
    MY_REPORTS = "myreports"
    SUBSCRIBE = "subscribe"
    INCIDENT = "incident"
    INCIDENTS = "incidents"
    GALLERY = "gallery"
    REPORTS = "reports"
    BROADCAST = "broadcast"
    MEMBERS = "members"
    AUDIT = "audit"
    INVITE = "invite"
    NEW_SCHEME = "newscheme"
    MY_DATA = "mydata"
    DELETE_ME = "deleteme"
    HELP = "help"
    PRIVACY = "privacy"


LABELS: dict[Action, str] = {
    Action.REPORT: "Report a problem",
    Action.MY_REPORTS: "My reports",
    Action.SUBSCRIBE: "Alerts I get",
    Action.INCIDENT: "Post an incident",
    Action.INCIDENTS: "Recent incidents",
    Action.GALLERY: "Offender gallery",
    Action.REPORTS: "Reports to review",
    Action.BROADCAST: "Send a warning",
    Action.MEMBERS: "Members",
    Action.AUDIT: "Audit log",
    Action.INVITE: "Invite a trader",
    Action.NEW_SCHEME: "New scheme",
    Action.MY_DATA: "My data",
    Action.DELETE_ME: "Delete my data",
    Action.HELP: "Help",
    Action.PRIVACY: "Privacy",
}

DESCRIPTIONS: dict[Action, str] = {
    Action.REPORT: "report anti-social behaviour, fly tipping and other local problems",
    Action.MY_REPORTS: "see your reports and what has happened to them",
    Action.SUBSCRIBE: "choose the areas and topics you hear about",
    Action.INCIDENT: "tell your Shop Watch scheme about an incident",
    Action.INCIDENTS: "search the scheme's incidents",
    Action.GALLERY: "view the scheme's persons of interest (members only)",
    Action.REPORTS: "review residents' reports and set their status",
    Action.BROADCAST: "warn traders, residents or partners",
    Action.MEMBERS: "approve, suspend or remove members",
    Action.AUDIT: "see who viewed, searched or exported personal data",
    Action.INVITE: "get an invite link for a new trader",
    Action.NEW_SCHEME: "set up a new Shop Watch scheme",
    Action.MY_DATA: "get a copy of what ShopWatch holds about you",
    Action.DELETE_ME: "erase what ShopWatch holds about you",
    Action.HELP: "what this bot can do",
    Action.PRIVACY: "what we store, why, and for how long",
}

_BY_ROLE: dict[Role, tuple[Action, ...]] = {
    Role.RESIDENT: (Action.REPORT, Action.MY_REPORTS, Action.SUBSCRIBE),
    Role.TRADER: (Action.INCIDENT, Action.INCIDENTS, Action.GALLERY, Action.SUBSCRIBE),
    Role.PARTNER: (Action.INCIDENTS, Action.GALLERY, Action.REPORTS),
    Role.COORDINATOR: (
        Action.REPORTS,
        Action.BROADCAST,
        Action.INCIDENTS,
        Action.GALLERY,
        Action.MEMBERS,
        Action.INVITE,
        Action.AUDIT,
    ),
}

_ROLE_ORDER = (Role.COORDINATOR, Role.PARTNER, Role.TRADER, Role.RESIDENT)


def actions_for(
    roles: Collection[Role], *, is_admin: bool, available: Collection[Action]
) -> list[Action]:
    """The actions to offer, most powerful role first, limited to what this deployment serves."""
    wanted: list[Action] = []
    if is_admin:
        wanted.append(Action.NEW_SCHEME)
    for role in _ROLE_ORDER:
        if role in roles:
            wanted.extend(_BY_ROLE[role])
    wanted.extend((Action.MY_DATA, Action.DELETE_ME, Action.HELP, Action.PRIVACY))
    seen: set[Action] = set()
    offered = []
    for action in wanted:
        if action in available and action not in seen:
            seen.add(action)
            offered.append(action)
    return offered
