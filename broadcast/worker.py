"""The delivery worker: claims copies from the outbox, paces them, sends them, records them.

Inside one worker:

- the claimer takes batches of due deliveries (`pending` to `sending`, leased to this worker);
- the pacer asks the limiter for slots, only as many as there are free send slots, so a slot
  is never reserved for a send that would have to wait for a connection;
- each sender waits for its slot, checks the alert is still live, sends, and holds its send
  slot until the outcome is committed: copies that reached Telegram without being recorded
  (the duplicates a crash can cause) never outnumber `concurrency`;
- the recorder commits outcomes in batches;
- maintenance renews leases, re-queues what dead workers left, stops copies of cancelled and
  expired alerts, and completes finished alerts; a recall loop deletes recalled copies.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import heapq
import logging
import os
import random
import secrets
import socket
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from broadcast.audience import Audience
from broadcast.blocking import pause_unreachable
from broadcast.config import EngineConfig
from broadcast.interface import (
    ChatKind,
    DeleteOutcome,
    OutgoingMessage,
    RateLimiter,
    SendOutcome,
    SendResult,
    SlotRequest,
    Transport,
    Verdict,
)
from broadcast.recovery import resend_abandoned, sweep
from broadcast.render import render_alert
from core.clock import Clock
from core.enums import AlertState, DeliveryState
from storage.models import Alert
from storage.outages import is_outage
from storage.repositories import alerts as alerts_repo
from storage.repositories import deliveries as deliveries_repo
from storage.repositories.deliveries import (
    ClaimedDelivery,
    RecallResolution,
    RecallTarget,
    Resolution,
)

logger = logging.getLogger(__name__)

RESERVE_BATCH = 64
# A send that wakes this much later than its slot gives the slot up (see _deliver).
LATE_SECONDS = 0.1
# A send slot is held until its outcome is committed (that bounds the duplicates a crash can
# cause), so the pacer hands freed slots out again and the recorder commits within milliseconds.
PACER_ROUND_SECONDS = 0.002
MAINTENANCE_SECONDS = 1.0
RECORD_BATCH = 500
RECORD_GATHER_SECONDS = 0.002
RECALL_BATCH = 50
RECALLS_AT_ONCE = 10
LONGEST_BACKOFF_SECONDS = 300.0
DATABASE_RETRY_SECONDS = 1.0


def freeze_startup_objects() -> None:
    """Keeps what a worker process loaded at startup out of every later garbage collection.

    Call once, when a process that only sends has started: a full collection otherwise walks
    every imported module's objects and stops sending for 40-60 ms (longer on a busy machine),
    long enough for sends to miss their slots.
    """
    gc.collect()
    gc.freeze()


def worker_name() -> str:
    """Identifies one worker in claimed rows and logs (several may share a process)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass
class LiveAlert:
    """What a worker needs to know about an alert it is sending."""

    id: int
    state: AlertState
    expires_at: datetime
    recall_requested: bool
    paid: bool
    text: str
    photo_file_id: str | None
    protect_content: bool

    @classmethod
    def from_row(cls, alert: Alert, tz: ZoneInfo) -> LiveAlert:
        """The alert as the worker keeps it."""
        return cls(
            id=alert.id,
            state=alert.state,
            expires_at=alert.expires_at,
            recall_requested=alert.recall_requested_at is not None,
            paid=alert.paid,
            text=render_alert(alert, tz),
            photo_file_id=alert.photo_file_id,
            protect_content=Audience.from_json(alert.audience).protect_content,
        )

    def stop_reason(self, now: datetime) -> str | None:
        """Why copies of this alert must not go out now, if they must not."""
        if self.state == AlertState.CANCELLED or self.recall_requested:
            return "the alert was cancelled"
        if self.expires_at <= now:
            return "the alert expired"
        return None

    def message_for(self, delivery: ClaimedDelivery) -> OutgoingMessage:
        """This alert's copy for one recipient."""
        return OutgoingMessage(
            chat_id=delivery.chat_id,
            text=self.text,
            photo_file_id=self.photo_file_id,
            silent=delivery.silent,
            protect_content=self.protect_content,
            paid=self.paid,
        )


@dataclass
class WorkerStats:
    """What one worker has done since it started."""

    claimed: int = 0
    sent: int = 0
    blocked: int = 0
    failed: int = 0
    retried: int = 0
    rate_limited: int = 0
    stopped: int = 0
    recalled: int = 0
    late: int = 0


@dataclass(order=True)
class _Deferred:
    not_before: float
    sequence: int
    delivery: ClaimedDelivery = field(compare=False)


