"""What a person can subscribe to: the report categories, Shop Watch warnings, or everything."""

from __future__ import annotations

from broadcast.audience import ALL_TOPICS
from core.errors import InvalidInput
from core.reports.categories import CATEGORIES

SHOP_WATCH = "shop_watch"

TOPIC_LABELS: dict[str, str] = {
    **{info.category.value: info.label for info in CATEGORIES},
    SHOP_WATCH: "Shop Watch warnings",
    ALL_TOPICS: "Everything",
}


def check_topic(topic: str) -> str:
    """The topic if it is one a person can choose; otherwise says it is not."""
    if topic not in TOPIC_LABELS:
        raise InvalidInput("That topic is not one you can subscribe to, so nothing changed.")
    return topic


def topic_label(topic: str) -> str:
    """The topic as people read it (its value if it is not known any more)."""
    return TOPIC_LABELS.get(topic, topic)
