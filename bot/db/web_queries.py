"""Queries of the web console's pages (SQL lives in bot/db)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Text, and_, case, cast, false, func, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.digests import any_holds, hold_at
from bot.db.models import (
    Agency,
    Chat,
    DueItem,
    ExtensionRequest,
    FocalPoint,
    PendingUpload,
    Plan,
    Province,
    ReminderHold,
    StatusChange,
    Task,
    TaskAgency,
    TaskCorrection,
)
from bot.domain.kinds import FlowState, HoldKind, LinkRole
from bot.domain.status import Category, ChangeSource, Status


@dataclass(frozen=True)
class TaskFilter:
    province_id: int
    agency_ids: Sequence[int] | None = None  # a focal point: only these agencies' items
    plan_id: int | None = None
    agency_id: int | None = None
    category: Category | None = None
    due_from: date | None = None
    due_to: date | None = None
    flag: str | None = None
    text_task_ids: Sequence[int] | None = None  # tasks whose text matched (accent-insensitive)
    # Holds (snooze, agency pause, "không thực hiện") in force at `holds_at` (None: there are
    # none — nothing looked up): an open item on hold is in no category, as in the digest;
    # `hold` keeps only those on hold ("held": snoozed or paused, "waived": không thực hiện).
    holds_at: datetime | None = None
    hold: str | None = None


HELD = "held"
WAIVED = "waived"
HOLD_FILTERS = (HELD, WAIVED)


@dataclass(frozen=True)
class TaskListRow:
    due_item_id: int
    task_id: int
    ref: str
    plan_number: str
    title: str
    agency_name: str
    due_on: date
    status: Status
    progress: int
    completed_on: date | None
    needs_review: list[str]


def category_condition(category: Category, today: date) -> Any:
    done = DueItem.status == Status.DONE
    on_time = or_(
        DueItem.completed_on <= DueItem.due_on,
        and_(DueItem.completed_on.is_(None), DueItem.due_on >= today),
    )
    if category is Category.DONE_ON_TIME:
        return and_(done, on_time)
    if category is Category.DONE_LATE:
        return and_(done, not_(on_time))
    if category is Category.OVERDUE:
        return and_(not_(done), DueItem.status != Status.UNKNOWN, DueItem.due_on < today)
    if category is Category.UNCONFIRMED:
        return DueItem.status == Status.UNKNOWN
    if category is Category.NOT_DUE:
        return and_(DueItem.status == Status.PENDING, DueItem.due_on >= today)
    if category is Category.ON_TRACK:
        return and_(DueItem.status.not_in([Status.DONE, Status.PENDING, Status.UNKNOWN]), DueItem.due_on >= today)
    return false()  # NO_DEADLINE: undated tasks have no due item


def _task_kept(f: TaskFilter) -> Any:
    """EXISTS: the item's task is one of the province's tasks the filter keeps (plan, review
    flag, text) — correlated, so it is checked by primary key for each item read."""
    where: list[Any] = [Task.id == DueItem.task_id, Plan.province_id == f.province_id, Task.removed == false()]
    if f.plan_id is not None:
        where.append(Task.plan_id == f.plan_id)
    if f.flag == "any":
        where.append(func.length(func.coalesce(cast(Task.needs_review, Text), "")) > 2)
    elif f.flag:
        where.append(cast(Task.needs_review, Text).like(f'%"{f.flag}"%'))
    if f.text_task_ids is not None:
        where.append(Task.id.in_(list(f.text_task_ids)))
    return select(Task.id).join(Plan, Task.plan_id == Plan.id).where(*where).correlate(DueItem).exists()


def _where(f: TaskFilter, today: date) -> list[Any]:
    """Conditions on due_items, the task's through a correlated EXISTS: a page is then read
    in due-date order from the due_on index (50 items probed, not the province's 100,000
    joined and sorted); a count scans due_items once with a primary-key probe per item."""
    where: list[Any] = [DueItem.cancelled == false(), _task_kept(f)]
    if f.agency_ids is not None:
        where.append(DueItem.agency_id.in_(list(f.agency_ids)))
    if f.agency_id is not None:
        where.append(DueItem.agency_id == f.agency_id)
    if f.category is not None:
        where.append(category_condition(f.category, today))
        if f.holds_at is not None and f.category not in (Category.DONE_ON_TIME, Category.DONE_LATE):
            where.append(hold_at(f.holds_at, today, ReminderHold.kind).is_(None))
    if f.hold is not None:
        if f.holds_at is None:
            where.append(false())
        else:
            kind = hold_at(f.holds_at, today, ReminderHold.kind)
            where.append(DueItem.status != Status.DONE)
            where.append(kind == HoldKind.WAIVE.value if f.hold == WAIVED else kind.in_([HoldKind.SNOOZE.value, HoldKind.PAUSE.value]))
    if f.due_from is not None:
        where.append(DueItem.due_on >= f.due_from)
    if f.due_to is not None:
        where.append(DueItem.due_on <= f.due_to)
    return where


async def count_tasks(session: AsyncSession, f: TaskFilter, *, today: date) -> int:
    return int(await session.scalar(select(func.count(DueItem.id)).where(*_where(f, today))) or 0)


async def list_tasks_page(
    session: AsyncSession, f: TaskFilter, *, today: date, offset: int, limit: int
) -> list[TaskListRow]:
    """One page of the filtered items, by due date (then id): the page's ids first, from
    due_items alone, then their rows."""
    ids = list(
        await session.scalars(
            select(DueItem.id).where(*_where(f, today)).order_by(DueItem.due_on, DueItem.id).offset(offset).limit(limit)
        )
    )
    if not ids:
        return []
    query = (
        select(
            DueItem.id, Task.id, Task.ref, Plan.number, Task.title, Agency.name, DueItem.due_on,
            DueItem.status, DueItem.progress, DueItem.completed_on, Task.needs_review,
        )
        .select_from(DueItem)
        .join(Task, DueItem.task_id == Task.id)
        .join(Plan, Task.plan_id == Plan.id)
        .join(Agency, DueItem.agency_id == Agency.id)
        .where(DueItem.id.in_(ids))
        .order_by(DueItem.due_on, DueItem.id)
    )
    return [TaskListRow(*row) for row in (await session.execute(query)).all()]


async def holds_at_end(session: AsyncSession, *, end: datetime) -> datetime | None:
    """`end` if any hold was made before it (TaskFilter.holds_at), else None (the usual case)."""
    return end if await any_holds(session, end=end) else None


async def current_holds(
    session: AsyncSession, *, due_item_ids: Sequence[int], end: datetime, today: date
) -> dict[int, tuple[str, date | None]]:
    """The hold in force on each of these items at `end` (kind, until) — its own or its
    agency's pause, "không thực hiện" first, as the digest counts it; items without one are left out."""
    if not due_item_ids or not await any_holds(session, end=end):
        return {}
    rows = await session.execute(
        select(DueItem.id, hold_at(end, today, ReminderHold.kind), hold_at(end, today, ReminderHold.until_on))
        .where(DueItem.id.in_(list(due_item_ids)))
    )
    return {int(i): (str(kind), until) for i, kind, until in rows.all() if kind is not None}


