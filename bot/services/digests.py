"""Weekly digests and monthly reports: the figures as of a date, the files, the sending.

As of a date D: every figure is what was true at the end of D (the province's midnight),
read from the history. For each due item the last history row written before that instant
gives its status, progress, due date (an extension moves it; each row records the date
after the change) and completion date; when no row came after it, the item's own columns
are that same state (so today's digest agrees with /tiendo to the letter, even after an
undo that adjusts the item behind its row). An item with no row yet is as the plan made
it: pending, due on its original date. Items an admin dated later (/dathan) exist only
from their first row; before it their task counts as undated. A plan counts from its issue
date. Cancelled items and removed tasks are left out whatever the date (the re-import that
retired them keeps no dated trace), and whether a chat works is today's knowledge.

The figures are counted by one GROUP BY over that "as of" relation; the workbook rows and
the lists come from the same relation, so they add up to the same numbers (the tests hold
them against each other and against a hand-built data set).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, exists, false, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement, Subquery

from bot.db import agencies as agencies_repo
from bot.db import chats as chats_repo
from bot.db import plans as plans_repo
from bot.db import reports
from bot.db.engine import make_engine, make_sessionmaker, upgrade_database_async
from bot.db.models import (
    Agency,
    Chat,
    DigestRun,
    DueItem,
    ExtensionRequest,
    OutboxMessage,
    Plan,
    Province,
    StatusChange,
    Task,
    TaskAgency,
)
from bot.domain.digest import (
    OVERDUE_LONG_DAYS,
    OVERDUE_VERY_LONG_DAYS,
    SILENT_DAYS,
    SOON_DAYS,
    Digest,
    DigestEvent,
    DigestKind,
    DigestPeriod,
    DueLine,
    Figures,
    PlanFigures,
    ReportRow,
    RowSelection,
    digest_period,
    merge_agencies,
    rank_agencies,
)
from bot.domain.kinds import ChatRole, DigestRunStatus, DueOrigin, LinkRole, OutboxKind, OutboxStatus
from bot.domain.status import Category, ChangeSource, Status
from bot.render.reminders import plain_text as unhtml
from bot.services.chats import configured_provinces
from bot.services.outbox import insert_ignore

# Who answers a reminder: the agency's focal point, by reply, button or command.
ANSWER_SOURCES = (ChangeSource.CHAT, ChangeSource.BUTTON, ChangeSource.COMMAND)
REMINDER_LOOKBACK_DAYS = 60
MONTH_SOON_DAYS = 31  # a monthly report looks a month ahead


def day_end(day: date, tz: ZoneInfo) -> datetime:
    """The instant the province's day ends (its next midnight), in UTC."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)


def soon_days_for(kind: DigestKind) -> int:
    return SOON_DAYS if kind is DigestKind.WEEK else MONTH_SOON_DAYS


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


def _in_force(province_id: int, today: date) -> list[ColumnElement[bool]]:
    return [Plan.province_id == province_id, or_(Plan.issued_on.is_(None), Plan.issued_on <= today)]


def as_of_items(province_id: int, *, end: datetime, today: date, details: bool = True) -> Subquery:
    """One row per due item of the province's plans in force, as it stood at `end`.

    Columns: item_id, task_id, agency_id, plan_id, status, progress, due_on, original_due_on,
    completed_on, updated_at, category (bot.domain.status.category, in SQL); with `details`
    also since_at (last change of status) and note (last note a person wrote).
    """
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
        .where(*_in_force(province_id, today), DueItem.cancelled == false(), Task.removed == false())
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
            query.add_columns(since.at.label("since_at"), noted.note.label("note"))
            .outerjoin(since, since.id == ids.c.since_id)
            .outerjoin(noted, noted.id == ids.c.noted_id)
        )
    return query.subquery("asof")


def _undated(province_id: int, *, end: datetime, today: date) -> Any:
    """(plan_id, task_id, agency_id) of tasks without any due item as of `end`, per lead agency."""
    other = DueItem.__table__.alias("dated")
    dated_then = exists().where(
        other.c.task_id == Task.id,
        other.c.cancelled == false(),
        or_(
            other.c.origin == DueOrigin.IMPORT.value,
            exists().where(StatusChange.due_item_id == other.c.id, StatusChange.at < end),
        ),
    )
    return (
        select(Task.plan_id, Task.id.label("task_id"), TaskAgency.agency_id)
        .select_from(Task)
        .join(Plan, Task.plan_id == Plan.id)
        .join(TaskAgency, and_(TaskAgency.task_id == Task.id, TaskAgency.role == LinkRole.LEAD))
        .where(*_in_force(province_id, today), Task.removed == false(), ~dated_then)
    )


