"""Structured logs (bot/logs.py): one line per event in text or JSON, the fields and the
Vietnamese text intact, and the bot token / database password never written."""

from __future__ import annotations

import io
import json
import logging
import re
import sys
from collections.abc import Iterator
from datetime import date
from zoneinfo import ZoneInfo

import httpx
import pytest

from bot.config import SettingsError, load_settings
from bot.domain.kinds import OutboxKind
from bot.logs import (
    QUIET_LOGGERS,
    EventFormatter,
    Redactor,
    configure_logging,
    log_event,
    secrets_of,
)

TOKEN = "7012345678:AAHk3b_9xQzR-4t8vWmNpLs2dEfGhJkLmNo"  # the shape BotFather gives
SECRET = TOKEN.split(":")[1]
PASSWORD = "Pg-pass_2026"
DB_URL = f"postgresql://nhacviec:{PASSWORD}@db:5432/nhacviec"
ICT = ZoneInfo("Asia/Ho_Chi_Minh")
TEXT_STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+07:00"


def _settings(log_format: str = "text", **values: object) -> object:
    return load_settings(
        telegram_bot_token=TOKEN, database_url=DB_URL, log_format=log_format, timezone="Asia/Ho_Chi_Minh", **values
    )


class Captured:
    """A logger writing through the real formatter and filter into a string."""

    def __init__(self, *, json_lines: bool, secrets: tuple[str, ...] = (TOKEN, SECRET, PASSWORD), name: str = "nhacviec.test") -> None:
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(EventFormatter(json_lines=json_lines, tz=ICT))
        self.redactor = Redactor(secrets)
        self.handler.addFilter(self.redactor)
        self.logger = logging.getLogger(name)
        self._saved = (self.logger.level, self.logger.propagate)
        self.logger.addHandler(self.handler)
        self.logger.setLevel(logging.DEBUG)
        self.logger.propagate = False

    def close(self) -> None:
        self.logger.removeHandler(self.handler)
        self.logger.setLevel(self._saved[0])
        self.logger.propagate = self._saved[1]

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines()


@pytest.fixture
def text_log() -> Iterator[Captured]:
    captured = Captured(json_lines=False)
    yield captured
    captured.close()


@pytest.fixture
def json_log() -> Iterator[Captured]:
    captured = Captured(json_lines=True)
    yield captured
    captured.close()


# --- the text format ---------------------------------------------------------------------------


def test_a_text_event_is_one_logfmt_line_with_its_ids_and_the_vietnamese_text(text_log: Captured) -> None:
    log_event(
        text_log.logger, "outbox.sent", "Đã gửi nhắc việc — Sở Tư pháp",
        outbox_id=41, chat_id=-100123, agency_id=7, due_item_ids=[12, 13], part=1, kind=OutboxKind.REMINDER,
        on_date=date(2026, 11, 23), sent=True, missing=None,
    )
    [line] = text_log.lines
    assert re.fullmatch(
        TEXT_STAMP + r" INFO nhacviec\.test outbox\.sent outbox_id=41 chat_id=-100123 agency_id=7 due_item_ids=12,13 "
        r"part=1 kind=reminder on_date=2026-11-23 sent=true msg=\"Đã gửi nhắc việc — Sở Tư pháp\"",
        line,
    ), line
    assert "missing" not in line  # None: left out


def test_text_keeps_newlines_quotes_and_spaces_inside_their_value(text_log: Captured) -> None:
    log_event(text_log.logger, "status.note", 'Ghi chú:\n"đã trình" UBND\r\ntỉnh', chat_id=-1, note="a b=c", code="NV12")
    [line] = text_log.lines
    assert line.endswith(r'note="a b=c" code=NV12 msg="Ghi chú:\n\"đã trình\" UBND\r\ntỉnh"'), line
    text_log.logger.info("dòng\u2028phân cách")  # splitlines() would break here
    assert len(text_log.lines) == 2 and "\\u2028" in text_log.lines[1]


def test_text_puts_a_traceback_under_its_event_line_marked_as_continuation(text_log: Captured) -> None:
    try:
        raise RuntimeError("cơ sở dữ liệu hỏng")
    except RuntimeError:
        log_event(text_log.logger, "handler.error", "Lỗi khi xử lý update 77", level=logging.ERROR, exc_info=True, update_id=77)
    first, *rest = text_log.lines
    assert " ERROR nhacviec.test handler.error update_id=77 " in first
    assert first.endswith('msg="Lỗi khi xử lý update 77" exc="RuntimeError: cơ sở dữ liệu hỏng"')
    assert rest[0] == "  | Traceback (most recent call last):"
    assert rest[-1] == "  | RuntimeError: cơ sở dữ liệu hỏng"
    assert all(line.startswith("  | ") for line in rest)


