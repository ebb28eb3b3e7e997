"""Redis connections for conversation state, shared limits and locks."""

from __future__ import annotations

from redis.asyncio import Redis


def connect_redis(url: str) -> Redis:
    """A Redis client for the URL; nothing is sent until first use."""
    return Redis.from_url(url, socket_connect_timeout=5, health_check_interval=30)


async def ping_redis(redis: Redis) -> None:
    """Raises if Redis cannot be reached."""
    await redis.ping()