async def agency_pause(session: AsyncSession, *, agency_id: int, end: datetime, today: date) -> ReminderHold | None:
    """The agency's pause in force at `end` (/tamdung), if any."""
    return await session.scalar(
        select(ReminderHold)
        .where(
            ReminderHold.agency_id == agency_id, ReminderHold.kind == HoldKind.PAUSE, ReminderHold.created_at < end,
            or_(ReminderHold.ended_at.is_(None), ReminderHold.ended_at >= end),
            or_(ReminderHold.until_on.is_(None), ReminderHold.until_on > today),
        )
        .order_by(ReminderHold.id.desc())
        .limit(1)
    )


async def text_index_key(session: AsyncSession, *, province_id: int) -> tuple[Any, ...]:
    """Changes whenever a task text of the province may have changed (an import, a title or
    product correction): the key of the console's cached search index."""
    plans = (
        await session.execute(
            select(func.count(Plan.id), func.max(Plan.updated_at), func.max(Plan.imported_at))
            .where(Plan.province_id == province_id)
        )
    ).one()
    corrected = await session.scalar(
        select(func.max(TaskCorrection.id)).where(TaskCorrection.province_id == province_id)
    )
    return (*plans, corrected)


async def task_texts(session: AsyncSession, *, province_id: int) -> list[tuple[int, str, str | None, str | None]]:
    """(task id, title, product, ref) of a province's tasks, for the accent-insensitive search."""
    query = (
        select(Task.id, Task.title, Task.product, Task.ref)
        .join(Plan, Task.plan_id == Plan.id)
        .where(Plan.province_id == province_id, Task.removed == false())
    )
    return [tuple(r) for r in (await session.execute(query)).all()]  # type: ignore[misc]