def test_plain_records_and_the_stdlib_extra_convention(text_log: Captured) -> None:
    text_log.logger.warning("Không gửi được tới %s: %s", -100, "Forbidden")
    text_log.logger.info("Nhóm %s đã chuyển", -5, extra={"event": "chat.migrated", "fields": {"chat_id": -100999, "old_chat_id": -5}})
    plain, event = text_log.lines
    assert re.fullmatch(TEXT_STAMP + r' WARNING nhacviec\.test - msg="Không gửi được tới -100: Forbidden"', plain), plain
    assert event.endswith(' INFO nhacviec.test chat.migrated chat_id=-100999 old_chat_id=-5 msg="Nhóm -5 đã chuyển"')


# --- the JSON format ---------------------------------------------------------------------------


def test_a_json_event_is_one_object_with_the_fixed_keys_and_its_fields(json_log: Captured) -> None:
    log_event(
        json_log.logger, "reminder.tick", "Nhắc việc 23/11/2026: 5 nhắc việc cho 2 cơ quan",
        on_date=date(2026, 11, 23), queued=3, kind=OutboxKind.REMINDER, ids={3, 1, 2}, msg_id=9, level_name="x",
        absent=None,
    )
    [line] = json_log.lines
    assert "Nhắc việc 23/11/2026: 5 nhắc việc cho 2 cơ quan" in line and "\\u" not in line  # not \u-escaped
    doc = json.loads(line)
    assert list(doc)[:5] == ["ts", "level", "logger", "event", "msg"]
    assert re.fullmatch(TEXT_STAMP, doc["ts"])
    assert doc == {
        "ts": doc["ts"], "level": "INFO", "logger": "nhacviec.test", "event": "reminder.tick",
        "msg": "Nhắc việc 23/11/2026: 5 nhắc việc cho 2 cơ quan",
        "on_date": "2026-11-23", "queued": 3, "kind": "reminder", "ids": [1, 2, 3], "msg_id": 9, "level_name": "x",
    }


def test_json_fields_named_like_a_fixed_key_do_not_overwrite_it(json_log: Captured) -> None:
    json_log.logger.info("thật", extra={"event": "e", "fields": {"msg": "giả", "ts": 1, "logger": "x"}})
    doc = json.loads(json_log.text)
    assert (doc["msg"], doc["logger"]) == ("thật", "nhacviec.test")
    assert (doc["field_msg"], doc["field_ts"], doc["field_logger"]) == ("giả", 1, "x")


def test_a_json_exception_and_a_multiline_message_stay_on_one_line(json_log: Captured) -> None:
    try:
        try:
            raise ValueError("bên trong")
        except ValueError as inner:
            raise RuntimeError("dòng một\ndòng hai") from inner
    except RuntimeError:
        log_event(json_log.logger, "handler.error", "Lỗi\nkhi xử lý", level=logging.ERROR, exc_info=True, chat_id=-1)
    json_log.logger.warning("không phải sự kiện", stack_info=True)
    first, second = json_log.lines
    doc = json.loads(first)
    assert doc["msg"] == "Lỗi\nkhi xử lý" and doc["chat_id"] == -1
    assert doc["exc"].startswith("Traceback (most recent call last):")
    assert "ValueError: bên trong" in doc["exc"] and doc["exc"].endswith("RuntimeError: dòng một\ndòng hai")
    plain = json.loads(second)
    assert plain["event"] is None and plain["msg"] == "không phải sự kiện" and "Stack (most recent call last)" in plain["exc"]


# --- masking ------------------------------------------------------------------------------------


@pytest.mark.parametrize("json_lines", [False, True], ids=["text", "json"])
def test_the_token_is_masked_in_the_message_args_fields_and_exception(json_lines: bool) -> None:
    captured = Captured(json_lines=json_lines)
    try:
        captured.logger.info(f"token {TOKEN} trong tin")
        captured.logger.warning("URL %s và %r", f"https://api.telegram.org/bot{TOKEN}/getMe", {"t": TOKEN})
        log_event(captured.logger, "outbox.failed", "lỗi", error=f"bot{TOKEN}", urls=[f"x/{SECRET}/y"])
        try:
            raise ConnectionError(f"POST https://api.telegram.org/bot{TOKEN}/sendMessage failed")
        except ConnectionError:
            captured.logger.exception("gửi lỗi %s", SECRET)
        text = captured.text
    finally:
        captured.close()
    assert SECRET not in text and "7012345678:" not in text
    assert text.count("***") >= 6
    assert "https://api.telegram.org/bot***/getMe" in text and "bot***/sendMessage failed" in text