def _count(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


async def figures_by_plan_and_agency(
    session: AsyncSession, *, province_id: int, end: datetime, today: date
) -> dict[tuple[int, int], Figures]:
    """(plan id, agency id) → Figures as of `end`, counted in SQL."""
    asof = as_of_items(province_id, end=end, today=today, details=False)
    cat = asof.c.category
    overdue = cat == Category.OVERDUE.value
    query = select(
        asof.c.plan_id,
        asof.c.agency_id,
        _count(cat == Category.NOT_DUE.value),
        _count(cat == Category.ON_TRACK.value),
        _count(overdue),
        _count(and_(overdue, asof.c.due_on < today - timedelta(days=OVERDUE_LONG_DAYS))),
        _count(and_(overdue, asof.c.due_on < today - timedelta(days=OVERDUE_VERY_LONG_DAYS))),
        _count(cat == Category.DONE_ON_TIME.value),
        _count(and_(cat == Category.DONE_ON_TIME.value, asof.c.due_on > today)),
        _count(cat == Category.DONE_LATE.value),
    ).group_by(asof.c.plan_id, asof.c.agency_id)
    result: dict[tuple[int, int], Figures] = {}
    for plan_id, agency_id, *counts in (await session.execute(query)).all():
        result[(plan_id, agency_id)] = Figures(*(int(c) for c in counts))
    undated = _undated(province_id, end=end, today=today).subquery("undated")
    no_deadline = select(undated.c.plan_id, undated.c.agency_id, func.count()).group_by(
        undated.c.plan_id, undated.c.agency_id
    )
    for plan_id, agency_id, count in (await session.execute(no_deadline)).all():
        key = (plan_id, agency_id)
        result[key] = result.get(key, Figures()) + Figures(no_deadline=int(count))
    return result


RowSink = Callable[[tuple[Any, ...], ReportRow, date | None], None]


async def report_rows(
    session: AsyncSession,
    *,
    province_id: int,
    end: datetime,
    today: date,
    tz: ZoneInfo,
    current: dict[int, tuple[str, str]],
    sink: RowSink,
) -> None:
    """Every item as of `end` (the workbook's rows), streamed: `sink(sort key, row, day its
    status last changed)` for each (the key orders plan by plan in the plan's order). Rows
    are not all held at once: at province scale they are 130,000."""
    asof = as_of_items(province_id, end=end, today=today)
    dated = (
        select(
            asof,
            Plan.number, Task.position, Task.ref, Task.title, Task.product, Task.support_text, Task.deadline_text,
        )
        .join(Task, asof.c.task_id == Task.id)
        .join(Plan, asof.c.plan_id == Plan.id)
    )
    plan_order = await _plan_order(session, province_id=province_id, today=today)
    local = lambda at: at.astimezone(tz).date() if at is not None else None  # noqa: E731
    result = await session.stream(dated.execution_options(yield_per=2000))
    # By partitions, not row by row: each async step is a greenlet switch, and 130,000 of
    # them cost more than the rows themselves.
    async for partition in result.mappings().partitions(2000):
        for r in partition:
            code, name = current[r["agency_id"]]
            row = ReportRow(
                plan_number=r["number"],
                position=r["position"],
                task_id=r["task_id"],
                task_ref=r["ref"],
                title=r["title"],
                product=r["product"],
                support_text=r["support_text"],
                deadline_text=r["deadline_text"],
                agency_code=code,
                agency_name=name,
                due_on=r["due_on"],
                original_due_on=r["original_due_on"],
                category=Category(r["category"]),
                status=Status(r["status"]),
                progress=r["progress"] or 0,
                updated_on=local(_aware(r["updated_at"])),
                note=r["note"],
                completed_on=r["completed_on"],
                due_item_id=r["item_id"],
            )
            sink((plan_order[r["plan_id"]], row.position, row.due_on, name), row, local(_aware(r["since_at"])))
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


# --- who cannot be reached, who does not answer ----------------------------------------------


async def silent_agencies(
    session: AsyncSession, *, province_id: int, end: datetime, current: dict[int, tuple[str, str]]
) -> set[str]:
    """Codes of agencies reminded at least SILENT_DAYS before `end` without answering since.

    An answer is any status change a person made in the agency's chat (reply, button,
    command) on one of its items; reminders are the outbox rows Telegram accepted.
    """
    last_answer: dict[str, datetime] = {}
    answers = await session.execute(
        select(DueItem.agency_id, func.max(StatusChange.at))
        .join(StatusChange, StatusChange.due_item_id == DueItem.id)
        .join(Agency, DueItem.agency_id == Agency.id)
        .where(Agency.province_id == province_id, StatusChange.source.in_(ANSWER_SOURCES), StatusChange.at < end)
        .group_by(DueItem.agency_id)
    )
    for agency_id, at in answers.all():
        code = current[agency_id][0]
        at = _aware(at)
        if at is not None and (code not in last_answer or at > last_answer[code]):
            last_answer[code] = at
    reminded: dict[str, list[datetime]] = defaultdict(list)
    reminders = await session.execute(
        select(Chat.agency_id, func.min(OutboxMessage.sent_at))
        .join(Chat, OutboxMessage.chat_id == Chat.id)
        .where(
            Chat.province_id == province_id,
            Chat.agency_id.is_not(None),
            OutboxMessage.kind == OutboxKind.REMINDER,
            OutboxMessage.status == OutboxStatus.SENT,
            OutboxMessage.sent_at < end,
            OutboxMessage.sent_at >= end - timedelta(days=REMINDER_LOOKBACK_DAYS),
        )
        .group_by(Chat.agency_id, OutboxMessage.on_date)
    )
    for agency_id, sent_at in reminders.all():
        if agency_id in current and sent_at is not None:
            reminded[current[agency_id][0]].append(_aware(sent_at))  # type: ignore[arg-type]
    cutoff = end - timedelta(days=SILENT_DAYS)
    silent = set()
    for code, times in reminded.items():
        answered = last_answer.get(code)
        unanswered = [t for t in times if answered is None or t > answered]
        if unanswered and min(unanswered) <= cutoff:
            silent.add(code)
    return silent


# --- the digest ------------------------------------------------------------------------------


async def build_digest(
    session: AsyncSession, *, province: Province, period: DigestPeriod, soon_days: int | None = None
) -> Digest:
    """The digest of one province for `period`, as of the end of `period.end`."""
    tz = ZoneInfo(province.timezone)
    today = period.as_of
    end = day_end(today, tz)
    soon = soon_days if soon_days is not None else soon_days_for(period.kind)
    current = await plans_repo._current_agencies(session, [province.id])  # noqa: SLF001 - the one succession map
    by_key = await figures_by_plan_and_agency(session, province_id=province.id, end=end, today=today)
    requests = await pending_requests(session, province_id=province.id, end=end, tz=tz)
    # One pass over the rows: the period's lists take what they need of each, and the
    # workbook keeps at most MAX_WORKBOOK_ROWS of them (the figures count all, in SQL).
    events = _Events(period, soon, requests)
    selection = RowSelection(period=period, soon_days=soon)

    def take(key: tuple[Any, ...], row: ReportRow, changed_on: date | None) -> None:
        events.add(row, changed_on)
        selection.add(key, row)

    await report_rows(session, province_id=province.id, end=end, today=today, tz=tz, current=current, sink=take)

    plans = {
        p.id: p
        for p in await session.scalars(select(Plan).where(*_in_force(province.id, today)).order_by(Plan.issued_on, Plan.number))
    }
    per_plan: dict[int, Figures] = {}
    per_agency: list[tuple[int, Figures]] = []
    for (plan_id, agency_id), figures in by_key.items():
        per_plan[plan_id] = per_plan.get(plan_id, Figures()) + figures
        per_agency.append((agency_id, figures))
    counts = await reports.task_counts(session, province_ids=[province.id], today=today)
    plan_rows = [
        PlanFigures(
            plan.number, plan.title, per_plan.get(plan_id, Figures()),
            tasks=counts[plan_id].tasks if plan_id in counts else 0,
            unassigned=counts[plan_id].unassigned if plan_id in counts else 0,
            period=(plan.first_year, plan.last_year) if plan.first_year and plan.last_year else None,
        )
        for plan_id, plan in plans.items()
        if plan_id in per_plan or plan_id in counts
    ]
    agencies = rank_agencies(merge_agencies(per_agency, current))
    total = sum((p.figures for p in plan_rows), Figures())

    # Among the agencies with open work: no working chat — lost (bot removed or blocked) or
    # never bound; reminded but silent.
    reachable = {current[i][0] for i in await chats_repo.bound_agency_ids(session, province_id=province.id)}
    lost = {current[a.id][0] for a in await agencies_repo.unreachable_agencies(session, province_id=province.id)}
    waiting = [a for a in agencies if (a.figures.overdue or a.figures.in_term) and a.agency_code not in reachable]
    silent_codes = await silent_agencies(session, province_id=province.id, end=end, current=current)

    digest = Digest(
        province_name=province.name,
        period=period,
        total=total,
        plans=plan_rows,
        agencies=agencies,
        unreachable=[a.agency_name for a in waiting if a.agency_code in lost],
        unbound=[a.agency_name for a in waiting if a.agency_code not in lost],
        silent=[a.agency_name for a in agencies if a.agency_code in silent_codes and a.agency_code in reachable],
        rows=selection.rows(),
        soon_days=soon,
        rows_total=selection.total if selection.total > selection.limit else None,
        tasks=sum(c.tasks for c in counts.values()),
        unassigned=await reports.unassigned_tasks(session, province_ids=[province.id], today=today),
    )
    events.finish(digest)
    return digest


async def pending_requests(
    session: AsyncSession, *, province_id: int, end: datetime, tz: ZoneInfo
) -> dict[int, tuple[date, date, str | None]]:
    """Extension requests waiting for the leaders at `end`: due item → (asked on, proposed
    date, reason). Made before `end` and not decided before it (whatever happened since)."""
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
    return {item_id: (created.astimezone(tz).date(), proposed, reason) for item_id, created, proposed, reason in rows.all()}


class _Events:
    """The period's lists, from the same rows as the figures, one row at a time."""

    def __init__(self, period: DigestPeriod, soon_days: int, requests: dict[int, tuple[date, date, str | None]]) -> None:
        self.period = period
        self.soon_days = soon_days
        self.requests = requests
        self.completed: list[DigestEvent] = []
        self.new_blockers: list[DigestEvent] = []
        self.extension_requests: list[DigestEvent] = []
        self.became_overdue: list[DigestEvent] = []
        self.due_soon: list[DueLine] = []

    def add(self, row: ReportRow, changed_on: date | None) -> None:
        if row.due_item_id is None:
            return
        period = self.period
        today = period.as_of
        if row.status is Status.DONE:
            if row.completed_on is not None and period.start <= row.completed_on <= today:
                self.completed.append(DigestEvent(row.line(), row.completed_on, row.note))
            return
        if row.status is Status.BLOCKED and changed_on is not None and period.start <= changed_on <= today:
            self.new_blockers.append(DigestEvent(row.line(), changed_on, row.note))
        if row.due_item_id in self.requests:
            asked, proposed, reason = self.requests[row.due_item_id]
            self.extension_requests.append(DigestEvent(row.line(), asked, reason or row.note, proposed_due_on=proposed))
        elif row.status is Status.EXTENSION_REQUESTED:  # set without a request row (an admin, older data)
            self.extension_requests.append(DigestEvent(row.line(), changed_on or today, row.note))
        came_due = (period.start - timedelta(days=1), today - timedelta(days=1))  # overdue from the next day
        if row.category is Category.OVERDUE and row.due_on is not None and came_due[0] <= row.due_on <= came_due[1]:
            self.became_overdue.append(DigestEvent(row.line(), row.due_on + timedelta(days=1)))
        if row.due_on is not None and 0 <= (row.due_on - today).days <= self.soon_days:
            self.due_soon.append(row.line())

    def finish(self, digest: Digest) -> None:
        by_day = lambda e: (e.on, e.line.agency_name, e.line.task_ref)  # noqa: E731
        digest.completed = sorted(self.completed, key=by_day)
        digest.new_blockers = sorted(self.new_blockers, key=by_day)
        digest.extension_requests = sorted(self.extension_requests, key=by_day)
        digest.became_overdue = sorted(
            self.became_overdue, key=lambda e: (e.line.due_on, e.line.agency_name, e.line.task_ref)
        )
        digest.due_soon = sorted(self.due_soon, key=lambda line: (line.due_on, line.agency_name, line.task_ref))


# --- rendering and sending ---------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """One Telegram message of a digest: a text, the chart or a file."""

    kind: str  # "text" | "photo" | "document"
    text: str = ""  # the text, or the caption
    data: bytes = b""
    filename: str = ""


@dataclass
class DigestOutput:
    digest: Digest
    messages: list[str]
    chart: bytes | None = None
    chart_data: Any = None  # bot.render.chart.ChartData
    workbook: bytes | None = None
    report: bytes | None = None
    stem: str = "bao-cao"
    parts: list[Part] = field(default_factory=list)


def render_digest(digest: Digest, *, province_slug: str, with_report: bool = False) -> DigestOutput:
    """Texts, chart, workbook (and the .docx draft): CPU work, run it in a thread."""
    # Imported here: matplotlib, openpyxl and python-docx cost a second at start-up, and
    # most processes (the CLI's other commands, tests) never draw a digest.
    from bot.render import chart as charts
    from bot.render import digest as texts
    from bot.render.report_docx import build_report_docx
    from bot.render.xlsx import build_workbook

    messages = texts.digest_messages(digest)
    output = DigestOutput(digest, messages, stem=texts.file_stem(digest, province_slug))
    output.parts = [Part("text", text) for text in messages]
    if digest.quiet:
        return output
    data = charts.chart_data(
        digest, title=f"Tình trạng nhiệm vụ theo cơ quan — {texts.period_label(digest.period)}"
    )
    output.chart_data = data
    output.chart = charts.render_chart(data)
    output.workbook = build_workbook(digest)
    output.parts.append(Part("photo", texts.chart_caption(digest, len(data.agencies)), output.chart, f"{output.stem}.png"))
    output.parts.append(Part("document", texts.workbook_caption(digest), output.workbook, f"{output.stem}.xlsx"))
    if with_report:
        output.report = build_report_docx(digest)
        output.parts.append(Part("document", texts.report_caption(digest), output.report, f"{output.stem}.docx"))
    return output


async def make_output(
    session: AsyncSession, *, province: Province, period: DigestPeriod, with_report: bool = False
) -> DigestOutput:
    digest = await build_digest(session, province=province, period=period)
    return await asyncio.to_thread(render_digest, digest, province_slug=province.slug, with_report=with_report)


async def send_parts(
    bot: Any,
    chat_id: int,
    parts: Sequence[Part],
    *,
    start: int = 0,
    on_sent: Callable[[int], Awaitable[None]] | None = None,
) -> int:
    """Send parts[start:] in order; `on_sent(n)` after each (n parts done). Errors propagate."""
    done = start
    # Imported here: the digest worker's child process builds, never sends, and is ~30 MB
    # smaller without python-telegram-bot and httpx.
    from telegram import InputFile
    from telegram.constants import ParseMode

    html = ParseMode.HTML
    for part in parts[start:]:
        if part.kind == "text":
            await bot.send_message(chat_id=chat_id, text=part.text, parse_mode=html)
        elif part.kind == "photo":
            await bot.send_photo(
                chat_id=chat_id, photo=InputFile(part.data, filename=part.filename), caption=part.text, parse_mode=html
            )
        else:
            await bot.send_document(
                chat_id=chat_id, document=InputFile(part.data, filename=part.filename), caption=part.text,
                parse_mode=html,
            )
        done += 1
        if on_sent is not None:
            await on_sent(done)
    return done


# --- scheduled runs: once per leaders' chat, kind and as-of date ----------------------------


@dataclass(frozen=True)
class ClaimedRun:
    run_id: int
    chat_id: int  # Chat.id
    tg_chat_id: int
    province_id: int
    parts_sent: int
    attempts: int


async def open_runs(
    session: AsyncSession, *, period: DigestPeriod, province_ids: Sequence[int], now: datetime
) -> int:
    """A pending run for each active leaders' chat of the provinces (existing ones stay);
    returns how many were new."""
    chats = list(
        await session.scalars(
            select(Chat.id).where(
                Chat.province_id.in_(list(province_ids)), Chat.role == ChatRole.LEADERS, Chat.active
            )
        )
    )
    if not chats:
        return 0
    result = await session.execute(
        insert_ignore(session, DigestRun).returning(DigestRun.id),
        [
            {"chat_id": chat_id, "kind": period.kind.value, "as_of": period.as_of, "created_at": now}
            for chat_id in chats
        ],
    )
    return len(result.all())


async def claim_runs(
    session: AsyncSession, *, period: DigestPeriod, worker: str, now: datetime, lease: timedelta
) -> list[ClaimedRun]:
    """Take the period's pending runs (of active chats) for `worker`; a run another process
    left `sending` past its lease becomes uncertain (it may have sent part of it)."""
    same = (DigestRun.kind == period.kind.value, DigestRun.as_of == period.as_of)
    await session.execute(
        update(DigestRun)
        .where(*same, DigestRun.status == DigestRunStatus.SENDING, DigestRun.lease_until < now)
        .values(status=DigestRunStatus.UNCERTAIN, error="tiến trình dừng khi đang gửi")
        .execution_options(synchronize_session=False)
    )
    active = select(Chat.id).where(Chat.active).scalar_subquery()
    claimed = await session.execute(
        update(DigestRun)
        .where(*same, DigestRun.status == DigestRunStatus.PENDING, DigestRun.chat_id.in_(active))
        .values(status=DigestRunStatus.SENDING, claimed_by=worker, lease_until=now + lease, attempts=DigestRun.attempts + 1)
        .returning(DigestRun.id)
        .execution_options(synchronize_session=False)
    )
    ids = [row[0] for row in claimed.all()]
    if not ids:
        return []
    rows = await session.execute(
        select(DigestRun.id, DigestRun.chat_id, Chat.tg_chat_id, Chat.province_id, DigestRun.parts_sent, DigestRun.attempts)
        .join(Chat, DigestRun.chat_id == Chat.id)
        .where(DigestRun.id.in_(ids))
        .order_by(DigestRun.id)
    )
    return [ClaimedRun(*row) for row in rows.all()]


async def update_run(session: AsyncSession, *, run_id: int, worker: str, **values: Any) -> bool:
    """Move a run this worker holds (parts_sent, status, error…); False if it lost it."""
    result = await session.execute(
        update(DigestRun)
        .where(DigestRun.id == run_id, DigestRun.claimed_by == worker, DigestRun.status == DigestRunStatus.SENDING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


# --- the command line (`nhacviec digest`) --------------------------------------------------


@dataclass
class CliDigest:
    province_name: str
    output: DigestOutput
    chats: list[int]  # the leaders' chats it was sent to (with --send)


def plain_text(messages: Sequence[str]) -> str:
    return "\n\n".join(unhtml(m) for m in messages)


def write_files(output: DigestOutput, folder: Path) -> list[Path]:
    """The text, chart, workbook (and report) as files in `folder`; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    text = folder / f"{output.stem}.txt"
    text.write_text(plain_text(output.messages) + "\n", encoding="utf-8")
    written = [text]
    for data, suffix in ((output.chart, "png"), (output.workbook, "xlsx"), (output.report, "docx")):
        if data is not None:
            path = folder / f"{output.stem}.{suffix}"
            path.write_bytes(data)
            written.append(path)
    return written


async def cli_digests(
    settings: Any, *, kind: str, as_of: date | None, province: str | None, send: bool
) -> list[CliDigest]:
    """Build (and with `send`, send to every active leaders' chat) the digest of the
    configured province(s) as of `as_of` (default: the province's today); [] when there is
    no province yet. Sending needs TELEGRAM_BOT_TOKEN (the caller checks)."""
    period_kind = DigestKind(kind)
    await upgrade_database_async(settings.database_url)
    engine = make_engine(settings.database_url)
    results: list[CliDigest] = []
    try:
        async with make_sessionmaker(engine)() as session:
            if province:
                found = await agencies_repo.get_province(session, slug=province)
                provinces = [found] if found is not None else []
            else:
                provinces = await configured_provinces(session, settings=settings)
            for p in provinces:
                day = as_of or datetime.now(ZoneInfo(p.timezone)).date()
                digest = await build_digest(session, province=p, period=digest_period(period_kind, day))
                output = render_digest(
                    digest, province_slug=p.slug, with_report=period_kind is DigestKind.MONTH and settings.digest_docx
                )
                chats = [c.tg_chat_id for c in await chats_repo.leaders_chats(session, province_id=p.id)] if send else []
                results.append(CliDigest(p.name, output, chats))
    finally:
        await engine.dispose()
    if send and any(r.chats for r in results):
        await _send_with_token(settings, results)
    return results


async def _send_with_token(settings: Any, results: Sequence[CliDigest]) -> None:
    from telegram import Bot

    bot = Bot(
        (settings.telegram_bot_token or "").strip(), base_url=settings.bot_base_url,
        base_file_url=settings.bot_base_file_url,
    )
    async with bot:
        for result in results:
            for chat_id in result.chats:
                await send_parts(bot, chat_id, result.output.parts)
