"""A clock tests can move forward, handed to the bot process."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class MovableClock:
    """Real time plus however far the test has moved it."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, by: timedelta) -> None:
        """Moves time forward for the bot."""
        self.offset += by
