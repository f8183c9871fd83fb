"""Reminders: the open items a day's reminders are made of, the tick's run record, and the
escalations up the ladder (each item once per rung: the escalation row is the "once").

Data functions: keyword-only, take the caller's session, flush at most, never commit.
The policy (which dates, who hears what) is bot/domain/reminders.py's; the use cases are
bot/services/reminders.py.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, exists, false, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.dialect import insert_ignore, upsert
from bot.db.models import Agency, Chat, DueItem, Escalation, OutboxMessage, Plan, ReminderRun, Task
from bot.domain.escalation import Rung
from bot.domain.kinds import ChatRole, OutboxKind
from bot.domain.reminders import ReminderItem
from bot.domain.status import Status

# Items of unknown status (due before the plan was followed) are asked once, not reminded.
OPEN_STATUSES = [s for s in Status if s.is_followed]


def _open_item_filter() -> list[Any]:
    return [DueItem.status.in_(OPEN_STATUSES), DueItem.cancelled == false(), Task.removed == false()]


async def earliest_open_due(session: AsyncSession, *, before: date) -> date | None:
    return await session.scalar(
        select(func.min(DueItem.due_on))
        .join(Task, DueItem.task_id == Task.id)
        .where(*_open_item_filter(), DueItem.due_on < before)
    )


def _item_columns() -> tuple[Any, ...]:
    return (
        DueItem.id, Task.id, Task.ref, Plan.number, Task.title, Agency.id, Agency.name,
        DueItem.due_on, DueItem.original_due_on, DueItem.status, DueItem.progress, Plan.province_id,
    )


def _to_item(r: Sequence[Any]) -> ReminderItem:
    return ReminderItem(
        due_item_id=r[0], task_id=r[1], task_ref=r[2], plan_number=r[3], title=r[4], agency_id=r[5],
        agency_name=r[6], due_on=r[7], original_due_on=r[8], status=r[9], progress=r[10] or 0,
        province_id=r[11],
    )


def _items_query() -> Any:
    return (
        select(*_item_columns())
        .select_from(DueItem)
        .join(Task, DueItem.task_id == Task.id)
        .join(Plan, Task.plan_id == Plan.id)
        .join(Agency, DueItem.agency_id == Agency.id)
        .where(*_open_item_filter())
    )


async def open_items_due_on(
    session: AsyncSession, *, dates: Iterable[date], agency_ids: Iterable[int] | None = None
) -> list[ReminderItem]:
    """The open items due on those dates (one query over the indexed `due_on`)."""
    query = _items_query().where(DueItem.due_on.in_(sorted(dates)))
    if agency_ids is not None:
        query = query.where(DueItem.agency_id.in_(list(agency_ids)))
    return [_to_item(r) for r in (await session.execute(query)).all()]


def _not_escalated(rung: Rung) -> Any:
    return ~exists().where(
        Escalation.due_item_id == DueItem.id, Escalation.due_on == DueItem.due_on, Escalation.rung == rung
    )


async def unescalated_overdue(
    session: AsyncSession, *, rung: Rung, cutoff: date, province_ids: Iterable[int], above: date | None = None
) -> list[ReminderItem]:
    """Open items due on or before `cutoff` (and after `above`, if given) in those provinces,
    not yet brought to `rung` for their current due date."""
    query = _items_query().where(DueItem.due_on <= cutoff, Plan.province_id.in_(list(province_ids)), _not_escalated(rung))
    if above is not None:
        query = query.where(DueItem.due_on > above)
    return [_to_item(r) for r in (await session.execute(query)).all()]


async def count_unescalated(
    session: AsyncSession, *, rung: Rung, cutoff: date, after: date | None = None,
    agency_ids: Iterable[int] | None = None,
) -> int:
    """How many open items due on or before `cutoff` (and after `after`, if given) are not yet
    brought to `rung`."""
    crossing = DueItem.due_on <= cutoff if after is None else and_(DueItem.due_on > after, DueItem.due_on <= cutoff)
    counted = _items_query().where(crossing, _not_escalated(rung))
    if agency_ids is not None:
        counted = counted.where(DueItem.agency_id.in_(list(agency_ids)))
    return int(await session.scalar(select(func.count()).select_from(counted.subquery())) or 0)


async def claim_escalations(
    session: AsyncSession, *, items: Sequence[ReminderItem], rung: Rung, on_date: date, now: datetime
) -> set[int]:
    """Record these items as brought to `rung`; the due item ids this call recorded (ON
    CONFLICT DO NOTHING: of two racing ticks only one gets each item). Pass them in one order."""
    if not items:
        return set()
    result = await session.execute(
        insert_ignore(session, Escalation).returning(Escalation.due_item_id),
        [
            {"due_item_id": i.due_item_id, "due_on": i.due_on, "rung": rung, "escalated_on": on_date, "created_at": now}
            for i in items
        ],
    )
    return {row[0] for row in result.all()}


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


async def agency_graph(
    session: AsyncSession, province_ids: Iterable[int]
) -> tuple[dict[int, int | None], dict[int, str], dict[int, list[Chat]]]:
    """Successors, names and active agency chats of the provinces' agencies (a few hundred rows)."""
    provinces = sorted(set(province_ids))
    if not provinces:
        return {}, {}, {}
    rows = (
        await session.execute(
            select(Agency.id, Agency.name, Agency.successor_id).where(Agency.province_id.in_(provinces))
        )
    ).all()
    chats: dict[int, list[Chat]] = defaultdict(list)
    for chat in await session.scalars(
        select(Chat)
        .where(Chat.province_id.in_(provinces), Chat.role == ChatRole.AGENCY, Chat.active, Chat.agency_id.is_not(None))
        .order_by(Chat.id)
    ):
        chats[chat.agency_id].append(chat)  # type: ignore[index]
    return {r.id: r.successor_id for r in rows}, {r.id: r.name for r in rows}, dict(chats)


