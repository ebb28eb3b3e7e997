"""Chats that refused a copy for good (403, chat not found): their subscriptions are paused.

Which subscriptions were switched off, and when, is written to the audit log in the same
transaction, so that exactly those can be switched back on when the person returns.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.enums import DeliveryState
from storage.models import Subscription
from storage.repositories.deliveries import Resolution

PAUSED_BY_BLOCK = "subscriptions.paused_by_block"


async def pause_unreachable(
    session: AsyncSession, resolutions: Sequence[Resolution], now: datetime
) -> int:
    """Switches off the active subscriptions of people a copy could not reach; returns how many."""
    people = sorted(
        {
            item.person_id
            for item in resolutions
            if item.state == DeliveryState.BLOCKED and item.person_id is not None
        }
    )
    if not people:
        return 0
    rows = await session.execute(
        update(Subscription)
        .where(Subscription.person_id.in_(people), Subscription.active.is_(True))
        .values(active=False)
        .returning(Subscription.id, Subscription.person_id)
        .execution_options(synchronize_session=False)
    )
    paused: dict[int, list[int]] = defaultdict(list)
    for subscription_id, person_id in rows.all():
        paused[int(person_id)].append(int(subscription_id))
    for person_id, subscription_ids in paused.items():
        await audit.record(
            session,
            actor_id=None,
            scheme_id=None,
            action=PAUSED_BY_BLOCK,
            object_type="person",
            object_id=person_id,
            details={"subscription_ids": sorted(subscription_ids)},
            at=now,
        )
    return sum(len(ids) for ids in paused.values())
