"""The shape of the delivery engine, before its implementation lands.

An alert is written with one `deliveries` row per recipient in a single transaction; workers
claim pending rows, pace sends through a shared limiter, and record each outcome.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class SendOutcome(StrEnum):
    """What happened to one attempt to send one copy."""

    SENT = "sent"
    RETRY_LATER = "retry_later"
    BLOCKED = "blocked"
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


class Transport(Protocol):
    """Sends and deletes messages on one messenger (Telegram today)."""

    async def send(self, message: OutgoingMessage) -> SendResult: ...

    async def delete(self, chat_id: int, message_id: int) -> bool: ...


class RateLimiter(Protocol):
    """Keeps every process together under the bot-wide, per-chat and per-group limits."""

    async def acquire(self, chat_id: int, *, is_group: bool, paid: bool) -> None: ...

    async def pause_all(self, seconds: float) -> None: ...


class DeliveryWorker(Protocol):
    """Claims pending deliveries and sends them until told to stop."""

    async def run(self, stop: asyncio.Event) -> None: ...
