"""Gallery button payloads. Never trusted: every press re-checks the presser's membership."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class AddToGalleryCallback(CallbackData, prefix="g1a"):
    """A coordinator adding the people in an incident to the scheme's gallery."""

    incident_id: int
