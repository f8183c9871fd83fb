"""Reminders: escalations to the leaders.
"""

from __future__ import annotations

from sqlalchemy import and_, false, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import DueItem, Escalation, Plan, Task
from bot.domain.status import Status


async def escalated_due_item_ids(session: AsyncSession, *, province_id: int) -> set[int]:
    """Open due items already brought to the leaders (overdue past the escalation limit)."""
    return set(
        await session.scalars(
            select(Escalation.due_item_id)
            .join(DueItem, and_(DueItem.id == Escalation.due_item_id, DueItem.due_on == Escalation.due_on))
            .join(Task, DueItem.task_id == Task.id)
            .join(Plan, Task.plan_id == Plan.id)
            .where(Plan.province_id == province_id, DueItem.status != Status.DONE, DueItem.cancelled == false())
        )
    )