class BroadcastWorker:
    """Sends alert copies from the outbox until told to stop."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        transport: Transport,
        limiter: RateLimiter,
        config: EngineConfig,
        clock: Clock,
        tz: ZoneInfo,
        name: str | None = None,
        poll_seconds: float = 0.5,
    ) -> None:
        self.sessions = sessions
        self.transport = transport
        self.limiter = limiter
        self.config = config
        self.clock = clock
        self.tz = tz
        self.name = name or worker_name()
        self.poll_seconds = poll_seconds
        self.stats = WorkerStats()
        self._ready: deque[ClaimedDelivery] = deque()
        self._deferred: list[_Deferred] = []
        self._sequence = 0
        self._held: dict[int, int] = {}  # delivery id -> alert id, until its outcome is saved
        self._in_flight: set[int] = set()
        self._alerts: dict[int, LiveAlert] = {}
        self._slots = asyncio.Semaphore(config.concurrency)
        self._senders: set[asyncio.Task[None]] = set()
        self._outcomes: asyncio.Queue[tuple[Resolution, asyncio.Future[None]]] = asyncio.Queue()
        self._paused_until = 0.0
        self._work_arrived = asyncio.Event()
        self._need_more = asyncio.Event()
        self._stopping = asyncio.Event()
        self._claiming = False
        self._last_heartbeat = 0.0
        self._last_rescue = -1e9

    async def run(self, stop: asyncio.Event) -> None:
        """Works until `stop` is set, then finishes what is in flight and hands back the rest."""
        logger.info("broadcast worker %s started", self.name)
        await self._guarded("startup sweep", self._maintain)
        loops = [
            asyncio.create_task(self._loop("claimer", self._claim_more)),
            asyncio.create_task(self._pace()),
            asyncio.create_task(self._loop("maintenance", self._maintain, MAINTENANCE_SECONDS)),
            asyncio.create_task(self._loop("recall", self._recall_some, MAINTENANCE_SECONDS)),
        ]
        recorder = asyncio.create_task(self._record())
        try:
            await stop.wait()
        finally:
            await self._shut_down(loops, recorder)
        logger.info("broadcast worker %s stopped", self.name)

    # ------------------------------------------------------------------ claiming
    async def _loop(
        self, name: str, step: Callable[[], Awaitable[float | None]], every: float = 0.0
    ) -> None:
        while not self._stopping.is_set():
            pause = await self._guarded(name, step)
            await self._rest(every if pause is None else pause)

    async def _rest(self, seconds: float) -> None:
        """Sleeps, waking early when the worker is told to stop."""
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _guarded(
        self, name: str, step: Callable[[], Awaitable[float | None]]
    ) -> float | None:
        try:
            return await step()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            if is_outage(error):
                logger.warning(
                    "broadcast %s step skipped, storage unavailable: %s",
                    name,
                    type(error).__name__,
                )
            else:
                logger.exception("broadcast %s step failed; trying again shortly", name)
            return DATABASE_RETRY_SECONDS

    async def _claim_more(self) -> float | None:
        """Claims a batch when the local backlog runs low; returns how long to wait."""
        batch = self.config.claim_batch
        backlog = len(self._ready) + len(self._deferred)
        if backlog < batch // 2:
            wanted = batch - backlog
            claimed = await self._claim(wanted)
            if len(claimed) >= wanted // 2:
                return 0.0
        self._need_more.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._need_more.wait(), self.poll_seconds)
        return 0.0

    async def _claim(self, limit: int) -> list[ClaimedDelivery]:
        now = self.clock.now()
        self._claiming = True
        try:
            async with self.sessions() as session, session.begin():
                claimed = await deliveries_repo.claim(
                    session, worker=self.name, now=now, limit=limit
                )
                new = sorted({d.alert_id for d in claimed if d.alert_id not in self._alerts})
                await alerts_repo.mark_sending(session, new, now)
                alerts = await alerts_repo.for_sending(session, new)
        finally:
            self._claiming = False
        # No await from here on: an alert is cached together with its claimed copies, and the
        # cache forgets only alerts with no copies in hand, never while a claim is under way.
        for alert in alerts:
            self._alerts[alert.id] = LiveAlert.from_row(alert, self.tz)
        for delivery in claimed:
            if delivery.id in self._held:
                continue
            self._held[delivery.id] = delivery.alert_id
            self._ready.append(delivery)
        if claimed:
            self.stats.claimed += len(claimed)
            self._work_arrived.set()
        return claimed

    # -------------------------------------------------------------------- pacing
    def _defer(self, delivery: ClaimedDelivery, not_before: float) -> None:
        self._sequence += 1
        heapq.heappush(self._deferred, _Deferred(not_before, self._sequence, delivery))
        self._work_arrived.set()

    def _promote_due(self, now: float) -> float | None:
        """Moves deferred copies that are due to the ready queue; returns the next due time."""
        while self._deferred and self._deferred[0].not_before <= now:
            self._ready.append(heapq.heappop(self._deferred).delivery)
        return self._deferred[0].not_before if self._deferred else None

    async def _next_ready(self) -> bool:
        """Waits for a copy to be ready to send; False when the worker is stopping."""
        loop = asyncio.get_running_loop()
        while not self._stopping.is_set():
            now = loop.time()
            if self._paused_until > now:
                await self._rest(self._paused_until - now)
                continue
            next_due = self._promote_due(now)
            if self._ready:
                return True
            self._work_arrived.clear()
            timeout = self.poll_seconds if next_due is None else max(next_due - now, 0.001)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._work_arrived.wait(), timeout)
        return False

    async def _pace(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stopping.is_set():
            await self._slots.acquire()
            slots = 1
            batch: list[ClaimedDelivery] = []
            round_started = loop.time()
            wait = 0.0
            try:
                if not await self._next_ready():
                    break
                round_started = loop.time()
                batch.append(self._ready.popleft())
                while self._ready and len(batch) < RESERVE_BATCH and not self._slots.locked():
                    await self._slots.acquire()
                    slots += 1
                    batch.append(self._ready.popleft())
                if len(self._ready) + len(self._deferred) < self.config.claim_batch // 2:
                    self._need_more.set()
                wait, slots = await self._dispatch(batch, slots)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("broadcast pacer failed; trying again shortly")
                wait = DATABASE_RETRY_SECONDS
            finally:
                for _ in range(slots):
                    self._slots.release()
            if wait > 0:
                await self._rest(wait)
            elif len(batch) < RESERVE_BATCH:
                # Let a few more send slots free up, so one limiter call serves several sends.
                await asyncio.sleep(max(0.0, round_started + PACER_ROUND_SECONDS - loop.time()))

    async def _dispatch(self, batch: list[ClaimedDelivery], slots: int) -> tuple[float, int]:
        """Reserves slots for a batch and starts its senders; returns (wait, slots unused)."""
        loop = asyncio.get_running_loop()
        now = self.clock.now()
        sendable: list[tuple[ClaimedDelivery, LiveAlert]] = []
        for delivery in batch:
            alert = self._alerts.get(delivery.alert_id)
            reason = "the alert is gone" if alert is None else alert.stop_reason(now)
            if reason is not None or alert is None:
                self._spawn(self._stop(delivery, reason or "the alert is gone"))
                continue
            sendable.append((delivery, alert))
        if not sendable:
            return 0.0, slots
        requests = [
            SlotRequest(
                chat_id=delivery.chat_id,
                kind=ChatKind.GROUP if delivery.is_group else ChatKind.PRIVATE,
                paid=alert.paid,
            )
            for delivery, alert in sendable
        ]
        try:
            verdicts = await self.limiter.reserve(requests)
        except Exception:
            self._ready.extendleft(reversed([delivery for delivery, _ in sendable]))
            raise
        wait = 0.0
        retry_first: list[ClaimedDelivery] = []
        for (delivery, alert), slot in zip(sendable, verdicts, strict=True):
            if slot.verdict == Verdict.GO:
                slots -= 1
                self._spawn(self._deliver(delivery, alert, slot.delay))
            elif slot.verdict == Verdict.CHAT_BUSY:
                self._defer(delivery, loop.time() + slot.delay)
            else:
                if slot.verdict == Verdict.PAUSED:
                    self._paused_until = max(self._paused_until, loop.time() + slot.delay)
                retry_first.append(delivery)
                wait = slot.delay if wait == 0 else min(wait, slot.delay)
        self._ready.extendleft(reversed(retry_first))
        return (max(wait, 0.001) if retry_first else 0.0), slots

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._senders.add(task)
        task.add_done_callback(self._senders.discard)

    # ------------------------------------------------------------------- sending
    async def _deliver(self, delivery: ClaimedDelivery, alert: LiveAlert, delay: float) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time() + delay
        try:
            if delay > 0:
                await asyncio.sleep(delay)
            if loop.time() - due > LATE_SECONDS:
                # The process stalled past this slot: sending now would bunch up with the sends
                # due now, so the copy asks for a fresh slot instead (the old one goes unused).
                self.stats.late += 1
                self._ready.appendleft(delivery)
                self._work_arrived.set()
                return
            reason = alert.stop_reason(self.clock.now())
            if reason is not None:
                await self._stop(delivery, reason)
                return
            if self._paused_until > loop.time():
                self._defer(delivery, self._paused_until)
                return
            self._in_flight.add(delivery.id)
            result = await self.transport.send(alert.message_for(delivery))
            await self._settle(delivery, result)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("sending delivery %s failed unexpectedly", delivery.id)
            self._in_flight.discard(delivery.id)
            self._defer(delivery, loop.time() + DATABASE_RETRY_SECONDS)
        finally:
            self._slots.release()

    async def _settle(self, delivery: ClaimedDelivery, result: SendResult) -> None:
        now = self.clock.now()
        attempts = delivery.attempts + 1
        outcome = result.outcome
        if outcome == SendOutcome.RATE_LIMITED:
            await self._pause(result.retry_after or 1.0)
            self._in_flight.discard(delivery.id)
            self._defer(delivery, self._paused_until)
            return
        if outcome == SendOutcome.SENT:
            self.stats.sent += 1
            resolution = Resolution(
                delivery.id,
                DeliveryState.SENT,
                attempts,
                telegram_message_id=result.message_id,
                sent_at=now,
            )
        elif outcome == SendOutcome.BLOCKED:
            self.stats.blocked += 1
            resolution = Resolution(
                delivery.id,
                DeliveryState.BLOCKED,
                attempts,
                last_error=result.error,
                person_id=delivery.person_id,
            )
        elif outcome == SendOutcome.RETRY_LATER and attempts < self.config.max_attempts:
            self.stats.retried += 1
            resolution = Resolution(
                delivery.id,
                DeliveryState.PENDING,
                attempts,
                last_error=result.error,
                next_attempt_at=now + timedelta(seconds=self._backoff(attempts)),
            )
        else:
            self.stats.failed += 1
            error = result.error or "failed"
            if outcome == SendOutcome.RETRY_LATER:
                error = f"gave up after {attempts} attempts: {error}"
            resolution = Resolution(delivery.id, DeliveryState.FAILED, attempts, last_error=error)
        await self._save(resolution)

    def _backoff(self, attempts: int) -> float:
        base = self.config.retry_seconds * 2.0 ** (attempts - 1)
        return min(base, LONGEST_BACKOFF_SECONDS) * random.uniform(0.8, 1.2)

    async def _pause(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        self.stats.rate_limited += 1
        self._paused_until = max(self._paused_until, loop.time() + seconds)
        logger.warning("Telegram asked to slow down: pausing every sender for %ss", seconds)
        try:
            await self.limiter.pause_all(seconds)
        except Exception:
            logger.exception("could not share the pause with other workers")

    async def _stop(self, delivery: ClaimedDelivery, reason: str) -> None:
        self.stats.stopped += 1
        await self._save(
            Resolution(delivery.id, DeliveryState.CANCELLED, delivery.attempts, last_error=reason)
        )

    async def _save(self, resolution: Resolution) -> None:
        """Queues an outcome and waits until it is committed."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        await self._outcomes.put((resolution, done))
        await done

    # ----------------------------------------------------------------- recording
    async def _record(self) -> None:
        loop = asyncio.get_running_loop()
        last_write = 0.0
        while True:
            batch = [await self._outcomes.get()]
            # Gather a few milliseconds' worth of outcomes into one transaction.
            await asyncio.sleep(max(0.0, last_write + RECORD_GATHER_SECONDS - loop.time()))
            last_write = loop.time()
            while not self._outcomes.empty() and len(batch) < RECORD_BATCH:
                batch.append(self._outcomes.get_nowait())
            while True:
                try:
                    async with self.sessions() as session, session.begin():
                        outcomes = [item for item, _ in batch]
                        now = self.clock.now()
                        await pause_unreachable(session, outcomes, now)
                        await deliveries_repo.resolve(session, outcomes, now)
                    break
                except asyncio.CancelledError:
                    raise
                except Exception:
                    logger.exception("could not record %s delivery outcomes; retrying", len(batch))
                    await asyncio.sleep(DATABASE_RETRY_SECONDS)
            for resolution, done in batch:
                self._held.pop(resolution.delivery_id, None)
                self._in_flight.discard(resolution.delivery_id)
                if not done.done():
                    done.set_result(None)
                self._outcomes.task_done()

    # --------------------------------------------------------------- maintenance
    async def _maintain(self) -> None:
        loop = asyncio.get_running_loop()
        now = self.clock.now()
        lease = self.config.lease_seconds
        if self._held and loop.time() - self._last_heartbeat >= lease / 4:
            async with self.sessions() as session, session.begin():
                await deliveries_repo.heartbeat(session, worker=self.name, now=now)
            self._last_heartbeat = loop.time()
        if loop.time() - self._last_rescue >= min(lease / 2, 5.0):
            await resend_abandoned(
                self.sessions, now=now, lease=timedelta(seconds=lease), worker=self.name
            )
            self._last_rescue = loop.time()
        await sweep(self.sessions, now=now, tz=self.tz)
        await self._refresh_alerts()

    async def _refresh_alerts(self) -> None:
        """Learns of cancels and recalls for the alerts in hand; forgets finished ones."""
        active = set(self._held.values())
        if not self._claiming:
            for alert_id in [alert_id for alert_id in self._alerts if alert_id not in active]:
                del self._alerts[alert_id]
        if not active:
            return
        async with self.sessions() as session, session.begin():
            standings = await alerts_repo.standings(session, sorted(active))
        for standing in standings:
            alert = self._alerts.get(standing.id)
            if alert is not None:
                alert.state = standing.state
                alert.expires_at = standing.expires_at
                alert.recall_requested = standing.recall_requested

    # -------------------------------------------------------------------- recall
    async def _recall_some(self) -> float:
        now = self.clock.now()
        async with self.sessions() as session, session.begin():
            targets = await deliveries_repo.claim_recalls(
                session,
                worker=self.name,
                now=now,
                lease=timedelta(seconds=self.config.lease_seconds),
                limit=RECALL_BATCH,
                max_attempts=self.config.max_attempts,
            )
        if not targets:
            return MAINTENANCE_SECONDS
        gate = asyncio.Semaphore(RECALLS_AT_ONCE)

        async def recall(target: RecallTarget) -> RecallResolution:
            async with gate:
                return await self._recall_one(target)

        resolutions = await asyncio.gather(*(recall(target) for target in targets))
        retry_at = self.clock.now() + timedelta(seconds=self.config.retry_seconds)
        async with self.sessions() as session, session.begin():
            await deliveries_repo.resolve_recalls(session, resolutions, retry_at=retry_at)
        self.stats.recalled += sum(1 for item in resolutions if item.recalled)
        return 0.0

    async def _recall_one(self, target: RecallTarget) -> RecallResolution:
        request = SlotRequest(chat_id=target.chat_id, kind=ChatKind.NONE)
        while True:
            [slot] = await self.limiter.reserve([request])
            await asyncio.sleep(slot.delay)
            if slot.verdict == Verdict.GO:
                break
        result = await self.transport.delete(target.chat_id, target.telegram_message_id)
        attempts = target.recall_attempts + 1
        if result.outcome in (DeleteOutcome.DELETED, DeleteOutcome.GONE):
            return RecallResolution(
                target.id, recalled=True, recall_attempts=attempts, recalled_at=self.clock.now()
            )
        if result.outcome == DeleteOutcome.RATE_LIMITED:
            await self._pause(result.retry_after or 1.0)
        elif result.outcome == DeleteOutcome.FAILED:
            attempts = self.config.max_attempts
        return RecallResolution(
            target.id,
            recalled=False,
            recall_attempts=attempts,
            last_error=f"recall: {result.error}",
        )

    # ------------------------------------------------------------------ stopping
    async def _shut_down(
        self, loops: list[asyncio.Task[None]], recorder: asyncio.Task[None]
    ) -> None:
        grace = self.config.send_timeout_seconds + self.config.horizon_seconds + 1.0
        self._stopping.set()
        self._need_more.set()
        self._work_arrived.set()
        _done, stuck = await asyncio.wait(loops, timeout=grace)
        for task in stuck:
            task.cancel()
        await asyncio.gather(*loops, return_exceptions=True)
        if self._senders:
            _done, late = await asyncio.wait(set(self._senders), timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._outcomes.join(), grace)
        recorder.cancel()
        await asyncio.gather(recorder, return_exceptions=True)
        unsent = [delivery for delivery in self._held if delivery not in self._in_flight]
        try:
            async with self.sessions() as session, session.begin():
                await deliveries_repo.release(session, unsent, worker=self.name)
            await sweep(self.sessions, now=self.clock.now())
        except Exception:
            logger.exception("could not hand back %s unsent deliveries", len(unsent))
