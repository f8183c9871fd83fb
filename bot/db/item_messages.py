"""Which bot message numbers which due items: reminders (outbox) and task cards, so that a reply
"2 xong" to a message finds due item number 2.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Chat, ItemMessage, OutboxMessage
from bot.domain.kinds import OutboxKind


async def reminder_numbers(session: AsyncSession, *, tg_chat_id: int, message_id: int) -> dict[int, int] | None:
    """{number shown: due item id} of the reminder (or item notice) `message_id` sent by the
    outbox in a chat, or None when that message is not one (a reply "2 xong" to it means due
    item numbers[2])."""
    row = await session.scalar(
        select(OutboxMessage)
        .outerjoin(Chat, OutboxMessage.chat_id == Chat.id)
        .where(
            OutboxMessage.tg_message_id == message_id,
            or_(OutboxMessage.tg_chat_id == tg_chat_id, Chat.tg_chat_id == tg_chat_id),
            # A reminder numbers its items; a notice about one item (an extension's
            # outcome) names it as number 0, like a card.
            OutboxMessage.kind.in_((OutboxKind.REMINDER, OutboxKind.NOTICE)),
        )
        .limit(1)
    )
    if row is None or not row.due_item_ids:
        return None
    return {row.first_number + index: item_id for index, item_id in enumerate(row.due_item_ids)}


async def message_due_items(
    session: AsyncSession, *, tg_chat_id: int, tg_message_id: int, reminders: bool = True
) -> list[tuple[int, int]] | None:
    """(number, due item id) of the items a bot message numbers: a reminder (outbox; not with
    `reminders=False`) or a task card / confirmation (item_messages); None for any other."""
    if reminders:
        numbers = await reminder_numbers(session, tg_chat_id=tg_chat_id, message_id=tg_message_id)
        if numbers:
            return sorted((n, int(i)) for n, i in numbers.items())
    mine = (
        await session.execute(
            select(ItemMessage.due_item_ids, ItemMessage.numbers).where(
                ItemMessage.tg_chat_id == tg_chat_id, ItemMessage.tg_message_id == tg_message_id
            )
        )
    ).first()
    if mine is None or not mine[0]:
        return None
    return [(int(n), int(i)) for n, i in zip(mine[1], mine[0], strict=False)]


async def remember_item_message(
    session: AsyncSession,
    *,
    tg_chat_id: int,
    tg_message_id: int,
    items: Sequence[tuple[int, int]],
    now: datetime,
) -> None:
    """Record which items (number, due item id) a bot message numbers; an edited message
    keeps its row, renumbered."""
    existing = await session.scalar(
        select(ItemMessage).where(ItemMessage.tg_chat_id == tg_chat_id, ItemMessage.tg_message_id == tg_message_id)
    )
    ids = [i for _, i in items]
    numbers = [n for n, _ in items]
    if existing is None:
        session.add(
            ItemMessage(tg_chat_id=tg_chat_id, tg_message_id=tg_message_id, due_item_ids=ids, numbers=numbers, created_at=now)
        )
    else:
        existing.due_item_ids = ids
        existing.numbers = numbers
    await session.flush()
