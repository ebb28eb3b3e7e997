"""The shape of the delivery engine: what it sends through and how it keeps to the limits.

An alert is written with one `deliveries` row per recipient in a single transaction; workers
claim pending rows, pace sends through a shared limiter, and record each outcome.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Protocol


class SendOutcome(StrEnum):
    """What happened to one attempt to send one copy."""

    SENT = "sent"
    # Telegram's flood control (429): nothing was sent; every sender waits `retry_after`.
    RATE_LIMITED = "rate_limited"
    # A server error, a timeout or a dropped connection: try again later, a bounded number of
    # times (the copy may or may not have arrived).
    RETRY_LATER = "retry_later"
    BLOCKED = "blocked"
    FAILED = "failed"


class DeleteOutcome(StrEnum):
    """What happened to one attempt to delete a delivered copy."""

    DELETED = "deleted"
    GONE = "gone"
    RATE_LIMITED = "rate_limited"
    RETRY_LATER = "retry_later"
    FAILED = "failed"


@dataclass(frozen=True)
class OutgoingMessage:
    """One copy of an alert, addressed to one chat."""

    chat_id: int
    text: str
    photo_file_id: str | None = None
    silent: bool = False
    protect_content: bool = False
    paid: bool = False


@dataclass(frozen=True)
class SendResult:
    """The messenger's answer to one send."""

    outcome: SendOutcome
    message_id: int | None = None
    retry_after: float | None = None
    error: str | None = None


@dataclass(frozen=True)
class DeleteResult:
    """The messenger's answer to one deletion."""

    outcome: DeleteOutcome
    retry_after: float | None = None
    error: str | None = None


class Transport(Protocol):
    """Sends and deletes messages on one messenger (Telegram today)."""

    async def send(self, message: OutgoingMessage) -> SendResult: ...

    async def delete(self, chat_id: int, message_id: int) -> DeleteResult: ...

    async def close(self) -> None: ...


class ChatKind(IntEnum):
    """Which per-chat limit a send counts against."""

    PRIVATE = 0
    GROUP = 1
    NONE = 2  # not a message send (a deletion): only the bot-wide bucket


@dataclass(frozen=True)
class SlotRequest:
    """One send that wants a slot: to which chat, and at which bot-wide rate."""

    chat_id: int
    kind: ChatKind
    paid: bool = False


class Verdict(IntEnum):
    """The limiter's answer for one requested send."""

    GO = 0  # send after `delay` seconds (the slot is reserved)
    CHAT_BUSY = 1  # this chat has had its share: ask again after `delay`
    LATER = 2  # the bot-wide schedule is full for now: ask again after `delay`
    PAUSED = 3  # Telegram asked everyone to wait: ask again after `delay`


@dataclass(frozen=True)
class Slot:
    """When one requested send may go, or when to ask again."""

    verdict: Verdict
    delay: float


class RateLimiter(Protocol):
    """Keeps every process together under the bot-wide, per-chat and per-group limits."""

    async def reserve(self, requests: Sequence[SlotRequest]) -> list[Slot]: ...

    async def pause_all(self, seconds: float) -> None: ...


class DeliveryWorker(Protocol):
    """Claims pending deliveries and sends them until told to stop."""

    async def run(self, stop: asyncio.Event) -> None: ...
