"""Flows: rows awaiting a decision (pending uploads, bind requests, prompts).

A decision is a conditional UPDATE ... WHERE state = 'pending', so a repeated or concurrent
button press (two admins, two processes) decides at most once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import BindRequest, PendingUpload
from bot.domain.kinds import FlowState


async def decide_flow(
    session: AsyncSession,
    *,
    model: type[PendingUpload] | type[BindRequest],
    row_id: int,
    state: FlowState,
    now: datetime,
    **values: Any,
) -> bool:
    """Move a pending row to `state`; False if it was not pending (already decided)."""
    result = await session.execute(
        update(model)
        .where(model.id == row_id, model.state == FlowState.PENDING)
        .values(state=state, decided_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def add_pending_upload(session: AsyncSession, **values: Any) -> PendingUpload:
    row = PendingUpload(state=FlowState.PENDING, **values)
    session.add(row)
    await session.flush()
    return row


async def get_pending_upload(session: AsyncSession, *, upload_id: int) -> PendingUpload | None:
    return await session.get(PendingUpload, upload_id)
