"""An in-process fake of the Zalo Bot Platform API (https://bot-api.zaloplatforms.com), for
end-to-end tests of the Zalo channel, written from the platform's documentation
(bot.zaloplatforms.com/docs, checked December 2026):

- every method is ``/bot<TOKEN>/<method>``, GET or POST, parameters as JSON, form or query string;
- every answer is ``{"ok", "result"}`` or ``{"ok": false, "error_code", "description"}``;
  the documented codes: 400 bad request / unknown method, 401 bad token, 403 ("internal server
  error" in the table), 404, 408 request timeout, 429 quota exceeded;
- getUpdates is a long poll that returns ONE update per call (``result`` is the update itself,
  ``{"event_name": "message.text.received", "message": {...}}``), and 408 "Request timeout" when
  nothing arrived within ``timeout`` seconds; it does not work while a webhook is set;
- setWebhook(url, secret_token 8–256 characters); the platform then POSTs each update as
  ``{"ok": true, "result": update}`` with the header ``X-Bot-Api-Secret-Token``;
- sendMessage(chat_id, text of 1–2,000 characters), sendPhoto(chat_id, photo URL, caption),
  sendChatAction(chat_id, action typing|upload_photo) → ``{"ok": true}``.

Deviations and guesses, on purpose (not in the documentation):
- HTTP status = error_code (like Telegram); the client reads the JSON body whatever the status;
- the text length is counted in UTF-16 code units (the stricter reading of "2,000 characters");
- a chat_id that never wrote to the bot: 400 "chat not found" (undocumented wording);
- getUpdates while a webhook is set: 400 (undocumented code);
- webhooks may be plain http:// (tests), one update at a time, retried while refused.

Test API (plain methods): ``send_text`` (a user writes to the bot), ``messages_to``,
``inject`` (the next calls of a method fail: "429", "500", "502", "401", "timeout"),
``wait_for_sent`` (async).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
from aiohttp import web

__all__ = ["DEFAULT_TOKEN", "MAX_TEXT", "FakeZaloApi", "Sent"]

DEFAULT_TOKEN = "1459232241454765289:FakeZaloTokenForNhacviec"
MAX_TEXT = 2000
SECRET_HEADER = "X-Bot-Api-Secret-Token"
EVENTS = (
    "message.text.received", "message.image.received", "message.sticker.received",
    "message.unsupported.received",
)
FAULTS = ("429", "500", "502", "401", "403", "timeout")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Sent:
    """A message the bot sent (sendMessage or sendPhoto)."""

    chat_id: str
    message_id: str
    method: str
    text: str = ""
    photo: str | None = None
    at: float = field(default_factory=time.monotonic)


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int


class _Error(Exception):
    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


class FakeZaloApi:
    """``async with FakeZaloApi() as zalo:`` → ``zalo.url`` is ZALO_API_URL, ``zalo.token`` the token."""

    def __init__(self, *, token: str = DEFAULT_TOKEN, host: str = "127.0.0.1") -> None:
        self.token = token
        self.host = host
        self.port = 0
        self.url = ""
        self.bot_id = token.split(":", 1)[0]
        self.users: dict[str, str] = {}  # chat id → display name (who wrote to the bot)
        self.sent: list[Sent] = []
        self.calls: list[Call] = []
        self.actions: list[tuple[str, str]] = []
        self.webhook_url = ""
        self.webhook_secret = ""
        self.webhook_updated_at = 0
        self.webhook_answers: list[int] = []  # HTTP status of each webhook delivery
        self._updates: deque[dict[str, Any]] = deque()
        self._arrived = asyncio.Event()
        self._faults: dict[str, deque[str]] = {}
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._closing = False

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> FakeZaloApi:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self.url = f"http://{self.host}:{self.port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._closing = True
        self._arrived.set()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()

    # ------------------------------------------------------------------ HTTP

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            raw = await request.read()
            kind = request.content_type
            if kind == "application/json" and raw.strip():
                try:
                    body = json.loads(raw)
                except ValueError as exc:
                    raise _Error(400, "Bad request: malformed JSON") from exc
                if not isinstance(body, dict):
                    raise _Error(400, "Bad request: parameters must be a JSON object")
                params.update(body)
            elif kind == "application/x-www-form-urlencoded":
                params.update(parse_qsl(raw.decode("utf-8")))
            elif kind.startswith("multipart/"):
                form = await request.post()
                params.update({k: v for k, v in form.items() if isinstance(v, str)})
        return params

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        params: dict[str, Any] = {}
        try:
            try:
                params = await self._params(request)
            except ConnectionResetError:  # the client gave up (a cancelled long poll)
                return web.Response(status=499)
            if request.match_info["token"] != self.token:
                raise _Error(401, "Unauthorized: invalid bot token")
            handler: Callable[..., Any] | None = getattr(self, f"_api_{method}", None)
            if handler is None:
                raise _Error(400, f"Bad request: unknown method {method}")  # names are case-sensitive
            fault = self._take_fault(method)
            if fault == "timeout":
                await asyncio.sleep(3600)  # the client's read timeout fires first
            if fault == "502":
                self.calls.append(Call(method, params, 502))
                return web.Response(status=502, text="<html><body><h1>502 Bad Gateway</h1></body></html>",
                                    content_type="text/html")
            if fault is not None:
                code = int(fault)
                raise _Error(code, {
                    429: "Quota exceeded", 500: "Internal server error", 401: "Unauthorized",
                    403: "Internal server error",
                }[code])
            result = await handler(params)
        except _Error as exc:
            self.calls.append(Call(method, params, exc.code))
            return web.json_response(
                {"ok": False, "error_code": exc.code, "description": exc.description}, status=exc.code
            )
        self.calls.append(Call(method, params, 200))
        body: dict[str, Any] = {"ok": True}
        if result is not None:
            body["result"] = result
        return web.json_response(body)

    def _take_fault(self, method: str) -> str | None:
        queue = self._faults.get(method)
        return queue.popleft() if queue else None

    # ------------------------------------------------------------------ methods

    async def _api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"id": self.bot_id, "account_name": "bot.NhacViec", "account_type": "BASIC", "can_join_groups": False}

    async def _api_getUpdates(self, params: dict[str, Any]) -> dict[str, Any]:
        if self.webhook_url:
            raise _Error(400, "Bad request: getUpdates is not available while a webhook is set")
        try:
            timeout = float(params.get("timeout", 30))
        except (TypeError, ValueError) as exc:
            raise _Error(400, "Bad request: timeout must be a number") from exc
        deadline = time.monotonic() + max(0.0, timeout)
        while not self._updates and not self._closing:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _Error(408, "Request timeout")
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), left)
            except TimeoutError:
                pass
        if not self._updates:
            raise _Error(408, "Request timeout")
        return self._updates.popleft()

    async def _api_setWebhook(self, params: dict[str, Any]) -> dict[str, Any]:
        url = str(params.get("url") or "")
        secret = str(params.get("secret_token") or "")
        if not url.startswith(("https://", "http://")):
            raise _Error(400, "Bad request: url must be an HTTPS URL")
        if not 8 <= len(secret) <= 256:
            raise _Error(400, "Bad request: secret_token must be 8 to 256 characters")
        self.webhook_url, self.webhook_secret = url, secret
        self.webhook_updated_at = int(time.time() * 1000)
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.create_task(self._deliver_webhooks())
        return {"url": url, "updated_at": self.webhook_updated_at}

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> dict[str, Any]:
        self.webhook_url = self.webhook_secret = ""
        self.webhook_updated_at = int(time.time() * 1000)
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            self._webhook_task = None
        return {"url": "", "updated_at": self.webhook_updated_at}

    async def _api_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": self.webhook_url, "updated_at": self.webhook_updated_at}

    def _chat(self, params: dict[str, Any]) -> str:
        chat_id = str(params.get("chat_id") or "")
        if not chat_id:
            raise _Error(400, "Bad request: chat_id is required")
        if chat_id not in self.users:
            raise _Error(400, "Bad request: chat not found")
        return chat_id

    def _record(self, chat_id: str, method: str, text: str, photo: str | None = None) -> dict[str, Any]:
        message_id = secrets.token_hex(10)
        self.sent.append(Sent(chat_id, message_id, method, text, photo))
        self._arrived.set()
        return {"message_id": message_id, "date": int(time.time() * 1000)}

    async def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat(params)
        text = params.get("text")
        if not isinstance(text, str) or not 1 <= utf16_len(text) <= MAX_TEXT:
            raise _Error(400, f"Bad request: text must be 1 to {MAX_TEXT} characters")
        return self._record(chat_id, "sendMessage", text)

    async def _api_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat(params)
        photo = str(params.get("photo") or "")
        if not photo.startswith(("https://", "http://")):
            raise _Error(400, "Bad request: photo must be a URL")
        caption = params.get("caption") or ""
        if utf16_len(caption) > MAX_TEXT:
            raise _Error(400, f"Bad request: caption must be 1 to {MAX_TEXT} characters")
        return self._record(chat_id, "sendPhoto", caption, photo)

    async def _api_sendChatAction(self, params: dict[str, Any]) -> None:
        chat_id = self._chat(params)
        action = params.get("action")
        if action not in ("typing", "upload_photo"):
            raise _Error(400, "Bad request: action must be typing or upload_photo")
        self.actions.append((chat_id, action))
        return None

    # ------------------------------------------------------------------ webhook delivery

    async def _deliver_webhooks(self) -> None:
        async with aiohttp.ClientSession() as http:
            while self.webhook_url:
                if not self._updates:
                    self._arrived.clear()
                    await self._arrived.wait()
                    continue
                update = self._updates[0]
                try:
                    async with http.post(
                        self.webhook_url, json={"ok": True, "result": update},
                        headers={SECRET_HEADER: self.webhook_secret},
                        timeout=aiohttp.ClientTimeout(total=10),
                    ) as answer:
                        self.webhook_answers.append(answer.status)
                        if answer.status < 300:
                            self._updates.popleft()
                            continue
                except (aiohttp.ClientError, TimeoutError):
                    self.webhook_answers.append(0)
                await asyncio.sleep(0.2)

    # ------------------------------------------------------------------ test API

    def add_user(self, chat_id: str, name: str) -> None:
        self.users[chat_id] = name

    def send_text(self, chat_id: str, text: str, *, name: str | None = None) -> dict[str, Any]:
        """A user writes `text` to the bot (private chat: the chat id is the user id)."""
        if name is not None or chat_id not in self.users:
            self.users[chat_id] = name or self.users.get(chat_id) or f"Người dùng {chat_id}"
        update = {
            "event_name": "message.text.received",
            "message": {
                "from": {"id": chat_id, "display_name": self.users[chat_id], "is_bot": False},
                "chat": {"id": chat_id, "chat_type": "PRIVATE"},
                "text": text,
                "message_id": secrets.token_hex(10),
                "date": int(time.time() * 1000),
            },
        }
        self.push(update)
        return update

    def push(self, update: dict[str, Any]) -> None:
        """Queue any update (a sticker, an image, an unsupported message)."""
        self._updates.append(update)
        self._arrived.set()

    def inject(self, method: str, *faults: str) -> None:
        """The next calls of `method` fail, one fault each, in order."""
        for fault in faults:
            if fault not in FAULTS:
                raise ValueError(f"unknown fault {fault!r} (one of {FAULTS})")
        self._faults.setdefault(method, deque()).extend(faults)

    @property
    def pending_updates(self) -> int:
        return len(self._updates)

    def messages_to(self, chat_id: str) -> list[Sent]:
        return [s for s in self.sent if s.chat_id == chat_id]

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for_sent(self, chat_id: str, count: int, *, timeout: float = 10.0) -> list[Sent]:
        """Until at least `count` messages went to `chat_id`; returns them all."""
        deadline = time.monotonic() + timeout
        while len(self.messages_to(chat_id)) < count:
            if time.monotonic() > deadline:
                got = [s.text[:80] for s in self.messages_to(chat_id)]
                raise AssertionError(f"{count} messages to {chat_id} expected within {timeout} s, got {got}")
            await asyncio.sleep(0.02)
        return self.messages_to(chat_id)
