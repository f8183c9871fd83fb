"""Structured logs: one line per event on stderr, as text or JSON (LOG_FORMAT), with the bot
token and the database password masked whatever logger emitted them.

An event is a log record with a name and fields (ids, counts) besides its Vietnamese text:

    log_event(log, "outbox.sent", "Đã gửi tin", outbox_id=41, chat_id=-100123, agency_id=7)

text: 2026-11-21T08:00:01.250+07:00 INFO nhacviec.sender outbox.sent outbox_id=41 chat_id=-100123 agency_id=7 msg="Đã gửi tin"
json: {"ts": "2026-11-21T08:00:01.250+07:00", "level": "INFO", "logger": "nhacviec.sender", "event": "outbox.sent", "msg": "Đã gửi tin", "outbox_id": 41, "chat_id": -100123, "agency_id": 7}

Field names say what the id is: chat_id and user_id are Telegram's ids; agency_id, task_id,
due_item_id, plan_id, outbox_id, request_id are the database's. Where importing log_event is
not wanted, the stdlib's `log.info(msg, *args, extra={"event": "...", "fields": {...}})` makes
the same record. Records that are not events (libraries, plain `log.info`) have the event `-`
(text) or null (JSON). Fields that are None are left out. Strings are quoted and escaped when they
need it, so a message with newlines stays on its line. A traceback is the JSON field "exc";
in text it follows its line, each of its lines prefixed with "  | " (the line itself carries
exc="<last line of the traceback>"): text is for people reading `docker logs`, who want the
traceback as Python prints it, and `grep -v '^  | '` still gives one line per event.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, date, datetime, tzinfo
from enum import Enum
from typing import IO, Any
from urllib.parse import quote, unquote, urlsplit

# Libraries that only warn: httpx and httpcore would log every request URL (the token is in
# its path) at INFO; the others are chatty at INFO.
QUIET_LOGGERS = ("httpx", "httpcore", "telegram", "apscheduler", "alembic", "aiosqlite", "asyncio")
HANDLER_NAME = "nhacviec"
MASK = "***"
MIN_SECRET = 4  # a shorter password is masked in URLs only (masking "abc" everywhere garbles the logs)
# The fixed keys of a JSON line; a field with one of these names is written as field_<name>.
RESERVED = frozenset({"ts", "level", "logger", "event", "msg", "exc"})
_URL_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^@\s/]+(@)")
# Any bot token, ours or not: in a Bot API path (/bot<id>:<secret>/…), or bare with the shape
# BotFather gives (a numeric id, a colon, 35 characters).
_TOKENS = (r"(?<=/bot)\d+:[A-Za-z0-9_-]+", r"\b\d{6,}:[A-Za-z0-9_-]{30,}")
_BARE = re.compile(r"[^\s\"=\\\x00-\x1f\x7f]+")
# Line breaks that json.dumps leaves as they are but str.splitlines() splits on.
_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})
_PLAIN = logging.Formatter()


def log_event(
    logger: logging.Logger,
    event: str,
    msg: str = "",
    /,
    *,
    level: int = logging.INFO,
    exc_info: Any = None,
    **fields: Any,
) -> None:
    """Log `event` with `fields` (ids, counts); `msg` is the human text (Vietnamese), kept
    as the record's message so plain handlers and tests read it as before."""
    if logger.isEnabledFor(level):
        logger.log(level, msg or event, exc_info=exc_info, extra={"event": event, "fields": fields}, stacklevel=2)


# --- masking ---------------------------------------------------------------------------------


def secrets_of(settings: Any) -> list[str]:
    """What must never be logged: the bot token (also its secret half and URL-encoded) and
    the database password; the webhook secret too."""
    from sqlalchemy.engine import make_url

    found: list[str] = []
    for token in ((settings.telegram_bot_token or "").strip(), (getattr(settings, "zalo_bot_token", None) or "").strip()):
        if token:
            found += [token, quote(token, safe=""), token.partition(":")[2] or token]
    try:
        password = make_url(settings.database_url).password
    except Exception:  # noqa: BLE001 - a malformed URL has no password to hide
        password = None
    if password:
        found += [str(password), quote(str(password), safe="")]
    if settings.webhook_secret:
        found.append(settings.webhook_secret)
    if getattr(settings, "zalo_webhook_secret", None):
        found.append(settings.zalo_webhook_secret)
    smtp_password = urlsplit(getattr(settings, "smtp_url", None) or "").password
    if smtp_password:
        found += [unquote(smtp_password), smtp_password]
    return found


