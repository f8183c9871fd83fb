"""Following up: which reminder a plain group message is about, and the items one reminder
line stands for.

Repositories take the session and never commit.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, false, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Agency, DueItem, OutboxMessage, ReminderHold
from bot.domain.kinds import HoldKind, OutboxKind, OutboxStatus
from bot.domain.reminders import Holds, succession_chain
from bot.domain.status import Status


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


async def item_holds(session: AsyncSession, *, due_item_ids: list[int], today: date) -> dict[int, ReminderHold]:
    """The active hold of each of these items (for reports: "không thực hiện", "tạm dừng nhắc")."""
    if not due_item_ids:
        return {}
    rows = await session.scalars(
        select(ReminderHold).where(ReminderHold.due_item_id.in_(due_item_ids), _active(today)).order_by(ReminderHold.id)
    )
    return {h.due_item_id: h for h in rows if h.due_item_id is not None}
