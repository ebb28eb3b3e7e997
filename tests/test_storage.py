"""The data model behaves the same on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, StatementError

from core.enums import (
    AlertMessageType,
    AlertState,
    AlertStatus,
    DeliveryState,
    MembershipStatus,
    ReportCategory,
    ReportStatus,
    Role,
    Severity,
)
from core.errors import NotFound
from core.invites import check_invite
from core.jobs import prune_job_history, run_once
from core.people import identify
from storage.db import Database
from storage.models import Alert, Delivery, JobRun, Membership, Person, Report, ReportEvent
from tests.support import factories


async def test_identify_inserts_then_refreshes_a_person(database: Database) -> None:
    async with database.sessions() as session:
        first = await identify(
            session,
            telegram_user_id=5_000_000_000,
            full_name="Asha",
            username=None,
            language_code="en",
            admin_user_ids=(),
        )
        again = await identify(
            session,
            telegram_user_id=5_000_000_000,
            full_name="Asha Patel",
            username="asha",
            language_code="en",
            admin_user_ids=(5_000_000_000,),
        )
    assert first.id == again.id
    assert again.is_admin and not first.is_admin
    assert again.roles == {Role.RESIDENT}
    async with database.sessions() as session:
        person = (await session.execute(select(Person))).scalar_one()
    assert (person.full_name, person.username) == ("Asha Patel", "asha")


async def test_concurrent_first_contacts_make_one_person(database: Database) -> None:
    async def contact() -> int:
        async with database.sessions() as session:
            context = await identify(
                session,
                telegram_user_id=77,
                full_name="Twin",
                username=None,
                language_code=None,
                admin_user_ids=(),
            )
            return context.id

    ids = await asyncio.gather(*(contact() for _ in range(5)))

    assert len(set(ids)) == 1


async def test_only_approved_memberships_give_roles(database: Database) -> None:
    async with database.sessions() as session:
        scheme = await factories.scheme(session)
        other = await factories.scheme(session, "Other Scheme")
        await factories.member(
            session,
            telegram_user_id=1,
            scheme_id=scheme.id,
            role=Role.TRADER,
            status=MembershipStatus.APPROVED,
        )
        await factories.member(
            session,
            telegram_user_id=2,
            scheme_id=other.id,
            role=Role.COORDINATOR,
            status=MembershipStatus.SUSPENDED,
        )
        trader = await identify(
            session,
            telegram_user_id=1,
            full_name="Member",
            username=None,
            language_code=None,
            admin_user_ids=(),
        )
        suspended = await identify(
            session,
            telegram_user_id=2,
            full_name="Member",
            username=None,
            language_code=None,
            admin_user_ids=(),
        )
    assert trader.roles == {Role.TRADER, Role.RESIDENT}
    assert suspended.roles == {Role.RESIDENT}
    assert not suspended.is_coordinator


async def test_a_person_cannot_join_the_same_scheme_twice(database: Database) -> None:
    async with database.sessions() as session:
        scheme = await factories.scheme(session)
        membership = await factories.member(
            session, telegram_user_id=3, scheme_id=scheme.id, role=Role.TRADER
        )
        with pytest.raises(IntegrityError):
            async with session.begin():
                session.add(
                    Membership(
                        person_id=membership.person_id,
                        scheme_id=scheme.id,
                        role=Role.COORDINATOR,
                        status=MembershipStatus.PENDING,
                    )
                )


async def test_times_come_back_aware_in_utc(database: Database) -> None:
    summer = datetime(2026, 7, 1, 18, 30, tzinfo=timezone(timedelta(hours=1)))
    async with database.sessions() as session, session.begin():
        report = Report(
            reference="SW-2026-000001",
            category=ReportCategory.STREET_DRINKING,
            occurred_at=summer,
            description="Group drinking by the benches every evening",
            status=ReportStatus.RECEIVED,
        )
        session.add(report)
    async with database.sessions() as session:
        stored = (await session.execute(select(Report))).scalar_one()
    assert stored.occurred_at == summer
    assert stored.occurred_at.tzinfo == UTC
    assert stored.occurred_at.hour == 17


async def test_a_naive_time_is_refused(database: Database) -> None:
    async with database.sessions() as session:
        with pytest.raises(StatementError, match="naive datetime"):
            async with session.begin():
                session.add(
                    Report(
                        reference="SW-2026-000002",
                        category=ReportCategory.NOISE,
                        occurred_at=datetime(2026, 1, 1, 12, 0),  # noqa: DTZ001
                        description="Loud music",
                        status=ReportStatus.RECEIVED,
                    )
                )


async def test_deleting_a_report_deletes_its_history(database: Database) -> None:
    async with database.sessions() as session, session.begin():
        report = Report(
            reference="SW-2026-000003",
            category=ReportCategory.FLY_TIPPING,
            occurred_at=datetime.now(UTC),
            description="Mattress dumped in the alley",
            status=ReportStatus.RECEIVED,
        )
        report.events.append(ReportEvent(kind="filed", to_status=ReportStatus.RECEIVED))
        session.add(report)
    async with database.sessions() as session, session.begin():
        await session.delete(await session.get(Report, report.id))
    async with database.sessions() as session:
        assert (await session.execute(select(ReportEvent))).first() is None


async def test_one_delivery_per_recipient_per_alert(database: Database) -> None:
    async with database.sessions() as session:
        async with session.begin():
            alert = Alert(
                status=AlertStatus.ACTUAL,
                message_type=AlertMessageType.ALERT,
                severity=Severity.MODERATE,
                headline="Two men stealing razors",
                description="Heading towards Market Street",
                state=AlertState.QUEUED,
                expires_at=datetime.now(UTC) + timedelta(hours=24),
            )
            session.add(alert)
            await session.flush()
            session.add(
                Delivery(alert_id=alert.id, chat_id=5_000_000_001, state=DeliveryState.PENDING)
            )
        with pytest.raises(IntegrityError):
            async with session.begin():
                session.add(
                    Delivery(alert_id=alert.id, chat_id=5_000_000_001, state=DeliveryState.PENDING)
                )


@pytest.mark.parametrize(
    ("changes", "usable"),
    [
        ({}, True),
        ({"expires_at": datetime.now(UTC) + timedelta(hours=1)}, True),
        ({"expires_at": datetime.now(UTC) - timedelta(seconds=1)}, False),
        ({"single_use": True, "uses": 0}, True),
        ({"single_use": True, "uses": 1}, False),
        ({"revoked_at": datetime.now(UTC)}, False),
    ],
)
async def test_invite_validity(
    database: Database, changes: dict[str, object], usable: bool
) -> None:
    async with database.sessions() as session:
        scheme = await factories.scheme(session)
        await factories.invite(session, scheme_id=scheme.id, code="CODE1234", **changes)  # type: ignore[arg-type]
        if usable:
            view = await check_invite(session, "CODE1234", datetime.now(UTC))
            assert view.scheme_name == scheme.name
        else:
            with pytest.raises(NotFound):
                await check_invite(session, "CODE1234", datetime.now(UTC))


async def test_an_unknown_invite_is_not_found(database: Database) -> None:
    async with database.sessions() as session:
        with pytest.raises(NotFound, match="ask your scheme coordinator"):
            await check_invite(session, "NOPE0000", datetime.now(UTC))


async def test_a_job_slot_runs_once_however_many_processes_trigger_it(
    database: Database,
) -> None:
    runs: list[str] = []

    async def work(worker: str) -> bool:
        async def body(_session: object) -> str:
            runs.append(worker)
            await asyncio.sleep(0)
            return "done"

        return await run_once(
            database.sessions, job="digest", slot="2026-11-22", worker=worker, work=body
        )

    outcomes = await asyncio.gather(*(work(f"worker-{n}") for n in range(4)))

    assert sorted(outcomes) == [False, False, False, True]
    assert len(runs) == 1
    async with database.sessions() as session:
        row = (await session.execute(select(JobRun))).scalar_one()
    assert row.claimed_by == runs[0] and row.outcome == "done" and row.finished_at is not None


async def test_a_failed_job_is_recorded_as_failed(database: Database) -> None:
    async def broken(_session: object) -> str:
        raise RuntimeError("boom")

    assert await run_once(database.sessions, job="purge", slot="s", worker="w", work=broken)
    async with database.sessions() as session:
        row = (await session.execute(select(JobRun))).scalar_one()
    assert row.outcome == "failed"


async def test_old_job_history_is_pruned(database: Database) -> None:
    now = datetime.now(UTC)
    async with database.sessions() as session:
        async with session.begin():
            session.add(
                JobRun(job="a", slot="old", claimed_by="w", started_at=now - timedelta(days=31))
            )
            session.add(
                JobRun(job="a", slot="new", claimed_by="w", started_at=now - timedelta(days=29))
            )
        outcome = await prune_job_history(session, now)
        slots = (await session.execute(select(JobRun.slot))).scalars().all()
    assert outcome == "removed 1 old job runs"
    assert slots == ["new"]
