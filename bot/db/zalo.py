"""Zalo rows: one-time link codes and linked Zalo accounts (migration 0007_zalo).

Functions take the caller's session and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.db.models import Agency, OutboxMessage, ZaloLinkCode, ZaloRecipient
from bot.domain.channels import Channel
from bot.domain.kinds import OutboxKind, OutboxStatus


async def add_link_code(
    session: AsyncSession, *, code_hash: str, agency_id: int, created_by_tg_id: int | None, now: datetime,
    expires_at: datetime,
) -> ZaloLinkCode:
    row = ZaloLinkCode(
        code_hash=code_hash, agency_id=agency_id, created_by_tg_id=created_by_tg_id, created_at=now,
        expires_at=expires_at,
    )
    session.add(row)
    await session.flush()
    return row


async def use_link_code(session: AsyncSession, *, code_hash: str, chat_id: str, now: datetime) -> ZaloLinkCode | None:
    """Spend a code: one conditional UPDATE, so two people racing with one code get one link."""
    result = await session.execute(
        update(ZaloLinkCode)
        .where(ZaloLinkCode.code_hash == code_hash, ZaloLinkCode.used_at.is_(None), ZaloLinkCode.expires_at > now)
        .values(used_at=now, used_by_chat_id=chat_id)
        .returning(ZaloLinkCode.id)
        .execution_options(synchronize_session=False)
    )
    code_id = result.scalar_one_or_none()
    if code_id is None:
        return None
    return await session.scalar(
        select(ZaloLinkCode).options(selectinload(ZaloLinkCode.agency)).where(ZaloLinkCode.id == code_id)
    )


async def get_recipient(session: AsyncSession, *, chat_id: str) -> ZaloRecipient | None:
    return await session.scalar(
        select(ZaloRecipient).options(selectinload(ZaloRecipient.agency)).where(ZaloRecipient.zalo_chat_id == chat_id)
    )


async def get_recipient_by_id(session: AsyncSession, *, recipient_id: int) -> ZaloRecipient | None:
    return await session.scalar(
        select(ZaloRecipient).options(selectinload(ZaloRecipient.agency)).where(ZaloRecipient.id == recipient_id)
    )


async def link(
    session: AsyncSession, *, chat_id: str, user_id: str | None, name: str | None, agency_id: int,
    code_id: int | None, now: datetime,
) -> ZaloRecipient:
    """Link (or relink to another agency) a Zalo account."""
    row = await get_recipient(session, chat_id=chat_id)
    if row is None:
        row = ZaloRecipient(zalo_chat_id=chat_id)
        session.add(row)
    row.zalo_user_id = user_id
    row.display_name = name
    row.agency_id = agency_id
    row.active = True
    row.linked_at = now
    row.code_id = code_id
    row.unreachable_at = None
    row.error = None
    await session.flush()
    await session.refresh(row, ["agency"])
    return row


async def unlink(session: AsyncSession, *, chat_id: str) -> bool:
    result = await session.execute(
        update(ZaloRecipient).where(ZaloRecipient.zalo_chat_id == chat_id, ZaloRecipient.active.is_(True))
        .values(active=False).execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def recipients_of(session: AsyncSession, *, agency_ids: Sequence[int]) -> list[ZaloRecipient]:
    """The active, reachable Zalo accounts of these agencies, oldest link first."""
    if not agency_ids:
        return []
    rows = await session.scalars(
        select(ZaloRecipient)
        .where(
            ZaloRecipient.agency_id.in_(list(agency_ids)), ZaloRecipient.active.is_(True),
            ZaloRecipient.unreachable_at.is_(None),
        )
        .order_by(ZaloRecipient.id)
    )
    return list(rows)


async def recipients_by_agency(session: AsyncSession, *, province_id: int) -> dict[int, list[ZaloRecipient]]:
    rows = await session.scalars(
        select(ZaloRecipient).join(Agency, ZaloRecipient.agency_id == Agency.id)
        .where(Agency.province_id == province_id, ZaloRecipient.active.is_(True), ZaloRecipient.unreachable_at.is_(None))
        .order_by(ZaloRecipient.id)
    )
    out: dict[int, list[ZaloRecipient]] = {}
    for row in rows:
        out.setdefault(row.agency_id, []).append(row)
    return out


async def mark_unreachable(session: AsyncSession, *, recipient_id: int, error: str, now: datetime) -> bool:
    """The platform says this account cannot be written to; True if this call marked it."""
    result = await session.execute(
        update(ZaloRecipient).where(ZaloRecipient.id == recipient_id, ZaloRecipient.unreachable_at.is_(None))
        .values(unreachable_at=now, error=error[:1000]).execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def latest_reminder_items(session: AsyncSession, *, recipient_id: int, since: datetime) -> list[int] | None:
    """The due items numbered by the latest reminder DELIVERED to this Zalo recipient
    (its first part carries the whole list, 1 = the first), if sent after `since`."""
    row = (
        await session.execute(
            select(OutboxMessage.due_item_ids, OutboxMessage.first_number)
            .where(
                OutboxMessage.channel == Channel.ZALO, OutboxMessage.recipient_id == recipient_id,
                OutboxMessage.kind == OutboxKind.REMINDER, OutboxMessage.part == 0,
                OutboxMessage.status == OutboxStatus.SENT, OutboxMessage.sent_at >= since,
            )
            .order_by(OutboxMessage.sent_at.desc(), OutboxMessage.id.desc())
            .limit(1)
        )
    ).one_or_none()
    if row is None or not row[0]:
        return None
    return [int(i) for i in row[0]]


async def next_answer_part(session: AsyncSession, *, recipient_id: int, on_date: date) -> int:
    """A free `part` for one more queued answer (NOTICE) to this recipient on this day.

    Answers count down from -1: the other notices use positive parts derived from what
    they are about (bot.domain.channels.notice_part), so the two never meet. Each further
    piece of one answer takes the next lower number."""
    low = await session.scalar(
        select(func.min(OutboxMessage.part)).where(
            OutboxMessage.recipient_id == recipient_id, OutboxMessage.on_date == on_date,
            OutboxMessage.kind == OutboxKind.NOTICE, OutboxMessage.part < 0,
        )
    )
    return int(low) - 1 if low is not None else -1
