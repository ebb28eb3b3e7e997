"""What the menu offers a given person in this deployment."""

from __future__ import annotations

from core.menu import Action, actions_for
from core.people import PersonContext

# The main-menu actions this deployment serves; each feature adds its own as it lands.
AVAILABLE_ACTIONS: frozenset[Action] = frozenset(
    {
        Action.HELP,
        Action.PRIVACY,
        Action.REPORT,
        Action.MY_REPORTS,
        Action.REPORTS,
        Action.NEW_SCHEME,
        Action.INVITE,
        Action.MEMBERS,
        Action.INCIDENT,
        Action.INCIDENTS,
        Action.GALLERY,
        Action.AUDIT,
        Action.BROADCAST,
        Action.SUBSCRIBE,
        Action.MY_DATA,
        Action.DELETE_ME,
    }
)


def offered_actions(person: PersonContext) -> list[Action]:
    """The main actions for this person's roles, limited to features that are switched on."""
    return actions_for(person.roles, is_admin=person.is_admin, available=AVAILABLE_ACTIONS)
