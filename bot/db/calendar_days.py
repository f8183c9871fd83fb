"""Days off and make-up working days an admin set (table calendar_days, migration 0013_calendar_days).
Keyword-only, take the caller's session, flush at most, never commit."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import CalendarDay, CalendarDayKind


async def all_days(session: AsyncSession) -> list[CalendarDay]:
    """Every adjustment, by date (a few a year: loaded whole)."""
    return list(await session.scalars(select(CalendarDay).order_by(CalendarDay.day)))


async def days_between(session: AsyncSession, *, first: date, last: date) -> list[CalendarDay]:
    return list(
        await session.scalars(
            select(CalendarDay).where(CalendarDay.day >= first, CalendarDay.day <= last).order_by(CalendarDay.day)
        )
    )


async def get_day(session: AsyncSession, *, day: date) -> CalendarDay | None:
    return await session.scalar(select(CalendarDay).where(CalendarDay.day == day))


async def put_day(
    session: AsyncSession,
    *,
    day: date,
    kind: CalendarDayKind,
    note: str | None,
    actor_tg_id: int | None,
    actor_name: str | None,
    now: datetime,
) -> tuple[CalendarDay, CalendarDayKind | None]:
    """Set the day's adjustment (replacing the one it had); returns it and the kind it had."""
    row = await get_day(session, day=day)
    before = row.kind if row is not None else None
    if row is None:
        row = CalendarDay(day=day, kind=kind)
        session.add(row)
    row.kind, row.note, row.actor_tg_id, row.actor_name, row.at = kind, note, actor_tg_id, actor_name, now
    await session.flush()
    return row, before


async def delete_day(session: AsyncSession, *, day: date) -> bool:
    result = await session.execute(delete(CalendarDay).where(CalendarDay.day == day))
    return bool(result.rowcount)  # type: ignore[attr-defined]
