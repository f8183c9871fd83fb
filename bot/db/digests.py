"""The digests' queries: the "as of" relation (every due item as it stood at the end of a
day, read from the history), the figures counted over it, the workbook's rows, the
answers and reminders that say who is silent, and the extension requests still waiting.
Keyword-only, take the caller's session, never commit. The policy (what a digest lists,
who counts as silent) is bot/services/digests.py's.

As of a date D: for each due item the last history row written before that instant gives
its status, progress, due date (an extension moves it; each row records the date after the
change) and completion date; when no row came after it, the item's own columns are that
same state (so today's digest agrees with /tiendo to the letter, even after an undo that
adjusts the item behind its row). An item with no row yet is as the plan made it: pending,
due on its original date. Items an admin dated later (/dathan) exist only from their first
row; before it their task counts as undated. A plan counts from its issue date. Cancelled
items and removed tasks are left out whatever the date.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, and_, case, exists, false, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement, Subquery

from bot.db import figures as item_figures
from bot.db.models import (
    Agency,
    Chat,
    DueItem,
    ExtensionRequest,
    ItemFigure,
    OutboxMessage,
    Plan,
    ReminderHold,
    StatusChange,
    Task,
    TaskAgency,
)
from bot.domain.digest import Figures, ReportRow
from bot.domain.kinds import DueOrigin, HoldKind, LinkRole, OutboxKind, OutboxStatus
from bot.domain.status import Category, ChangeSource, Status

# --- the "as of" relation ---------------------------------------------------------------


def _last_change(end: datetime | None, *where: ColumnElement[bool]) -> Any:
    """The id of the due item's last history row before `end` (None: of all) among those
    matching `where`.

    A correlated subquery per item on the (due_item_id, at) index, not a window over the
    whole history joined back: its cost does not depend on the planner's statistics (a
    window's output is badly estimated, and right after a bulk import — before ANALYZE —
    PostgreSQL chose nested loops that took minutes)."""
    return (
        select(StatusChange.id)
        .where(StatusChange.due_item_id == DueItem.id, *([StatusChange.at < end] if end else []), *where)
        .order_by(StatusChange.at.desc(), StatusChange.id.desc())
        .limit(1)
        .correlate(DueItem)
        .scalar_subquery()
    )


def hold_at(end: datetime, today: date, column: Any, item_id: Any = DueItem.id, agency_id: Any = DueItem.agency_id) -> Any:
    """The hold on the due item (or its agency) in force at `end` — `column` of it (kind,
    until_on): a "không thực hiện" first, then the item's own, then its agency's pause, the
    latest first. Holds are kept when they end, so a past date sees the holds of then.
    `item_id`, `agency_id`: the item's columns (DueItem's, or another table's with them)."""
    return (
        select(column)
        .where(
            or_(ReminderHold.due_item_id == item_id, ReminderHold.agency_id == agency_id),
            ReminderHold.created_at < end,
            or_(ReminderHold.ended_at.is_(None), ReminderHold.ended_at >= end),
            or_(ReminderHold.until_on.is_(None), ReminderHold.until_on > today),
        )
        .order_by(
            case((ReminderHold.kind == HoldKind.WAIVE.value, 0), (ReminderHold.due_item_id.is_not(None), 1), else_=2),
            ReminderHold.id.desc(),
        )
        .limit(1)
        .correlate_except(ReminderHold)
        .scalar_subquery()
    )


async def any_holds(session: AsyncSession, *, end: datetime) -> bool:
    """Whether any hold was made before `end` (none, the usual case: no per-item look-up)."""
    return bool(await session.scalar(select(exists().where(ReminderHold.created_at < end))))


def _in_force(province_id: int, today: date) -> list[ColumnElement[bool]]:
    return [Plan.province_id == province_id, or_(Plan.issued_on.is_(None), Plan.issued_on <= today)]


