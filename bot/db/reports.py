"""What the reports count besides due items: tasks per plan, tasks nobody leads, who has
no chat. Keyword-only, take the caller's session, never commit.

A task with no lead agency has no due item (items are per lead agency), so the figures
built from due items never see it: these queries are what keeps it in front of the
admins and leaders ("chưa giao") until someone assigns it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, Text, and_, cast, exists, false, func, literal, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Agency, Chat, DueItem, LinkRole, Plan, Province, Task, TaskAgency, TaskCorrection
from bot.domain.digest import UnassignedTask
from bot.domain.status import Status


def _in_force(province_ids: Sequence[int], today: date | None) -> list[ColumnElement[bool]]:
    """Plans of the provinces (issued by `today` when given: a digest as of a past date)."""
    where: list[ColumnElement[bool]] = [Plan.province_id.in_(list(province_ids))]
    if today is not None:
        where.append(or_(Plan.issued_on.is_(None), Plan.issued_on <= today))
    return where


def _has_lead() -> ColumnElement[bool]:
    # One set of the led tasks (a pass over task_agencies), not a probe per task: at 100,000
    # tasks the probes cost a second on SQLite.
    return Task.id.in_(select(TaskAgency.task_id).where(TaskAgency.role == LinkRole.LEAD))


@dataclass(frozen=True)
class PlanTaskCounts:
    tasks: int
    unassigned: int
    flagged: int  # needs review


async def task_counts(
    session: AsyncSession, *, province_ids: Sequence[int], today: date | None = None, flagged: bool = True,
    leads: bool = True,
) -> dict[int, PlanTaskCounts]:
    """plan id → tasks (not removed), those without a lead, those flagged for review
    (`flagged` False: not counted, 0 — the reports need none, and without it the count
    reads the tasks' (plan_id, removed) index alone, not 100,000 task rows; `leads` False:
    those without a lead not counted, 0 — for a caller that lists them anyway)."""
    no_lead = ~_has_lead()
    # needs_review is a JSON list: an empty one is stored as "[]".
    needs_review = and_(Task.needs_review.is_not(None), func.length(cast(Task.needs_review, Text)) > 2)
    in_force = select(Plan.id).where(*_in_force(province_ids, today))
    rows = await session.execute(
        select(
            Task.plan_id,
            func.count(),
            func.count().filter(no_lead) if leads else literal(0),
            func.count().filter(needs_review) if flagged else literal(0),
        )
        .where(Task.plan_id.in_(in_force), Task.removed == false())
        .group_by(Task.plan_id)
    )
    return {plan_id: PlanTaskCounts(int(n), int(u), int(f)) for plan_id, n, u, f in rows.all()}


async def unassigned_tasks(
    session: AsyncSession,
    *,
    province_ids: Sequence[int],
    today: date | None = None,
    limit: int | None = None,
    end: datetime | None = None,
) -> list[UnassignedTask]:
    """Tasks of the provinces' plans with no lead agency, plan by plan in document order.

    `end`: as they stood at that instant (a digest of a past date): a task whose lead was
    assigned since is listed (the first lead correction after `end` started from none), one
    whose lead was removed since is not. Without it: as they are now."""
    query = (
        select(Task, Plan.number, Plan.province_id)
        .join(Plan, Task.plan_id == Plan.id)
        .where(*_in_force(province_ids, today), Task.removed == false())
        .order_by(Plan.issued_on, Plan.number, Task.position)
    )
    # Only two kinds of task can have been without a lead at `end`: those without one now,
    # and those whose lead was corrected since (the first correction says what it was then).
    # Both are picked in SQL, so a province's 100,000 led tasks are never loaded.
    then = await _leads_at(session, province_ids=province_ids, end=end) if end is not None else {}
    if then:
        corrected = tuple_(Plan.province_id, Plan.number, Task.ref).in_(list(then))
        query = query.where(or_(~_has_lead(), corrected))
    else:
        query = query.where(~_has_lead())
        if limit is not None:
            query = query.limit(limit)
    found = []
    for task, number, province_id in (await session.execute(query)).all():
        before = then.get((province_id, number, task.ref))
        if before:
            continue  # led at `end`, its lead removed since
        found.append((task, number))
        if limit is not None and len(found) >= limit:
            break
    return [
        UnassignedTask(
            task_id=task.id,
            plan_number=number,
            task_ref=task.ref,
            title=task.title,
            deadline_text=task.deadline_text,
            position=task.position,
            product=task.product,
            support_text=task.support_text,
        )
        for task, number in found
    ]


async def _leads_at(session: AsyncSession, *, province_ids: Sequence[int], end: datetime) -> dict[tuple[int, str, str], list[str]]:
    """(province, plan number, task ref) → the lead agencies' codes at `end`, for the tasks
    whose leads were corrected since (the first correction after `end` says what they were)."""
    rows = await session.execute(
        select(TaskCorrection.province_id, TaskCorrection.plan_number, TaskCorrection.task_ref, TaskCorrection.old_value)
        .where(
            TaskCorrection.province_id.in_(list(province_ids)), TaskCorrection.field == "lead",
            TaskCorrection.at >= end,
        )
        .order_by(TaskCorrection.at, TaskCorrection.id)
    )
    first: dict[tuple[int, str, str], list[str]] = {}
    for province_id, number, ref, old in rows.all():
        first.setdefault((province_id, number, ref), list(old or []))
    return first


async def never_bound_agency_ids(session: AsyncSession, *, agency_ids: Iterable[int]) -> set[int]:
    """Of these agencies, those that never had a chat ("chưa có nhóm"), as opposed to those
    whose every chat was lost ("không liên lạc được")."""
    ids = list(agency_ids)
    if not ids:
        return set()
    had_one = exists().where(Chat.agency_id == Agency.id)
    return set(await session.scalars(select(Agency.id).where(Agency.id.in_(ids), ~had_one)))


@dataclass(frozen=True)
class ProvinceTaskTotals:
    province_name: str
    tasks: int
    flagged: int
    unassigned: list[UnassignedTask]
    unassigned_count: int


async def province_task_totals(session: AsyncSession, *, shown: int = 20) -> list[ProvinceTaskTotals]:
    """For `nhacviec status`: per province, its tasks, flagged ones and the unassigned
    ones (the first `shown` of them listed)."""
    result = []
    for province in await session.scalars(select(Province).order_by(Province.name)):
        counts = await task_counts(session, province_ids=[province.id])
        if not counts:
            continue
        unassigned = sum(c.unassigned for c in counts.values())
        result.append(
            ProvinceTaskTotals(
                province_name=province.name,
                tasks=sum(c.tasks for c in counts.values()),
                flagged=sum(c.flagged for c in counts.values()),
                unassigned=await unassigned_tasks(session, province_ids=[province.id], limit=shown),
                unassigned_count=unassigned,
            )
        )
    return result


async def unbound_agency_names(session: AsyncSession) -> list[str]:
    """Agencies with open due items that never had a chat ("chưa có nhóm"), by name."""
    open_items = exists().where(
        DueItem.agency_id == Agency.id, DueItem.cancelled == false(), DueItem.status != Status.DONE
    )
    had_one = exists().where(Chat.agency_id == Agency.id)
    return list(await session.scalars(select(Agency.name).where(Agency.active, open_items, ~had_one).order_by(Agency.name)))
