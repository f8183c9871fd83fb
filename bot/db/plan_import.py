"""The new rows of a plan import, written in bulk.

An import of a large plan creates thousands of tasks, links, due items and history rows.
Added one ORM object at a time (with a flush per task to learn its id), each task cost a
database round trip; here each table gets a few multi-row INSERTs (SQLAlchemy's
"insertmanyvalues": one statement per page of rows, with RETURNING for the ids the next
table needs, in the order the rows were given). Updates of existing rows stay with the ORM
in `bot.services.importing`: a re-import changes few rows.

The ORM's `before_insert` event of `StatusChange` does not run for these Core INSERTs: the
caller passes `due_on` (and `completed_on`) of each history row itself, as that event would.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Agency, DueItem, StatusChange, Task, TaskAgency
from bot.domain.kinds import DueOrigin, LinkRole
from bot.domain.status import ChangeSource, Status

# Rows per execute call: bounded memory per statement; SQLAlchemy pages each call further
# (at most 1,000 rows and below SQLite's bound-parameter limit per INSERT).
CHUNK = 2000

_TASKS = cast(Table, Task.__table__)
_LINKS = cast(Table, TaskAgency.__table__)
_ITEMS = cast(Table, DueItem.__table__)
_HISTORY = cast(Table, StatusChange.__table__)


class NewLink(NamedTuple):
    task_id: int
    agency_id: int
    role: LinkRole


class NewItem(NamedTuple):
    task_id: int
    agency_id: int
    due_on: date


class NewHistory(NamedTuple):
    due_item_id: int
    old_status: Status | None
    new_status: Status
    progress: int
    note: str
    due_on: date
    completed_on: date | None = None


def _chunks(rows: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


async def insert_tasks(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Insert tasks (column → value dicts) of one plan; returns ref → id."""
    ids: dict[str, int] = {}
    # RETURNING the natural key rather than asking for the rows' order: with an order
    # SQLAlchemy falls back to one INSERT per row on SQLite (no insert sentinel there).
    statement = insert(_TASKS).returning(_TASKS.c.ref, _TASKS.c.id)
    for chunk in _chunks(rows):
        result = await session.execute(statement, list(chunk))
        ids.update((ref, task_id) for ref, task_id in result.all())
    return ids


async def insert_links(session: AsyncSession, links: Sequence[NewLink]) -> None:
    for chunk in _chunks(links):
        await session.execute(insert(_LINKS), [link._asdict() for link in chunk])


async def insert_due_items(
    session: AsyncSession, items: Sequence[NewItem], *, now: datetime
) -> dict[NewItem, int]:
    """Insert pending due items from the plan; returns each one's id."""
    ids: dict[NewItem, int] = {}
    c = _ITEMS.c
    statement = insert(_ITEMS).returning(c.task_id, c.agency_id, c.original_due_on, c.id)
    for chunk in _chunks(items):
        values = [
            {
                "task_id": item.task_id,
                "agency_id": item.agency_id,
                "due_on": item.due_on,
                "original_due_on": item.due_on,
                "status": Status.PENDING,
                "progress": 0,
                "updated_at": now,
                "cancelled": False,
                "origin": DueOrigin.IMPORT,
            }
            for item in chunk
        ]
        result = await session.execute(statement, values)
        ids.update((NewItem(task_id, agency_id, due_on), item_id) for task_id, agency_id, due_on, item_id in result.all())
    return ids


async def insert_history(
    session: AsyncSession, rows: Sequence[NewHistory], *, at: datetime, actor: str
) -> None:
    """Append import history rows (source "import")."""
    for chunk in _chunks(rows):
        await session.execute(
            insert(_HISTORY),
            [
                {
                    "due_item_id": row.due_item_id,
                    "at": at,
                    "actor_name": actor,
                    "source": ChangeSource.IMPORT,
                    "old_status": row.old_status,
                    "new_status": row.new_status,
                    "progress": row.progress,
                    "note": row.note,
                    "due_on": row.due_on,
                    "completed_on": row.completed_on,
                }
                for row in chunk
            ],
        )


# --- what a re-import reconciles: the stored plan's rows ------------------------------------


async def plan_tasks(session: AsyncSession, *, plan_id: int) -> list[Task]:
    """The plan's tasks, removed ones too."""
    return list(await session.scalars(select(Task).where(Task.plan_id == plan_id)))


async def plan_links(session: AsyncSession, *, plan_id: int) -> list[TaskAgency]:
    """Every agency link of the plan's tasks."""
    return list(
        await session.scalars(
            select(TaskAgency).join(Task, TaskAgency.task_id == Task.id).where(Task.plan_id == plan_id)
        )
    )


async def plan_due_items(session: AsyncSession, *, plan_id: int) -> list[DueItem]:
    """Every due item of the plan's tasks, cancelled ones too."""
    return list(
        await session.scalars(select(DueItem).join(Task, DueItem.task_id == Task.id).where(Task.plan_id == plan_id))
    )


async def agency_codes(session: AsyncSession, *, agency_ids: Iterable[int]) -> dict[int, str]:
    """agency id → code."""
    rows = await session.execute(select(Agency.id, Agency.code).where(Agency.id.in_(list(agency_ids))))
    return {agency_id: code for agency_id, code in rows.all()}


async def delete_link(session: AsyncSession, link: TaskAgency) -> None:
    """Drop a task's agency link (links mirror the plan text: no history)."""
    await session.delete(link)
