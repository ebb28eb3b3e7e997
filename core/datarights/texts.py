"""What the data rights conversations say, independent of the messenger."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

NOTHING_HELD = (
    "I hold nothing about you apart from the Telegram name, username and id I note when "
    "you message me: no reports, memberships, incidents, alert choices or warnings sent to "
    "you. So there is no file to send."
)
KEPT_AS_IS = "Nothing was erased: your data is as it was."
EXPIRED = "That confirmation has expired, so nothing was erased. Send /deleteme to start again."
NOT_YOURS = (
    "That button belongs to an earlier conversation, so nothing was changed. "
    "Send /deleteme if you want your data erased."
)
ERASED = (
    "Done: I have erased your data. Your reports are kept without anything that identifies "
    "you. If you message me again you will be a new user; send /start to begin afresh."
)


@dataclass(frozen=True)
class ErasureOutline:
    """How much would be erased, and the schemes that would be left without a coordinator."""

    reports: int
    incidents: int
    sightings: int
    memberships: list[str]
    subscriptions: int
    waiting_alerts: int
    last_coordinator_of: list[str]


def _count(number: int, one: str, many: str | None = None) -> str:
    return f"{number} {one if number == 1 else many or one + 's'}"


def copy_caption(counts: dict[str, int], generated: str) -> str:
    """The message that comes with the copy of someone's data."""
    kinds = [
        ("memberships", "scheme membership"),
        ("reports", "report"),
        ("incidents", "incident"),
        ("sightings", "sighting"),
        ("subscriptions", "alert subscription"),
        ("alerts_received", "warning sent to you", "warnings sent to you"),
        ("audit_log", "audit log entry", "audit log entries"),
    ]
    held = [_count(counts[key], *names) for key, *names in kinds if counts.get(key)]
    lines = [
        f"Here is everything ShopWatch holds about you, as of {generated}.",
        "",
        "Your profile (name, username, Telegram id)"
        + (", " + ", ".join(held) if held else "")
        + ".",
        "",
        "The file is JSON: any text editor can open it. It also says what is left out and "
        "why (other people's details). To have your data erased, send /deleteme.",
    ]
    return "\n".join(lines)


def erasure_outline(outline: ErasureOutline) -> str:
    """What /deleteme will erase and what it keeps, before the person confirms."""
    erased = ["- your name, username, language, quiet hours and Telegram id"]
    if outline.memberships:
        erased.append(
            "- your membership of "
            + ", ".join(outline.memberships)
            + " (it ends) and the business details you gave"
        )
    if outline.subscriptions or outline.waiting_alerts:
        erased.append(
            f"- your alert choices ({_count(outline.subscriptions, 'subscription')}) and "
            f"{_count(outline.waiting_alerts, 'warning')} still waiting to be sent to you"
        )
    if outline.sightings:
        erased.append(f'- your {_count(outline.sightings, "sighting")} ("seen them too")')
    if outline.reports:
        erased.append(
            f"- from your {_count(outline.reports, 'report')}: your link to them, your contact "
            "permission, the exact place (only the postcode district and a pin rounded to "
            "about a kilometre stay), photos, your description and notes"
        )
    kept = []
    if outline.reports:
        kept.append(
            "- your reports' reference, type, status and dates, so coordinators' statistics "
            "and open cases still make sense"
        )
    if outline.incidents:
        kept.append(
            f"- the {_count(outline.incidents, 'incident')} you posted stay with the scheme, "
            "no longer linked to you or your business"
        )
    kept.append("- a record that an erasure was made (an internal number, nothing about you)")
    lines = [
        "Delete my data",
        "",
        "If you confirm, I will erase:",
        *erased,
        "",
        "What stays, without anything that identifies you:",
        *kept,
    ]
    if outline.last_coordinator_of:
        lines += [
            "",
            "Please note: you are the only coordinator of "
            + ", ".join(outline.last_coordinator_of)
            + ". After erasure it will have no coordinator until the deployment's "
            "administrators appoint one; I will tell them.",
        ]
    lines += [
        "",
        "This cannot be undone. If you message me afterwards you will be a new user.",
    ]
    return "\n".join(lines)


def no_coordinator_left(schemes: Sequence[str]) -> str:
    """Told to the deployment's administrators when an erasure leaves schemes unrun."""
    return (
        "A coordinator asked for their data to be erased, and "
        + ", ".join(schemes)
        + (" now has" if len(schemes) == 1 else " now have")
        + " no coordinator. Please appoint one (an approved member can be made coordinator "
        "under /members, or invite one with /invite)."
    )
