"""The Zalo Bot Platform client: httpx, async, the documented envelope and error codes.

What the platform documents (bot.zaloplatforms.com/docs, read December 2026): every call is
``{ZALO_API_URL}/bot<TOKEN>/<method>``; every answer is ``{"ok": true, "result": …}`` or
``{"ok": false, "error_code": n, "description": "…"}`` with the codes 400 (bad request or
unknown method), 401 (token expired or invalid), 403 (listed as "internal server error"),
404 (not found), 408 (request timeout) and 429 (quota exceeded). getUpdates is a long poll
returning ONE update (or 408 when nothing came); a webhook receives the same update as
``{"ok": true, "result": update}`` with the secret in the ``X-Bot-Api-Secret-Token`` header.
sendMessage takes 1–2,000 characters of plain text; bots talk one to one; no buttons, no
documents.

Errors are sorted by what the caller must do (`Failure`), not by their code:
- TEMPORARY: try the same message again later (429 quota, 408, 5xx, 403 as documented, a
  gateway's HTML page, a timeout, a dropped connection). Nothing is lost.
- RECIPIENT: this message to this chat can never go (400 "chat not found", 404, a text the
  platform refuses): the row fails, the admins are told.
- CHANNEL: the bot itself is refused (401: token revoked or wrong). Every Zalo message waits,
  the admins are told; the other channels go on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import httpx

DEFAULT_API_URL = "https://bot-api.zaloplatforms.com"
SECRET_HEADER = "X-Bot-Api-Secret-Token"
MAX_TEXT = 2000
TEXT_EVENT = "message.text.received"


class Failure(StrEnum):
    TEMPORARY = "temporary"
    RECIPIENT = "recipient"
    CHANNEL = "channel"


# 400/404 about the chat rather than the text: the address is gone, not just this message.
_CHAT_GONE = ("chat not found", "user not found", "blocked", "not a friend", "invalid chat")


def classify(error_code: int | None) -> Failure:
    """What a failed call means for the message (see the module docstring).

    - 401 → CHANNEL (whatever the message, the bot is refused);
    - 400, 404 → RECIPIENT (the platform refused this request: sending it again changes nothing);
    - 408, 429, 403 (documented as an internal error), 5xx, other codes → TEMPORARY;
    - no error_code (not the platform's JSON: a proxy's page) → by the HTTP status, 5xx and
      unknown ones TEMPORARY; a proxy's own 4xx is TEMPORARY too (not the platform's word).
    """
    if error_code is None:
        return Failure.TEMPORARY
    if error_code == 401:
        return Failure.CHANNEL
    if error_code in (400, 404):
        return Failure.RECIPIENT
    return Failure.TEMPORARY


def chat_gone(description: str) -> bool:
    """A RECIPIENT error that means the person cannot be reached at all (not one bad text)."""
    lowered = description.lower()
    return any(part in lowered for part in _CHAT_GONE)


class ZaloError(Exception):
    """A call that did not succeed; `failure` says what to do about it."""

    def __init__(
        self, method: str, description: str, *, error_code: int | None = None, http_status: int | None = None,
        failure: Failure | None = None,
    ) -> None:
        super().__init__(f"{method}: {error_code or http_status or '-'} {description}")
        self.method = method
        self.description = description
        self.error_code = error_code
        self.http_status = http_status
        self.failure = failure or classify(error_code)

    @property
    def temporary(self) -> bool:
        return self.failure is Failure.TEMPORARY

    @property
    def no_update(self) -> bool:
        """getUpdates' 408: the long poll ended without a message (not a failure)."""
        return self.method == "getUpdates" and self.error_code == 408


@dataclass(frozen=True)
class IncomingText:
    """A text a person sent the bot (private chat; groups are not supported by the platform yet)."""

    chat_id: str
    user_id: str
    name: str
    text: str
    message_id: str
    date_ms: int | None


def parse_update(update: Mapping[str, Any] | None) -> IncomingText | None:
    """The text message in an update (getUpdates' result or a webhook's), None for anything
    else: stickers, images, "unsupported" (the platform hides some senders' messages), bots,
    group chats."""
    if not isinstance(update, Mapping):
        return None
    if "event_name" not in update and isinstance(update.get("result"), Mapping):
        update = update["result"]  # a webhook body: {"ok": true, "result": update}
    if update.get("event_name") != TEXT_EVENT:
        return None
    message = update.get("message")
    if not isinstance(message, Mapping):
        return None
    sender: Mapping[str, Any] = message["from"] if isinstance(message.get("from"), Mapping) else {}
    chat: Mapping[str, Any] = message["chat"] if isinstance(message.get("chat"), Mapping) else {}
    text = message.get("text")
    if not isinstance(text, str) or not text.strip() or sender.get("is_bot"):
        return None
    if str(chat.get("chat_type") or "PRIVATE").upper() != "PRIVATE":
        return None
    chat_id = str(chat.get("id") or sender.get("id") or "")
    if not chat_id:
        return None
    name = sender.get("display_name") or sender.get("first_name") or sender.get("name") or ""
    date = message.get("date")
    return IncomingText(
        chat_id=chat_id,
        user_id=str(sender.get("id") or chat_id),
        name=str(name)[:255],
        text=text,
        message_id=str(message.get("message_id") or ""),
        date_ms=int(date) if isinstance(date, int | float) else None,
    )


