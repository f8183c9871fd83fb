"""Telegram Mini App `initData`, validated exactly as Telegram documents it.

https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app:
data-check-string = every received field except `hash`, sorted by key, as `key=value`
joined by "\\n"; secret key = HMAC-SHA256(key="WebAppData", msg=bot token); the data is
genuine when HMAC-SHA256(key=secret key, msg=data-check-string) in hex equals `hash`.
`auth_date` too old (or in the future) is refused as stale.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlencode

MAX_AGE = timedelta(hours=1)


class InitDataError(ValueError):
    """Forged, malformed or stale initData."""


@dataclass(frozen=True)
class MiniAppUser:
    id: int
    name: str


def _secret(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def _check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{k}={fields[k]}" for k in sorted(fields) if k != "hash")


def sign(fields: dict[str, str], bot_token: str) -> str:
    """initData as Telegram would send it (for tests and local trials)."""
    digest = hmac.new(_secret(bot_token), _check_string(fields).encode(), hashlib.sha256).hexdigest()
    return urlencode({**fields, "hash": digest})


def validate(init_data: str, *, bot_token: str, now: datetime, max_age: timedelta = MAX_AGE) -> MiniAppUser:
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InitDataError("malformed") from None
    fields = dict(pairs)
    if len(fields) != len(pairs) or "hash" not in fields:
        raise InitDataError("malformed")
    expected = hmac.new(_secret(bot_token), _check_string(fields).encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, fields["hash"]):
        raise InitDataError("forged")
    try:
        auth_date = datetime.fromtimestamp(int(fields["auth_date"]), tz=now.tzinfo)
        user = json.loads(fields["user"])
        user_id = int(user["id"])
    except (KeyError, ValueError, TypeError):
        raise InitDataError("malformed") from None
    if now - auth_date > max_age or auth_date - now > timedelta(minutes=5):
        raise InitDataError("stale")
    name = " ".join(str(user.get(k) or "") for k in ("first_name", "last_name")).strip()
    return MiniAppUser(user_id, name or str(user_id))
