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

from collections.abc import Collection
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, and_, case, exists, false, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from bot.db.models import DueItem, ItemFigure, Plan, StatusChange, Task
from bot.domain.digest import OVERDUE_LONG_DAYS, OVERDUE_VERY_LONG_DAYS, Figures
from bot.domain.kinds import DueOrigin, HoldKind
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
    session: AsyncSession, *, province_id: int, end: datetime, today: date, hold: Any = None,
    agency_ids: Collection[int] | None = None,
) -> dict[tuple[int, int], Figures]:
    """(plan id, agency id) → Figures of the province's items (plans in force on `today`, not
    cancelled, task not removed) that have no history row at or after `end`. `hold`: a
    function of (item id, agency id) columns giving a SQL expression of the item's hold in
    force then (bot.db.digests.hold_at; None: no holds): an open item on hold counts as held
    or waived, in no category. `agency_ids`: only the items of these agencies (None: all).

    Read from item_figures (bot.db.models.ItemFigure, kept by triggers): the items that
    count, with their state as it stands (as the plan made it before any history row) and
    their last history instant, in one index."""
    f = ItemFigure
    held_by = [hold(f.due_item_id, f.agency_id)] if hold is not None else []
    # Grouped by the index's own order (plan, agency, status: no sort).
    query = (
        select(f.plan_id, f.agency_id, f.status, *_counted(f.due_on, f.completed_on, today), *held_by)
        .where(f.plan_id.in_(_in_force(province_id, today)), or_(f.last_at.is_(None), f.last_at < end), *_of(agency_ids))
        .group_by(f.plan_id, f.agency_id, f.status, *held_by)
    )
    counts: dict[tuple[int, int], list[int]] = {}
    _fold(counts, (await session.execute(query)).all())
    return _figures(counts)


async def changed_figures(
    session: AsyncSession, *, province_id: int, end: datetime, today: date, hold: Any = None,
    agency_ids: Collection[int] | None = None,
) -> dict[tuple[int, int], Figures]:
    """(plan id, agency id) → Figures of the province's items that have a history row at or
    after `end`, each as its last row before `end` left it (the "as of" relation's rule,
    bot.db.digests.as_of_items: no row then — as the plan made it, or not yet dated if an
    admin dated it). `hold` as for `unchanged_figures`.

    The items are few (those changed since the day asked about, found by item_figures'
    last_at index) and so are their history rows: their last row before `end` is picked by
    a window over those rows alone, not by joining the whole history by a subquery's result
    (which PostgreSQL hashes entirely, 160,000 rows twice, for a thousand items)."""
    f = ItemFigure
    changed = select(f.due_item_id).where(f.last_at >= end, *_of(agency_ids))
    ranked = (
        select(
            StatusChange.due_item_id, StatusChange.new_status, StatusChange.due_on, StatusChange.completed_on,
            func.row_number()
            .over(partition_by=StatusChange.due_item_id, order_by=(StatusChange.at.desc(), StatusChange.id.desc()))
            .label("rank"),
        )
        .where(StatusChange.due_item_id.in_(changed), StatusChange.at < end)
        .subquery("ranked")
    )
    latest = select(ranked).where(ranked.c.rank == 1).subquery("latest")
    held_by = [hold(f.due_item_id, f.agency_id)] if hold is not None else []
    in_force = and_(f.plan_id.in_(_in_force(province_id, today)), *_of(agency_ids))
    # Those with a row before `end`: driven by those rows (each item then found by its key).
    status = latest.c.new_status
    due_on = func.coalesce(latest.c.due_on, DueItem.due_on)  # a row from before 0005 (no dates): the item's own
    completed_on = case((status == Status.DONE.value, func.coalesce(latest.c.completed_on, DueItem.completed_on)), else_=None)
    known = (
        select(f.plan_id, f.agency_id, status, *_counted(due_on, completed_on, today), *held_by)
        .select_from(latest)
        .join(f, f.due_item_id == latest.c.due_item_id)
        .join(DueItem, DueItem.id == latest.c.due_item_id)
        .where(in_force)
        .group_by(f.plan_id, f.agency_id, status, *held_by)
    )
    # Those without: as the plan made them (pending, due on the original date); an item an
    # admin dated did not exist yet.
    before = exists().where(StatusChange.due_item_id == f.due_item_id, StatusChange.at < end)
    pending = literal(Status.PENDING.value)
    unknown = (
        select(f.plan_id, f.agency_id, pending, *_counted(DueItem.original_due_on, literal(None, type_=Date), today), *held_by)
        .select_from(f)
        .join(DueItem, DueItem.id == f.due_item_id)
        .where(f.last_at >= end, in_force, DueItem.origin == DueOrigin.IMPORT, ~before)
        .group_by(f.plan_id, f.agency_id, *held_by)
    )
    counts: dict[tuple[int, int], list[int]] = {}
    _fold(counts, (await session.execute(known)).all())
    _fold(counts, (await session.execute(unknown)).all())
    return _figures(counts)


