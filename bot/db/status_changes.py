"""Status changes and what surrounds them: the history rows, the version a button carries,
prompts awaiting an answer, undo, extension requests (xin gia hạn).

Data functions: keyword-only, take the caller's session, flush at most, never commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.flows import decide_flow
from bot.db.models import DueItem, ExtensionRequest, Plan, StatusChange, StatusPrompt, StatusUndo, Task
from bot.domain.kinds import ExtensionState, FlowState, PromptKind
from bot.domain.status import ChangeSource, Status


async def change_status(
    session: AsyncSession,
    *,
    item: DueItem,
    status: Status,
    source: ChangeSource,
    now: datetime,
    today: date,
    progress: int | None = None,
    new_due_on: date | None = None,
    actor_name: str | None = None,
    actor_tg_id: int | None = None,
    note: str | None = None,
    evidence: dict[str, Any] | None = None,
    chat_id: int | None = None,
    message_id: int | None = None,
    channel: str | None = None,
) -> StatusChange:
    """Set a due item's status and append the history row (the only way statuses change).

    `today` is the province's local date (completion date of a "done"); `new_due_on`
    moves the due date (an extension granted), the original date stays the identity.
    """
    old = item.status
    item.status = status
    if status is Status.DONE:
        item.progress = 100
        item.completed_on = today
    else:
        item.completed_on = None
        if progress is not None:
            item.progress = max(0, min(100, progress))
    if new_due_on is not None:
        item.due_on = new_due_on
    item.updated_at = now
    change = StatusChange(
        due_item=item,
        at=now,
        actor_tg_id=actor_tg_id,
        actor_name=actor_name,
        source=source,
        old_status=old,
        new_status=status,
        progress=item.progress,
        note=note,
        evidence=evidence,
        chat_id=chat_id,
        message_id=message_id,
        channel=channel,
    )
    session.add(change)
    await session.flush()
    return change


async def history(session: AsyncSession, *, due_item_id: int) -> list[StatusChange]:
    return list(
        await session.scalars(
            select(StatusChange)
            .where(StatusChange.due_item_id == due_item_id)
            .order_by(StatusChange.at, StatusChange.id)
        )
    )


async def latest_change_id(session: AsyncSession, *, due_item_id: int) -> int:
    """The id of the item's newest history row (0 if none): the version a button carries."""
    return int(
        await session.scalar(select(func.max(StatusChange.id)).where(StatusChange.due_item_id == due_item_id)) or 0
    )


async def said_later(
    session: AsyncSession, *, due_item_id: int, tg_chat_id: int, message_id: int, sent_at: datetime
) -> bool:
    """Whether the item has a later word than the message (chat, id) sent at `sent_at`:
    a change after the message's own newest change on the item, from anything else; or,
    if the message changed nothing on it, any change recorded after it was sent."""
    own = await session.scalar(
        select(func.max(StatusChange.id)).where(
            StatusChange.due_item_id == due_item_id,
            StatusChange.chat_id == tg_chat_id,
            StatusChange.message_id == message_id,  # ids are unique within a chat
        )
    )
    if own is not None:
        later = and_(
            StatusChange.id > own,
            or_(
                StatusChange.chat_id.is_(None), StatusChange.chat_id != tg_chat_id,
                StatusChange.message_id.is_(None), StatusChange.message_id != message_id,
            ),
        )
    else:
        later = StatusChange.at > sent_at
    return bool(
        await session.scalar(select(exists().where(StatusChange.due_item_id == due_item_id, later)))
    )


async def add_prompt(
    session: AsyncSession,
    *,
    kind: PromptKind,
    tg_chat_id: int,
    tg_user_id: int,
    actor_name: str | None,
    source: ChangeSource,
    payload: dict[str, Any],
    now: datetime,
    expires_at: datetime,
    source_message_id: int | None = None,
    prompt_message_id: int | None = None,
) -> StatusPrompt:
    row = StatusPrompt(
        kind=kind, state=FlowState.PENDING, tg_chat_id=tg_chat_id, tg_user_id=tg_user_id,
        actor_name=actor_name, source=source, payload=payload, created_at=now, expires_at=expires_at,
        source_message_id=source_message_id, prompt_message_id=prompt_message_id,
    )
    session.add(row)
    await session.flush()
    return row


async def get_prompt(session: AsyncSession, *, prompt_id: int) -> StatusPrompt | None:
    return await session.get(StatusPrompt, prompt_id, populate_existing=True)


