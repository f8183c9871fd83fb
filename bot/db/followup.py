"""Following up: which reminder a plain group message is about, and the items one reminder
line stands for.

Repositories take the session and never commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, false, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Agency, DueItem, OutboxMessage, Plan, Province, ReminderHold, StatusChange, Task
from bot.domain.kinds import HoldKind, OutboxKind, OutboxStatus
from bot.domain.reminders import Holds, ReminderItem, succession_chain
from bot.domain.status import ChangeSource, Status

# A report on an item: what a person said (the import and the system's own changes are not).
REPORT_SOURCES = (ChangeSource.CHAT, ChangeSource.BUTTON, ChangeSource.COMMAND, ChangeSource.ADMIN)


async def latest_reminder_message(session: AsyncSession, *, tg_chat_id: int) -> int | None:
    """The Telegram message id of the latest reminder delivered into a chat (None: none yet)."""
    return await session.scalar(
        select(OutboxMessage.tg_message_id)
        .where(
            OutboxMessage.tg_chat_id == tg_chat_id,
            OutboxMessage.kind == OutboxKind.REMINDER,
            OutboxMessage.status == OutboxStatus.SENT,
            OutboxMessage.tg_message_id.is_not(None),
        )
        .order_by(OutboxMessage.on_date.desc(), OutboxMessage.sent_at.desc(), OutboxMessage.id.desc())
        .limit(1)
    )


async def twin_items(session: AsyncSession, *, item: DueItem) -> list[DueItem]:
    """The other open items of the same task and due date that reach the same agency today
    (a merged predecessor's item, or the agency matched under a second name): the reminder
    shows them as one line, so an answer to the line answers them all."""
    candidates = list(
        await session.scalars(
            select(DueItem)
            .where(
                DueItem.task_id == item.task_id,
                DueItem.due_on == item.due_on,
                DueItem.id != item.id,
                DueItem.cancelled == false(),
                DueItem.status != Status.DONE,
            )
            .order_by(DueItem.id)
        )
    )
    if not candidates:
        return []
    province_id = await session.scalar(select(Agency.province_id).where(Agency.id == item.agency_id))
    successor_of = {
        r.id: r.successor_id
        for r in (await session.execute(select(Agency.id, Agency.successor_id).where(Agency.province_id == province_id))).all()
    }
    current = succession_chain(item.agency_id, successor_of)[-1]
    return [c for c in candidates if succession_chain(c.agency_id, successor_of)[-1] == current]


# --- holds ---------------------------------------------------------------------------------------


def _active(today: date) -> ColumnElement[bool]:
    return and_(ReminderHold.ended_at.is_(None), or_(ReminderHold.until_on.is_(None), ReminderHold.until_on > today))


async def active_holds(session: AsyncSession, *, today: date) -> Holds:
    """Items and agencies whose reminders are held on `today`."""
    rows = (await session.execute(select(ReminderHold.due_item_id, ReminderHold.agency_id).where(_active(today)))).all()
    return Holds(
        items=frozenset(r.due_item_id for r in rows if r.due_item_id is not None),
        agencies=frozenset(r.agency_id for r in rows if r.agency_id is not None),
    )


async def add_hold(
    session: AsyncSession, *, kind: HoldKind, now: datetime, due_item_id: int | None = None,
    agency_id: int | None = None, until_on: date | None = None, reason: str | None = None,
    actor_tg_id: int | None = None, actor_name: str | None = None,
) -> ReminderHold:
    hold = ReminderHold(
        kind=kind, due_item_id=due_item_id, agency_id=agency_id, until_on=until_on, reason=reason,
        actor_tg_id=actor_tg_id, actor_name=actor_name, created_at=now,
    )
    session.add(hold)
    await session.flush()
    return hold


async def end_pauses(session: AsyncSession, *, agency_id: int, today: date, now: datetime, by_tg_id: int | None) -> int:
    """/tieptuc: end the agency's active pauses; returns how many."""
    result = await session.execute(
        update(ReminderHold)
        .where(ReminderHold.agency_id == agency_id, ReminderHold.kind == HoldKind.PAUSE, _active(today))
        .values(ended_at=now, ended_by_tg_id=by_tg_id)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def holds_in_force(
    session: AsyncSession, *, today: date
) -> tuple[dict[int, tuple[str, date | None]], dict[str, tuple[str, date | None]]]:
    """(due item id → (kind, until), agency code → (kind, until)) of the holds in force on
    `today` — for lists that show an item on hold as such ("không thực hiện" wins)."""
    items: dict[int, tuple[str, date | None]] = {}
    agencies: dict[str, tuple[str, date | None]] = {}
    rows = await session.execute(
        select(ReminderHold.due_item_id, Agency.code, ReminderHold.kind, ReminderHold.until_on)
        .outerjoin(Agency, Agency.id == ReminderHold.agency_id)
        .where(_active(today))
        .order_by(ReminderHold.id)
    )
    for item_id, code, kind, until in rows.all():
        if item_id is not None:
            if items.get(item_id, ("",))[0] != HoldKind.WAIVE:
                items[item_id] = (str(kind), until)
        elif code is not None:
            agencies[code] = (str(kind), until)
    return items, agencies


async def item_holds(session: AsyncSession, *, due_item_ids: list[int], today: date) -> dict[int, ReminderHold]:
    """The active hold of each of these items (for reports: "không thực hiện", "tạm dừng nhắc")."""
    if not due_item_ids:
        return {}
    rows = await session.scalars(
        select(ReminderHold).where(ReminderHold.due_item_id.in_(due_item_ids), _active(today)).order_by(ReminderHold.id)
    )
    return {h.due_item_id: h for h in rows if h.due_item_id is not None}


# --- nudges: items in progress nobody reported on for a while --------------------------------


async def in_progress_last_report(
    session: AsyncSession, *, today: date, agency_ids: Iterable[int] | None = None
) -> list[tuple[ReminderItem, date]]:
    """Open items reported in progress and not yet overdue, each with the local day of its
    last report (a person's status change or note; the item's last update when none)."""
    last = (
        select(StatusChange.due_item_id, func.max(StatusChange.at).label("at"))
        .where(StatusChange.source.in_(REPORT_SOURCES))
        .group_by(StatusChange.due_item_id)
        .subquery("last_report")
    )
    query = (
        select(
            DueItem.id, Task.id, Task.ref, Plan.number, Task.title, Agency.id, Agency.name, DueItem.due_on,
            DueItem.original_due_on, DueItem.status, DueItem.progress, Plan.province_id, Province.timezone,
            last.c.at, DueItem.updated_at,
        )
        .select_from(DueItem)
        .join(Task, DueItem.task_id == Task.id)
        .join(Plan, Task.plan_id == Plan.id)
        .join(Province, Plan.province_id == Province.id)
        .join(Agency, DueItem.agency_id == Agency.id)
        .outerjoin(last, last.c.due_item_id == DueItem.id)
        .where(
            DueItem.status == Status.IN_PROGRESS, DueItem.cancelled == false(), Task.removed == false(),
            DueItem.due_on >= today,
        )
    )
    if agency_ids is not None:
        query = query.where(DueItem.agency_id.in_(list(agency_ids)))
    found: list[tuple[ReminderItem, date]] = []
    for r in (await session.execute(query)).all():
        at = r[13] or r[14]
        if isinstance(at, str):  # pragma: no cover - SQLite without type information (aggregate)
            at = datetime.fromisoformat(at)
        at = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
        item = ReminderItem(
            due_item_id=r[0], task_id=r[1], task_ref=r[2], plan_number=r[3], title=r[4], agency_id=r[5],
            agency_name=r[6], due_on=r[7], original_due_on=r[8], status=r[9], progress=r[10] or 0, province_id=r[11],
        )
        found.append((item, at.astimezone(ZoneInfo(r[12])).date()))
    return found