def _of(agency_ids: Collection[int] | None) -> list[ColumnElement[bool]]:
    """Only these agencies' items (None: all)."""
    return [] if agency_ids is None else [ItemFigure.agency_id.in_(sorted(agency_ids))]


def _in_force(province_id: int, today: date) -> Any:
    return select(Plan.id).where(Plan.province_id == province_id, or_(Plan.issued_on.is_(None), Plan.issued_on <= today))


def _counted(due_on: Any, completed_on: Any, today: date) -> list[Any]:
    """Counted per group of one status beside the group's size: due before today, more than
    30 and 90 days before, done on time by `category_case`'s rule, and of those due ahead."""
    on_time = func.coalesce(completed_on, today) <= due_on
    return [
        func.count(),
        func.count().filter(due_on < today),
        func.count().filter(due_on < today - timedelta(days=OVERDUE_LONG_DAYS)),
        func.count().filter(due_on < today - timedelta(days=OVERDUE_VERY_LONG_DAYS)),
        func.count().filter(on_time),
        func.count().filter(and_(on_time, due_on > today)),
    ]


def _fold(counts: dict[tuple[int, int], list[int]], rows: Any) -> None:
    """Add (plan, agency, status, *_counted, [hold]) rows to the counts (in _FIELDS' order),
    each group in the category `category_case` gives its items (Figures.of's rules for holds)."""
    for plan_id, agency_id, status, n, late, late_30, late_90, in_time, early, *held_ in rows:
        held = held_[0] if held_ else None
        c = counts.get((plan_id, agency_id))
        if c is None:
            c = counts[(plan_id, agency_id)] = [0] * len(_FIELDS)
        if status == _DONE:
            c[_DONE_ON_TIME] += in_time
            c[_DONE_EARLY] += early
            c[_DONE_LATE] += n - in_time
        elif held is not None:  # an open item on hold: held or waived, in no category
            c[_WAIVED if held == HoldKind.WAIVE.value else _HELD] += n
        elif status == _UNKNOWN:
            c[_UNCONFIRMED] += n
        else:
            c[_OVERDUE] += late
            c[_OVERDUE_30] += late_30
            c[_OVERDUE_90] += late_90
            c[_NOT_DUE if status == _PENDING else _ON_TRACK] += n - late


def _figures(counts: dict[tuple[int, int], list[int]]) -> dict[tuple[int, int], Figures]:
    return {key: Figures(**dict(zip(_FIELDS, c, strict=True))) for key, c in counts.items()}


_FIELDS = (
    "not_due", "on_track", "overdue", "overdue_30", "overdue_90", "done_on_time", "done_early", "done_late",
    "unconfirmed", "held", "waived",
)
(
    _NOT_DUE, _ON_TRACK, _OVERDUE, _OVERDUE_30, _OVERDUE_90, _DONE_ON_TIME, _DONE_EARLY, _DONE_LATE, _UNCONFIRMED,
    _HELD, _WAIVED,
) = range(len(_FIELDS))
_DONE, _UNKNOWN, _PENDING = Status.DONE.value, Status.UNKNOWN.value, Status.PENDING.value


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
