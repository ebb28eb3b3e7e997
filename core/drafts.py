"""What every guided conversation's draft shares: kept as JSON between steps, photos collected."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

MAX_PHOTOS = 5


def known_fields(draft_class: type, data: dict[str, Any] | None) -> dict[str, Any]:
    """The stored answers `draft_class` still has fields for (unknown ones dropped)."""
    names = {field.name for field in fields(draft_class)}
    return {name: value for name, value in (data or {}).items() if name in names}


def keep_photo(photos: list[list[str]], file_id: str, file_unique_id: str) -> bool:
    """Adds a photo unless it is a repeat or the limit is reached; True if kept."""
    if any(unique == file_unique_id for _, unique in photos):
        return False
    if len(photos) >= MAX_PHOTOS:
        return False
    photos.append([file_id, file_unique_id])
    return True
