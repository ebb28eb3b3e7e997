"""A town of 100,000 members for the update benchmark, written set-based, not through Telegram.

Four Shop Watch schemes, each covering two postcode districts; every person belongs to one
scheme (mostly approved traders, some partners and pending requests, two coordinators each),
and a third of them subscribe to their scheme's area.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import text

from storage.db import Database
from storage.models import Area, Scheme

SCHEMES = (
    ("Norwich City Shop Watch", ("NR1", "NR2")),
    ("Cambridge Centre Shop Watch", ("CB1", "CB2")),
    ("Ipswich Town Shop Watch", ("IP1", "IP4")),
    ("Colchester Shop Watch", ("CO1", "CO2")),
)
COORDINATORS_PER_SCHEME = 2


@dataclass(frozen=True)
class Town:
    """Who is in the seeded database, by Telegram id."""

    first_user: int
    members: int
    coordinators: tuple[int, ...]
    districts: tuple[str, ...]

    def pool(self, start: int, count: int) -> range:
        """`count` ordinary members' ids, `start` places after the coordinators."""
        first = self.first_user + len(self.coordinators) + start
        if first + count > self.first_user + self.members:
            raise ValueError("the pool is larger than the town")
        return range(first, first + count)


async def seed_town(database_url: str, first_user: int, members: int) -> Town:
    """Writes the schemes, areas, people, memberships and subscriptions; returns the town."""
    database = Database(database_url)
    now = datetime.now(UTC)
    last = first_user + members - 1
    coordinators = COORDINATORS_PER_SCHEME * len(SCHEMES)
    try:
        async with database.sessions() as session, session.begin():
            schemes = [Scheme(name=name) for name, _ in SCHEMES]
            session.add_all(schemes)
            await session.flush()
            areas = [
                Area(scheme_id=scheme.id, name=f"{name} centre", postcode_districts=list(districts))
                for scheme, (name, districts) in zip(schemes, SCHEMES, strict=True)
            ]
            session.add_all(areas)
            await session.flush()
            await session.execute(
                text(
                    "INSERT INTO people (telegram_user_id, full_name, created_at, updated_at) "
                    "SELECT n, 'Member ' || n, :now, :now "
                    "FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS g(n)"
                ),
                {"first": first_user, "last": last, "now": now},
            )
            # Scheme by remainder; the first people are coordinators, then one in ten is
            # waiting for approval, one in twenty a partner, the rest approved traders.
            scheme_ids = [scheme.id for scheme in schemes]
            await session.execute(
                text(
                    "INSERT INTO memberships (person_id, scheme_id, role, status, created_at) "
                    "SELECT p.id, (CAST(:schemes AS bigint[]))[1 + (p.telegram_user_id - :first) "
                    "% :count], "
                    "CASE WHEN p.telegram_user_id - :first < :coordinators THEN 'coordinator' "
                    "WHEN p.telegram_user_id % 20 = 7 THEN 'partner' ELSE 'trader' END, "
                    "CASE WHEN p.telegram_user_id - :first >= :coordinators "
                    "AND p.telegram_user_id % 10 = 3 THEN 'pending' ELSE 'approved' END, :now "
                    "FROM people p WHERE p.telegram_user_id BETWEEN :first AND :last"
                ),
                {
                    "schemes": scheme_ids,
                    "count": len(scheme_ids),
                    "first": first_user,
                    "last": last,
                    "coordinators": coordinators,
                    "now": now,
                },
            )
            await session.execute(
                text(
                    "INSERT INTO subscriptions (person_id, area_id, topic, min_severity, active, "
                    "created_at) "
                    "SELECT p.id, (CAST(:areas AS bigint[]))[1 + (p.telegram_user_id - :first) "
                    "% :count], 'shop_watch', 'minor', true, :now "
                    "FROM people p WHERE p.telegram_user_id BETWEEN :first AND :last "
                    "AND p.telegram_user_id % 3 = 0"
                ),
                {
                    "areas": [area.id for area in areas],
                    "count": len(areas),
                    "first": first_user,
                    "last": last,
                    "now": now,
                },
            )
        async with database.engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text("ANALYZE"))
    finally:
        await database.close()
    return Town(
        first_user=first_user,
        members=members,
        coordinators=tuple(range(first_user, first_user + coordinators)),
        districts=tuple(district for _, districts in SCHEMES for district in districts),
    )
