"""The digests' figures (due items by reporting category, per plan and lead agency) counted
by one GROUP BY in the database, for the items whose history has nothing at or after the
end of the day asked about.

Why apart from the general "as of" relation (bot.services.digests.as_of_items): an item
with no history row written after that instant stood then exactly as it stands now — its
own columns (or, with no history row at all, as the plan made it: pending, due on its
original date). Its state needs no look-up of "the last row before the instant". That
state, with the item's last history instant, is kept per item in item_figures
(bot.db.models.ItemFigure, by database triggers on every write), so these items are
counted from that one narrow index: no join to tasks, no pass over the history. As of
today no item has a later row, so the whole province is counted this way (the Agencies
page, this week's report); for a past date only the items changed since go through the
general relation (the caller adds them; `changed_since` finds them by the same index).

The category is `bot.domain.status.category`, in SQL (the same CASE as the "as of"
relation's; the tests hold both against hand-built data, and
tests/db/test_db_item_figures.py against the general relation over random histories).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, false, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from bot.db.models import DueItem, ItemFigure, Plan, Task
from bot.domain.digest import OVERDUE_LONG_DAYS, OVERDUE_VERY_LONG_DAYS, Figures
from bot.domain.kinds import HoldKind
from bot.domain.status import Category, Status


def changed_since(end: datetime) -> ColumnElement[bool]:
    """The due item has a history row at or after `end` (read from item_figures' last_at
    index: the items that count and changed since; the others are left out of the figures
    anyway)."""
    return DueItem.id.in_(select(ItemFigure.due_item_id).where(ItemFigure.last_at >= end))


def category_case(status: Any, due_on: Any, completed_on: Any, today: date) -> Any:
    """`bot.domain.status.category` as a SQL CASE over the given columns."""
    return case(
        (status == Status.UNKNOWN.value, literal(Category.UNCONFIRMED.value)),
        (
            status == Status.DONE.value,
            case(
                (func.coalesce(completed_on, today) <= due_on, literal(Category.DONE_ON_TIME.value)),
                else_=literal(Category.DONE_LATE.value),
            ),
        ),
        (due_on < today, literal(Category.OVERDUE.value)),
        (status == Status.PENDING.value, literal(Category.NOT_DUE.value)),
        else_=literal(Category.ON_TRACK.value),
    )


def _count(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def figure_columns(category: Any, due_on: Any, today: date) -> list[Any]:
    """The Figures counts (in field order, without no_deadline) as aggregates."""
    overdue = category == Category.OVERDUE.value
    return [
        _count(category == Category.NOT_DUE.value),
        _count(category == Category.ON_TRACK.value),
        _count(overdue),
        _count(and_(overdue, due_on < today - timedelta(days=OVERDUE_LONG_DAYS))),
        _count(and_(overdue, due_on < today - timedelta(days=OVERDUE_VERY_LONG_DAYS))),
        _count(category == Category.DONE_ON_TIME.value),
        _count(and_(category == Category.DONE_ON_TIME.value, due_on > today)),
        _count(category == Category.DONE_LATE.value),
    ]


async def unchanged_figures(
    session: AsyncSession, *, province_id: int, end: datetime, today: date, hold: Any = None
) -> dict[tuple[int, int], Figures]:
    """(plan id, agency id) → Figures of the province's items (plans in force on `today`, not
    cancelled, task not removed) that have no history row at or after `end`. `hold`: a
    function of (item id, agency id) columns giving a SQL expression of the item's hold in
    force then (bot.db.digests.hold_at; None: no holds): an open item on hold counts as held
    or waived, in no category.

    Read from item_figures (bot.db.models.ItemFigure, kept by triggers): the items that
    count, with their state as it stands (as the plan made it before any history row) and
    their last history instant, in one index."""
    f = ItemFigure
    held_by = [hold(f.due_item_id, f.agency_id)] if hold is not None else []
    # Grouped by the index's own order (plan, agency, status: no sort) with the due-date
    # thresholds counted alongside; the category is `category_case`'s, decided per group below.
    on_time = func.coalesce(f.completed_on, today) <= f.due_on
    counted = [
        func.count(),
        func.count().filter(f.due_on < today),
        func.count().filter(f.due_on < today - timedelta(days=OVERDUE_LONG_DAYS)),
        func.count().filter(f.due_on < today - timedelta(days=OVERDUE_VERY_LONG_DAYS)),
        func.count().filter(on_time),
        func.count().filter(and_(on_time, f.due_on > today)),
    ]
    in_force = select(Plan.id).where(Plan.province_id == province_id, or_(Plan.issued_on.is_(None), Plan.issued_on <= today))
    query = (
        select(f.plan_id, f.agency_id, f.status, *counted, *held_by)
        .where(f.plan_id.in_(in_force), or_(f.last_at.is_(None), f.last_at < end))
        .group_by(f.plan_id, f.agency_id, f.status, *held_by)
    )
    counts: dict[tuple[int, int], dict[str, int]] = {}
    for plan_id, agency_id, status, n, late, late_30, late_90, in_time, early, *held_ in (await session.execute(query)).all():
        held = held_[0] if held_ else None
        c = counts.setdefault((plan_id, agency_id), dict.fromkeys(_FIELDS, 0))
        if status == Status.DONE.value:
            c["done_on_time"] += in_time
            c["done_early"] += early
            c["done_late"] += n - in_time
        elif held is not None:  # an open item on hold: held or waived, in no category
            c["waived" if held == HoldKind.WAIVE.value else "held"] += n
        elif status == Status.UNKNOWN.value:
            c["unconfirmed"] += n
        else:
            c["overdue"] += late
            c["overdue_30"] += late_30
            c["overdue_90"] += late_90
            c["not_due" if status == Status.PENDING.value else "on_track"] += n - late
    return {key: Figures(**c) for key, c in counts.items()}


_FIELDS = (
    "not_due", "on_track", "overdue", "overdue_30", "overdue_90", "done_on_time", "done_early", "done_late",
    "unconfirmed", "held", "waived",
)


async def trend_counts(
    session: AsyncSession, *, province_id: int, since: date, until: date, today: date
) -> list[tuple[date, str, int]]:
    """(due date, category on `today`, items) of the province's items due from `since` to
    `until`, from their own columns (what the tasks page shows): the trend chart's data,
    read from the due_on index and grouped per day (a year is at most 366 × 6 rows)."""
    cat = category_case(DueItem.status, DueItem.due_on, DueItem.completed_on, today)
    kept = (
        select(Task.id)
        .join(Plan, Task.plan_id == Plan.id)
        .where(Task.id == DueItem.task_id, Plan.province_id == province_id, Task.removed == false())
        .correlate(DueItem)
        .exists()
    )
    query = (
        select(DueItem.due_on, cat, func.count())
        .where(DueItem.due_on >= since, DueItem.due_on <= until, DueItem.cancelled == false(), kept)
        .group_by(DueItem.due_on, cat)
    )
    return [(due, str(category), int(n)) for due, category, n in (await session.execute(query)).all()]
