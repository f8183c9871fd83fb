"""The working-day calendar an admin can adjust without editing files: `/ngaynghi`,
`/ngaylambu` in the bot and `nhacviec calendar` on the command line write a day off or a
make-up working day into the database; `effective_calendar` lays those rows over the
package's holidays and data/holidays.yaml for every working-day computation (reminder
ticks, previews, the monthly report's first working day)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.db import calendar_days as repo
from bot.db.models import CalendarDay
from bot.db.session import AsyncSession
from bot.domain.calendar import DayKind as CalendarDayKind
from bot.domain.calendar import WorkCalendar
from bot.render import calendar as texts


async def effective_calendar(session: AsyncSession, base: WorkCalendar) -> WorkCalendar:
    """`base` with the admins' days from the database (they win)."""
    rows = await repo.all_days(session)
    if not rows:
        return base
    return base.with_adjustments(
        days_off=[r.day for r in rows if r.kind is CalendarDayKind.DAY_OFF],
        working_days=[r.day for r in rows if r.kind is CalendarDayKind.WORKING_DAY],
        names={r.day: r.note for r in rows if r.note},
    )


@dataclass(frozen=True)
class DayChange:
    day: date
    kind: CalendarDayKind
    note: str | None = None
    replaced: CalendarDayKind | None = None  # the admin's earlier entry for the day
    problem: str | None = None  # refused: why


async def set_day(
    session: AsyncSession,
    *,
    base: WorkCalendar,
    day: date,
    kind: CalendarDayKind,
    note: str | None,
    actor_tg_id: int | None,
    actor_name: str | None,
    now: datetime,
) -> DayChange:
    """Declare `day` off or worked. Refused (nothing written) when it changes nothing: a
    day off that is already off (a weekend, a holiday), a make-up day that is a working
    day anyway — unless it replaces an admin's earlier entry for that day."""
    note = " ".join((note or "").split()) or None
    existing = await repo.get_day(session, day=day)
    if existing is not None and existing.kind is kind:
        row, before = await repo.put_day(
            session, day=day, kind=kind, note=note or existing.note, actor_tg_id=actor_tg_id,
            actor_name=actor_name, now=now,
        )
        return DayChange(day, kind, row.note, before)
    if existing is None:
        working = base.is_working_day(day)
        if kind is CalendarDayKind.DAY_OFF and not working:
            return DayChange(day, kind, note, problem=texts.already_off(day, base.holiday_name(day)))
        if kind is CalendarDayKind.WORKING_DAY and working:
            return DayChange(day, kind, note, problem=texts.already_working(day))
    row, before = await repo.put_day(
        session, day=day, kind=kind, note=note, actor_tg_id=actor_tg_id, actor_name=actor_name, now=now
    )
    return DayChange(day, kind, row.note, before)


async def remove_day(session: AsyncSession, *, day: date) -> bool:
    """Forget the admin's entry for `day` (the package and the file decide again)."""
    return await repo.delete_day(session, day=day)


async def list_days(session: AsyncSession, *, first: date | None = None, last: date | None = None) -> list[CalendarDay]:
    if first is None and last is None:
        return await repo.all_days(session)
    return await repo.days_between(session, first=first or date.min, last=last or date.max)
