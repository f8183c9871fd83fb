"""Signed links that open an agency's page of the console without a password (e-mailed
reminders: the focal point answers there).

A token is `<agency id>.<expiry (unix seconds)>.<HMAC-SHA256, 128 bits>`, the key derived from
the bot token (like the console's sign-in links), so it needs no table and a forged or
altered one is refused before anything is read. It stays valid until its expiry (N days,
EMAIL_LINK_DAYS): a mailbox is read on several days. It grants the focal-point view of that
one agency (bot/web/agency_link.py opens a session with exactly that grant).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any


def link_key(bot_token: str) -> bytes:
    return hashlib.sha256(b"nhacviec-agency-link\0" + bot_token.encode()).digest()


def _mac(key: bytes, payload: str) -> str:
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()[:32]


def make_token(*, agency_id: int, key: bytes, expires: datetime) -> str:
    payload = f"{agency_id}.{int(expires.timestamp())}"
    return f"{payload}.{_mac(key, payload)}"


def read_token(token: str, *, key: bytes, now: datetime) -> int | None:
    """The agency id of a genuine, unexpired token; otherwise None."""
    agency, dot1, rest = token.partition(".")
    expiry, dot2, mac = rest.partition(".")
    if not (dot1 and dot2 and agency.isdigit() and expiry.isdigit()):
        return None
    if not hmac.compare_digest(mac, _mac(key, f"{agency}.{expiry}")):
        return None
    if datetime.fromtimestamp(int(expiry), UTC) <= now:
        return None
    return int(agency)


@dataclass(frozen=True)
class AgencyLinks:
    """Makes the console links of e-mailed reminders."""

    base_url: str  # the console's public address (WEB_BASE_URL)
    key: bytes
    days: int = 14

    @classmethod
    def from_settings(cls, settings: Any) -> AgencyLinks | None:
        token = (getattr(settings, "telegram_bot_token", None) or "").strip()
        # Only a public address set on purpose: a mailbox cannot open the server's 127.0.0.1.
        if not token or not getattr(settings, "web_port", 0) or not getattr(settings, "web_base_url", None):
            return None
        return cls(base_url=settings.web_url, key=link_key(token), days=settings.email_link_days)

    def url(self, agency_id: int, *, now: datetime) -> str:
        token = make_token(agency_id=agency_id, key=self.key, expires=now + timedelta(days=self.days))
        return f"{self.base_url}/web/a/{token}"
