"""Who an alert is for, as the coordinator chose it; stored with the alert as JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.enums import Role

# A subscription to this topic hears about every topic.
ALL_TOPICS = "all"


@dataclass(frozen=True)
class Audience:
    """The people (and group) an alert goes to; every part is optional and they add up.

    - `roles`: approved members of `scheme_id` with these roles, in private chat;
    - `include_group`: the scheme's linked Telegram group;
    - `subscribers`: people whose active subscriptions match `topics` (any topic if empty) in
      `area_ids` (the scheme's areas if empty, every area without a scheme), at or above
      their chosen severity; a subscription with no area matches everywhere;
    - `chat_ids`: named people, by Telegram user id (a test audience, say);
    - `delivered_of`: every chat that received alert `delivered_of` (for its update or ALL
      CLEAR), found by the database however many there are.

    Nobody who has blocked the bot or erased their data is included; anyone reached through
    several parts gets one copy.
    """

    scheme_id: int | None = None
    roles: tuple[Role, ...] = ()
    include_group: bool = False
    subscribers: bool = False
    area_ids: tuple[int, ...] = ()
    topics: tuple[str, ...] = ()
    chat_ids: tuple[int, ...] = ()
    delivered_of: int | None = None
    protect_content: bool = True
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_json(self) -> dict[str, Any]:
        """The JSON kept in `alerts.audience`."""
        return {
            "scheme_id": self.scheme_id,
            "roles": [role.value for role in self.roles],
            "include_group": self.include_group,
            "subscribers": self.subscribers,
            "area_ids": list(self.area_ids),
            "topics": list(self.topics),
            "chat_ids": list(self.chat_ids),
            "delivered_of": self.delivered_of,
            "protect_content": self.protect_content,
            **self.extra,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Audience:
        """The audience an alert was queued with."""
        known = {
            "scheme_id",
            "roles",
            "include_group",
            "subscribers",
            "area_ids",
            "topics",
            "chat_ids",
            "delivered_of",
            "protect_content",
        }
        return cls(
            scheme_id=data.get("scheme_id"),
            roles=tuple(Role(role) for role in data.get("roles", ())),
            include_group=bool(data.get("include_group", False)),
            subscribers=bool(data.get("subscribers", False)),
            area_ids=tuple(int(area) for area in data.get("area_ids", ())),
            topics=tuple(str(topic) for topic in data.get("topics", ())),
            chat_ids=tuple(int(chat) for chat in data.get("chat_ids", ())),
            delivered_of=data.get("delivered_of"),
            protect_content=bool(data.get("protect_content", True)),
            extra={key: value for key, value in data.items() if key not in known},
        )

    @property
    def is_empty(self) -> bool:
        """True when no part of the audience was chosen."""
        return not (
            (self.scheme_id is not None and (self.roles or self.include_group))
            or self.subscribers
            or self.chat_ids
            or self.delivered_of is not None
        )
