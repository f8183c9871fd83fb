"""Sign-in without passwords: one-time links from `/web`, Mini App initData, sessions.

A login link carries a random secret and an HMAC of it (key derived from the bot token):
a forged or mistyped link is refused before the database is asked. Only a SHA-256 of the
secret is stored; using it sets `used_at` in the same UPDATE that checks it is unused and
unexpired, so two tabs racing on one link get one session. Sessions: the cookie holds a
random secret, the row its hash, the CSRF token and the grants found at sign-in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import WebLogin, WebSession

LOGIN_TTL = timedelta(minutes=10)
SESSION_TTL = timedelta(hours=12)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _signature(secret: str, bot_token: str) -> str:
    key = hashlib.sha256(b"nhacviec-web-login\0" + bot_token.encode()).digest()
    return hmac.new(key, secret.encode(), hashlib.sha256).hexdigest()[:32]


async def create_login(session: AsyncSession, *, tg_user_id: int, bot_token: str, now: datetime) -> str:
    """A new one-time login token `<secret>.<signature>` for the user."""
    secret = secrets.token_urlsafe(24)
    session.add(WebLogin(token_hash=_digest(secret), tg_user_id=tg_user_id, created_at=now, expires_at=now + LOGIN_TTL))
    await session.flush()
    return f"{secret}.{_signature(secret, bot_token)}"


def well_signed(token: str, *, bot_token: str) -> str | None:
    """The secret of a genuine token, or None."""
    secret, dot, signature = token.partition(".")
    if not dot or not secret or not hmac.compare_digest(signature, _signature(secret, bot_token)):
        return None
    return secret


async def use_login(session: AsyncSession, *, token: str, bot_token: str, now: datetime) -> int | None:
    """The user id of a valid, unused, unexpired token, which is used up; otherwise None."""
    secret = well_signed(token, bot_token=bot_token)
    if secret is None:
        return None
    row = await session.scalar(select(WebLogin).where(WebLogin.token_hash == _digest(secret)))
    if row is None:
        return None
    result = await session.execute(
        update(WebLogin)
        .where(WebLogin.id == row.id, WebLogin.used_at.is_(None), WebLogin.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return row.tg_user_id if result.rowcount == 1 else None  # type: ignore[attr-defined]


async def open_session(
    session: AsyncSession, *, tg_user_id: int, user_name: str | None, grants: dict[str, Any], now: datetime
) -> str:
    """A new session; returns the cookie value."""
    secret = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            token_hash=_digest(secret), tg_user_id=tg_user_id, user_name=user_name, csrf=secrets.token_urlsafe(24),
            grants=grants, created_at=now, expires_at=now + SESSION_TTL,
        )
    )
    await session.flush()
    return secret


async def find_session(session: AsyncSession, *, cookie: str | None, now: datetime) -> WebSession | None:
    if not cookie:
        return None
    row = await session.scalar(select(WebSession).where(WebSession.token_hash == _digest(cookie)))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    return row


async def close_session(session: AsyncSession, *, cookie: str | None, now: datetime) -> None:
    if cookie:
        await session.execute(
            update(WebSession).where(WebSession.token_hash == _digest(cookie)).values(revoked_at=now)
        )
