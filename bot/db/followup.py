"""Following up: which reminder a plain group message is about, and the items one reminder
line stands for.

Repositories take the session and never commit.
"""

from __future__ import annotations

from sqlalchemy import false, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Agency, DueItem, OutboxMessage
from bot.domain.kinds import OutboxKind, OutboxStatus
from bot.domain.reminders import succession_chain
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