async def prompt_for_message(
    session: AsyncSession, *, tg_chat_id: int, prompt_message_id: int, kinds: Iterable[PromptKind]
) -> StatusPrompt | None:
    """The newest prompt of those kinds asked in that message (pending or not)."""
    return await session.scalar(
        select(StatusPrompt)
        .where(
            StatusPrompt.tg_chat_id == tg_chat_id,
            StatusPrompt.prompt_message_id == prompt_message_id,
            StatusPrompt.kind.in_(list(kinds)),
        )
        .order_by(StatusPrompt.id.desc())
        .limit(1)
    )


async def set_prompt_message(session: AsyncSession, *, prompt_id: int, prompt_message_id: int) -> None:
    await session.execute(
        update(StatusPrompt)
        .where(StatusPrompt.id == prompt_id)
        .values(prompt_message_id=prompt_message_id)
        .execution_options(synchronize_session=False)
    )


async def close_prompt(session: AsyncSession, *, prompt_id: int, state: FlowState, now: datetime) -> bool:
    """pending → state; False if it was not pending any more (a repeated or racing answer)."""
    return await decide_flow(session, model=StatusPrompt, row_id=prompt_id, state=state, now=now)  # type: ignore[arg-type]


async def cancel_pending_prompts(
    session: AsyncSession, *, tg_chat_id: int, prompt_message_id: int, now: datetime
) -> None:
    """A message asking something new supersedes what it asked before."""
    await session.execute(
        update(StatusPrompt)
        .where(
            StatusPrompt.tg_chat_id == tg_chat_id,
            StatusPrompt.prompt_message_id == prompt_message_id,
            StatusPrompt.state == FlowState.PENDING,
        )
        .values(state=FlowState.CANCELLED, decided_at=now)
        .execution_options(synchronize_session=False)
    )


async def add_undo(session: AsyncSession, **values: Any) -> StatusUndo:
    row = StatusUndo(**values)
    session.add(row)
    await session.flush()
    return row


async def get_undo(session: AsyncSession, *, change_id: int) -> StatusUndo | None:
    return await session.get(StatusUndo, change_id, populate_existing=True)


async def claim_undo(session: AsyncSession, *, change_id: int, now: datetime) -> bool:
    """Mark a change as undone once (a repeated or racing "Hoàn tác" finds it taken)."""
    result = await session.execute(
        update(StatusUndo)
        .where(StatusUndo.change_id == change_id, StatusUndo.undone_at.is_(None))
        .values(undone_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def set_undone_by(session: AsyncSession, *, change_id: int, undone_by_change_id: int) -> None:
    await session.execute(
        update(StatusUndo)
        .where(StatusUndo.change_id == change_id)
        .values(undone_by_change_id=undone_by_change_id)
        .execution_options(synchronize_session=False)
    )


async def add_extension_request(session: AsyncSession, **values: Any) -> ExtensionRequest:
    row = ExtensionRequest(state=ExtensionState.PENDING, **values)
    session.add(row)
    await session.flush()
    return row


async def get_extension_request(session: AsyncSession, *, request_id: int) -> ExtensionRequest | None:
    return await session.get(ExtensionRequest, request_id, populate_existing=True)


async def pending_extension_request(session: AsyncSession, *, due_item_id: int) -> ExtensionRequest | None:
    return await session.scalar(
        select(ExtensionRequest).where(
            ExtensionRequest.due_item_id == due_item_id, ExtensionRequest.state == ExtensionState.PENDING
        )
    )


async def extension_request_for_change(session: AsyncSession, *, change_id: int) -> ExtensionRequest | None:
    return await session.scalar(select(ExtensionRequest).where(ExtensionRequest.request_change_id == change_id))


async def decide_extension_request(
    session: AsyncSession, *, request_id: int, state: ExtensionState, now: datetime, **values: Any
) -> bool:
    """pending → state; False if someone decided (or withdrew) it first."""
    result = await session.execute(
        update(ExtensionRequest)
        .where(ExtensionRequest.id == request_id, ExtensionRequest.state == ExtensionState.PENDING)
        .values(state=state, decided_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def pending_extension_requests(session: AsyncSession, *, province_ids: Iterable[int]) -> list[ExtensionRequest]:
    """Open requests of the provinces, oldest first (for /giahan)."""
    return list(
        await session.scalars(
            select(ExtensionRequest)
            .join(DueItem, ExtensionRequest.due_item_id == DueItem.id)
            .join(Task, DueItem.task_id == Task.id)
            .join(Plan, Task.plan_id == Plan.id)
            .where(ExtensionRequest.state == ExtensionState.PENDING, Plan.province_id.in_(list(province_ids)))
            .order_by(ExtensionRequest.created_at, ExtensionRequest.id)
        )
    )
