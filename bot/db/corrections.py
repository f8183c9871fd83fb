"""A task's corrections and what correcting it reads and writes: the `TaskCorrection` rows
(its correction history), the task with its plan, its linked agencies, its due items.
Keyword-only, take the caller's session, never commit. The rules (what a correction
cancels, creates, records) are bot/services/corrections.py's."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Agency, DueItem, Plan, Task, TaskAgency, TaskCorrection
from bot.domain.kinds import LinkRole


async def plan_corrections(session: AsyncSession, *, province_id: int, plan_number: str) -> list[TaskCorrection]:
    """Every correction of a plan's tasks, oldest first."""
    return list(
        await session.scalars(
            select(TaskCorrection)
            .where(TaskCorrection.province_id == province_id, TaskCorrection.plan_number == plan_number)
            .order_by(TaskCorrection.id)
        )
    )


async def task_corrections(session: AsyncSession, *, task_id: int) -> list[TaskCorrection]:
    """A task's correction history, oldest first."""
    found = (
        await session.execute(select(Task.ref, Plan.province_id, Plan.number).join(Plan).where(Task.id == task_id))
    ).first()
    if found is None:
        return []
    ref, province_id, number = found
    return list(
        await session.scalars(
            select(TaskCorrection)
            .where(
                TaskCorrection.province_id == province_id,
                TaskCorrection.plan_number == number,
                TaskCorrection.task_ref == ref,
            )
            .order_by(TaskCorrection.id)
        )
    )


def add_correction(
    session: AsyncSession,
    *,
    province_id: int,
    plan_number: str,
    task_ref: str,
    field: str,
    old: Any,
    new: Any,
    now: datetime,
    actor_tg_id: int | None,
    actor_name: str | None,
    reason: str | None = None,
) -> TaskCorrection:
    """Add one correction row to the session (flushed with the caller's changes)."""
    row = TaskCorrection(
        province_id=province_id, plan_number=plan_number, task_ref=task_ref, field=field,
        old_value=old, new_value=new, reason=reason or None, actor_tg_id=actor_tg_id,
        actor_name=actor_name, at=now,
    )
    session.add(row)
    return row


async def task_with_plan(
    session: AsyncSession, *, task_id: int, province_ids: Iterable[int] | None
) -> tuple[Task, Plan] | None:
    """The task and its plan (among the provinces' when given), None when absent or removed."""
    query = select(Task, Plan).join(Plan, Task.plan_id == Plan.id).where(Task.id == task_id)
    if province_ids is not None:
        query = query.where(Plan.province_id.in_(list(province_ids)))
    found = (await session.execute(query)).first()
    if found is None or found[0].removed:
        return None
    return found[0], found[1]


async def linked_agencies(session: AsyncSession, *, task_id: int, role: LinkRole) -> list[Agency]:
    """The task's lead (or supporting) agencies, by name."""
    return list(
        await session.scalars(
            select(Agency)
            .join(TaskAgency, and_(TaskAgency.agency_id == Agency.id, TaskAgency.role == role))
            .where(TaskAgency.task_id == task_id)
            .order_by(Agency.name)
        )
    )


async def task_links(session: AsyncSession, *, task_id: int, role: LinkRole) -> dict[int, TaskAgency]:
    """agency id → the task's link of that role."""
    return {
        link.agency_id: link
        for link in await session.scalars(
            select(TaskAgency).where(TaskAgency.task_id == task_id, TaskAgency.role == role)
        )
    }


async def remove_links(session: AsyncSession, links: Iterable[TaskAgency]) -> None:
    for link in links:
        await session.delete(link)


async def province_agencies(session: AsyncSession, *, province_id: int, agency_ids: Sequence[int]) -> list[Agency]:
    """The agencies among `agency_ids` that belong to the province."""
    return list(
        await session.scalars(
            select(Agency).where(Agency.id.in_(list(agency_ids)), Agency.province_id == province_id)
        )
    )


async def task_due_items(session: AsyncSession, *, task_id: int) -> list[DueItem]:
    """All the task's due items, cancelled ones too."""
    return list(await session.scalars(select(DueItem).where(DueItem.task_id == task_id)))