class ZaloClient:
    """One bot token; `async with ZaloClient(...)` or `close()` when done."""

    def __init__(
        self, token: str, *, api_url: str = DEFAULT_API_URL, timeout: float = 15.0,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.token = token
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout
        self._http = http or httpx.AsyncClient(timeout=timeout)
        self._own_http = http is None

    async def __aenter__(self) -> ZaloClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._own_http:
            await self._http.aclose()

    def _url(self, method: str) -> str:
        return f"{self.api_url}/bot{self.token}/{method}"

    async def call(self, method: str, params: Mapping[str, Any] | None = None, *, timeout: float | None = None) -> Any:
        """POST `params` as JSON; the `result`, or ZaloError."""
        try:
            response = await self._http.post(
                self._url(method), json=dict(params or {}), timeout=timeout or self.timeout
            )
        except httpx.TimeoutException as exc:
            raise ZaloError(method, f"timeout ({type(exc).__name__})") from None
        except httpx.HTTPError as exc:
            raise ZaloError(method, f"network error ({type(exc).__name__}: {exc})") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or "ok" not in body:
            raise ZaloError(method, f"HTTP {response.status_code}: not a Zalo answer", http_status=response.status_code)
        if body.get("ok") is True:
            return body.get("result")
        code = body.get("error_code")
        return self._raise(method, body, code if isinstance(code, int) else response.status_code, response.status_code)

    @staticmethod
    def _raise(method: str, body: Mapping[str, Any], code: int, status: int) -> Any:
        raise ZaloError(method, str(body.get("description") or "error"), error_code=code, http_status=status)

    # --- the documented methods ------------------------------------------------------------

    async def get_me(self) -> dict[str, Any]:
        return dict(await self.call("getMe") or {})

    async def get_update(self, *, timeout: int = 30) -> dict[str, Any] | None:
        """One update, or None when the long poll ended empty (408)."""
        try:
            # The platform documents `timeout` as a string of seconds.
            result = await self.call("getUpdates", {"timeout": str(timeout)}, timeout=timeout + 10)
        except ZaloError as exc:
            if exc.no_update:
                return None
            raise
        return result if isinstance(result, dict) else None

    async def set_webhook(self, *, url: str, secret_token: str) -> dict[str, Any]:
        return dict(await self.call("setWebhook", {"url": url, "secret_token": secret_token}) or {})

    async def delete_webhook(self) -> dict[str, Any]:
        return dict(await self.call("deleteWebhook") or {})

    async def get_webhook_info(self) -> dict[str, Any]:
        return dict(await self.call("getWebhookInfo") or {})

    async def send_message(self, chat_id: str, text: str) -> str:
        """Plain text (1–2,000 characters: split before); returns the platform's message id."""
        result = await self.call("sendMessage", {"chat_id": chat_id, "text": text})
        return str((result or {}).get("message_id") or "")

    async def send_photo(self, chat_id: str, photo_url: str, caption: str | None = None) -> str:
        params: dict[str, Any] = {"chat_id": chat_id, "photo": photo_url}
        if caption:
            params["caption"] = caption
        result = await self.call("sendPhoto", params)
        return str((result or {}).get("message_id") or "")

    async def send_chat_action(self, chat_id: str, action: str = "typing") -> None:
        await self.call("sendChatAction", {"chat_id": chat_id, "action": action})


async def sleep_unless(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep `seconds` or until `stop` is set; True when stopped."""
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        return False
    return True


# --- the outbox adapter (bot/channels/base.py) ------------------------------------------------

# The platform documents no rate; quota errors (429) are the signal. Gentle by default.
QUOTA_PAUSE = 60.0  # a 429 pauses the whole Zalo channel (the quota is the bot's, not a chat's)
TOKEN_PAUSE = 300.0  # a 401: the token was revoked or is wrong; retried, the admins see it fail


class ZaloChannel:
    """The outbox's Zalo adapter: one plain-text message (≤ 2,000 characters, split when
    queued) to one person's chat id. Failures → outcomes:

    - 429 quota, 401 token → RETRY with the whole channel paused (`channel_down`): every
      Zalo row waits, Telegram and e-mail do not;
    - 408, 5xx, 403 (documented as internal), timeouts, dropped connections → RETRY (backoff);
    - 400/404 naming the chat ("chat not found", blocked) → UNREACHABLE: the person is marked
      unreachable, the admins told; other 400s → REJECTED (this message only).
    """

    def __init__(self, client: ZaloClient) -> None:
        from bot.channels.base import Pacing
        from bot.domain.channels import Channel

        self.client = client
        self.channel = Channel.ZALO
        self.pacing = Pacing(per_second=5.0, concurrency=2)

    async def send(self, message: Any) -> Any:
        from bot.channels.base import SendResult

        try:
            ref = await self.client.send_message(message.address, message.body)
        except ZaloError as exc:
            error = f"{exc.error_code or exc.http_status or '-'}: {exc.description}"
            if exc.failure is Failure.CHANNEL:
                return SendResult.retry(error, retry_after=TOKEN_PAUSE, channel_down=True)
            if exc.failure is Failure.RECIPIENT:
                return SendResult.unreachable(error) if chat_gone(exc.description) else SendResult.rejected(error)
            if exc.error_code == 429:
                return SendResult.retry(error, retry_after=QUOTA_PAUSE, channel_down=True)
            return SendResult.retry(error)
        return SendResult.sent(ref or None)

    async def aclose(self) -> None:
        await self.client.close()


def _register() -> None:
    from bot.channels.registry import builder

    @builder
    def from_settings(settings: Any) -> ZaloChannel | None:
        token = (getattr(settings, "zalo_bot_token", None) or "").strip()
        if not token:
            return None
        return ZaloChannel(ZaloClient(token, api_url=settings.zalo_api_url))


_register()
