"""A person blocking the bot (nothing more is sent to them) and unblocking it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.repositories import subscriptions as subscriptions_repo


async def bot_blocked(session: AsyncSession, telegram_user_id: int, *, now: datetime) -> None:
    """Stops alerts to someone who blocked the bot; their subscriptions stay as they were."""
    async with session.begin():
        await subscriptions_repo.set_bot_blocked(session, telegram_user_id, now)


async def bot_unblocked(session: AsyncSession, telegram_user_id: int) -> None:
    """Lets alerts reach someone again once they unblock the bot."""
    async with session.begin():
        await subscriptions_repo.set_bot_blocked(session, telegram_user_id, None)