async def leaders_chats_to_alert(session: AsyncSession, *, on_date: date) -> dict[int, list[Chat]]:
    """province id → its active leaders' chats that have no escalation alert queued for `on_date`."""
    alerted_today = (
        select(OutboxMessage.chat_id)
        .where(OutboxMessage.on_date == on_date, OutboxMessage.kind == OutboxKind.ESCALATION)
        .where(OutboxMessage.chat_id.is_not(None))
    )
    leaders: dict[int, list[Chat]] = defaultdict(list)
    for chat in await session.scalars(
        select(Chat)
        .where(Chat.role == ChatRole.LEADERS, Chat.active, Chat.id.not_in(alerted_today))
        .order_by(Chat.id)
    ):
        leaders[chat.province_id].append(chat)
    return dict(leaders)


async def admins_alerted(session: AsyncSession, *, on_date: date) -> set[tuple[int, int]]:
    """(admin, province id) pairs that have an escalation alert queued for `on_date` (an
    admin's alert has part = the province id)."""
    rows = await session.execute(
        select(OutboxMessage.admin_tg_id, OutboxMessage.part).where(
            OutboxMessage.on_date == on_date, OutboxMessage.kind == OutboxKind.ESCALATION,
            OutboxMessage.admin_tg_id.is_not(None),
        )
    )
    return {(r.admin_tg_id, r.part) for r in rows.all()}


async def record_run(session: AsyncSession, *, on_date: date, now: datetime) -> None:
    """Count a tick of `on_date` (the day's run row, made by the first)."""
    stmt = upsert(session, ReminderRun).values(on_date=on_date, first_run_at=now, last_run_at=now, runs=1, messages=0)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[ReminderRun.on_date],
            set_={"last_run_at": now, "runs": ReminderRun.runs + 1},
        )
    )


async def ticked(session: AsyncSession, *, on_date: date) -> bool:
    """Whether a tick of `on_date` ran (its run row exists)."""
    return await session.scalar(select(ReminderRun.on_date).where(ReminderRun.on_date == on_date)) is not None


async def add_run_messages(session: AsyncSession, *, on_date: date, count: int) -> None:
    await session.execute(
        update(ReminderRun)
        .where(ReminderRun.on_date == on_date)
        .values(messages=ReminderRun.messages + count)
        .execution_options(synchronize_session=False)
    )
