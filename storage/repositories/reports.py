"""Resident reports, their history, and the case reviews they trigger."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core.enums import ReportCategory, ReportStatus
from storage.models import Area, CaseReview, Report


async def by_submission_key(session: AsyncSession, key: str) -> Report | None:
    """The report a conversation already filed under this key, if any."""
    result = await session.execute(select(Report).where(Report.submission_key == key))
    return result.scalar_one_or_none()


async def get(session: AsyncSession, report_id: int) -> Report | None:
    """A report with its photos and history, for showing in full."""
    result = await session.execute(
        select(Report)
        .options(selectinload(Report.photos), selectinload(Report.events))
        .where(Report.id == report_id)
    )
    return result.scalar_one_or_none()


async def get_for_update(session: AsyncSession, report_id: int) -> Report | None:
    """A report locked for a status change (PostgreSQL row lock; SQLite locks the file)."""
    result = await session.execute(
        select(Report)
        .options(selectinload(Report.events))
        .where(Report.id == report_id)
        .with_for_update()
    )
    return result.scalar_one_or_none()


async def in_category_since(
    session: AsyncSession, category: ReportCategory, since: datetime
) -> list[Report]:
    """Reports of a category filed since a moment: the candidates for "same problem"."""
    result = await session.execute(
        select(Report)
        .where(Report.category == category, Report.created_at >= since)
        .order_by(Report.id)
    )
    return list(result.scalars())


async def in_cluster(session: AsyncSession, root_id: int) -> list[Report]:
    """A cluster's root and every report linked to it."""
    result = await session.execute(
        select(Report)
        .where((Report.id == root_id) | (Report.cluster_id == root_id))
        .order_by(Report.id)
    )
    return list(result.scalars())


async def areas(session: AsyncSession) -> list[Area]:
    """Every area any scheme covers."""
    query = select(Area).options(selectinload(Area.scheme)).order_by(Area.id)
    return list((await session.execute(query)).scalars())


async def of_reporter(session: AsyncSession, reporter_id: int, limit: int) -> list[Report]:
    """A resident's own reports, newest first."""
    result = await session.execute(
        select(Report)
        .where(Report.reporter_id == reporter_id)
        .order_by(Report.id.desc())
        .limit(limit)
    )
    return list(result.scalars())


def _filtered(
    statuses: Collection[ReportStatus],
    category: ReportCategory | None,
    area_id: int | None,
    scheme_ids: Collection[int] | None,
) -> Select[Report]:
    query = select(Report).where(Report.status.in_(list(statuses)))
    if category is not None:
        query = query.where(Report.category == category)
    if area_id is not None:
        query = query.where(Report.area_id == area_id)
    if scheme_ids is not None:
        query = query.where(Report.scheme_id.in_(list(scheme_ids)) | Report.scheme_id.is_(None))
    return query


async def page(
    session: AsyncSession,
    *,
    statuses: Collection[ReportStatus],
    category: ReportCategory | None,
    area_id: int | None,
    scheme_ids: Collection[int] | None,
    offset: int,
    limit: int,
) -> tuple[list[Report], int]:
    """One page of reports matching the filters, newest first, and the total count."""
    query = _filtered(statuses, category, area_id, scheme_ids)
    total = await session.execute(select(func.count()).select_from(query.subquery()))
    rows = await session.execute(query.order_by(Report.id.desc()).offset(offset).limit(limit))
    return list(rows.scalars()), int(total.scalar_one())


async def open_case_review(
    session: AsyncSession,
    *,
    route: str,
    category: ReportCategory,
    reporter_id: int | None,
    since: datetime,
) -> list[CaseReview]:
    """Case reviews already flagged on this route and category within the window."""
    query = select(CaseReview).where(
        CaseReview.route == route,
        CaseReview.category == category,
        CaseReview.flagged_at >= since,
    )
    if reporter_id is not None:
        query = query.where(CaseReview.reporter_id == reporter_id)
    return list((await session.execute(query)).scalars())