async def plans_of(session: AsyncSession, *, province_id: int) -> list[Plan]:
    return list(await session.scalars(select(Plan).where(Plan.province_id == province_id).order_by(Plan.number)))


async def agencies_of(session: AsyncSession, *, province_id: int) -> list[Agency]:
    return list(
        await session.scalars(
            select(Agency).where(Agency.province_id == province_id, Agency.active).order_by(Agency.name)
        )
    )


async def agency_names_by_code(session: AsyncSession, *, province_id: int) -> dict[str, str]:
    """code → name of the province's agencies, merged and inactive ones too (corrections store codes)."""
    return {code: name for code, name in (await session.execute(
        select(Agency.code, Agency.name).where(Agency.province_id == province_id)
    )).all()}


async def provinces_by_ids(session: AsyncSession, ids: Iterable[int]) -> list[Province]:
    return list(await session.scalars(select(Province).where(Province.id.in_(list(ids))).order_by(Province.name)))


async def active_chats(session: AsyncSession, *, province_ids: Iterable[int] | None = None) -> list[Chat]:
    query = select(Chat).where(Chat.active)
    if province_ids is not None:
        query = query.where(Chat.province_id.in_(list(province_ids)))
    return list(await session.scalars(query))


async def task_detail(session: AsyncSession, *, task_id: int) -> tuple[Task, Plan] | None:
    found = (await session.execute(select(Task, Plan).join(Plan, Task.plan_id == Plan.id).where(Task.id == task_id))).first()
    return (found[0], found[1]) if found else None


async def task_links(session: AsyncSession, *, task_id: int) -> dict[LinkRole, list[Agency]]:
    rows = await session.execute(
        select(TaskAgency.role, Agency).join(Agency, TaskAgency.agency_id == Agency.id)
        .where(TaskAgency.task_id == task_id).order_by(Agency.name)
    )
    links: dict[LinkRole, list[Agency]] = {LinkRole.LEAD: [], LinkRole.SUPPORT: []}
    for role, agency in rows.all():
        links[role].append(agency)
    return links


async def task_items(session: AsyncSession, *, task_id: int) -> list[tuple[DueItem, str]]:
    rows = await session.execute(
        select(DueItem, Agency.name).join(Agency, DueItem.agency_id == Agency.id)
        .where(DueItem.task_id == task_id).order_by(DueItem.due_on, Agency.name)
    )
    return [(item, name) for item, name in rows.all()]


async def task_history(
    session: AsyncSession, *, task_id: int
) -> list[tuple[StatusChange, str, tuple[str, date | None] | None]]:
    """A task's history rows with their item's agency name and the hold each recorded
    (kind, until; None: not a hold)."""
    kind, until = _hold_recorded()
    rows = await session.execute(
        select(StatusChange, Agency.name, kind, until)
        .join(DueItem, StatusChange.due_item_id == DueItem.id)
        .join(Agency, DueItem.agency_id == Agency.id)
        .where(DueItem.task_id == task_id)
        .order_by(StatusChange.at, StatusChange.id)
    )
    return [(change, name, (str(k), u) if k is not None else None) for change, name, k, u in rows.all()]


@dataclass(frozen=True)
class PlanOverview:
    plan: Plan
    tasks: int
    due_items: int
    flagged: int


