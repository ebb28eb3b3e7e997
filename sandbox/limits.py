"""Telegram's flood limits as token buckets over real monotonic time."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any

from sandbox.errors import too_many_requests


@dataclass
class LimitConfig:
    """Per-sandbox limits; every kind can be switched off.

    Defaults follow Telegram's published guidance: about 30 messages per second
    overall (1000 with ``allow_paid_broadcast``), about one message per second in a
    private chat (with a small burst) and 20 messages per minute in a group.
    """

    bot_enabled: bool = True
    bot_per_second: float = 30.0
    bot_burst: int = 30
    paid_enabled: bool = True
    paid_per_second: float = 1000.0
    paid_burst: int = 1000
    private_enabled: bool = True
    private_per_second: float = 1.0
    private_burst: int = 3
    group_enabled: bool = True
    group_per_minute: float = 20.0
    group_burst: int = 20

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def update(self, changes: dict[str, Any]) -> None:
        """Applies every change, or none of them if any is unknown or of the wrong type."""
        known = {f.name: f for f in fields(self)}
        checked: dict[str, Any] = {}
        for key, value in changes.items():
            if key not in known:
                raise ValueError(f"unknown limit setting {key!r}")
            current = getattr(self, key)
            try:
                if isinstance(current, bool):
                    if not isinstance(value, bool):
                        raise ValueError(f"{key} must be a boolean")
                    checked[key] = value
                elif isinstance(current, int):
                    checked[key] = int(value)
                else:
                    checked[key] = float(value)
            except (TypeError, ValueError) as error:
                raise ValueError(f"{key}: {error}") from None
        for key, value in checked.items():
            setattr(self, key, value)


class TokenBucket:
    """``capacity`` tokens, refilled at ``rate`` per second."""

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.stamp = now

    def _refill(self, now: float) -> None:
        # A bucket made during a check is stamped after that check's `now`: never refill
        # backwards (a one-message bucket would otherwise refuse its very first message).
        if now <= self.stamp:
            return
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait_time(self, amount: float, now: float) -> float:
        """Seconds until ``amount`` tokens are available (0 if now)."""
        self._refill(now)
        if self.tokens >= amount:
            return 0.0
        if self.rate <= 0:
            return math.inf
        return (amount - self.tokens) / self.rate

    def take(self, amount: float) -> None:
        self.tokens -= amount


class RateLimiter:
    """Checks a send of ``count`` messages to a chat; counts every breach."""

    def __init__(
        self, config: LimitConfig | None = None, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.config = config or LimitConfig()
        self._monotonic = monotonic
        self._buckets: dict[tuple[str, int, int], TokenBucket] = {}
        self.breaches: dict[str, int] = {"bot": 0, "paid": 0, "private": 0, "group": 0}

    def reset_buckets(self) -> None:
        self._buckets.clear()

    def reset(self) -> None:
        self._buckets.clear()
        for key in self.breaches:
            self.breaches[key] = 0

    def _bucket(
        self, kind: str, bot_id: int, chat_id: int, rate: float, burst: float
    ) -> TokenBucket:
        key = (kind, bot_id, chat_id)
        bucket = self._buckets.get(key)
        if bucket is None or bucket.rate != rate or bucket.capacity != burst:
            bucket = TokenBucket(rate, burst, self._monotonic())
            self._buckets[key] = bucket
        return bucket

    def check(
        self, bot_id: int, chat_id: int, is_private: bool, paid: bool, count: int = 1
    ) -> None:
        """Raise a 429 :class:`ApiError` if sending ``count`` messages breaches a limit."""
        cfg = self.config
        now = self._monotonic()
        checks: list[tuple[str, TokenBucket]] = []
        if paid:
            if cfg.paid_enabled:
                checks.append(
                    ("paid", self._bucket("paid", bot_id, 0, cfg.paid_per_second, cfg.paid_burst))
                )
        elif cfg.bot_enabled:
            checks.append(
                ("bot", self._bucket("bot", bot_id, 0, cfg.bot_per_second, cfg.bot_burst))
            )
        if is_private and cfg.private_enabled:
            bucket = self._bucket(
                "private", bot_id, chat_id, cfg.private_per_second, cfg.private_burst
            )
            checks.append(("private", bucket))
        if not is_private and cfg.group_enabled:
            bucket = self._bucket(
                "group", bot_id, chat_id, cfg.group_per_minute / 60.0, cfg.group_burst
            )
            checks.append(("group", bucket))
        worst = 0.0
        worst_kind = ""
        for kind, bucket in checks:
            wait = bucket.wait_time(min(count, bucket.capacity), now)
            if wait > worst:
                worst, worst_kind = wait, kind
        if worst > 0:
            self.breaches[worst_kind] += 1
            raise too_many_requests(max(1, math.ceil(min(worst, 86_400.0))))
        for _, bucket in checks:
            bucket.take(count)

    @property
    def total_breaches(self) -> int:
        return sum(self.breaches.values())