def as_of_items(
    province_id: int, *, end: datetime, today: date, details: bool = True, changed_only: bool = False,
    holds: bool = True,
) -> Subquery:
    """One row per due item of the province's plans in force, as it stood at `end`
    (`changed_only`: only the items with a history row at or after `end`).

    Columns: item_id, task_id, agency_id, plan_id, status, progress, due_on, original_due_on,
    completed_on, updated_at, category (bot.domain.status.category, in SQL), hold (the
    HoldKind in force then, None without one; `holds` False: none looked up); with `details`
    also hold_until, since_at (last change of status) and note (last note a person wrote).
    """
    no_hold = literal(None, type_=ReminderHold.kind.type)
    ids = (
        select(
            DueItem.id.label("item_id"),
            DueItem.task_id,
            DueItem.agency_id,
            DueItem.origin,
            DueItem.status.label("current_status"),
            DueItem.progress.label("current_progress"),
            DueItem.due_on.label("current_due_on"),
            DueItem.original_due_on,
            DueItem.completed_on.label("current_completed_on"),
            Task.plan_id,
            _last_change(end).label("latest_id"),
            _last_change(None).label("last_id"),
            (hold_at(end, today, ReminderHold.kind) if holds else no_hold).label("hold"),
            *(
                ((hold_at(end, today, ReminderHold.until_on) if holds else literal(None, type_=Date)).label("hold_until"),)
                if details
                else ()
            ),
            *(
                (
                    _last_change(
                        end, or_(StatusChange.old_status.is_(None), StatusChange.old_status != StatusChange.new_status)
                    ).label("since_id"),
                    _last_change(
                        end, StatusChange.note.is_not(None), StatusChange.note != "",
                        StatusChange.source != ChangeSource.IMPORT,
                    ).label("noted_id"),
                )
                if details
                else ()
            ),
        )
        .join(Task, DueItem.task_id == Task.id)
        .join(Plan, Task.plan_id == Plan.id)
        .where(
            *_in_force(province_id, today), DueItem.cancelled == false(), Task.removed == false(),
            *([item_figures.changed_since(end)] if changed_only else []),
        )
        .subquery("ids")
    )
    latest = aliased(StatusChange, name="latest")
    last = aliased(StatusChange, name="last")
    # latest.id, not ids.latest_id: PostgreSQL inlines the subquery, and every mention of the
    # correlated column would run its subplan again.
    known = latest.id.is_not(None)
    # Nothing changed since `end`: the item's own columns are that state (and a writer that
    # adjusts the item after its history row, like an undo, is followed exactly).
    current = latest.id == last.id
    status = case((current, ids.c.current_status), else_=func.coalesce(latest.new_status, literal(Status.PENDING.value)))
    progress = case((current, ids.c.current_progress), else_=func.coalesce(latest.progress, 0))
    # No row yet: as the plan made it. A row from before 0005 (no dates): the item's own.
    due = case(
        (current, ids.c.current_due_on),
        (known, func.coalesce(latest.due_on, ids.c.current_due_on)),
        else_=ids.c.original_due_on,
    )
    completed = case(
        (
            status == Status.DONE.value,
            case(
                (current, ids.c.current_completed_on),
                else_=func.coalesce(latest.completed_on, ids.c.current_completed_on),
            ),
        ),
        else_=None,
    )
    category = case(
        (status == Status.UNKNOWN.value, literal(Category.UNCONFIRMED.value)),
        (
            status == Status.DONE.value,
            case(
                (func.coalesce(completed, today) <= due, literal(Category.DONE_ON_TIME.value)),
                else_=literal(Category.DONE_LATE.value),
            ),
        ),
        (due < today, literal(Category.OVERDUE.value)),
        (status == Status.PENDING.value, literal(Category.NOT_DUE.value)),
        else_=literal(Category.ON_TRACK.value),
    )
    query = (
        select(
            ids.c.item_id,
            ids.c.task_id,
            ids.c.agency_id,
            ids.c.plan_id,
            status.label("status"),
            progress.label("progress"),
            due.label("due_on"),
            ids.c.original_due_on,
            completed.label("completed_on"),
            latest.at.label("updated_at"),
            category.label("category"),
            ids.c.hold,
        )
        .select_from(ids)
        .outerjoin(latest, latest.id == ids.c.latest_id)
        .outerjoin(last, last.id == ids.c.last_id)
        # Dates an admin set (/dathan) exist from their first row; the plan's, from the plan.
        .where(or_(ids.c.origin == DueOrigin.IMPORT, known))
    )
    if details:
        since = aliased(StatusChange, name="since")
        noted = aliased(StatusChange, name="noted")
        query = (
            query.add_columns(since.at.label("since_at"), noted.note.label("note"), ids.c.hold_until)
            .outerjoin(since, since.id == ids.c.since_id)
            .outerjoin(noted, noted.id == ids.c.noted_id)
        )
    return query.subquery("asof")