async def plan_overview(session: AsyncSession, *, province_id: int) -> list[PlanOverview]:
    """A province's plans with their task, open due item and flagged task counts."""
    tasks = (
        select(Task.plan_id, func.count(Task.id).label("n"),
               func.sum(case((func.length(func.coalesce(cast(Task.needs_review, Text), "")) > 2, 1), else_=0)).label("f"))
        .where(Task.removed == false())
        .group_by(Task.plan_id)
        .subquery()
    )
    items = (
        select(Task.plan_id, func.count(DueItem.id).label("n"))
        .join(DueItem, DueItem.task_id == Task.id)
        .where(DueItem.cancelled == false(), Task.removed == false())
        .group_by(Task.plan_id)
        .subquery()
    )
    query = (
        select(Plan, func.coalesce(tasks.c.n, 0), func.coalesce(items.c.n, 0), func.coalesce(tasks.c.f, 0))
        .outerjoin(tasks, tasks.c.plan_id == Plan.id)
        .outerjoin(items, items.c.plan_id == Plan.id)
        .where(Plan.province_id == province_id)
        .order_by(Plan.issued_on.desc(), Plan.number)
    )
    return [PlanOverview(p, int(n), int(d), int(f)) for p, n, d, f in (await session.execute(query)).all()]


async def pending_uploads(session: AsyncSession, *, province_slugs: Iterable[str]) -> list[PendingUpload]:
    """Plans uploaded (to the bot or the console) and not yet imported nor cancelled."""
    return list(
        await session.scalars(
            select(PendingUpload)
            .where(
                PendingUpload.state == FlowState.PENDING, PendingUpload.content.is_not(None),
                PendingUpload.province_slug.in_(list(province_slugs)),
            )
            .order_by(PendingUpload.created_at.desc())
            .limit(50)
        )
    )


async def pending_upload(session: AsyncSession, *, upload_id: int) -> PendingUpload | None:
    row = await session.get(PendingUpload, upload_id)
    if row is None or row.state is not FlowState.PENDING or row.content is None:
        return None
    return row


async def agency_chats(session: AsyncSession, *, province_id: int) -> dict[int, list[Chat]]:
    """agency id → its chats (active first), every chat ever bound in the province."""
    chats: dict[int, list[Chat]] = {}
    rows = await session.scalars(
        select(Chat).where(Chat.province_id == province_id, Chat.agency_id.is_not(None))
        .order_by(Chat.active.desc(), Chat.bound_at)
    )
    for chat in rows:
        assert chat.agency_id is not None
        chats.setdefault(chat.agency_id, []).append(chat)
    return chats


async def agency_focal_points(session: AsyncSession, *, province_id: int) -> dict[int, list[str]]:
    """agency id → its registered focal points' names (/daumoi), oldest first."""
    rows = await session.execute(
        select(FocalPoint.agency_id, FocalPoint.name, FocalPoint.username)
        .join(Agency, FocalPoint.agency_id == Agency.id)
        .where(Agency.province_id == province_id, FocalPoint.active)
        .order_by(FocalPoint.agency_id, FocalPoint.created_at, FocalPoint.id)
    )
    found: dict[int, list[str]] = {}
    for agency_id, name, username in rows.all():
        found.setdefault(agency_id, []).append(f"{name} (@{username})" if username else name)
    return found


async def agency_people(
    session: AsyncSession, *, province_id: int, limit: int = 5, since: datetime | None = None,
    agency_ids: Collection[int] | None = None,
) -> dict[int, list[str]]:
    """agency id → the names of the people who last answered for it (newest first): the
    focal points as the history knows them (chat, buttons, commands, Zalo, console);
    `since`: from the rows written since then only."""
    # The rows since `since` first, from the status_changes.at index, per item and name
    # (grouped by name first so that SQLite reads that index, not every item's history),
    # then their agencies: not a probe of each of the province's 100,000 items' history.
    answers = (
        select(StatusChange.due_item_id, StatusChange.actor_name, func.max(StatusChange.at).label("last"))
        .where(
            StatusChange.actor_name.is_not(None),
            StatusChange.source.in_([ChangeSource.CHAT, ChangeSource.BUTTON, ChangeSource.COMMAND]),
            *([StatusChange.at >= since] if since is not None else []),
        )
        .group_by(StatusChange.actor_name, StatusChange.due_item_id)
        .subquery("answers")
    )
    last = func.max(answers.c.last).label("last")
    rows = await session.execute(
        select(DueItem.agency_id, answers.c.actor_name, last)
        .select_from(answers)
        .join(DueItem, answers.c.due_item_id == DueItem.id)
        .join(Agency, DueItem.agency_id == Agency.id)
        .where(Agency.province_id == province_id, *([DueItem.agency_id.in_(sorted(agency_ids))] if agency_ids is not None else []))
        .group_by(DueItem.agency_id, answers.c.actor_name)
        .order_by(DueItem.agency_id, last.desc())
    )
    people: dict[int, list[str]] = {}
    for agency_id, name, _ in rows.all():
        names = people.setdefault(agency_id, [])
        if len(names) < limit:
            names.append(name)
    return people


