"""The web console's sign-in rows: one-time login links and sessions, stored by the hash of
their secret. Keyword-only, take the caller's session, never commit. Secrets, signatures
and lifetimes are bot/web/auth.py's."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import WebLogin, WebSession


async def add_login(
    session: AsyncSession, *, token_hash: str, tg_user_id: int, now: datetime, expires_at: datetime
) -> None:
    session.add(WebLogin(token_hash=token_hash, tg_user_id=tg_user_id, created_at=now, expires_at=expires_at))
    await session.flush()


async def login_by_hash(session: AsyncSession, *, token_hash: str) -> WebLogin | None:
    return await session.scalar(select(WebLogin).where(WebLogin.token_hash == token_hash))


async def use_login(session: AsyncSession, *, login_id: int, now: datetime) -> bool:
    """Mark the login used if it is unused and unexpired at `now`, in one UPDATE (two tabs
    racing on one link: one wins); True for the winner."""
    result = await session.execute(
        update(WebLogin)
        .where(WebLogin.id == login_id, WebLogin.used_at.is_(None), WebLogin.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def add_session(
    session: AsyncSession,
    *,
    token_hash: str,
    tg_user_id: int,
    user_name: str | None,
    csrf: str,
    grants: dict[str, Any],
    now: datetime,
    expires_at: datetime,
) -> None:
    session.add(
        WebSession(
            token_hash=token_hash, tg_user_id=tg_user_id, user_name=user_name, csrf=csrf,
            grants=grants, created_at=now, expires_at=expires_at,
        )
    )
    await session.flush()


async def session_by_hash(session: AsyncSession, *, token_hash: str) -> WebSession | None:
    return await session.scalar(select(WebSession).where(WebSession.token_hash == token_hash))


async def revoke_session(session: AsyncSession, *, token_hash: str, now: datetime) -> None:
    await session.execute(update(WebSession).where(WebSession.token_hash == token_hash).values(revoked_at=now))