def test_a_real_httpx_request_record_never_shows_the_token() -> None:
    """httpx logs every request at INFO as "HTTP Request: POST <url> …" — the URL has the token."""

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"ok": True, "result": {}})

    raw = io.StringIO()
    unfiltered = logging.StreamHandler(raw)  # what httpx really logs, before any masking
    masked = Captured(json_lines=True, secrets=(TOKEN, SECRET), name="httpx")
    masked.logger.setLevel(logging.INFO)
    masked.logger.handlers.insert(0, unfiltered)
    try:
        with httpx.Client(transport=httpx.MockTransport(answer)) as client:
            client.post(f"https://api.telegram.org/bot{TOKEN}/getMe")
    finally:
        masked.logger.removeHandler(unfiltered)
        masked.close()
    assert f"bot{TOKEN}/getMe" in raw.getvalue()  # the record really carries the token
    [line] = [line for line in masked.lines if "HTTP Request" in line]
    doc = json.loads(line)
    assert doc["logger"] == "httpx"
    assert doc["msg"].startswith("HTTP Request: POST https://api.telegram.org/bot***/getMe")
    assert SECRET not in masked.text


def test_the_database_password_and_any_bot_shaped_token_are_masked(text_log: Captured) -> None:
    other = "5551234567:BBxyzxyzxyzxyzxyzxyzxyzxyzxyzxyzxyz"  # not ours: masked by its shape
    text_log.logger.error("không kết nối được %s (mật khẩu %s); token lạ %s", DB_URL, PASSWORD, other)
    short = Redactor(["abc"])  # too short to mask everywhere: only where it is a URL password
    assert short.redact("postgresql://u:abc@h/db abc") == "postgresql://u:***@h/db abc"
    assert PASSWORD not in text_log.text and "xyzxyz" not in text_log.text
    assert "postgresql://nhacviec:***@db:5432/nhacviec (mật khẩu ***); token lạ ***" in text_log.text


def test_secrets_of_the_settings() -> None:
    settings = load_settings(
        telegram_bot_token=TOKEN, database_url="postgresql://u:p%40ss%2Fword@h/db", webhook_secret="hook-secret_1"
    )
    found = secrets_of(settings)
    assert {TOKEN, SECRET, "p@ss/word", "p%40ss%2Fword", "hook-secret_1"} <= set(found)
    assert secrets_of(load_settings(telegram_bot_token=None, database_url="sqlite:///x.db")) == []


# --- configure_logging: the process-wide set-up ------------------------------------------------


@pytest.fixture
def root_logging() -> Iterator[None]:
    """Put back the root logger, the quiet libraries and warnings capture as they were."""
    root = logging.getLogger()
    handlers, level, hook = list(root.handlers), root.level, sys.excepthook
    quiet = {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
    yield
    sys.excepthook = hook
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, value in quiet.items():
        logging.getLogger(name).setLevel(value)
    logging.captureWarnings(False)


def test_configure_logging_masks_what_any_logger_writes_and_can_be_called_twice(root_logging: None) -> None:
    import warnings

    first, stream = io.StringIO(), io.StringIO()
    configure_logging(_settings("json"), stream=first)
    configure_logging(_settings("json"), stream=stream)  # replaces, never doubles
    assert [h.get_name() for h in logging.getLogger().handlers].count("nhacviec") == 1
    logging.getLogger("some.library").warning("gọi https://api.telegram.org/bot%s/getUpdates", TOKEN)
    logging.getLogger("httpx").info("HTTP Request: POST https://api.telegram.org/bot%s/getMe", TOKEN)  # quiet: dropped
    log_event(logging.getLogger("nhacviec.sender"), "outbox.sent", "Đã gửi", chat_id=-100123, agency_id=7)
    warnings.warn(f"PTB warns {TOKEN}", UserWarning, stacklevel=1)
    lines = stream.getvalue().splitlines()
    docs = [json.loads(line) for line in lines]
    assert first.getvalue() == ""
    assert [d["logger"] for d in docs] == ["some.library", "nhacviec.sender", "py.warnings"]
    assert docs[0]["msg"] == "gọi https://api.telegram.org/bot***/getUpdates"
    assert (docs[1]["event"], docs[1]["chat_id"], docs[1]["agency_id"]) == ("outbox.sent", -100123, 7)
    assert SECRET not in stream.getvalue()


def test_an_uncaught_exception_is_a_crash_event_not_a_bare_traceback(root_logging: None) -> None:
    stream = io.StringIO()
    configure_logging(_settings("json"), stream=stream)
    try:
        raise OSError(f"không mở được https://api.telegram.org/bot{TOKEN}/getMe")
    except OSError:
        sys.excepthook(*sys.exc_info())  # type: ignore[arg-type]
    [line] = stream.getvalue().splitlines()
    doc = json.loads(line)
    assert (doc["level"], doc["event"], doc["error_type"]) == ("CRITICAL", "process.crashed", "OSError")
    assert doc["exc"].endswith("OSError: không mở được https://api.telegram.org/bot***/getMe")


def test_the_log_format_setting() -> None:
    assert load_settings().log_format == "text"
    assert load_settings(log_format="json").log_format == "json"
    with pytest.raises(SettingsError, match="LOG_FORMAT"):
        load_settings(log_format="xml")
