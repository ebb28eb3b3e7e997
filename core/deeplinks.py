"""The payloads that /start deep links carry."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.errors import InvalidInput

# Telegram allows 1-64 characters from A-Z, a-z, 0-9, _ and - in a start parameter.
_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_JOIN = re.compile(r"^join_([A-Za-z0-9]{6,32})$")


@dataclass(frozen=True)
class JoinScheme:
    """An invite to join a scheme, from `/start join_<code>`."""

    code: str


def parse_start_payload(payload: str | None) -> JoinScheme | None:
    """What a /start payload asks for; None for a plain /start."""
    if payload is None or payload == "":
        return None
    if not _PAYLOAD.fullmatch(payload):
        raise InvalidInput("That link is not one of ours, so I have ignored it.")
    joined = _JOIN.fullmatch(payload)
    if joined:
        return JoinScheme(code=joined.group(1))
    raise InvalidInput("That link is not one of ours, so I have ignored it.")