@dataclass(frozen=True)
class HistoryFilter:
    province_id: int
    agency_ids: Sequence[int] | None = None  # a focal point's own agencies
    agency_id: int | None = None
    plan_id: int | None = None
    task_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class HistoryRow:
    at: datetime
    plan_number: str
    task_id: int
    task_ref: str
    title: str
    agency_name: str
    due_on: date
    old_status: Status | None
    new_status: Status
    progress: int | None
    actor_name: str | None
    source: str
    channel: str | None
    note: str | None
    change_id: int = 0
    due_item_id: int = 0
    evidence: Any = None  # read for a page (`history(..., details=True)`), not for an export
    hold: tuple[str, date | None] | None = None  # the hold this row recorded (kind, until), with `details`


def _history_query(f: HistoryFilter, *, details: bool = False) -> Any:
    where: list[Any] = [Plan.province_id == f.province_id]
    if f.agency_ids is not None:
        where.append(DueItem.agency_id.in_(list(f.agency_ids)))
    if f.agency_id is not None:
        where.append(DueItem.agency_id == f.agency_id)
    if f.plan_id is not None:
        where.append(Task.plan_id == f.plan_id)
    if f.task_id is not None:
        where.append(Task.id == f.task_id)
    if f.since is not None:
        where.append(StatusChange.at >= f.since)
    if f.until is not None:
        where.append(StatusChange.at < f.until)
    return (
        select(
            StatusChange.at, Plan.number, Task.id, Task.ref, Task.title, Agency.name, DueItem.due_on,
            StatusChange.old_status, StatusChange.new_status, StatusChange.progress, StatusChange.actor_name,
            StatusChange.source, StatusChange.channel, StatusChange.note, StatusChange.id, StatusChange.due_item_id,
            *((StatusChange.evidence, *_hold_recorded()) if details else ()),
        )
        .join(DueItem, StatusChange.due_item_id == DueItem.id)
        .join(Task, DueItem.task_id == Task.id)
        .join(Plan, Task.plan_id == Plan.id)
        .join(Agency, DueItem.agency_id == Agency.id)
        .where(*where)
    )


def _hold_recorded() -> tuple[Any, Any]:
    """(kind, until) of the hold a history row recorded: a snooze or "không thực hiện" writes
    its hold and the item's history row at the same instant (bot.services.followup)."""

    def column(c: Any) -> Any:
        return (
            select(c)
            .where(ReminderHold.due_item_id == StatusChange.due_item_id, ReminderHold.created_at == StatusChange.at)
            .order_by(ReminderHold.id.desc())
            .limit(1)
            .correlate(StatusChange)
            .scalar_subquery()
        )

    return column(ReminderHold.kind), column(ReminderHold.until_on)


async def history(
    session: AsyncSession, f: HistoryFilter, *, limit: int | None = None, newest_first: bool = False, details: bool = False
) -> list[HistoryRow]:
    """Status history rows (oldest first, or newest first for a page), filtered; `details`:
    with each row's evidence and the hold it recorded (a page's few rows, not an export)."""
    order = (StatusChange.at.desc(), StatusChange.id.desc()) if newest_first else (StatusChange.at, StatusChange.id)
    query = _history_query(f, details=details).order_by(*order)
    if limit is not None:
        query = query.limit(limit)
    rows: list[HistoryRow] = []
    for at, number, tid, ref, title, name, due, old, new, progress, actor, source, channel, note, cid, iid, *more in (
        await session.execute(query)
    ).all():
        evidence, kind, until = more if more else (None, None, None)
        rows.append(HistoryRow(
            at, number, tid, ref, title, name, due, old, new, progress, actor, str(source), channel, note, cid, iid,
            evidence, (str(kind), until) if kind is not None else None,
        ))
    return rows


