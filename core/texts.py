"""What the bot says, independent of the messenger that carries it."""

from __future__ import annotations

from collections.abc import Collection

from core.enums import Role
from core.menu import DESCRIPTIONS, Action

EMERGENCY_ADVICE = "In an emergency call 999; for non-emergency crime call 101."


def welcome(first_name: str, roles: Collection[Role]) -> str:
    """The greeting on /start."""
    name = first_name.strip() or "there"
    lines = [
        f"Hello {name}, this is ShopWatch.",
        "",
        "I help local people, shops and community safety teams keep the area safe: "
        "residents report problems and hear what happens next, Shop Watch members share "
        "incidents and warnings, and coordinators get the right message to the right people.",
        "",
        "I am not an emergency service. " + EMERGENCY_ADVICE,
    ]
    if Role.COORDINATOR in roles:
        lines += ["", "You are a coordinator: your scheme's tools are below."]
    elif Role.TRADER in roles:
        lines += ["", "You are an approved Shop Watch member."]
    lines += ["", "What would you like to do?"]
    return "\n".join(lines)


def help_text(actions: Collection[Action]) -> str:
    """The /help answer: every command this person can use."""
    lines = ["Here is what I can do for you:", ""]
    lines += [f"/{action.value} - {DESCRIPTIONS[action]}" for action in actions]
    lines += [
        "/cancel - stop whatever you are in the middle of",
        "",
        EMERGENCY_ADVICE,
    ]
    return "\n".join(lines)


DEFAULT_OFFENDER_RETENTION_MONTHS = 12
DEFAULT_REPORT_RETENTION_MONTHS = 24


def privacy_notice(
    *,
    offender_retention_months: int = DEFAULT_OFFENDER_RETENTION_MONTHS,
    report_retention_months: int = DEFAULT_REPORT_RETENTION_MONTHS,
) -> str:
    """The privacy notice, shown by /privacy and before anyone shares data."""
    return "\n".join(
        [
            "ShopWatch privacy notice",
            "",
            "What we store: your Telegram id, name and username; what you send in reports "
            "and incidents (text, places, times, photos); your scheme memberships and alert "
            "choices; and a log of who viewed or exported personal data.",
            "",
            "Why: to run your Shop Watch scheme and community safety reporting, under the "
            "partnership's legitimate interests and its crime-prevention duties. "
            "Information about offenders is shared only where it is necessary and "
            "proportionate.",
            "",
            "Who sees it: coordinators of your scheme and the partners they refer a report "
            "to. Offender details and photos are shown only to approved members of the same "
            "scheme, in private chat, protected from forwarding and deleted from the chat "
            "after a set time. Anonymous reports are never shown with your name.",
            "",
            f"How long: offender and exclusion information for {offender_retention_months} "
            "months after the last linked incident; personal details in resident reports "
            f"(your name, contact permission, exact place, photos and description) for "
            f"{report_retention_months} months after the report is filed. Then they are "
            "deleted, photos included; the report's reference, type, status and postcode "
            "district stay for statistics.",
            "",
            "Your rights: send /mydata for a copy of everything we hold about you, or "
            "/deleteme to have it erased (your reports stay, without anything that "
            "identifies you). You can also ask your scheme coordinator for either; they must "
            "answer within one month. You can complain to the Information Commissioner's "
            "Office (ico.org.uk).",
        ]
    )


def group_needs_rights(missing: Collection[str]) -> str:
    """Told in a group when the bot lacks admin rights it needs."""
    lines = [
        "Thanks for adding me. To run this as a Shop Watch group I need to be an admin "
        "with these rights:",
    ]
    lines += [f"- {text}" for text in missing]
    lines += ["", "A group admin can grant them in the group's settings, under Administrators."]
    return "\n".join(lines)


def group_ready(scheme_name: str | None) -> str:
    """Told in a group once the bot has every right it needs."""
    if scheme_name is not None:
        return f"I have every admin right I need here. This is the {scheme_name} group."
    return (
        "I have every admin right I need here. This group is not part of a scheme yet: "
        "a coordinator can link it to theirs."
    )


ANONYMOUS_IN_GROUP = (
    "You are posting anonymously as the group, so I can't tell who you are; nothing from "
    "the scheme is shown to an anonymous sender."
)
