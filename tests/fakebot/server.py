"""An in-process fake of the Telegram Bot API, for end-to-end tests of the real PTB Application.

Start it in the test's event loop::

    async with FakeBotApi() as server:
        app = Application.builder().token(server.token).base_url(server.base_url) \
            .base_file_url(server.base_file_url).build()

It answers like api.telegram.org (same JSON shapes, status codes and error descriptions) and
validates what Telegram validates, so formatting, length, keyboard, membership and rate-limit bugs
surface in tests. The Python methods below the "test API" banner inject updates and inspect what
the bot did; they are plain synchronous methods except the ``wait_for*`` helpers.

Deviations from Telegram, all on purpose:
- strict HTML (default): a bare ``&`` is an error (Telegram shows it literally) — see formatting.py;
- webhooks may be plain http:// on any port; updates are POSTed one at a time;
- files sent by URL are not fetched (400), only uploads and known file_ids work;
- privacy mode (default on, like a new bot): in groups the bot receives only commands, replies to
  its own messages, mentions and service messages — unless it is an administrator.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import itertools
import json
import math
import mimetypes
import random
import re
import secrets
import struct
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from .formatting import EntityParseError, ParsedText, parse_text, utf16_len
from .state import (
    ApiError,
    CallbackAnswer,
    ChatState,
    EditRecord,
    FileRecord,
    RequestRecord,
    SentMessage,
    Undelivered,
    bad_request,
    forbidden,
)

__all__ = ["DEFAULT_TOKEN", "FakeBotApi"]

DEFAULT_TOKEN = "123456789:AAFakeTokenForNhacviecTests"
GATEWAY_PAGE = (
    "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
# Kinds for `inject_faults`: what can go wrong between a bot and Telegram.
FAULT_KINDS = (
    "html502", "html504", "json500", "json502", "json503", "429",
    "timeout_delivered", "timeout_lost", "reset_before", "reset_after",
)

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_UPLOAD = 50 * 1024 * 1024  # bots may upload up to 50 MB …
MAX_DOWNLOAD = 20 * 1024 * 1024  # … and download up to 20 MB

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
CONFLICT_POLL = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is "
    "running"
)
CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete "
    "the webhook first"
)

# Update types delivered when allowed_updates was never set (or set to []).
ALL_UPDATE_TYPES = frozenset(
    {
        "message", "edited_message", "channel_post", "edited_channel_post", "business_connection",
        "business_message", "edited_business_message", "deleted_business_messages",
        "message_reaction", "message_reaction_count", "inline_query", "chosen_inline_result",
        "callback_query", "shipping_query", "pre_checkout_query", "purchased_paid_media", "poll",
        "poll_answer", "my_chat_member", "chat_member", "chat_join_request", "chat_boost",
        "removed_chat_boost",
    }
)
DEFAULT_UPDATE_TYPES = ALL_UPDATE_TYPES - {"chat_member", "message_reaction", "message_reaction_count"}

SEND_METHODS = frozenset({"sendmessage", "senddocument", "sendphoto"})
CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
        "upload_document", "choose_sticker", "find_location", "record_video_note",
        "upload_video_note",
    }
)
INLINE_BUTTON_ACTIONS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
)
# Parameters whose form-encoded value is a JSON document (PTB json-encodes non-str values).
JSON_PARAMS = frozenset(
    {
        "reply_markup", "entities", "caption_entities", "allowed_updates", "commands", "scope",
        "reply_parameters", "link_preview_options", "media",
    }
)
COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")
BOT_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
SECRET_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
DOWNLOAD = "(file download)"


@dataclass
class UploadedFile:
    filename: str | None
    content_type: str | None
    data: bytes


class Params:
    """Request parameters from a query string, a JSON body, a form or multipart body.

    Telegram accepts all four; PTB sends forms (multipart when uploading) where every value is a
    string and non-string values are JSON-encoded, so the getters coerce.
    """

    def __init__(self, values: dict, files: dict[str, UploadedFile], request: web.Request) -> None:
        self.values = values
        self.files = files
        self.request = request

    def raw(self, name: str) -> Any:
        return self.values.get(name)

    def has(self, name: str) -> bool:
        return self.values.get(name) not in (None, "")

    def str(self, name: str, default: str | None = None) -> str | None:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def int(self, name: str, default: int | None = None) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        try:
            return int(float(value)) if isinstance(value, float) else int(str(value).strip())
        except ValueError:
            raise bad_request(f"invalid {name} specified") from None

    def float(self, name: str, default: float | None = None) -> float | None:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def bool(self, name: str, default: bool = False) -> bool:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in ("true", "1", "yes")

    def json(self, name: str, default: Any = None) -> Any:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {name} JSON object") from None
        return value

    def decoded(self) -> dict:
        """All parameters with JSON-valued ones decoded; uploads as {"filename", "size"}."""
        out: dict[str, Any] = {}
        for key, value in self.values.items():
            if key in JSON_PARAMS and isinstance(value, str):
                try:
                    value = json.loads(value)
                except ValueError:
                    pass
            out[key] = value
        for key, upload in self.files.items():
            out[key] = {"filename": upload.filename, "size": len(upload.data)}
        return out


@dataclass
class _Fault:
    kind: str  # fail | delay | drop
    remaining: int
    status: int = 500
    description: str | None = None
    parameters: dict | None = None
    seconds: float = 0.0
    deliver: bool = True
    html: bool = False  # answer with a gateway's HTML page instead of Telegram's JSON

    def error(self) -> ApiError:
        description = self.description or _default_description(self.status, self.parameters)
        return ApiError(self.status, description, self.parameters)


def _default_description(status: int, parameters: dict | None) -> str:
    if status == 429:
        return f"Too Many Requests: retry after {(parameters or {}).get('retry_after', 1)}"
    return {
        400: "Bad Request",
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not Found",
        409: CONFLICT_POLL,
        500: "Internal Server Error",
        502: "Bad Gateway",
        503: "Service Unavailable",
        504: "Gateway Timeout",
    }.get(status, f"Error {status}")


def _image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG, GIF or JPEG; None if it is not one of those or WebP."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return (1, 1)
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in (0xC0, 0xC1, 0xC2):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return (width, height)
            (seg_len,) = struct.unpack(">H", data[i + 2 : i + 4])
            i += 2 + seg_len
        return (1, 1)
    return None


class FakeBotApi:
    """Fake Telegram Bot API server (aiohttp, 127.0.0.1, random free port).

    ``rate_limits=True`` enforces ``per_second`` sends per bot, ``group_per_minute`` sends per
    group (negative chat id) and, when set, ``private_per_second`` per private chat. ``clock``
    (monotonic seconds) drives rate windows and record timestamps; ``wall_clock`` gives the
    ``date`` of messages.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "nhacviec_test_bot",
        bot_first_name: str = "Nhắc việc (test)",
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limits: bool = False,
        per_second: int = 30,
        group_per_minute: int = 20,
        private_per_second: int | None = None,
        strict_html: bool = True,
        privacy_mode: bool = True,
        default_member_status: str = "member",
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.bot_user = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self.host = host
        self.port = port
        self.url = ""
        self.rate_limits = rate_limits
        self.per_second = per_second
        self.group_per_minute = group_per_minute
        self.private_per_second = private_per_second
        self.strict_html = strict_html
        self.privacy_mode = privacy_mode
        self.default_member_status = default_member_status
        self.clock = clock
        self.wall_clock = wall_clock

        # world state
        self.users: dict[int, dict] = {}
        self.chats: dict[int, ChatState] = {}
        self.files: dict[str, FileRecord] = {}
        self._files_by_path: dict[str, FileRecord] = {}
        self._file_seq = itertools.count(1)
        self._callback_queries: dict[str, dict] = {}
        self._query_seq = itertools.count(4_000_000_000_000_000_001)

        # updates
        self.updates: list[dict] = []  # every update ever queued, in order
        self._pending: list[dict] = []  # queued and not yet confirmed by an offset
        self.dropped_updates: list[dict] = []  # filtered out by allowed_updates
        self._next_update_id = 100_000_001
        self._allowed_updates: frozenset[str] | None = None
        self._poll_generation = 0

        # what the bot did
        self.requests: list[RequestRecord] = []
        self.sent: list[SentMessage] = []
        self.edits: list[EditRecord] = []
        self.deleted: list[tuple[int, int]] = []
        self.callback_answers: list[CallbackAnswer] = []
        self.chat_actions: list[tuple[int, str]] = []
        self.undelivered: list[Undelivered] = []
        self.commands: dict[tuple[tuple, str], list[dict]] = {}
        self.webhook: dict[str, Any] = {"url": ""}
        self.webhook_deliveries: list[tuple[int, int]] = []  # (update_id, HTTP status or 0)

        # rate windows, faults
        self._global_window: deque[float] = deque()
        self._chat_windows: dict[int, deque[float]] = {}
        self._faults: dict[str, list[_Fault]] = {}
        self._chaos: dict[str, tuple[float, list[Callable[[], _Fault]], random.Random]] = {}

        self._changed = asyncio.Event()
        self._closing = False
        self._closed_event: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        self._webhook_task: asyncio.Task | None = None
        self._methods = {
            name[4:].lower(): getattr(self, name) for name in dir(self) if name.startswith("api_")
        }

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> FakeBotApi:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Start listening; sets ``url``."""
        self._closed_event = asyncio.Event()
        app = web.Application(client_max_size=MAX_UPLOAD + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self.url = f"http://{self.host}:{self.port}"

    async def stop(self) -> None:
        """Wake long polls and delays, stop webhook delivery, close the server."""
        self._closing = True
        if self._closed_event:
            self._closed_event.set()
        self._notify()
        await self._stop_webhook_task()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder.base_url`` (PTB appends the token)."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``ApplicationBuilder.base_file_url`` (PTB appends the token)."""
        return f"{self.url}/file/bot"

    # ------------------------------------------------------------------ HTTP layer

    def _notify(self) -> None:
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    async def _sleep(self, seconds: float) -> None:
        """Sleep that ends early when the server stops."""
        assert self._closed_event is not None
        try:
            await asyncio.wait_for(self._closed_event.wait(), seconds)
        except TimeoutError:
            pass

    @staticmethod
    def _json_response(body: dict, status: int = 200) -> web.Response:
        return web.json_response(
            body, status=status, dumps=functools.partial(json.dumps, ensure_ascii=False)
        )

    def _respond(self, record: RequestRecord, outcome: Any) -> web.Response:
        if isinstance(outcome, ApiError):
            record.status = outcome.status
            record.description = outcome.description
            return self._json_response(outcome.payload(), outcome.status)
        record.status = 200
        return self._json_response({"ok": True, "result": outcome})

    @staticmethod
    def _drop_connection(request: web.Request) -> web.Response:
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=500)

    async def _read_params(self, request: web.Request) -> Params:
        values: dict[str, Any] = dict(request.query)
        files: dict[str, UploadedFile] = {}
        if request.can_read_body:
            ctype = request.content_type
            if ctype == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise bad_request("can't parse JSON encoded request body") from None
                if not isinstance(body, dict):
                    raise bad_request("JSON object expected")
                values.update(body)
            elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        files[key] = UploadedFile(value.filename, value.content_type, value.file.read())
                    else:
                        values[key] = value
        return Params(values, files, request)

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        record = RequestRecord(method=method, params={}, time=self.clock())
        self.requests.append(record)
        if request.match_info["token"] != self.token:
            return self._respond(record, ApiError(401, "Unauthorized"))
        try:
            params = await self._read_params(request)
        except ApiError as err:
            return self._respond(record, err)
        record.params = params.decoded()
        handler = self._methods.get(method.lower())
        if handler is None:
            return self._respond(record, ApiError(404, "Not Found"))

        fault = self._take_fault(method)
        if fault is not None and fault.kind == "fail":
            if fault.html:
                # What nginx or a cloud gateway in front of the API answers: not JSON at all.
                record.status = fault.status
                record.description = f"html {fault.status}"
                return web.Response(
                    status=fault.status, content_type="text/html",
                    text=GATEWAY_PAGE.format(status=fault.status, reason=_default_description(fault.status, None)),
                )
            return self._respond(record, fault.error())
        if fault is not None and not fault.deliver:
            # The request is lost on the way: nothing happens, the client sees no answer.
            if fault.kind == "delay":
                record.description = "delayed before processing"
                await self._sleep(fault.seconds)
                if request.transport is None or request.transport.is_closing():
                    record.description = "client went away before processing"
                    return web.Response(status=499)
            else:
                record.description = "connection dropped before processing"
                return self._drop_connection(request)

        try:
            outcome = await handler(params)
        except ApiError as err:
            outcome = err
        finally:
            self._notify()

        if fault is not None and fault.deliver:
            # Processed, but the answer is late or lost: the "TimedOut but delivered" case.
            if fault.kind == "delay":
                response = self._respond(record, outcome)
                record.description = f"answer delayed {fault.seconds} s"
                await self._sleep(fault.seconds)
                return response
            else:
                self._respond(record, outcome)  # what the answer would have been, for the log
                record.status = 0
                record.description = "connection dropped after processing"
                return self._drop_connection(request)
        return self._respond(record, outcome)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["path"]
        record = RequestRecord(method=DOWNLOAD, params={"file_path": path}, time=self.clock())
        self.requests.append(record)
        if request.match_info["token"] != self.token:
            return self._respond(record, ApiError(401, "Unauthorized"))
        file = self._files_by_path.get(path)
        if file is None:
            return self._respond(record, ApiError(404, "Not Found"))
        record.status = 200
        return web.Response(
            body=file.data, content_type=file.mime_type or "application/octet-stream"
        )

    def _take_fault(self, method: str) -> _Fault | None:
        for key in (method.lower(), "*"):
            queue = self._faults.get(key)
            if queue:
                fault = queue[0]
                fault.remaining -= 1
                if fault.remaining <= 0:
                    queue.pop(0)
                return fault
        for key in (method.lower(), "*"):
            chaos = self._chaos.get(key)
            if chaos is not None:
                rate, makers, rng = chaos
                if rng.random() < rate:
                    return rng.choice(makers)()
        return None

    # ------------------------------------------------------------------ helpers

    def _lookup_chat(self, raw: Any) -> ChatState | None:
        if isinstance(raw, bool):
            return None
        if isinstance(raw, int):
            return self.chats.get(raw)
        if isinstance(raw, str):
            text = raw.strip()
            if text.startswith("@"):
                name = text[1:].lower()
                return next(
                    (c for c in self.chats.values() if c.username and c.username.lower() == name),
                    None,
                )
            try:
                return self.chats.get(int(text))
            except ValueError:
                return None
        return None

    def _chat_ref(self, p: Params, name: str = "chat_id") -> ChatState:
        """Resolve chat_id like Telegram: not found, migrated, kicked, blocked → errors."""
        raw = p.raw(name)
        if raw is None or raw == "":
            raise bad_request("chat_id is empty")
        chat = self._lookup_chat(raw)
        if chat is None:
            raise bad_request("chat not found")
        if chat.migrated_to is not None:
            raise bad_request(
                "group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": chat.migrated_to},
            )
        if chat.type == "private":
            if chat.blocked:
                raise forbidden("bot was blocked by the user")
            if not chat.started:
                raise forbidden("bot can't initiate conversation with a user")
        elif chat.bot_status == "kicked":
            raise forbidden(f"bot was kicked from the {chat.type} chat")
        elif chat.bot_status == "left":
            raise forbidden(f"bot is not a member of the {chat.type} chat")
        return chat

    def _parse(self, text: str, parse_mode: str | None, entities: Any) -> ParsedText:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise bad_request("strings must be encoded in UTF-8") from None
        if entities is not None and not isinstance(entities, list):
            raise bad_request("can't parse entities JSON object")
        try:
            parsed = parse_text(text, parse_mode, entities, strict_html=self.strict_html)
        except EntityParseError as err:
            raise bad_request(f"can't parse entities: {err}") from None
        except ValueError:
            raise bad_request("unsupported parse_mode") from None
        for entity in parsed.entities:
            if entity.get("type") == "text_mention":
                # A mention of a user id: Telegram fills in the user it knows (names included).
                known = self.users.get(entity["user"]["id"])
                entity["user"] = copy.deepcopy(known) if known else {"id": entity["user"]["id"], "is_bot": False, "first_name": ""}
        return parsed

    def _parse_message_text(self, p: Params) -> ParsedText:
        text = p.str("text")
        if not text:
            raise bad_request("message text is empty")
        parsed = self._parse(text, p.str("parse_mode"), p.json("entities"))
        if not parsed.text:
            raise bad_request("message text is empty")
        if parsed.length > MAX_TEXT:
            raise bad_request("message is too long")
        return parsed

    def _parse_caption(self, p: Params) -> ParsedText | None:
        caption = p.str("caption")
        if not caption:
            return None
        parsed = self._parse(caption, p.str("parse_mode"), p.json("caption_entities"))
        if parsed.length > MAX_CAPTION:
            raise bad_request("message caption is too long")
        return parsed if parsed.text else None

    def _markup(self, p: Params) -> tuple[dict | None, dict | None]:
        """Validate reply_markup → (markup as sent, markup shown in the Message or None)."""
        markup = p.json("reply_markup")
        if markup is None:
            return None, None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise bad_request('can\'t parse inline keyboard button: field "inline_keyboard" '
                                  "must be of type Array")
            for row in rows:
                for button in row:
                    self._check_inline_button(button)
            return markup, markup
        if any(k in markup for k in ("keyboard", "remove_keyboard", "force_reply")):
            return markup, None
        raise bad_request("can't parse reply keyboard markup JSON object")

    @staticmethod
    def _check_inline_button(button: Any) -> None:
        if not isinstance(button, dict) or not isinstance(button.get("text"), str):
            raise bad_request('can\'t parse inline keyboard button: Field "text" must be of type String')
        actions = [k for k in INLINE_BUTTON_ACTIONS if k in button]
        if not actions:
            raise bad_request(
                "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
            )
        if "callback_data" in button:
            data = button["callback_data"]
            if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA:
                raise bad_request("BUTTON_DATA_INVALID")
        if "url" in button:
            url = button["url"]
            if not isinstance(url, str) or not re.match(r"(https?|tg)://\S+$", url):
                raise bad_request("BUTTON_URL_INVALID")

    def _reply_target(self, chat: ChatState, p: Params) -> dict | None:
        params = p.json("reply_parameters")
        if isinstance(params, dict):
            message_id = params.get("message_id")
            allow = bool(params.get("allow_sending_without_reply"))
        else:
            message_id = p.int("reply_to_message_id")
            allow = p.bool("allow_sending_without_reply")
        if message_id is None:
            return None
        target = chat.messages.get(int(message_id))
        if target is None:
            if allow:
                return None
            raise bad_request("message to be replied not found")
        quoted = copy.deepcopy(target)
        quoted.pop("reply_to_message", None)
        return quoted

    def _check_rate(self, chat: ChatState) -> None:
        if not self.rate_limits:
            return
        now = self.clock()
        window = self._global_window
        while window and window[0] <= now - 1.0:
            window.popleft()
        if len(window) >= self.per_second:
            raise self._too_many(window[0] + 1.0 - now)
        limit, span = None, 0.0
        if chat.id < 0 and self.group_per_minute:
            limit, span = self.group_per_minute, 60.0
        elif chat.type == "private" and self.private_per_second:
            limit, span = self.private_per_second, 1.0
        if limit:
            per_chat = self._chat_windows.setdefault(chat.id, deque())
            while per_chat and per_chat[0] <= now - span:
                per_chat.popleft()
            if len(per_chat) >= limit:
                raise self._too_many(per_chat[0] + span - now)

    def _count_send(self, chat: ChatState) -> None:
        if not self.rate_limits:
            return
        now = self.clock()
        self._global_window.append(now)
        self._chat_windows.setdefault(chat.id, deque()).append(now)

    @staticmethod
    def _too_many(seconds: float) -> ApiError:
        retry_after = max(1, math.ceil(seconds))
        return ApiError(
            429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
        )

    def _new_message(self, chat: ChatState, sender: dict, **content: Any) -> dict:
        message_id = chat.next_message_id
        chat.next_message_id += 1
        message = {
            "message_id": message_id,
            "from": sender,
            "chat": chat.as_chat(),
            "date": int(self.wall_clock()),
        }
        message.update({k: v for k, v in content.items() if v is not None})
        chat.messages[message_id] = message
        return message

    def _bot_message(
        self,
        method: str,
        chat: ChatState,
        p: Params,
        *,
        text: ParsedText | None = None,
        caption: ParsedText | None = None,
        file: FileRecord | None = None,
        media: dict | None = None,
    ) -> dict:
        """Common tail of the send* methods: markup, reply, rate limit, store, record."""
        markup, shown_markup = self._markup(p)
        reply_to = self._reply_target(chat, p)
        self._check_rate(chat)
        content: dict[str, Any] = dict(media or {})
        if text is not None:
            content["text"] = text.text
            if text.entities:
                content["entities"] = text.entities
        if caption is not None:
            content["caption"] = caption.text
            if caption.entities:
                content["caption_entities"] = caption.entities
        message = self._new_message(
            chat, self.bot_user, reply_to_message=reply_to, reply_markup=shown_markup, **content
        )
        self._count_send(chat)
        self.sent.append(
            SentMessage(
                method=method,
                chat_id=chat.id,
                message_id=message["message_id"],
                text=text.text if text else None,
                raw_text=p.str("text") if text else None,
                parse_mode=p.str("parse_mode"),
                entities=(text or caption).entities if (text or caption) else [],
                reply_markup=markup,
                caption=caption.text if caption else None,
                raw_caption=p.str("caption"),
                document=file.data if file and method == "sendDocument" else None,
                photo=file.data if file and method == "sendPhoto" else None,
                filename=file.filename if file else None,
                mime_type=file.mime_type if file else None,
                file_id=file.file_id if file else None,
                reply_to_message_id=reply_to["message_id"] if reply_to else None,
                date=message["date"],
                time=self.clock(),
                params=p.decoded(),
                message=copy.deepcopy(message),
            )
        )
        return copy.deepcopy(message)

    def _store_file(
        self, data: bytes, filename: str | None, mime_type: str | None, kind: str
    ) -> FileRecord:
        n = next(self._file_seq)
        prefix = "AgACAgIAAxkBAAI" if kind == "photo" else "BQACAgIAAxkBAAI"
        file_id = f"{prefix}{n:05d}{secrets.token_hex(10)}"
        unique_id = f"AgAD{n:05d}{secrets.token_hex(4)}"
        if kind == "photo":
            path = f"photos/file_{n}.jpg"
        else:
            suffix = ""
            if filename and "." in filename:
                suffix = "." + filename.rsplit(".", 1)[1]
            path = f"documents/file_{n}{suffix}"
        record = FileRecord(file_id, unique_id, path, data, filename, mime_type)
        self.files[file_id] = record
        self._files_by_path[path] = record
        return record

    def _input_file(self, p: Params, field: str) -> FileRecord:
        value = p.raw(field)
        upload = p.files.get(field)
        if isinstance(value, str) and value.startswith("attach://"):
            upload = p.files.get(value[len("attach://"):])
            if upload is None:
                raise bad_request(f"there is no {field} in the request")
        if upload is not None:
            if not upload.data:
                raise bad_request("file must be non-empty")
            if len(upload.data) > MAX_UPLOAD:
                raise ApiError(413, "Request Entity Too Large")
            if field == "photo" and _image_size(upload.data) is None:
                raise bad_request("IMAGE_PROCESS_FAILED")
            mime = upload.content_type
            if field == "photo":
                mime = "image/jpeg"
            return self._store_file(upload.data, upload.filename, mime, field)
        if isinstance(value, str) and value:
            known = self.files.get(value)
            if known is None:  # URLs are not fetched by the fake
                raise bad_request("wrong file identifier/HTTP URL specified")
            return known
        raise bad_request(f"there is no {field} in the request")

    def _document_dict(self, file: FileRecord) -> dict:
        doc: dict[str, Any] = {
            "file_id": file.file_id,
            "file_unique_id": file.file_unique_id,
            "file_size": file.size,
        }
        if file.filename:
            doc["file_name"] = file.filename
        if file.mime_type:
            doc["mime_type"] = file.mime_type
        return doc

    def _photo_sizes(self, file: FileRecord) -> list[dict]:
        width, height = _image_size(file.data) or (1, 1)
        return [
            {
                "file_id": file.file_id,
                "file_unique_id": file.file_unique_id,
                "file_size": file.size,
                "width": width,
                "height": height,
            }
        ]

    def _edit_target(self, p: Params) -> tuple[ChatState, dict]:
        if p.has("inline_message_id") and not p.has("chat_id"):
            raise bad_request("MESSAGE_ID_INVALID")  # the fake has no inline mode
        chat = self._chat_ref(p)
        message_id = p.int("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        message = chat.messages.get(message_id)
        if message is None:
            raise bad_request("message to edit not found")
        if message["from"]["id"] != self.bot_id:
            raise bad_request("message can't be edited")
        return chat, message

    def _record_edit(self, method: str, chat: ChatState, message: dict, p: Params) -> dict:
        message["edit_date"] = int(self.wall_clock())
        self.edits.append(
            EditRecord(
                method=method,
                chat_id=chat.id,
                message_id=message["message_id"],
                text=message.get("text") if method == "editMessageText" else message.get("caption"),
                raw_text=p.str("text") if method == "editMessageText" else p.str("caption"),
                parse_mode=p.str("parse_mode"),
                reply_markup=message.get("reply_markup"),
                time=self.clock(),
                params=p.decoded(),
            )
        )
        return copy.deepcopy(message)

    @staticmethod
    def _set_or_pop(target: dict, key: str, value: Any) -> None:
        if value:
            target[key] = value
        else:
            target.pop(key, None)

    def _member_status(self, chat: ChatState, user_id: int) -> str:
        if user_id == self.bot_id:
            return chat.bot_status
        if user_id == chat.owner_id:
            return "creator"
        if user_id in chat.member_status:
            return chat.member_status[user_id]
        if user_id in chat.admins:
            return "administrator"
        if chat.type == "private":
            return "member" if user_id == chat.id else "left"
        return self.default_member_status

    def _chat_member(self, chat: ChatState, user_id: int, status: str | None = None) -> dict:
        status = status or self._member_status(chat, user_id)
        user = self.bot_user if user_id == self.bot_id else self.users[user_id]
        member: dict[str, Any] = {"status": status, "user": user}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member.update(
                can_be_edited=False, is_anonymous=False, can_manage_chat=True,
                can_delete_messages=True, can_manage_video_chats=True, can_restrict_members=True,
                can_promote_members=False, can_change_info=True, can_invite_users=True,
                can_post_stories=False, can_edit_stories=False, can_delete_stories=False,
                can_pin_messages=True,
            )
        elif status == "kicked":
            member["until_date"] = 0
        elif status == "restricted":
            member.update(
                is_member=True, until_date=0, can_change_info=False, can_invite_users=False,
                can_pin_messages=False, can_send_messages=False, can_send_polls=False,
                can_send_other_messages=False, can_add_web_page_previews=False,
                can_manage_topics=False, can_send_audios=False, can_send_documents=False,
                can_send_photos=False, can_send_videos=False, can_send_video_notes=False,
                can_send_voice_notes=False, can_edit_tag=False,
            )
        return member

    def _scope_key(self, scope: Any) -> tuple:
        if scope is None:
            return ("default",)
        if not isinstance(scope, dict):
            raise bad_request("can't parse BotCommandScope JSON object")
        kind = scope.get("type")
        if kind in ("default", "all_private_chats", "all_group_chats", "all_chat_administrators"):
            return (kind,)
        if kind in ("chat", "chat_administrators", "chat_member"):
            chat = self._lookup_chat(scope.get("chat_id"))
            if chat is None:
                raise bad_request("chat not found")
            if kind == "chat_member":
                user_id = scope.get("user_id")
                if user_id is None:
                    raise bad_request("user not found")
                return (kind, chat.id, int(user_id))
            return (kind, chat.id)
        raise bad_request("can't parse BotCommandScope: unsupported type specified")

    def _update_type(self, update: dict) -> str:
        return next(k for k in update if k != "update_id")

    def _drop_unwanted(self) -> None:
        allowed = self._allowed_updates or DEFAULT_UPDATE_TYPES
        keep = []
        for update in self._pending:
            (keep if self._update_type(update) in allowed else self.dropped_updates).append(update)
        self._pending = keep

    def _confirm(self, offset: int) -> None:
        if offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        elif offset < 0:
            self._pending = self._pending[offset:]

    # ------------------------------------------------------------------ Bot API methods

    async def api_getMe(self, p: Params) -> dict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def api_logOut(self, p: Params) -> bool:
        return True

    async def api_close(self, p: Params) -> bool:
        return True

    async def api_getUpdates(self, p: Params) -> list[dict]:
        if self.webhook["url"]:
            raise ApiError(409, CONFLICT_WEBHOOK)
        offset = p.int("offset", 0) or 0
        limit = min(max(p.int("limit", 100) or 100, 1), 100)
        timeout = max(p.float("timeout", 0.0) or 0.0, 0.0)
        allowed = p.json("allowed_updates")
        if allowed is not None:
            self._allowed_updates = frozenset(allowed) if allowed else None
        self._confirm(offset)
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()  # an older long poll, if any, now ends with 409 Conflict
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            transport = p.request.transport
            if transport is None or transport.is_closing():
                # PTB cancels its long poll on Updater.stop(); nobody reads this answer.
                raise ApiError(499, "Client Closed Request")
            if self._poll_generation != generation:
                raise ApiError(409, CONFLICT_POLL)
            self._drop_unwanted()
            batch = self._pending[:limit]
            if batch or self._closing or loop.time() >= deadline:
                # No copy: _respond serialises it before anything else runs (no await in
                # between); a deep copy of every update cost bench/replies.py ~8 % of its CPU.
                return batch
            changed = self._changed
            try:
                await asyncio.wait_for(changed.wait(), max(deadline - loop.time(), 0))
            except TimeoutError:
                pass

    async def api_setWebhook(self, p: Params) -> bool:
        url = p.str("url") or ""
        if not url:
            return await self.api_deleteWebhook(p)
        if not re.match(r"https?://[^/\s]+", url):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = p.str("secret_token")
        if secret is not None and not SECRET_TOKEN_RE.fullmatch(secret):
            raise bad_request("bad webhook: secret token contains unallowed characters")
        if p.bool("drop_pending_updates"):
            self._pending.clear()
        allowed = p.json("allowed_updates")
        if allowed is not None:
            self._allowed_updates = frozenset(allowed) if allowed else None
        self.webhook = {
            "url": url,
            "secret_token": secret,
            "max_connections": p.int("max_connections", 40),
            "ip_address": p.str("ip_address"),
            "allowed_updates": allowed,
            "set_at": self.clock(),
        }
        await self._stop_webhook_task()
        self._webhook_task = asyncio.create_task(self._deliver_webhooks(), name="fakebot-webhook")
        return True

    async def api_deleteWebhook(self, p: Params) -> bool:
        if p.bool("drop_pending_updates"):
            self._pending.clear()
        self.webhook = {"url": ""}
        await self._stop_webhook_task()
        return True

    async def api_getWebhookInfo(self, p: Params) -> dict:
        info: dict[str, Any] = {
            "url": self.webhook["url"],
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self.webhook["url"]:
            info["max_connections"] = self.webhook.get("max_connections") or 40
            if self.webhook.get("allowed_updates"):
                info["allowed_updates"] = self.webhook["allowed_updates"]
            for key in ("last_error_date", "last_error_message"):
                if self.webhook.get(key):
                    info[key] = self.webhook[key]
        return info

    async def api_setMyCommands(self, p: Params) -> bool:
        commands = p.json("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        clean = []
        for entry in commands:
            if not isinstance(entry, dict):
                raise bad_request("can't parse BotCommand JSON object")
            command = str(entry.get("command", ""))
            description = str(entry.get("description", ""))
            if not BOT_COMMAND_RE.fullmatch(command):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= utf16_len(description) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            clean.append({"command": command, "description": description})
        key = (self._scope_key(p.json("scope")), p.str("language_code") or "")
        if clean:
            self.commands[key] = clean
        else:
            self.commands.pop(key, None)
        return True

    async def api_getMyCommands(self, p: Params) -> list[dict]:
        key = (self._scope_key(p.json("scope")), p.str("language_code") or "")
        return copy.deepcopy(self.commands.get(key, []))

    async def api_deleteMyCommands(self, p: Params) -> bool:
        self.commands.pop((self._scope_key(p.json("scope")), p.str("language_code") or ""), None)
        return True

    async def api_sendMessage(self, p: Params) -> dict:
        chat = self._chat_ref(p)
        parsed = self._parse_message_text(p)
        return self._bot_message("sendMessage", chat, p, text=parsed)

    async def api_sendDocument(self, p: Params) -> dict:
        chat = self._chat_ref(p)
        caption = self._parse_caption(p)
        file = self._input_file(p, "document")
        return self._bot_message(
            "sendDocument", chat, p, caption=caption, file=file,
            media={"document": self._document_dict(file)},
        )

    async def api_sendPhoto(self, p: Params) -> dict:
        chat = self._chat_ref(p)
        caption = self._parse_caption(p)
        file = self._input_file(p, "photo")
        return self._bot_message(
            "sendPhoto", chat, p, caption=caption, file=file,
            media={"photo": self._photo_sizes(file)},
        )

    async def api_getFile(self, p: Params) -> dict:
        file = self.files.get(p.str("file_id") or "")
        if file is None:
            raise bad_request("wrong file_id or the file is temporarily unavailable")
        if file.size > MAX_DOWNLOAD:
            raise bad_request("file is too big")
        return {
            "file_id": file.file_id,
            "file_unique_id": file.file_unique_id,
            "file_size": file.size,
            "file_path": file.file_path,
        }

    async def api_editMessageText(self, p: Params) -> dict:
        chat, message = self._edit_target(p)
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        parsed = self._parse_message_text(p)
        _, shown_markup = self._markup(p)
        if (
            parsed.text == message["text"]
            and parsed.entities == message.get("entities", [])
            and shown_markup == message.get("reply_markup")
        ):
            raise bad_request(NOT_MODIFIED)
        message["text"] = parsed.text
        self._set_or_pop(message, "entities", parsed.entities)
        self._set_or_pop(message, "reply_markup", shown_markup)
        return self._record_edit("editMessageText", chat, message, p)

    async def api_editMessageCaption(self, p: Params) -> dict:
        chat, message = self._edit_target(p)
        if "text" in message:
            raise bad_request("there is no caption in the message to edit")
        caption = self._parse_caption(p)
        _, shown_markup = self._markup(p)
        new_text = caption.text if caption else None
        new_entities = caption.entities if caption else []
        if (
            new_text == message.get("caption")
            and new_entities == message.get("caption_entities", [])
            and shown_markup == message.get("reply_markup")
        ):
            raise bad_request(NOT_MODIFIED)
        self._set_or_pop(message, "caption", new_text)
        self._set_or_pop(message, "caption_entities", new_entities)
        self._set_or_pop(message, "reply_markup", shown_markup)
        return self._record_edit("editMessageCaption", chat, message, p)

    async def api_editMessageReplyMarkup(self, p: Params) -> dict:
        chat, message = self._edit_target(p)
        _, shown_markup = self._markup(p)
        if shown_markup == message.get("reply_markup"):
            raise bad_request(NOT_MODIFIED)
        self._set_or_pop(message, "reply_markup", shown_markup)
        return self._record_edit("editMessageReplyMarkup", chat, message, p)

    async def api_deleteMessage(self, p: Params) -> bool:
        chat = self._chat_ref(p)
        message_id = p.int("message_id")
        message = chat.messages.get(message_id) if message_id is not None else None
        if message is None:
            raise bad_request("message to delete not found")
        own = message["from"]["id"] == self.bot_id
        if not own and chat.is_group and chat.bot_status != "administrator":
            raise bad_request("message can't be deleted")
        del chat.messages[message_id]
        self.deleted.append((chat.id, message_id))
        return True

    async def api_answerCallbackQuery(self, p: Params) -> bool:
        query_id = p.str("callback_query_id") or ""
        query = self._callback_queries.get(query_id)
        if query is None or query["answered"]:
            raise bad_request(QUERY_INVALID)
        text = p.str("text")
        if text and utf16_len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        query["answered"] = True
        self.callback_answers.append(
            CallbackAnswer(
                callback_query_id=query_id,
                text=text,
                show_alert=p.bool("show_alert"),
                url=p.str("url"),
                cache_time=p.int("cache_time"),
                time=self.clock(),
            )
        )
        return True

    async def api_sendChatAction(self, p: Params) -> bool:
        chat = self._chat_ref(p)
        action = p.str("action") or ""
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self.chat_actions.append((chat.id, action))
        return True

    async def api_getChat(self, p: Params) -> dict:
        chat = self._chat_ref(p)
        info = chat.as_chat()
        info.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False,
                "premium_subscription": False, "gifts_from_channels": False,
            },
        )
        if chat.migrated_from is not None:
            info["migrated_from_chat_id"] = chat.migrated_from  # not in the Bot API; harmless
        return info

    def _member_user_id(self, p: Params) -> int:
        user_id = p.int("user_id")
        if user_id is None:
            raise bad_request("user_id is empty")
        if user_id != self.bot_id and user_id not in self.users:
            raise bad_request("user not found")
        return user_id

    async def api_getChatMember(self, p: Params) -> dict:
        chat = self._chat_ref(p)
        return self._chat_member(chat, self._member_user_id(p))

    async def api_getChatAdministrators(self, p: Params) -> list[dict]:
        chat = self._chat_ref(p)
        ids = [chat.owner_id] if chat.owner_id is not None else []
        ids += sorted(u for u in chat.admins if u != chat.owner_id and u in self.users)
        ids += [
            u for u, s in chat.member_status.items()
            if s in ("administrator", "creator") and u not in ids and u in self.users
        ]
        if chat.bot_status == "administrator":
            ids.append(self.bot_id)
        return [self._chat_member(chat, u) for u in ids if u is not None]

    async def api_getChatMemberCount(self, p: Params) -> int:
        chat = self._chat_ref(p)
        people = set(chat.members) | set(chat.admins)
        if chat.owner_id is not None:
            people.add(chat.owner_id)
        return len(people) + (1 if chat.bot_status in ("member", "administrator") else 0)

    async def api_leaveChat(self, p: Params) -> bool:
        chat = self._chat_ref(p)
        if chat.type == "private":
            raise bad_request("chat member status can't be changed in private chats")
        self._set_bot_status(chat, "left", by=self.bot_user)
        return True

    # ------------------------------------------------------------------ webhook delivery

    async def _stop_webhook_task(self) -> None:
        task, self._webhook_task = self._webhook_task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass

    async def _deliver_webhooks(self) -> None:
        """POST pending updates to the webhook one at a time; retry with backoff on errors."""
        backoff = 0.05
        async with aiohttp.ClientSession() as session:
            while not self._closing and self.webhook["url"]:
                self._drop_unwanted()
                changed = self._changed
                if not self._pending:
                    await changed.wait()
                    continue
                update = self._pending[0]
                headers = {}
                if self.webhook.get("secret_token"):
                    headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
                status, error = 0, None
                try:
                    async with session.post(
                        self.webhook["url"], json=update, headers=headers,
                        timeout=aiohttp.ClientTimeout(total=10),
                    ) as response:
                        await response.read()
                        status = response.status
                        if not 200 <= status < 300:
                            error = f"Wrong response from the webhook: {status} {response.reason}"
                except (aiohttp.ClientError, TimeoutError) as exc:
                    error = f"Connection failed: {exc.__class__.__name__}"
                self.webhook_deliveries.append((update["update_id"], status))
                if error is None:
                    if self._pending and self._pending[0] is update:
                        self._pending.pop(0)
                    backoff = 0.05
                    self._notify()
                else:
                    self.webhook["last_error_date"] = int(self.wall_clock())
                    self.webhook["last_error_message"] = error
                    await self._sleep(backoff)
                    backoff = min(backoff * 2, 1.0)

    # ================================================================== test API
    # Synchronous helpers for tests running in the server's event loop.

    # -- world ----------------------------------------------------------

    def add_user(
        self,
        id: int,
        first_name: str | None = None,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "vi",
        started: bool = True,
    ) -> dict:
        """Add a user (and their private chat with the bot, started unless ``started=False``)."""
        user: dict[str, Any] = {"id": id, "is_bot": False, "first_name": first_name or f"User {id}"}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        self.users[id] = user
        chat = self.chats.get(id)
        if chat is None:
            self.chats[id] = ChatState(
                id=id, type="private", first_name=user["first_name"], last_name=last_name,
                username=username, started=started,
            )
        else:
            chat.started = chat.started or started
        return user

    def _ensure_user(self, user_id: int) -> dict:
        return self.users.get(user_id) or self.add_user(user_id, started=False)

    def add_chat(
        self,
        id: int,
        type: str | None = None,
        title: str | None = None,
        *,
        username: str | None = None,
        owner_id: int | None = None,
        admins: Iterable[int] = (),
        members: Iterable[int] = (),
        bot_status: str = "member",
    ) -> ChatState:
        """Add a chat. ``type`` defaults from the id: >0 private, -100… supergroup, else group.

        The bot is a member (``bot_status``) unless told otherwise; users named in ``owner_id``,
        ``admins`` and ``members`` are created if unknown.
        """
        if type is None:
            type = "private" if id > 0 else ("supergroup" if id <= -1_000_000_000_000 else "group")
        admins, members = list(admins), list(members)
        if type == "private":
            if id not in self.users:
                self.add_user(id, title)
            chat = self.chats[id]
            chat.started = True
            return chat
        chat = ChatState(
            id=id, type=type, title=title or f"Chat {id}", username=username,
            bot_status=bot_status, owner_id=owner_id,
        )
        for user_id in [*([owner_id] if owner_id is not None else []), *admins, *members]:
            self._ensure_user(user_id)
            chat.members.add(user_id)
        chat.admins = set(admins)
        self.chats[id] = chat
        return chat

    def chat(self, chat_id: int) -> ChatState:
        """The ChatState of a known chat (KeyError otherwise)."""
        return self.chats[chat_id]

    def set_admins(self, chat_id: int, user_ids: Iterable[int]) -> None:
        """Make exactly these users administrators (status "administrator" in getChatMember)."""
        chat = self.chats[chat_id]
        chat.admins = set(user_ids)
        for user_id in chat.admins:
            self._ensure_user(user_id)
            chat.members.add(user_id)
            if chat.member_status.get(user_id) in ("member", "administrator"):
                del chat.member_status[user_id]

    def set_member_status(self, chat_id: int, user_id: int, status: str) -> None:
        """Force a status (creator/administrator/member/restricted/left/kicked) for one user."""
        self._ensure_user(user_id)
        self.chats[chat_id].member_status[user_id] = status

    def set_bot_admin(self, chat_id: int, admin: bool = True) -> None:
        """Promote/demote the bot (admins see all group messages despite privacy mode)."""
        chat = self.chats[chat_id]
        self._set_bot_status(chat, "administrator" if admin else "member", by=None)

    def _set_bot_status(self, chat: ChatState, status: str, *, by: dict | None) -> dict | None:
        old = chat.bot_status if chat.type != "private" else ("kicked" if chat.blocked else "member")
        if chat.type == "private":
            chat.blocked = status == "kicked"
        else:
            chat.bot_status = status
        if old == status:
            return None
        return self._enqueue(
            {
                "my_chat_member": {
                    "chat": chat.as_chat(),
                    "from": by or self._some_admin(chat),
                    "date": int(self.wall_clock()),
                    "old_chat_member": self._chat_member(chat, self.bot_id, old),
                    "new_chat_member": self._chat_member(chat, self.bot_id, status),
                }
            }
        )

    def _some_admin(self, chat: ChatState) -> dict:
        for user_id in [chat.owner_id, *sorted(chat.admins), *sorted(chat.members)]:
            if user_id is not None and user_id in self.users:
                return self.users[user_id]
        if chat.type == "private":
            return self._ensure_user(chat.id)
        return {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}

    def kick_bot(self, chat_id: int, by_user_id: int | None = None, *, notify: bool = True) -> None:
        """Remove the bot from a group; later sends get 403 "bot was kicked from the … chat"."""
        chat = self.chats[chat_id]
        if chat.type == "private":
            raise ValueError("use block_bot() for private chats")
        if notify:
            by = self._ensure_user(by_user_id) if by_user_id is not None else None
            self._set_bot_status(chat, "kicked", by=by)
        else:
            chat.bot_status = "kicked"

    def block_bot(self, user_id: int, *, notify: bool = True) -> None:
        """The user blocks the bot; later sends get 403 "bot was blocked by the user"."""
        chat = self.chats[user_id]
        if notify:
            self._set_bot_status(chat, "kicked", by=self._ensure_user(user_id))
        else:
            chat.blocked = True

    def unblock_bot(self, user_id: int) -> None:
        """The user unblocks the bot (my_chat_member update kicked → member)."""
        self._set_bot_status(self.chats[user_id], "member", by=self._ensure_user(user_id))

    def add_bot_to_group(
        self,
        chat_id: int,
        by_user_id: int,
        title: str | None = None,
        *,
        type: str | None = None,
        payload: str | None = None,
        as_admin: bool = False,
    ) -> list[dict]:
        """A user adds the bot to a group: my_chat_member + new_chat_members service message.

        With ``payload`` (a ``t.me/<bot>?startgroup=<payload>`` link) the client then sends
        ``/start@<bot> <payload>`` from that user, as Telegram clients do; ``payload=""`` sends a
        bare ``/start@<bot>``. Returns the queued updates.
        """
        chat = self.chats.get(chat_id)
        if chat is None:
            chat = self.add_chat(chat_id, type, title, bot_status="left")
        user = self._ensure_user(by_user_id)
        chat.members.add(by_user_id)
        before = len(self.updates)
        self._set_bot_status(chat, "administrator" if as_admin else "member", by=user)
        service = self._new_message(chat, user, new_chat_members=[self.bot_user])
        self._enqueue({"message": service})
        if payload is not None:
            text = f"/start@{self.bot_username}" + (f" {payload}" if payload else "")
            self.send_text(chat_id, by_user_id, text)
        return self.updates[before:]

    def migrate_chat(self, old_id: int, new_id: int, by_user_id: int | None = None) -> tuple[dict, dict]:
        """Upgrade a group to a supergroup, as Telegram does.

        The old id then answers 400 "group chat was upgraded to a supergroup chat" with
        ``parameters.migrate_to_chat_id``; two service messages are queued: one in the old chat
        (``migrate_to_chat_id``) and one in the new (``migrate_from_chat_id``). Members, admins
        and the bot's status carry over. Returns (old-chat message, new-chat message).
        """
        old = self.chats[old_id]
        if old.type != "group":
            raise ValueError(f"chat {old_id} is a {old.type}; only basic groups migrate")
        if new_id in self.chats:
            raise ValueError(f"chat {new_id} already exists")
        new = ChatState(
            id=new_id, type="supergroup", title=old.title, bot_status=old.bot_status,
            owner_id=old.owner_id, admins=set(old.admins), member_status=dict(old.member_status),
            members=set(old.members), migrated_from=old_id,
        )
        self.chats[new_id] = new
        by = self._ensure_user(by_user_id) if by_user_id is not None else self._some_admin(old)
        to_msg = self._new_message(old, by, migrate_to_chat_id=new_id)
        from_msg = self._new_message(new, by, migrate_from_chat_id=old_id)
        old.migrated_to = new_id
        if old.bot_status in ("member", "administrator"):
            self._enqueue({"message": to_msg})
            self._enqueue({"message": from_msg})
        return copy.deepcopy(to_msg), copy.deepcopy(from_msg)

    # -- incoming updates -------------------------------------------------

    def _enqueue(self, payload: dict) -> dict:
        update = {"update_id": self._next_update_id, **copy.deepcopy(payload)}
        self._next_update_id += 1
        self._pending.append(update)
        self.updates.append(update)
        self._notify()
        return update

    def inject_update(self, payload: dict) -> dict:
        """Queue a raw update (without update_id, e.g. {"poll_answer": {...}}); returns it."""
        return self._enqueue(payload)

    def _chat_for_user_message(self, chat_id: int, user_id: int) -> ChatState:
        user = self._ensure_user(user_id)
        chat = self.chats.get(chat_id)
        if chat is None:
            if chat_id != user_id:
                raise ValueError(f"unknown chat {chat_id}: add_chat() it first")
            chat = self.add_chat(chat_id, "private", user["first_name"])
        if chat.migrated_to is not None:
            raise ValueError(f"chat {chat_id} migrated to {chat.migrated_to}; write there")
        if chat.type == "private":
            if chat_id != user_id:
                raise ValueError(f"user {user_id} cannot write in the private chat {chat_id}")
            chat.started = True
            chat.blocked = False  # a user who writes to the bot has it unblocked
        else:
            chat.members.add(user_id)
        return chat

    def _why_undelivered(self, chat: ChatState, message: dict) -> str | None:
        if chat.type == "private":
            return None
        if chat.bot_status not in ("member", "administrator"):
            return f"bot is not a member of the chat ({chat.bot_status})"
        if not self.privacy_mode or chat.bot_status == "administrator":
            return None
        text = message.get("text") or message.get("caption") or ""
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            if "@" in command and command.split("@", 1)[1].lower() != self.bot_username.lower():
                return "privacy mode: command addressed to another bot"
            return None
        reply = message.get("reply_to_message")
        if reply and reply.get("from", {}).get("id") == self.bot_id:
            return None
        if f"@{self.bot_username}".lower() in text.lower():
            return None
        return "privacy mode: not a command, reply to the bot or mention"

    def _user_message(self, chat: ChatState, user: dict, reply_to_message_id: int | None, **content: Any) -> dict:
        reply_to = None
        if reply_to_message_id is not None:
            target = chat.messages.get(reply_to_message_id)
            if target is None:
                raise ValueError(f"no message {reply_to_message_id} in chat {chat.id}")
            reply_to = copy.deepcopy(target)
            reply_to.pop("reply_to_message", None)
        message = self._new_message(chat, user, reply_to_message=reply_to, **content)
        reason = self._why_undelivered(chat, message)
        if reason is None:
            self._enqueue({"message": message})
        else:
            self.undelivered.append(Undelivered(chat.id, copy.deepcopy(message), reason))
        return copy.deepcopy(message)

    @staticmethod
    def _command_entities(text: str) -> list[dict] | None:
        match = COMMAND_RE.match(text)
        if not match:
            return None
        return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group(0))}]

    def send_text(
        self,
        chat_id: int,
        user_id: int,
        text: str,
        reply_to_message_id: int | None = None,
        *,
        entities: list[dict] | None = None,
    ) -> dict:
        """A user writes ``text`` (a leading /command gets its bot_command entity).

        In groups, privacy mode decides whether the bot receives it (see ``undelivered``).
        Returns the Message dict.
        """
        chat = self._chat_for_user_message(chat_id, user_id)
        return self._user_message(
            chat, self.users[user_id], reply_to_message_id, text=text,
            entities=entities if entities is not None else self._command_entities(text),
        )

    def edit_text(self, chat_id: int, message_id: int, text: str) -> dict:
        """Its author edits a message sent with ``send_text``: the bot gets ``edited_message``
        (same message id, date and reply target; ``edit_date`` now).

        Delivered under the same privacy-mode rules as the original. Returns the Message dict.
        """
        chat = self.chats[chat_id]
        original = chat.messages.get(message_id)
        if original is None or original.get("from", {}).get("id") == self.bot_id:
            raise ValueError(f"no user message {message_id} in chat {chat_id}")
        original["text"] = text
        self._set_or_pop(original, "entities", self._command_entities(text))
        original["edit_date"] = int(self.wall_clock())
        message = copy.deepcopy(original)
        if self._why_undelivered(chat, message) is None:
            self._enqueue({"edited_message": message})
        return copy.deepcopy(message)

    def send_command(
        self,
        chat_id: int,
        user_id: int,
        command: str,
        args: str = "",
        *,
        mention: bool = False,
        reply_to_message_id: int | None = None,
    ) -> dict:
        """A user sends ``/command args`` (``/command@bot args`` with ``mention=True``)."""
        text = "/" + command.lstrip("/")
        if mention:
            text += f"@{self.bot_username}"
        if args:
            text += f" {args}"
        return self.send_text(chat_id, user_id, text, reply_to_message_id)

    def send_document(
        self,
        chat_id: int,
        user_id: int,
        filename: str,
        data: bytes,
        caption: str | None = None,
        reply_to: int | None = None,
        *,
        mime_type: str | None = None,
    ) -> dict:
        """A user sends a file; it is stored so getFile and the download URL serve its bytes."""
        chat = self._chat_for_user_message(chat_id, user_id)
        if mime_type is None:
            mime_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        file = self._store_file(data, filename, mime_type, "document")
        return self._user_message(
            chat, self.users[user_id], reply_to, document=self._document_dict(file),
            caption=caption, caption_entities=self._command_entities(caption) if caption else None,
        )

    def press_button(
        self, chat_id: int, user_id: int, message_id: int, data: str, *, strict: bool = True
    ) -> str:
        """A user presses an inline button; returns the callback query id.

        With ``strict`` (default) the message must currently show a button with that data —
        a Telegram client cannot press anything else.
        """
        chat = self.chats[chat_id]
        message = chat.messages.get(message_id)
        if message is None:
            raise ValueError(f"no message {message_id} in chat {chat_id}")
        if strict:
            buttons = [
                b.get("callback_data")
                for row in message.get("reply_markup", {}).get("inline_keyboard", [])
                for b in row
            ]
            if data not in buttons:
                raise ValueError(f"message {message_id} has no button {data!r}; it has {buttons!r}")
        user = self._ensure_user(user_id)
        query_id = str(next(self._query_seq))
        self._callback_queries[query_id] = {
            "answered": False, "chat_id": chat_id, "message_id": message_id, "data": data,
            "time": self.clock(),
        }
        self._enqueue(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user,
                    "message": copy.deepcopy(message),
                    "chat_instance": str(abs(hash((self.bot_id, chat_id))) % 10**19),
                    "data": data,
                }
            }
        )
        return query_id

    # -- inspection -------------------------------------------------------

    @property
    def pending_updates(self) -> list[dict]:
        """Updates queued and not yet confirmed by the bot (getUpdates offset / webhook 2xx)."""
        return list(self._pending)

    def messages_in(self, chat_id: int) -> list[SentMessage]:
        """What the bot sent into ``chat_id``, oldest first."""
        return [m for m in self.sent if m.chat_id == chat_id]

    def last_sent(self, chat_id: int | None = None) -> SentMessage:
        """The bot's latest message (in ``chat_id`` if given); AssertionError if none."""
        messages = self.sent if chat_id is None else self.messages_in(chat_id)
        assert messages, f"the bot sent nothing{'' if chat_id is None else f' to {chat_id}'}"
        return messages[-1]

    def message(self, chat_id: int, message_id: int) -> dict | None:
        """Current state of a message (after edits), None if deleted or unknown."""
        message = self.chats[chat_id].messages.get(message_id)
        return copy.deepcopy(message) if message else None

    def history(self, chat_id: int) -> list[dict]:
        """All messages in a chat, both directions, current state, by message_id."""
        return [copy.deepcopy(m) for _, m in sorted(self.chats[chat_id].messages.items())]

    def calls(self, method: str) -> list[RequestRecord]:
        """Requests for one Bot API method (case-insensitive), including failed ones."""
        return [r for r in self.requests if r.method.lower() == method.lower()]

    def answer_for(self, callback_query_id: str) -> CallbackAnswer | None:
        """The answerCallbackQuery for that query, if any."""
        return next((a for a in self.callback_answers if a.callback_query_id == callback_query_id), None)

    def commands_for(self, scope: str | dict | None = None, language_code: str = "") -> list[dict]:
        """Commands set for a scope ("default", {"type": "chat", "chat_id": …}) and language."""
        if isinstance(scope, str):
            scope = {"type": scope}
        key = self._scope_key(scope)
        return copy.deepcopy(self.commands.get((key, language_code), []))

    async def wait_for(
        self, predicate: Callable[[], Any], timeout: float = 5.0, *, message: str | None = None
    ) -> Any:
        """Poll ``predicate`` every 10 ms until truthy; return its value or fail after timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            if loop.time() >= deadline:
                raise AssertionError(message or f"condition not met within {timeout} s")
            await asyncio.sleep(0.01)

    async def wait_for_sent(
        self, chat_id: int | None = None, count: int = 1, timeout: float = 5.0
    ) -> list[SentMessage]:
        """Wait until the bot has sent ``count`` messages (into ``chat_id``); return them all."""
        def ready() -> list[SentMessage] | None:
            messages = self.sent if chat_id is None else self.messages_in(chat_id)
            return messages if len(messages) >= count else None

        return await self.wait_for(
            ready, timeout,
            message=f"expected {count} message(s) to {chat_id if chat_id is not None else 'any chat'} "
            f"within {timeout} s; sent: {[(m.chat_id, m.text or m.caption) for m in self.sent]}",
        )

    async def wait_until_idle(self, timeout: float = 5.0) -> None:
        """Wait until every queued update has been fetched and confirmed by the bot."""
        await self.wait_for(
            lambda: not self._pending, timeout,
            message=f"{len(self._pending)} update(s) still pending after {timeout} s",
        )

    # -- faults and limits --------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int = 500,
        *,
        times: int = 1,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
        description: str | None = None,
        html: bool = False,
    ) -> None:
        """The next ``times`` calls of ``method`` ("*" = any) fail without being processed.

        429 gets ``parameters.retry_after`` (default 1); ``migrate_to_chat_id`` makes a
        ChatMigrated-style 400; ``html=True`` answers with a gateway's HTML page (nginx's
        502/504) instead of Telegram's JSON.
        """
        parameters: dict[str, Any] = {}
        if status == 429:
            parameters["retry_after"] = retry_after if retry_after is not None else 1
        elif retry_after is not None:
            parameters["retry_after"] = retry_after
        if migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = migrate_to_chat_id
        self._faults.setdefault(method.lower(), []).append(
            _Fault("fail", times, status=status, description=description, parameters=parameters or None, html=html)
        )

    def delay_next(self, method: str, seconds: float, *, times: int = 1, deliver: bool = True) -> None:
        """Delay the answer to the next ``times`` calls of ``method`` ("*" = any).

        ``deliver=True``: processed first, answered late — if the client times out, the message
        WAS sent (PTB raises TimedOut). ``deliver=False``: waits first and is dropped if the
        client gave up meanwhile.
        """
        self._faults.setdefault(method.lower(), []).append(
            _Fault("delay", times, seconds=seconds, deliver=deliver)
        )

    def drop_next(self, method: str, *, times: int = 1, deliver: bool = False) -> None:
        """Close the connection without an answer (PTB raises NetworkError).

        ``deliver=True`` processes the call first (message sent, answer lost).
        """
        self._faults.setdefault(method.lower(), []).append(_Fault("drop", times, deliver=deliver))

    def inject_faults(
        self,
        method: str,
        rate: float,
        *,
        kinds: Iterable[str] = FAULT_KINDS,
        seed: int = 0,
        delay: float = 1.0,
        retry_after: int = 1,
    ) -> None:
        """From now on a fraction ``rate`` of the calls of ``method`` ("*" = any) meet a
        fault drawn from ``kinds`` (FAULT_KINDS; seeded, so a run can be repeated):

        html502/html504 — a gateway's HTML page, not processed; json500/502/503 — Telegram's
        JSON error, not processed; 429 — Too Many Requests (``retry_after``);
        timeout_delivered — processed, answered ``delay`` s late (PTB times out first);
        timeout_lost — held ``delay`` s, dropped if the client gave up; reset_before /
        reset_after — connection closed before / after processing.
        Explicit ``fail_next``/``delay_next``/``drop_next`` faults come first. ``rate=0``
        stops it.
        """
        makers: dict[str, Callable[[], _Fault]] = {
            "html502": lambda: _Fault("fail", 1, status=502, html=True),
            "html504": lambda: _Fault("fail", 1, status=504, html=True),
            "json500": lambda: _Fault("fail", 1, status=500),
            "json502": lambda: _Fault("fail", 1, status=502),
            "json503": lambda: _Fault("fail", 1, status=503),
            "429": lambda: _Fault("fail", 1, status=429, parameters={"retry_after": retry_after}),
            "timeout_delivered": lambda: _Fault("delay", 1, seconds=delay, deliver=True),
            "timeout_lost": lambda: _Fault("delay", 1, seconds=delay, deliver=False),
            "reset_before": lambda: _Fault("drop", 1, deliver=False),
            "reset_after": lambda: _Fault("drop", 1, deliver=True),
        }
        if rate <= 0:
            self._chaos.pop(method.lower(), None)
            return
        self._chaos[method.lower()] = (rate, [makers[k] for k in kinds], random.Random(seed))

    def clear_faults(self) -> None:
        """Forget all pending fail/delay/drop faults and stop injected ones."""
        self._faults.clear()
        self._chaos.clear()

    def set_rate_limits(
        self,
        enabled: bool = True,
        *,
        per_second: int | None = None,
        group_per_minute: int | None = None,
        private_per_second: int | None = None,
    ) -> None:
        """Switch Telegram-like flood limits on/off (windows restart empty)."""
        self.rate_limits = enabled
        if per_second is not None:
            self.per_second = per_second
        if group_per_minute is not None:
            self.group_per_minute = group_per_minute
        if private_per_second is not None:
            self.private_per_second = private_per_second
        self._global_window.clear()
        self._chat_windows.clear()
