"""Focal points (đầu mối) of agencies: who answers for an agency, @mentioned in its reminders.

Repositories take the session and never commit. Leaving keeps the row (inactive): who was
a focal point, and since when, stays known.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import FocalPoint


async def get(session: AsyncSession, *, agency_id: int, tg_user_id: int) -> FocalPoint | None:
    return await session.scalar(
        select(FocalPoint).where(FocalPoint.agency_id == agency_id, FocalPoint.tg_user_id == tg_user_id)
    )


async def register(
    session: AsyncSession,
    *,
    agency_id: int,
    tg_user_id: int,
    name: str,
    username: str | None,
    registered_in: int,
    now: datetime,
    private_copy: bool | None = None,
) -> tuple[FocalPoint, bool]:
    """Register (or re-register) a person as a focal point; returns (row, newly active).

    `private_copy` None keeps the person's earlier choice."""
    row = await get(session, agency_id=agency_id, tg_user_id=tg_user_id)
    created = row is None or not row.active
    if row is None:
        row = FocalPoint(agency_id=agency_id, tg_user_id=tg_user_id, created_at=now, private_copy=False)
        session.add(row)
    row.name = name[:255]
    row.username = username
    row.registered_in = registered_in
    row.active = True
    row.updated_at = now
    if private_copy is not None:
        row.private_copy = private_copy
    await session.flush()
    return row, created


async def leave(session: AsyncSession, *, agency_id: int, tg_user_id: int, now: datetime) -> FocalPoint | None:
    """No longer a focal point (the row stays, inactive); None if they were not one."""
    row = await get(session, agency_id=agency_id, tg_user_id=tg_user_id)
    if row is None or not row.active:
        return None
    row.active = False
    row.private_copy = False
    row.updated_at = now
    await session.flush()
    return row


async def of_agencies(session: AsyncSession, agency_ids: Iterable[int]) -> dict[int, list[FocalPoint]]:
    """The active focal points of these agencies, in the order they registered."""
    ids = sorted(set(agency_ids))
    found: dict[int, list[FocalPoint]] = defaultdict(list)
    if not ids:
        return {}
    for row in await session.scalars(
        select(FocalPoint)
        .where(FocalPoint.agency_id.in_(ids), FocalPoint.active)
        .order_by(FocalPoint.agency_id, FocalPoint.created_at, FocalPoint.id)
    ):
        found[row.agency_id].append(row)
    return dict(found)
