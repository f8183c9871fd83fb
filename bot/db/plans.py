"""Plans, tasks and their due items: the tasks table, due lines for digests, one task or item with what it needs.

Data functions: keyword-only, take the caller's session, flush at most, never commit.
Selection happens in SQL over indexed columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import and_, exists, false, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from bot.db.agencies import find_agencies
from bot.db.models import Agency, DueItem, Plan, Province, Task, TaskAgency
from bot.domain.digest import DueLine
from bot.domain.kinds import LinkRole
from bot.domain.status import Category, Status, category


async def get_plan_by_number(
    session: AsyncSession, *, province: Province, number: str
) -> Plan | None:
    return await session.scalar(
        select(Plan).where(Plan.province_id == province.id, Plan.number == number)
    )


@dataclass(frozen=True)
class TaskRow:
    """One line of the tasks table: a due item, or a task without any due date."""

    task_id: int
    ref: str
    plan_number: str
    title: str
    agency_code: str | None  # the lead agency (None: the plan names none)
    agency_name: str | None
    due_item_id: int | None  # None: no due date ("chưa xác định thời hạn")
    due_on: date | None
    status: Status | None
    progress: int | None
    completed_on: date | None
    needs_review: tuple[str, ...] = ()  # ReviewReason values: show a "cần rà soát" mark

    def category(self, today: date) -> Category:
        return category(self.status or Status.PENDING, self.due_on, self.completed_on, today)


async def list_tasks(
    session: AsyncSession,
    *,
    province: Province,
    agency: str | None = None,
    plan_number: str | None = None,
    due_before: date | None = None,
    due_after: date | None = None,
    statuses: Iterable[Status] | None = None,
    open_only: bool = False,
    include_undated: bool = True,
    limit: int | None = None,
) -> list[TaskRow]:
    """Rows for the CLI/admin tasks table, dated rows first (by due date), then undated.

    `agency` is a code or part of a name (see `find_agencies`); an agency that
    matches nothing gives no rows. Date bounds are inclusive. Removed tasks and
    cancelled due items are left out. Undated tasks are listed once per lead agency
    unless a date or status filter is given.
    """
    agency_ids: list[int] | None = None
    if agency is not None:
        agency_ids = [a.id for a in await find_agencies(session, province=province, query=agency)]
        if not agency_ids:
            return []

    dated = (
        select(
            Task.id,
            Task.ref,
            Plan.number,
            Task.title,
            Agency.code,
            Agency.name,
            DueItem.id,
            DueItem.due_on,
            DueItem.status,
            DueItem.progress,
            DueItem.completed_on,
            Task.needs_review,
        )
        .select_from(DueItem)
        .join(Task, DueItem.task_id == Task.id)
        .join(Plan, Task.plan_id == Plan.id)
        .join(Agency, DueItem.agency_id == Agency.id)
        .where(Plan.province_id == province.id, DueItem.cancelled == false(), Task.removed == false())
        .order_by(DueItem.due_on, Plan.number, Task.position, Agency.code)
    )
    if agency_ids is not None:
        dated = dated.where(DueItem.agency_id.in_(agency_ids))
    if plan_number is not None:
        dated = dated.where(Plan.number == plan_number)
    if due_before is not None:
        dated = dated.where(DueItem.due_on <= due_before)
    if due_after is not None:
        dated = dated.where(DueItem.due_on >= due_after)
    status_list = list(statuses) if statuses is not None else None
    if status_list is not None:
        dated = dated.where(DueItem.status.in_(status_list))
    if open_only:
        dated = dated.where(DueItem.status != Status.DONE)
    if limit is not None:
        dated = dated.limit(limit)
    rows = [_row(*r) for r in (await session.execute(dated)).all()]

    filtered_by_date_or_status = (
        due_before is not None or due_after is not None or status_list is not None
    )
    if include_undated and not filtered_by_date_or_status and (limit is None or len(rows) < limit):
        has_due = exists().where(DueItem.task_id == Task.id, DueItem.cancelled == false())
        undated = (
            select(
                Task.id, Task.ref, Plan.number, Task.title, Agency.code, Agency.name, Task.needs_review
            )
            .select_from(Task)
            .join(Plan, Task.plan_id == Plan.id)
            .outerjoin(
                TaskAgency, and_(TaskAgency.task_id == Task.id, TaskAgency.role == LinkRole.LEAD)
            )
            .outerjoin(Agency, TaskAgency.agency_id == Agency.id)
            .where(Plan.province_id == province.id, Task.removed == false(), ~has_due)
            .order_by(Plan.number, Task.position, Agency.code)
        )
        if agency_ids is not None:
            undated = undated.where(TaskAgency.agency_id.in_(agency_ids))
        if plan_number is not None:
            undated = undated.where(Plan.number == plan_number)
        if limit is not None:
            undated = undated.limit(limit - len(rows))
        rows += [
            _row(*r[:6], None, None, None, None, None, r[6])
            for r in (await session.execute(undated)).all()
        ]
    return rows


def _row(*values: Any) -> TaskRow:
    *fields, needs_review = values
    return replace(TaskRow(*fields), needs_review=tuple(needs_review or ()))


async def _current_agencies(session: AsyncSession, province_ids: list[int]) -> dict[int, tuple[str, str]]:
    """agency id → (code, name) of the agency doing its work today (follows successors)."""
    rows = (
        await session.execute(
            select(Agency.id, Agency.code, Agency.name, Agency.successor_id).where(
                Agency.province_id.in_(province_ids)
            )
        )
    ).all()
    by_id = {r.id: r for r in rows}
    current: dict[int, tuple[str, str]] = {}
    for row in rows:
        target, hops = row, 0
        while target.successor_id is not None and target.successor_id in by_id and hops < 10:
            target, hops = by_id[target.successor_id], hops + 1
        current[row.id] = (target.code, target.name)
    return current


async def due_lines(
    session: AsyncSession,
    *,
    province_ids: Iterable[int],
    agency_ids: Iterable[int] | None = None,
    include_undated: bool = True,
    as_successor: bool = True,
) -> list[DueLine]:
    """Due lines (bot.domain.digest) of the provinces, optionally of some agencies only.

    Cancelled items and removed tasks are left out. Undated tasks give one line per lead
    agency (due_on None). With `as_successor`, a merged agency's lines are shown under
    the agency that does its work today (Sở TT&TT → Sở KH&CN).
    """
    provinces = list(province_ids)
    if not provinces:
        return []
    wanted = list(agency_ids) if agency_ids is not None else None
    if wanted is not None and not wanted:
        return []
    current = await _current_agencies(session, provinces) if as_successor else {}

    dated = (
        select(
            Task.id,
            Task.ref,
            Plan.number,
            Task.title,
            Agency.id,
            Agency.code,
            Agency.name,
            DueItem.id,
            DueItem.due_on,
            DueItem.original_due_on,
            DueItem.status,
            DueItem.progress,
            DueItem.completed_on,
        )
        .select_from(DueItem)
        .join(Task, DueItem.task_id == Task.id)
        .join(Plan, Task.plan_id == Plan.id)
        .join(Agency, DueItem.agency_id == Agency.id)
        .where(
            Plan.province_id.in_(provinces), DueItem.cancelled == false(), Task.removed == false()
        )
        .order_by(DueItem.due_on, Plan.number, Task.position, Agency.code)
    )
    if wanted is not None:
        dated = dated.where(DueItem.agency_id.in_(wanted))
    lines: list[DueLine] = []
    for r in (await session.execute(dated)).all():
        code, name = current.get(r[4], (r[5], r[6]))
        lines.append(
            DueLine(
                task_id=r[0],
                task_ref=r[1],
                plan_number=r[2],
                title=r[3],
                agency_code=code,
                agency_name=name,
                due_on=r[8],
                original_due_on=r[9],
                status=r[10],
                progress=r[11] or 0,
                completed_on=r[12],
                due_item_id=r[7],
            )
        )
    if include_undated:
        has_due = exists().where(DueItem.task_id == Task.id, DueItem.cancelled == false())
        undated = (
            select(Task.id, Task.ref, Plan.number, Task.title, Agency.id, Agency.code, Agency.name)
            .select_from(Task)
            .join(Plan, Task.plan_id == Plan.id)
            .join(TaskAgency, and_(TaskAgency.task_id == Task.id, TaskAgency.role == LinkRole.LEAD))
            .join(Agency, TaskAgency.agency_id == Agency.id)
            .where(Plan.province_id.in_(provinces), Task.removed == false(), ~has_due)
            .order_by(Plan.number, Task.position, Agency.code)
        )
        if wanted is not None:
            undated = undated.where(TaskAgency.agency_id.in_(wanted))
        for r in (await session.execute(undated)).all():
            code, name = current.get(r[4], (r[5], r[6]))
            lines.append(
                DueLine(
                    task_id=r[0], task_ref=r[1], plan_number=r[2], title=r[3],
                    agency_code=code, agency_name=name, due_on=None,
                )
            )
    return lines


async def get_task(session: AsyncSession, *, task_id: int) -> Task | None:
    """A task with its plan and agency links loaded (removed tasks too)."""
    return await session.scalar(
        select(Task)
        .where(Task.id == task_id)
        .options(
            selectinload(Task.plan),
            selectinload(Task.links).selectinload(TaskAgency.agency).selectinload(Agency.successor),
        )
    )


async def task_due_items(
    session: AsyncSession, *, task_id: int, agency_ids: Iterable[int] | None = None
) -> list[DueItem]:
    """The task's due items that are not cancelled, agencies loaded, by date then agency."""
    query = (
        select(DueItem)
        .join(Agency, DueItem.agency_id == Agency.id)
        .where(DueItem.task_id == task_id, DueItem.cancelled == false())
        .options(selectinload(DueItem.agency))
        .order_by(DueItem.due_on, Agency.name)
    )
    if agency_ids is not None:
        query = query.where(DueItem.agency_id.in_(list(agency_ids)))
    return list(await session.scalars(query))


