"""How fast and how stubbornly the engine sends: one value object built from the settings."""

from __future__ import annotations

from dataclasses import dataclass

# The limiter allows a burst of this many seconds' worth of messages at the bot-wide rate. It
# is kept well under Telegram's own burst so that network jitter, which bunches requests up
# on the way, never pushes a burst over Telegram's limit.
BURST_SECONDS = 0.05
# Requests bunch up on the way to Telegram by a few milliseconds (more on a busy machine), and
# a send may go up to the worker's LATE_SECONDS after its slot; one chat's sends are spaced this
# much further apart than its limit so that they never arrive too close together.
CHAT_GUARD_SECONDS = 0.2
# Slots are never reserved further ahead than this, so that a pause, a cancel or a second
# process is taken into account quickly.
HORIZON_SECONDS = 1.0


@dataclass(frozen=True)
class Bucket:
    """A GCRA bucket: one send per `interval` seconds, `tolerance` seconds of burst."""

    interval: float
    tolerance: float

    @classmethod
    def per_second(cls, rate: float, burst: int = 1, guard: float = 0.0) -> Bucket:
        """A bucket allowing `rate` sends a second, `burst` of them back to back."""
        interval = 1.0 / rate
        return cls(interval=interval + guard, tolerance=interval * (max(burst, 1) - 1))


@dataclass(frozen=True)
class EngineConfig:
    """The engine's limits, retries and leases."""

    rate_per_second: float = 30.0
    paid_rate_per_second: float = 1000.0
    chat_per_second: float = 1.0
    group_per_minute: float = 20.0
    concurrency: int = 100
    max_attempts: int = 5
    retry_seconds: float = 2.0
    lease_seconds: float = 30.0
    send_timeout_seconds: float = 10.0
    horizon_seconds: float = HORIZON_SECONDS

    @property
    def free_bucket(self) -> Bucket:
        """Every unpaid send: the bot-wide free limit."""
        return Bucket.per_second(self.rate_per_second, int(self.rate_per_second * BURST_SECONDS))

    @property
    def paid_bucket(self) -> Bucket:
        """Sends with `allow_paid_broadcast`, which Telegram lets past the free limit."""
        rate = self.paid_rate_per_second
        return Bucket.per_second(rate, int(rate * BURST_SECONDS))

    @property
    def private_bucket(self) -> Bucket:
        """One private chat."""
        return Bucket.per_second(self.chat_per_second, guard=CHAT_GUARD_SECONDS)

    @property
    def group_bucket(self) -> Bucket:
        """One group."""
        return Bucket.per_second(self.group_per_minute / 60.0, guard=CHAT_GUARD_SECONDS)

    @property
    def claim_batch(self) -> int:
        """How many deliveries one claim takes: enough that the queue never runs dry."""
        return max(20, min(self.concurrency * 5, 500))
