"""Queries about due items of unknown status ("chưa cập nhật": due before the bot began
following their plan). Repositories take the session and never commit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import false, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.db.models import Agency, DueItem, FlowState, OutboxMessage, PendingUpload, Plan, StatusChange, Task
from bot.domain.follow import is_unknown_at_import
from bot.domain.reminders import ReminderItem
from bot.domain.status import ChangeSource, Status


def _live() -> list[Any]:
    return [DueItem.status == Status.UNKNOWN, DueItem.cancelled == false(), Task.removed == false()]


async def unasked(session: AsyncSession, *, agency_ids: Iterable[int] | None = None) -> list[ReminderItem]:
    """Items of unknown status never listed for confirmation (for the day's messages)."""
    query = (
        select(
            DueItem.id, Task.id, Task.ref, Plan.number, Task.title, Agency.id, Agency.name,
            DueItem.due_on, DueItem.original_due_on, DueItem.status, Plan.province_id,
        )
        .select_from(DueItem)
        .join(Task, DueItem.task_id == Task.id)
        .join(Plan, Task.plan_id == Plan.id)
        .join(Agency, DueItem.agency_id == Agency.id)
        .where(*_live(), DueItem.asked_on.is_(None))
    )
    if agency_ids is not None:
        query = query.where(DueItem.agency_id.in_(list(agency_ids)))
    return [
        ReminderItem(
            due_item_id=r[0], task_id=r[1], task_ref=r[2], plan_number=r[3], title=r[4], agency_id=r[5],
            agency_name=r[6], due_on=r[7], original_due_on=r[8], status=r[9], province_id=r[10],
        )
        for r in (await session.execute(query)).all()
    ]


async def mark_asked(session: AsyncSession, *, ids: Sequence[int], on_date: date) -> None:
    if ids:
        await session.execute(
            update(DueItem)
            .where(DueItem.id.in_(list(ids)), DueItem.asked_on.is_(None))
            .values(asked_on=on_date)
            .execution_options(synchronize_session=False)
        )


async def mark_asked_in(
    session: AsyncSession, *, outbox_ids: Sequence[int], candidates: Iterable[int], on_date: date
) -> list[int]:
    """Of `candidates` (items of unknown status), those listed in these outbox rows (any
    channel) are asked on `on_date`; returns them."""
    wanted = set(candidates)
    listed: set[int] = set()
    ids = sorted(set(outbox_ids))
    for start in range(0, len(ids), 500):
        for due_item_ids in await session.scalars(
            select(OutboxMessage.due_item_ids).where(OutboxMessage.id.in_(ids[start : start + 500]))
        ):
            listed.update(i for i in due_item_ids or () if i in wanted)
    asked = sorted(listed)
    await mark_asked(session, ids=asked, on_date=on_date)
    return asked


async def unknown_items(
    session: AsyncSession,
    *,
    province_ids: Iterable[int],
    plan_id: int | None = None,
    agency_ids: Iterable[int] | None = None,
    due_before: date | None = None,
    lock: bool = False,
) -> list[DueItem]:
    """Items of unknown status (task, plan and agency loaded), in plan, task, date order."""
    query = (
        select(DueItem)
        .join(Task, DueItem.task_id == Task.id)
        .join(Plan, Task.plan_id == Plan.id)
        .where(*_live(), Plan.province_id.in_(list(province_ids)))
        .options(selectinload(DueItem.task).selectinload(Task.plan), selectinload(DueItem.agency))
        .order_by(Plan.number, Task.position, DueItem.due_on, DueItem.id)
    )
    if plan_id is not None:
        query = query.where(Task.plan_id == plan_id)
    if agency_ids is not None:
        query = query.where(DueItem.agency_id.in_(list(agency_ids)))
    if due_before is not None:
        query = query.where(DueItem.due_on < due_before)
    if lock:
        query = query.with_for_update(of=DueItem)
    return list(await session.scalars(query))


async def latest_pending_upload(session: AsyncSession, *, tg_chat_id: int) -> PendingUpload | None:
    """The newest plan file waiting for an admin's decision in a private chat (/theodoitu)."""
    return await session.scalar(
        select(PendingUpload)
        .where(PendingUpload.tg_chat_id == tg_chat_id, PendingUpload.state == FlowState.PENDING)
        .order_by(PendingUpload.id.desc())
        .limit(1)
    )


async def apply_follow_from(
    session: AsyncSession, *, plan_id: int, follow_from: date | None, now: datetime, actor: str,
    unknown_note: str, followed_note: str,
) -> list[tuple[int, int]]:
    """Bring a plan's items in line with its follow-from day, with a history row each (its
    note given by the caller): items due before it that nobody reported on become "chưa cập
    nhật"; unknown items the day no longer covers are followed again. Returns (agency id,
    item id) of the unknown items."""
    from bot.db import plan_import

    live = (
        select(DueItem.id, DueItem.agency_id, DueItem.due_on, DueItem.status, DueItem.progress)
        .join(Task, DueItem.task_id == Task.id)
        .where(Task.plan_id == plan_id, DueItem.cancelled == false())
    )
    rows = (await session.execute(live)).all()
    reported = set(
        await session.scalars(
            select(StatusChange.due_item_id)
            .join(DueItem, StatusChange.due_item_id == DueItem.id)
            .join(Task, DueItem.task_id == Task.id)
            .where(Task.plan_id == plan_id, StatusChange.source != ChangeSource.IMPORT)
            .distinct()
        )
    )
    to_unknown = [
        r for r in rows
        if r.status is Status.PENDING and r.id not in reported and is_unknown_at_import(r.due_on, follow_from)
    ]
    to_followed = [r for r in rows if r.status is Status.UNKNOWN and not is_unknown_at_import(r.due_on, follow_from)]
    history: list[plan_import.NewHistory] = []
    for batch, status, old, note in (
        (to_unknown, Status.UNKNOWN, Status.PENDING, unknown_note),
        (to_followed, Status.PENDING, Status.UNKNOWN, followed_note),
    ):
        ids = [r.id for r in batch]
        for start in range(0, len(ids), 500):
            await session.execute(
                update(DueItem)
                .where(DueItem.id.in_(ids[start : start + 500]))
                .values(status=status, updated_at=now)
                .execution_options(synchronize_session=False)
            )
        history += [plan_import.NewHistory(r.id, old, status, r.progress or 0, note, r.due_on) for r in batch]
    await plan_import.insert_history(session, history, at=now, actor=actor)
    followed = {r.id for r in to_followed}
    unknown = [(r.agency_id, r.id) for r in rows if r.status is Status.UNKNOWN and r.id not in followed]
    return unknown + [(r.agency_id, r.id) for r in to_unknown]
