"""What /healthz reports: can this process reach its database and Redis?"""

from __future__ import annotations

from redis.asyncio import Redis

from storage.db import Database


async def health_report(database: Database, redis: Redis | None) -> dict[str, str]:
    """ "ok", "not configured", or why a dependency is unreachable."""
    report = {"database": "ok", "redis": "not configured"}
    try:
        await database.ping()
    except Exception as error:
        report["database"] = f"unreachable ({type(error).__name__})"
    if redis is not None:
        try:
            await redis.ping()
            report["redis"] = "ok"
        except Exception as error:
            report["redis"] = f"unreachable ({type(error).__name__})"
    return report
