"""The scheduled digests' runs: one per leaders' chat, kind and as-of date, claimed by one
worker under a lease. Keyword-only, take the caller's session, never commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.dialect import insert_ignore
from bot.db.models import Chat, DigestRun, OutboxMessage
from bot.domain.kinds import ChatRole, DigestRunStatus, OutboxKind


@dataclass(frozen=True)
class ClaimedRun:
    run_id: int
    chat_id: int  # Chat.id
    tg_chat_id: int
    province_id: int
    parts_sent: int
    attempts: int


async def open_runs(
    session: AsyncSession, *, kind: str, as_of: date, province_ids: Sequence[int], now: datetime
) -> int:
    """A pending run for each active leaders' chat of the provinces (existing ones stay);
    returns how many were new."""
    chats = list(
        await session.scalars(
            select(Chat.id).where(
                Chat.province_id.in_(list(province_ids)), Chat.role == ChatRole.LEADERS, Chat.active
            )
        )
    )
    if not chats:
        return 0
    result = await session.execute(
        insert_ignore(session, DigestRun).returning(DigestRun.id),
        [{"chat_id": chat_id, "kind": kind, "as_of": as_of, "created_at": now} for chat_id in chats],
    )
    return len(result.all())


async def claim_runs(
    session: AsyncSession, *, kind: str, as_of: date, worker: str, now: datetime, lease: timedelta,
    stale_error: str,
) -> list[ClaimedRun]:
    """Take the (kind, as_of) pending runs (of active chats) for `worker`; a run another
    process left `sending` past its lease becomes uncertain with `stale_error`."""
    same = (DigestRun.kind == kind, DigestRun.as_of == as_of)
    await session.execute(
        update(DigestRun)
        .where(*same, DigestRun.status == DigestRunStatus.SENDING, DigestRun.lease_until < now)
        .values(status=DigestRunStatus.UNCERTAIN, error=stale_error)
        .execution_options(synchronize_session=False)
    )
    active = select(Chat.id).where(Chat.active).scalar_subquery()
    claimed = await session.execute(
        update(DigestRun)
        .where(*same, DigestRun.status == DigestRunStatus.PENDING, DigestRun.chat_id.in_(active))
        .values(status=DigestRunStatus.SENDING, claimed_by=worker, lease_until=now + lease, attempts=DigestRun.attempts + 1)
        .returning(DigestRun.id)
        .execution_options(synchronize_session=False)
    )
    ids = [row[0] for row in claimed.all()]
    if not ids:
        return []
    rows = await session.execute(
        select(DigestRun.id, DigestRun.chat_id, Chat.tg_chat_id, Chat.province_id, DigestRun.parts_sent, DigestRun.attempts)
        .join(Chat, DigestRun.chat_id == Chat.id)
        .where(DigestRun.id.in_(ids))
        .order_by(DigestRun.id)
    )
    return [ClaimedRun(*row) for row in rows.all()]


async def update_run(session: AsyncSession, *, run_id: int, worker: str, **values: Any) -> bool:
    """Move a run this worker holds (parts_sent, status, error…); False if it lost it."""
    result = await session.execute(
        update(DigestRun)
        .where(DigestRun.id == run_id, DigestRun.claimed_by == worker, DigestRun.status == DigestRunStatus.SENDING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def digest_mailed_to(
    session: AsyncSession, *, recipient_ids: Sequence[int], as_of: date, part: int
) -> set[int]:
    """Those of the recipients that have a digest message (kind `part`) as of `as_of` in the
    outbox already, whatever its state."""
    return set(
        await session.scalars(
            select(OutboxMessage.recipient_id).where(
                OutboxMessage.recipient_id.in_(list(recipient_ids)),
                OutboxMessage.on_date == as_of,
                OutboxMessage.kind == OutboxKind.DIGEST,
                OutboxMessage.part == part,
            )
        )
    )