async def agency_by_id(session: AsyncSession, *, agency_id: int) -> Agency | None:
    return await session.get(Agency, agency_id)


async def item_province(session: AsyncSession, *, due_item_id: int) -> tuple[int, int] | None:
    """(task id, province id) of a due item."""
    found = (
        await session.execute(
            select(Task.id, Plan.province_id).join(DueItem, DueItem.task_id == Task.id)
            .join(Plan, Task.plan_id == Plan.id).where(DueItem.id == due_item_id)
        )
    ).first()
    return (int(found[0]), int(found[1])) if found else None


@dataclass(frozen=True)
class ChangeEvidence:
    change_id: int
    due_item_id: int
    agency_id: int
    province_id: int
    evidence: Any


async def evidence_of_change(session: AsyncSession, *, change_id: int) -> ChangeEvidence | None:
    """A history row's evidence with whose item it is (agency, province): the download's check."""
    found = (
        await session.execute(
            select(StatusChange.id, DueItem.id, DueItem.agency_id, Plan.province_id, StatusChange.evidence)
            .join(DueItem, StatusChange.due_item_id == DueItem.id)
            .join(Task, DueItem.task_id == Task.id)
            .join(Plan, Task.plan_id == Plan.id)
            .where(StatusChange.id == change_id)
        )
    ).first()
    return ChangeEvidence(int(found[0]), int(found[1]), int(found[2]), int(found[3]), found[4]) if found else None


async def extension_province(session: AsyncSession, *, request_id: int) -> int | None:
    """The province of an extension request's item."""
    found = await session.scalar(
        select(Plan.province_id).join(Task, Task.plan_id == Plan.id).join(DueItem, DueItem.task_id == Task.id)
        .join(ExtensionRequest, ExtensionRequest.due_item_id == DueItem.id).where(ExtensionRequest.id == request_id)
    )
    return int(found) if found is not None else None


async def items_with_province(session: AsyncSession, *, due_item_ids: Sequence[int]) -> list[tuple[int, int, int, int]]:
    """(due item id, task id, agency id, province id) of the open, current items among the ids."""
    if not due_item_ids:
        return []
    rows = await session.execute(
        select(DueItem.id, Task.id, DueItem.agency_id, Plan.province_id)
        .join(Task, DueItem.task_id == Task.id).join(Plan, Task.plan_id == Plan.id)
        .where(DueItem.id.in_(list(due_item_ids)), DueItem.cancelled == false(), Task.removed == false())
        .order_by(DueItem.id)
    )
    return [(int(a), int(b), int(c), int(d)) for a, b, c, d in rows.all()]


@dataclass(frozen=True)
class UndatedTask:
    task_id: int
    ref: str
    title: str
    deadline_text: str | None
    plan_number: str
    leads: str  # the lead agencies' names, joined


async def undated_tasks(session: AsyncSession, *, province_id: int, limit: int = 500) -> list[UndatedTask]:
    """The province's tasks with no open due date: an event deadline ("Ngay sau khi Chỉ số
    PCI được công bố"), a phrase nobody could read, or no deadline — plan by plan."""
    dated = (
        select(DueItem.id).where(DueItem.task_id == Task.id, DueItem.cancelled == false()).correlate(Task).exists()
    )
    rows = (
        await session.execute(
            select(Task.id, Task.ref, Task.title, Task.deadline_text, Plan.number)
            .join(Plan, Task.plan_id == Plan.id)
            .where(Plan.province_id == province_id, Task.removed == false(), ~dated)
            .order_by(Plan.issued_on, Plan.number, Task.position)
            .limit(limit)
        )
    ).all()
    ids = [r[0] for r in rows]
    leads: dict[int, list[str]] = {}
    if ids:
        for task_id, name in (
            await session.execute(
                select(TaskAgency.task_id, Agency.name).join(Agency, TaskAgency.agency_id == Agency.id)
                .where(TaskAgency.task_id.in_(ids), TaskAgency.role == LinkRole.LEAD).order_by(Agency.name)
            )
        ).all():
            leads.setdefault(task_id, []).append(name)
    return [
        UndatedTask(task_id, ref, title, text, number, ", ".join(leads.get(task_id, [])))
        for task_id, ref, title, text, number in rows
    ]
