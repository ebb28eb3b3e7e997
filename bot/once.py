"""One effect per Telegram update: a copy delivered again is not handled a second time.

Telegram delivers an update again when the bot did not confirm it (a webhook answer lost in
a crash, polling restarted before its offset was confirmed), and two instances behind a load
balancer may both receive it. The first copy claims the update_id in the database; the
others wait for its outcome and then do nothing, or take over if it failed or its process
died (it renews its claims every few seconds while handling them).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from aiogram import BaseMiddleware, Dispatcher
from aiogram.types import TelegramObject, Update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import utcnow
from storage.outages import is_outage
from storage.repositories import updates as updates_repo

logger = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]

# A claim not renewed for this long belongs to a process that died: another may take it.
CLAIM_LEASE = timedelta(seconds=6)
RENEW_EVERY_SECONDS = 2.0
# How long a copy waits for another process that is handling the same update.
WAIT_FOR_OTHER_SECONDS = 25.0
# Telegram keeps an undelivered update for 24 hours; claims are kept twice as long.
KEEP_CLAIMS = timedelta(hours=48)


class UpdateStillHandling(Exception):
    """Another process is still handling this update, so this copy must be delivered again."""

    def __init__(self, update_id: int) -> None:
        super().__init__(f"update {update_id} is still being handled elsewhere")
        self.update_id = update_id


def claimant_name() -> str:
    """Identifies this dispatcher in claims (two may share a process in tests)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class OncePerUpdate(BaseMiddleware):
    """Handles each update_id once across every process sharing the database."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        worker: str | None = None,
        lease: timedelta = CLAIM_LEASE,
        wait_seconds: float = WAIT_FOR_OTHER_SECONDS,
    ) -> None:
        self.sessions = sessions
        self.worker = worker or claimant_name()
        self.lease = lease
        self.wait_seconds = wait_seconds
        self.holding: set[int] = set()
        self._renewal: asyncio.Task[None] | None = None

    def renewed_by(self, dispatcher: Dispatcher) -> OncePerUpdate:
        """Keeps this process's claims fresh from the dispatcher's startup to its shutdown."""
        dispatcher.startup.register(self.start_renewing)
        dispatcher.shutdown.register(self.stop_renewing)
        return self

    async def start_renewing(self) -> None:
        """Starts renewing the claims this process holds."""
        if self._renewal is None or self._renewal.done():
            self._renewal = asyncio.create_task(self._renew(), name="renew-update-claims")

    async def stop_renewing(self) -> None:
        """Stops renewing (the process is stopping)."""
        if self._renewal is not None:
            self._renewal.cancel()
            await asyncio.gather(self._renewal, return_exceptions=True)
            self._renewal = None

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(RENEW_EVERY_SECONDS)
            if not self.holding:
                continue
            try:
                async with self.sessions() as session, session.begin():
                    await updates_repo.renew(session, worker=self.worker, now=utcnow())
            except Exception as error:
                logger.warning("could not renew update claims: %s", type(error).__name__)

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        update_id = event.update_id
        if not await self._claim(update_id):
            logger.info("update %s was handled already; this copy is ignored", update_id)
            return None
        self.holding.add(update_id)
        try:
            try:
                result = await handler(event, data)
            except BaseException:
                await asyncio.shield(self._release(update_id))
                raise
            await self._finish(update_id)
        finally:
            self.holding.discard(update_id)
        return result

    async def _finish(self, update_id: int) -> None:
        try:
            async with self.sessions() as session, session.begin():
                await updates_repo.finish(
                    session, update_id=update_id, worker=self.worker, now=utcnow()
                )
        except Exception as error:
            if not is_outage(error):
                raise
            # Handled, only not noted as done: answering 200 keeps Telegram from
            # delivering it again (a second effect); the claim lapses with its lease.
            logger.warning(
                "update %s handled but not noted as done, storage unavailable: %s",
                update_id,
                type(error).__name__,
            )

    async def _claim(self, update_id: int) -> bool:
        """True once this process holds the claim; False if the update was handled already."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.wait_seconds
        pause = 0.02
        while True:
            now = utcnow()
            async with self.sessions() as session, session.begin():
                if await updates_repo.claim(
                    session, update_id=update_id, worker=self.worker, now=now
                ):
                    return True
                held = await updates_repo.current(session, update_id)
                if held is not None and held.state == updates_repo.DONE:
                    return False
                # This worker's own claim on an update it is not handling is left over from
                # a failed attempt whose release failed too (the database went away).
                leftover = (
                    held is not None
                    and held.claimed_by == self.worker
                    and update_id not in self.holding
                )
                if (
                    held is not None
                    and (leftover or _expired(held.claimed_at, now, self.lease))
                    and await updates_repo.take_over(
                        session, stale=held, worker=self.worker, now=now
                    )
                ):
                    logger.warning(
                        "update %s: taking over from %s, which stopped answering",
                        update_id,
                        held.claimed_by,
                    )
                    return True
            if loop.time() >= deadline:
                raise UpdateStillHandling(update_id)
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.5)

    async def _release(self, update_id: int) -> None:
        try:
            async with self.sessions() as session, session.begin():
                await updates_repo.release(session, update_id=update_id, worker=self.worker)
        except Exception:
            # The claim then lapses with its lease and a later copy takes over.
            logger.warning("update %s: could not release its claim", update_id, exc_info=True)


def _expired(claimed_at: datetime, now: datetime, lease: timedelta) -> bool:
    return now - claimed_at >= lease


async def forget_handled_updates(session: AsyncSession, now: datetime) -> str:
    """Forgets claims older than Telegram could deliver a copy again."""
    async with session.begin():
        removed = await updates_repo.delete_before(session, now - KEEP_CLAIMS)
    return f"removed {removed} old update claims"