class Redactor(logging.Filter):
    """A handler filter: the record's final message, exception text, stack and fields with
    every secret replaced by ***. It changes the record itself, so it goes on the handler
    that writes (all loggers' records pass there), not on one logger."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        words = sorted({s for s in secrets if len(s) >= MIN_SECRET}, key=len, reverse=True)
        self.pattern = re.compile("|".join([*(re.escape(w) for w in words), *_TOKENS]))

    def redact(self, text: str) -> str:
        return _URL_PASSWORD.sub(rf"\1{MASK}\2", self.pattern.sub(MASK, text))

    def _value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, (list, tuple, set, frozenset)):
            return [self._value(v) for v in value]
        return value

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - arguments that do not fit the format: keep both, masked
            message = record.msg = f"{record.msg} % {record.args!r}"
            record.args = ()
        clean = self.redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = _PLAIN.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            record.fields = {k: self._value(v) for k, v in fields.items()}
        return True


# --- formatting ------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A field value as JSON knows it."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    return str(value)


def _quoted(text: str) -> str:
    """Bare when it is one word without quotes or '=', else a JSON string (escaped)."""
    return text if _BARE.fullmatch(text) else json.dumps(text, ensure_ascii=False)


def _text_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return _quoted(",".join(str(_plain(v)) for v in items))
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return _quoted(str(value))


class EventFormatter(logging.Formatter):
    """One line per record: logfmt-like text, or one JSON object (`json_lines`)."""

    def __init__(self, *, json_lines: bool = False, tz: tzinfo | None = None) -> None:
        super().__init__()
        self.json_lines = json_lines
        self.tz = tz

    def _exception(self, record: logging.LogRecord) -> str:
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        text = record.exc_text or ""
        if record.stack_info:
            text = (text + "\n" if text else "") + self.formatStack(record.stack_info)
        return text

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC).astimezone(self.tz).isoformat(timespec="milliseconds")
        event = getattr(record, "event", None)
        fields = {k: v for k, v in (getattr(record, "fields", None) or {}).items() if v is not None}
        message = record.getMessage()
        exc = self._exception(record)
        if self.json_lines:
            doc: dict[str, Any] = {
                "ts": stamp, "level": record.levelname, "logger": record.name, "event": event, "msg": message,
            }
            for key, value in fields.items():
                doc[f"field_{key}" if key in RESERVED else key] = value
            if exc:
                doc["exc"] = exc
            return json.dumps(doc, ensure_ascii=False, default=_plain).translate(_BREAKS)
        parts = [stamp, record.levelname, record.name, event or "-"]
        parts += [f"{key}={_text_value(value)}" for key, value in fields.items()]
        parts.append(f"msg={_quoted(message)}")
        if exc:
            parts.append(f"exc={_quoted(exc.strip().splitlines()[-1])}")
        line = " ".join(parts).translate(_BREAKS)
        if exc:
            line += "".join(f"\n  | {text}" for text in exc.splitlines())
        return line


def configure_logging(settings: Any, *, stream: IO[str] | None = None, level: int = logging.INFO) -> logging.Handler:
    """Send every log record to stderr (or `stream`), one line each, masked; INFO for the bot's
    own loggers, WARNING for the chatty libraries. Calling it again replaces the handler."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(EventFormatter(json_lines=settings.log_format == "json", tz=settings.tz))
    handler.addFilter(Redactor(secrets_of(settings)))
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.captureWarnings(True)  # warnings.warn (PTB's) as records too, not bare stderr lines
    sys.excepthook = log_uncaught  # a crash is an event too (in JSON, not a bare traceback)
    return handler


def log_uncaught(kind: type[BaseException], value: BaseException, tb: Any) -> None:
    """sys.excepthook: an exception nobody caught, logged (masked) instead of printed."""
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, value, tb)
        return
    log_event(
        logging.getLogger("nhacviec"), "process.crashed", "Lỗi không được xử lý: tiến trình dừng",
        level=logging.CRITICAL, exc_info=(kind, value, tb), error_type=kind.__name__,
    )
