"""What the subscription screens say."""

from __future__ import annotations

from collections.abc import Mapping

from core.subscriptions.choices import SERIOUS, Choices
from core.subscriptions.quiet import EXAMPLE, describe
from core.subscriptions.topics import TOPIC_LABELS, topic_label

EVERYWHERE = "Everywhere"

FIRST_TIME = (
    "Choose areas and topics, and I'll send you the warnings your local Shop Watch "
    "and community safety team put out about them."
)
NOTHING_CHOSEN = "You get no warnings at the moment."
# Only Extreme warnings ring through quiet hours: see broadcast.planner._silent.
QUIET_EXPLAINED = (
    "During your quiet hours warnings arrive silently (no sound or vibration), "
    "except Extreme and Severe ones, which always ring."
)
QUIET_PROMPT = f"Pick quiet hours below, or type your own start and end, like {EXAMPLE}."
AREAS_PROMPT = "Choose the areas you want warnings about (✅ marks your choices)."
TOPICS_PROMPT = "Choose what you want warnings about (✅ marks your choices)."
STALE = "That button has expired. Send /subscribe to see your choices."
DONE = "Saved."


def area_names(choices: Choices, names: Mapping[int, str]) -> str:
    """The chosen areas, Everywhere first."""
    parts = [EVERYWHERE] if None in choices.areas else []
    parts += sorted(
        names.get(area, "an area that no longer exists")
        for area in choices.areas
        if area is not None
    )
    return ", ".join(parts)


def topic_names(choices: Choices) -> str:
    """The chosen topics, in the order the menu lists them."""
    order = list(TOPIC_LABELS)
    ranked = sorted(choices.topics, key=lambda t: order.index(t) if t in order else len(order))
    return ", ".join(topic_label(topic) for topic in ranked)


def overview(choices: Choices, names: Mapping[int, str]) -> str:
    """The person's choices in a few lines."""
    if not choices.subscribed:
        lines = [FIRST_TIME if not choices.ever_subscribed else NOTHING_CHOSEN]
    else:
        serious = choices.severity == SERIOUS
        lines = [
            "Your warnings:",
            f"Areas: {area_names(choices, names)}",
            f"Topics: {topic_names(choices)}",
            f"How serious: {'only Severe and Extreme' if serious else 'all warnings'}",
        ]
    lines.append(f"Quiet hours: {describe(choices.quiet_start, choices.quiet_end)}")
    return "\n".join(lines)


def unsubscribed(count: int) -> str:
    """After "Unsubscribe from everything"."""
    plural = "subscription" if count == 1 else "subscriptions"
    return (
        f"Done: you are unsubscribed from everything ({count} {plural} stopped), so no "
        "warnings will reach you. Press Undo to get them back."
    )
