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

from bot.db import web_auth as db
from bot.db.models import WebSession
from bot.db.session import AsyncSession

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
    await db.add_login(session, token_hash=_digest(secret), tg_user_id=tg_user_id, now=now, expires_at=now + LOGIN_TTL)
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
    row = await db.login_by_hash(session, token_hash=_digest(secret))
    if row is None:
        return None
    return row.tg_user_id if await db.use_login(session, login_id=row.id, now=now) else None


async def open_session(
    session: AsyncSession, *, tg_user_id: int, user_name: str | None, grants: dict[str, Any], now: datetime
) -> str:
    """A new session; returns the cookie value."""
    secret = secrets.token_urlsafe(32)
    await db.add_session(
        session, token_hash=_digest(secret), tg_user_id=tg_user_id, user_name=user_name,
        csrf=secrets.token_urlsafe(24), grants=grants, now=now, expires_at=now + SESSION_TTL,
    )
    return secret


async def find_session(session: AsyncSession, *, cookie: str | None, now: datetime) -> WebSession | None:
    if not cookie:
        return None
    row = await db.session_by_hash(session, token_hash=_digest(cookie))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    return row


async def close_session(session: AsyncSession, *, cookie: str | None, now: datetime) -> None:
    if cookie:
        await db.revoke_session(session, token_hash=_digest(cookie), now=now)
