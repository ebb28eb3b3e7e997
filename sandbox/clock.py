"""The simulated clock: starts at real now, advances with real time, can be moved."""

from __future__ import annotations

import time


class SimClock:
    """Unix time as the sandbox sees it (message dates, 48-hour windows, link expiry).

    Rate limits do not use this clock: they use real monotonic time, as a bot faces.
    """

    def __init__(self) -> None:
        self._offset = 0.0

    def now(self) -> float:
        return time.time() + self._offset

    def now_int(self) -> int:
        return int(self.now())

    def advance(self, seconds: float) -> float:
        self._offset += seconds
        return self.now()

    def set(self, unix_time: float) -> float:
        self._offset = unix_time - time.time()
        return self.now()

    def reset(self) -> None:
        self._offset = 0.0
