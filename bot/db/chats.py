"""Chats: binding to an agency or the leaders, bind requests, one-time invites, moves (supergroup) and deactivation.

Data functions: keyword-only, take the caller's session, flush at most, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, true, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.db.models import Agency, BindRequest, Chat, InviteLink, Province
from bot.domain.kinds import ChatRole, FlowState


async def get_chat(session: AsyncSession, *, tg_chat_id: int) -> Chat | None:
    return await session.scalar(select(Chat).where(Chat.tg_chat_id == tg_chat_id))


async def bind_chat(
    session: AsyncSession,
    *,
    province: Province,
    tg_chat_id: int,
    role: ChatRole,
    now: datetime,
    agency: Agency | None = None,
    title: str | None = None,
    bound_by_tg_id: int | None = None,
) -> Chat:
    """Bind a Telegram chat to an agency (or the leaders); rebinding replaces the binding."""
    if role is ChatRole.AGENCY and agency is None:
        raise ValueError("an agency chat needs an agency")
    chat = await get_chat(session, tg_chat_id=tg_chat_id)
    if chat is None:
        chat = Chat(tg_chat_id=tg_chat_id)
        session.add(chat)
    chat.province_id = province.id
    chat.role = role
    chat.agency_id = agency.id if agency is not None else None
    chat.title = title
    chat.active = True
    chat.bound_by_tg_id = bound_by_tg_id
    chat.bound_at = now
    await session.flush()
    return chat


async def chats_for_agency(session: AsyncSession, *, agency_id: int) -> list[Chat]:
    return list(
        await session.scalars(
            select(Chat).where(Chat.agency_id == agency_id, Chat.active).order_by(Chat.id)
        )
    )


async def move_chat(session: AsyncSession, *, old_tg_chat_id: int, new_tg_chat_id: int) -> Chat | None:
    """A group became a supergroup (new id): its binding and pending requests follow it.

    Idempotent: Telegram reports the migration in both chats, the second call finds
    nothing left to move.
    """
    chat = await get_chat(session, tg_chat_id=old_tg_chat_id)
    if chat is None or await get_chat(session, tg_chat_id=new_tg_chat_id) is not None:
        return None
    chat.tg_chat_id = new_tg_chat_id
    await session.execute(
        update(BindRequest)
        .where(BindRequest.tg_chat_id == old_tg_chat_id, BindRequest.state == FlowState.PENDING)
        .values(tg_chat_id=new_tg_chat_id)
    )
    await session.flush()
    return chat


async def deactivate_chat(session: AsyncSession, *, tg_chat_id: int) -> Chat | None:
    chat = await get_chat(session, tg_chat_id=tg_chat_id)
    if chat is not None and chat.active:
        chat.active = False
        await session.flush()
    return chat


async def leaders_chats(session: AsyncSession, *, province_id: int) -> list[Chat]:
    return list(
        await session.scalars(
            select(Chat)
            .where(Chat.province_id == province_id, Chat.role == ChatRole.LEADERS, Chat.active)
            .order_by(Chat.id)
        )
    )


async def bound_agency_ids(session: AsyncSession, *, province_id: int) -> set[int]:
    """Agencies with at least one active chat."""
    return set(
        await session.scalars(
            select(Chat.agency_id).where(
                Chat.province_id == province_id, Chat.active, Chat.agency_id.is_not(None)
            )
        )
    )


async def add_bind_request(
    session: AsyncSession,
    *,
    province_id: int,
    agency_id: int,
    tg_chat_id: int,
    chat_title: str | None,
    requested_by_tg_id: int,
    requested_by_name: str | None,
    now: datetime,
) -> tuple[BindRequest, bool]:
    """A pending request for (chat, agency); returns (request, created). Asking twice reuses it."""
    existing = await session.scalar(
        select(BindRequest).where(
            BindRequest.tg_chat_id == tg_chat_id,
            BindRequest.agency_id == agency_id,
            BindRequest.state == FlowState.PENDING,
        )
    )
    if existing is not None:
        return existing, False
    row = BindRequest(
        province_id=province_id,
        agency_id=agency_id,
        tg_chat_id=tg_chat_id,
        chat_title=chat_title,
        requested_by_tg_id=requested_by_tg_id,
        requested_by_name=requested_by_name,
        state=FlowState.PENDING,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return row, True


async def get_bind_request(session: AsyncSession, *, request_id: int) -> BindRequest | None:
    return await session.scalar(
        select(BindRequest).where(BindRequest.id == request_id).options(selectinload(BindRequest.agency))
    )


async def add_invite(
    session: AsyncSession, *, token: str, agency_id: int, created_by_tg_id: int, now: datetime, expires_at: datetime
) -> InviteLink:
    row = InviteLink(
        token=token, agency_id=agency_id, created_by_tg_id=created_by_tg_id, created_at=now, expires_at=expires_at
    )
    session.add(row)
    await session.flush()
    return row


async def use_invite(
    session: AsyncSession, *, token: str, tg_chat_id: int, now: datetime
) -> InviteLink | None:
    """Spend a one-time invite; None if unknown, used or expired."""
    result = await session.execute(
        update(InviteLink)
        .where(InviteLink.token == token, InviteLink.used_at.is_(None), InviteLink.expires_at > now)
        .values(used_at=now, used_tg_chat_id=tg_chat_id)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return None
    return await session.scalar(
        select(InviteLink).where(InviteLink.token == token).options(selectinload(InviteLink.agency))
    )


@dataclass(frozen=True)
class ChatInfo:
    """A bound chat as the admins' notices name it."""

    tg_chat_id: int
    title: str | None
    agency_name: str | None
    province_slug: str
    agency_id: int | None


async def chat_info(session: AsyncSession, *, chat_id: int) -> ChatInfo:
    row = (
        await session.execute(
            select(Chat.tg_chat_id, Chat.title, Agency.name, Province.slug, Chat.agency_id)
            .join(Province, Chat.province_id == Province.id)
            .outerjoin(Agency, Chat.agency_id == Agency.id)
            .where(Chat.id == chat_id)
        )
    ).one()
    return ChatInfo(*row)


async def mark_inactive(session: AsyncSession, *, chat_id: int) -> bool:
    """Stop writing to a chat; True only for the call that flipped it (so admins are told once)."""
    result = await session.execute(
        update(Chat).where(Chat.id == chat_id, Chat.active == true()).values(active=False)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def set_tg_chat_id(session: AsyncSession, *, chat_id: int, tg_chat_id: int) -> None:
    """A group became a supergroup: the binding follows the new Telegram id."""
    await session.execute(
        update(Chat).where(Chat.id == chat_id).values(tg_chat_id=tg_chat_id)
        .execution_options(synchronize_session=False)
    )


async def pending_bind_requests(session: AsyncSession, *, tg_chat_id: int) -> list[BindRequest]:
    """The chat's bind requests still waiting for an admin."""
    return list(
        await session.scalars(
            select(BindRequest).where(BindRequest.tg_chat_id == tg_chat_id, BindRequest.state == FlowState.PENDING)
        )
    )