def _undated(province_id: int, *, end: datetime, today: date) -> Any:
    """(plan_id, task_id, agency_id) of tasks without any due item as of `end`, per lead agency.

    A task is dated then when one of its items counts in item_figures (not cancelled, task
    not removed) and is the plan's (dated_from None) or was dated by an admin before `end`:
    one pass over item_figures' rows, not a probe of the items and their history per task."""
    dated_then = select(ItemFigure.task_id).where(or_(ItemFigure.dated_from.is_(None), ItemFigure.dated_from < end))
    return (
        select(Task.plan_id, Task.id.label("task_id"), TaskAgency.agency_id)
        .select_from(Task)
        .join(Plan, Task.plan_id == Plan.id)
        .join(TaskAgency, and_(TaskAgency.task_id == Task.id, TaskAgency.role == LinkRole.LEAD))
        .where(*_in_force(province_id, today), Task.removed == false(), Task.id.not_in(dated_then))
    )


def _count(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


async def figures_by_plan_and_agency(
    session: AsyncSession, *, province_id: int, end: datetime, today: date, agency_ids: Collection[int] | None = None
) -> dict[tuple[int, int], Figures]:
    """(plan id, agency id) → Figures as of `end`, counted in SQL: the items unchanged since
    `end` from their own columns, the others from their last history row before it
    (bot.db.figures, both), the undated tasks per lead agency. `agency_ids`: only these
    agencies' (None: all)."""
    holds = await any_holds(session, end=end)
    hold = (lambda item_id, agency_id: hold_at(end, today, ReminderHold.kind, item_id, agency_id)) if holds else None
    kw: dict[str, Any] = {"province_id": province_id, "end": end, "today": today, "hold": hold, "agency_ids": agency_ids}
    result = await item_figures.unchanged_figures(session, **kw)
    for key, figures in (await item_figures.changed_figures(session, **kw)).items():
        result[key] = result.get(key, Figures()) + figures
    undated_tasks = _undated(province_id, end=end, today=today)
    if agency_ids is not None:
        undated_tasks = undated_tasks.where(TaskAgency.agency_id.in_(sorted(agency_ids)))
    undated = undated_tasks.subquery("undated")
    no_deadline = select(undated.c.plan_id, undated.c.agency_id, func.count()).group_by(
        undated.c.plan_id, undated.c.agency_id
    )
    for plan_id, agency_id, count in (await session.execute(no_deadline)).all():
        key = (plan_id, agency_id)
        result[key] = result.get(key, Figures()) + Figures(no_deadline=int(count))
    return result


RowSink = Callable[[tuple[Any, ...], ReportRow, date | None], None]
_CATEGORIES: dict[str, Category] = {c.value: c for c in Category}
_STATUSES: dict[str, Status] = {s.value: s for s in Status}


# --- which rows a digest reads ------------------------------------------------------------------
# At province scale the workbook keeps MAX_WORKBOOK_ROWS of 130,000 rows and the period's lists
# a few thousand more: turning every row into Python objects only to drop most of them was
# three quarters of the digest's CPU. The ranking and the lists' conditions are therefore
# also written in SQL, and only the rows that may be kept are read.


@dataclass(frozen=True)
class RowWindow:
    """The rows a digest needs: those ranked at or before (`rank`, `due`) by
    bot.domain.digest.workbook_rank, and those the period's lists may show (completed in the
    period, blocked, extension asked, became overdue, due within `soon_days`)."""

    period_start: date
    today: date
    soon_days: int
    end: datetime
    rank: int
    due: date


def workbook_rank_sql(asof: Subquery, *, period_start: date, today: date, soon_days: int) -> Any:
    """bot.domain.digest.workbook_rank's class (0–7), in SQL; the domain's docstring lists them."""
    cat, status, due = asof.c.category, asof.c.status, asof.c.due_on
    done = cat.in_([Category.DONE_ON_TIME.value, Category.DONE_LATE.value])
    return case(
        (and_(asof.c.hold.is_not(None), ~done), 7),  # on hold, "không thực hiện": with the undated
        (cat == Category.OVERDUE.value, 0),
        (status.in_([Status.BLOCKED.value, Status.EXTENSION_REQUESTED.value]), 1),
        (and_(~done, due.is_not(None), due >= today, due <= today + timedelta(days=soon_days)), 2),
        (and_(done, asof.c.completed_on >= period_start, asof.c.completed_on <= today), 3),
        (done, 6),
        (cat == Category.ON_TRACK.value, 4),
        (cat == Category.NOT_DUE.value, 5),
        else_=7,
    )


def _due_or_max(asof: Subquery) -> Any:
    return func.coalesce(asof.c.due_on, literal(date.max, type_=Date), type_=Date)


async def rank_histogram(
    session: AsyncSession, *, province_id: int, end: datetime, today: date, period_start: date, soon_days: int
) -> dict[tuple[int, date], int]:
    """(workbook rank, due date or date.max) → number of dated rows as of `end`: enough to
    find where the workbook's cap falls without reading the rows."""
    asof = as_of_items(province_id, end=end, today=today, details=False, holds=await any_holds(session, end=end))
    rank = workbook_rank_sql(asof, period_start=period_start, today=today, soon_days=soon_days).label("rank")
    due = _due_or_max(asof).label("due")
    query = select(rank, due, func.count()).group_by(rank, due)
    return {(int(r), d): int(n) for r, d, n in (await session.execute(query)).all()}


def _window_filter(asof: Subquery, window: RowWindow) -> ColumnElement[bool]:
    rank = workbook_rank_sql(asof, period_start=window.period_start, today=window.today, soon_days=window.soon_days)
    status, due = asof.c.status, asof.c.due_on
    asked = exists().where(
        ExtensionRequest.due_item_id == asof.c.item_id,
        ExtensionRequest.created_at < window.end,
        or_(ExtensionRequest.decided_at.is_(None), ExtensionRequest.decided_at >= window.end),
    )
    return or_(
        rank < window.rank,
        and_(rank == window.rank, _due_or_max(asof) <= window.due),
        # The period's lists (bot/services/digests.py: _Events.add), each a superset of its rule.
        and_(status == Status.DONE.value, asof.c.completed_on >= window.period_start, asof.c.completed_on <= window.today),
        status.in_([Status.BLOCKED.value, Status.EXTENSION_REQUESTED.value]),
        asked,
        and_(
            asof.c.category == Category.OVERDUE.value,
            due >= window.period_start - timedelta(days=1),
            due <= window.today - timedelta(days=1),
        ),
        and_(status != Status.DONE.value, due >= window.today, due <= window.today + timedelta(days=window.soon_days)),
    )


async def report_rows(
    session: AsyncSession,
    *,
    province_id: int,
    end: datetime,
    today: date,
    tz: ZoneInfo,
    current: dict[int, tuple[str, str]],
    sink: RowSink,
    window: RowWindow | None = None,
) -> None:
    """Every item as of `end` (the workbook's rows), streamed: `sink(sort key, row, day its
    status last changed)` for each (the key orders plan by plan in the plan's order). Rows
    are not all held at once: at province scale they are 130,000. With `window`, only the
    rows in it (and the undated tasks only when its rank reaches theirs, 7)."""
    asof = as_of_items(province_id, end=end, today=today, holds=await any_holds(session, end=end))
    c = asof.c
    dated = (
        select(
            c.item_id, c.task_id, c.agency_id, c.plan_id, c.status, c.progress, c.due_on, c.original_due_on,
            c.completed_on, c.updated_at, c.category, c.since_at, c.note, c.hold, c.hold_until,
            Plan.number, Task.position, Task.ref, Task.title, Task.product, Task.support_text, Task.deadline_text,
        )
        .join(Task, asof.c.task_id == Task.id)
        .join(Plan, asof.c.plan_id == Plan.id)
    )
    if window is not None:
        dated = dated.where(_window_filter(asof, window))
    plan_order = await _plan_order(session, province_id=province_id, today=today)
    local = lambda at: at.astimezone(tz).date() if at is not None else None  # noqa: E731
    result = await session.stream(dated.execution_options(yield_per=2000))
    # By partitions, not row by row: each async step is a greenlet switch, and 130,000 of
    # them cost more than the rows themselves.
    # Plain tuples unpacked in the select's order (a mapping per row, and Enum(value) per
    # column, cost more than the rest of the row).
    async for partition in result.partitions(2000):
        for (
            item_id, task_id, agency_id, plan_id, status, progress, due_on, original_due_on, completed_on,
            updated_at, category, since_at, note, hold, hold_until, number, position, ref, title, product, support_text,
            deadline_text,
        ) in partition:
            code, name = current[agency_id]
            row = ReportRow(
                plan_number=number,
                position=position,
                task_id=task_id,
                task_ref=ref,
                title=title,
                product=product,
                support_text=support_text,
                deadline_text=deadline_text,
                agency_code=code,
                agency_name=name,
                due_on=due_on,
                original_due_on=original_due_on,
                category=_CATEGORIES[category],
                status=_STATUSES[status],
                progress=progress or 0,
                updated_on=local(_aware(updated_at)),
                note=note,
                completed_on=completed_on,
                due_item_id=item_id,
                hold=hold,
                hold_until=hold_until,
            )
            sink((plan_order[plan_id], position, due_on, name), row, local(_aware(since_at)))
    if window is not None and window.rank < 7:
        return  # the undated tasks rank last (7) and are in no list of the period
    undated = _undated(province_id, end=end, today=today).subquery("undated")
    query = (
        select(
            undated.c.plan_id, undated.c.agency_id, Plan.number, Task.id, Task.position, Task.ref, Task.title,
            Task.product, Task.support_text, Task.deadline_text,
        )
        .join(Task, undated.c.task_id == Task.id)
        .join(Plan, undated.c.plan_id == Plan.id)
    )
    for plan_id, agency_id, number, task_id, position, ref, title, product, support, deadline in (
        await session.execute(query)
    ).all():
        code, name = current[agency_id]
        row = ReportRow(
            plan_number=number, position=position, task_id=task_id, task_ref=ref, title=title, product=product,
            support_text=support, deadline_text=deadline, agency_code=code, agency_name=name, due_on=None,
            original_due_on=None, category=Category.NO_DEADLINE, status=Status.PENDING, progress=0,
            updated_on=None, note=None,
        )
        sink((plan_order[plan_id], position, date.max, name), row, None)


def _aware(value: datetime | None) -> datetime | None:
    # Raw subquery columns skip UTCDateTime's result processing on SQLite: naive means UTC.
    if value is None:
        return None
    if isinstance(value, str):  # pragma: no cover - SQLite without type information
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


async def _plan_order(session: AsyncSession, *, province_id: int, today: date) -> dict[int, int]:
    plans = await session.execute(
        select(Plan.id).where(*_in_force(province_id, today)).order_by(Plan.issued_on, Plan.number)
    )
    return {plan_id: index for index, plan_id in enumerate(plans.scalars())}


async def plans_in_force(session: AsyncSession, *, province_id: int, today: date) -> list[Plan]:
    """The province's plans issued by `today`, in the digest's order (issue date, number)."""
    return list(
        await session.scalars(select(Plan).where(*_in_force(province_id, today)).order_by(Plan.issued_on, Plan.number))
    )


# --- who answers, who was reminded ----------------------------------------------------------


async def last_answers(
    session: AsyncSession, *, province_id: int, end: datetime, sources: Sequence[ChangeSource]
) -> list[tuple[int, datetime | None]]:
    """(agency id, its last status change from `sources` before `end`) per agency of the
    province that has one (aware UTC datetimes)."""
    answers = await session.execute(
        select(DueItem.agency_id, func.max(StatusChange.at))
        .join(StatusChange, StatusChange.due_item_id == DueItem.id)
        .join(Agency, DueItem.agency_id == Agency.id)
        .where(Agency.province_id == province_id, StatusChange.source.in_(list(sources)), StatusChange.at < end)
        .group_by(DueItem.agency_id)
    )
    return [(agency_id, _aware(at)) for agency_id, at in answers.all()]


async def reminders_sent(
    session: AsyncSession, *, province_id: int, end: datetime, since: datetime
) -> list[tuple[int, datetime | None]]:
    """(agency id, first sending of that day's reminder) per agency chat and reminder day,
    for the reminders Telegram accepted in [since, end) (aware UTC datetimes)."""
    reminders = await session.execute(
        select(Chat.agency_id, func.min(OutboxMessage.sent_at))
        .join(Chat, OutboxMessage.chat_id == Chat.id)
        .where(
            Chat.province_id == province_id,
            Chat.agency_id.is_not(None),
            OutboxMessage.kind == OutboxKind.REMINDER,
            OutboxMessage.status == OutboxStatus.SENT,
            OutboxMessage.sent_at < end,
            OutboxMessage.sent_at >= since,
        )
        .group_by(Chat.agency_id, OutboxMessage.on_date)
    )
    return [(agency_id, _aware(sent_at)) for agency_id, sent_at in reminders.all()]


async def pending_requests(
    session: AsyncSession, *, province_id: int, end: datetime
) -> list[tuple[int, datetime, date, str | None]]:
    """Extension requests waiting for the leaders at `end`: (due item, asked at, proposed
    date, reason), oldest first. Made before `end` and not decided before it (whatever
    happened since)."""
    rows = await session.execute(
        select(ExtensionRequest.due_item_id, ExtensionRequest.created_at, ExtensionRequest.proposed_due_on, ExtensionRequest.reason)
        .join(DueItem, ExtensionRequest.due_item_id == DueItem.id)
        .join(Task, DueItem.task_id == Task.id)
        .join(Plan, Task.plan_id == Plan.id)
        .where(
            Plan.province_id == province_id,
            ExtensionRequest.created_at < end,
            or_(ExtensionRequest.decided_at.is_(None), ExtensionRequest.decided_at >= end),
        )
        .order_by(ExtensionRequest.created_at)
    )
    return [(item_id, created, proposed, reason) for item_id, created, proposed, reason in rows.all()]