async def task_agency_roles(session: AsyncSession, *, task_id: int) -> dict[int, set[LinkRole]]:
    """agency id → its roles in the task (lead, support)."""
    roles: dict[int, set[LinkRole]] = {}
    for agency_id, role in (
        await session.execute(select(TaskAgency.agency_id, TaskAgency.role).where(TaskAgency.task_id == task_id))
    ).all():
        roles.setdefault(agency_id, set()).add(role)
    return roles


def _item_options() -> list[Any]:
    # Joined, not selectin: all three are many-to-one and never null, so one SELECT brings
    # them; selectin loading cost three more round trips per item (a status reply loads its
    # item several times: a third of its statements).
    return [
        joinedload(DueItem.task, innerjoin=True).joinedload(Task.plan, innerjoin=True),
        joinedload(DueItem.agency, innerjoin=True),
    ]


async def get_due_item(session: AsyncSession, *, due_item_id: int, lock: bool = False) -> DueItem | None:
    """A due item with its task, plan and agency; `lock`: FOR UPDATE (PostgreSQL) so that two
    presses on the same item are decided one after the other."""
    query = select(DueItem).where(DueItem.id == due_item_id).options(*_item_options())
    if lock:
        query = query.with_for_update(of=DueItem)
    return await session.scalar(query.execution_options(populate_existing=True))


async def due_items_by_ids(session: AsyncSession, *, ids: Sequence[int]) -> dict[int, DueItem]:
    if not ids:
        return {}
    rows = await session.scalars(select(DueItem).where(DueItem.id.in_(list(ids))).options(*_item_options()))
    return {row.id: row for row in rows}


async def plans_by_ids(session: AsyncSession, *, ids: Iterable[int]) -> list[Plan]:
    """The plans, in the digest's order (issue date, number)."""
    return list(await session.scalars(select(Plan).where(Plan.id.in_(list(ids))).order_by(Plan.issued_on, Plan.number)))
