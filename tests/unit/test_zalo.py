"""Zalo, the pure parts: error classification, update parsing, text splitting, link codes."""

from __future__ import annotations

import pytest

from bot.channels.zalo import Failure, ZaloError, chat_gone, classify, parse_update
from bot.render.zalo import ZALO_LIMIT, plain, split_plain, units
from bot.services.zalo import CODE_ALPHABET, code_hash, code_in_text, new_code


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (401, Failure.CHANNEL),  # token revoked: every message waits, admins told
        (400, Failure.RECIPIENT),  # the platform refused this request
        (404, Failure.RECIPIENT),
        (429, Failure.TEMPORARY),  # quota exceeded: later
        (408, Failure.TEMPORARY),
        (403, Failure.TEMPORARY),  # documented as "internal server error"
        (500, Failure.TEMPORARY),
        (502, Failure.TEMPORARY),
        (503, Failure.TEMPORARY),
        (None, Failure.TEMPORARY),  # not the platform's JSON (a proxy's page)
        (999, Failure.TEMPORARY),  # unknown: never lose a message on a guess
    ],
)
def test_classify(code: int | None, expected: Failure) -> None:
    assert classify(code) is expected


def test_error_knows_the_empty_long_poll() -> None:
    assert ZaloError("getUpdates", "Request timeout", error_code=408).no_update
    assert not ZaloError("sendMessage", "Request timeout", error_code=408).no_update
    assert ZaloError("sendMessage", "Quota exceeded", error_code=429).temporary
    assert not ZaloError("sendMessage", "Unauthorized", error_code=401).temporary


@pytest.mark.parametrize(
    ("description", "gone"),
    [("Bad request: chat not found", True), ("User blocked the bot", True), ("text too long", False)],
)
def test_chat_gone(description: str, gone: bool) -> None:
    assert chat_gone(description) is gone


def _update(**message: object) -> dict[str, object]:
    base: dict[str, object] = {
        "from": {"id": "u1", "display_name": "Nguyễn Văn A", "is_bot": False},
        "chat": {"id": "c1", "chat_type": "PRIVATE"},
        "text": "1 xong",
        "message_id": "m1",
        "date": 1750316131602,
    }
    base.update(message)
    return {"event_name": "message.text.received", "message": base}


def test_parse_update_reads_the_documented_shape() -> None:
    incoming = parse_update(_update())
    assert incoming is not None
    assert (incoming.chat_id, incoming.user_id, incoming.name, incoming.text) == ("c1", "u1", "Nguyễn Văn A", "1 xong")
    assert incoming.date_ms == 1750316131602
    # A webhook body wraps the same update in {"ok": true, "result": …}.
    wrapped = parse_update({"ok": True, "result": _update(text="2 đang làm 60%")})
    assert wrapped is not None and wrapped.text == "2 đang làm 60%"


@pytest.mark.parametrize(
    "update",
    [
        None,
        {},
        {"event_name": "message.sticker.received", "message": {"chat": {"id": "c"}, "sticker": "x"}},
        {"event_name": "message.unsupported.received", "message": {"chat": {"id": "c"}}},
        _update(text="   "),
        _update(text=None),
        _update(**{"from": {"id": "b", "is_bot": True}}),
        _update(chat={"id": "g1", "chat_type": "GROUP"}),  # groups: not a channel we serve
        {"event_name": "message.text.received", "message": "not an object"},
    ],
)
def test_parse_update_ignores_what_is_not_a_persons_text(update: object) -> None:
    assert parse_update(update) is None  # type: ignore[arg-type]


def test_split_keeps_short_text_whole() -> None:
    assert split_plain("  Nhắc việc  ") == ["Nhắc việc"]
    assert split_plain("") == []


def test_split_prefers_paragraphs_then_lines_then_words() -> None:
    para = "Đoạn " + "chữ " * 300  # ~1,205 characters
    parts = split_plain(f"{para}\n\n{para}\n\n{para}")
    assert len(parts) == 3 and all(p.startswith("Đoạn") for p in parts)
    lines = "\n".join(f"{i}. Nhiệm vụ số {i} " + "x" * 80 for i in range(1, 60))
    parts = split_plain(lines)
    assert all(units(p) <= ZALO_LIMIT for p in parts)
    assert "\n".join(parts) == lines  # cut only at line ends: nothing lost, nothing reordered
    assert all(p.split("\n")[0].split(".")[0].isdigit() for p in parts)
    words = " ".join(["từ"] * 1500)
    parts = split_plain(words)
    assert all(units(p) <= ZALO_LIMIT for p in parts) and " ".join(parts) == words


def test_split_cuts_a_giant_word_and_never_a_surrogate_pair() -> None:
    word = "a" * 4500
    assert [len(p) for p in split_plain(word)] == [2000, 2000, 500]
    emoji = "😀" * 1500  # 3,000 UTF-16 units
    parts = split_plain(emoji)
    assert [units(p) for p in parts] == [2000, 1000] and "".join(parts) == emoji


@pytest.mark.parametrize("limit", [50, 200, 2000])
def test_split_respects_any_limit(limit: int) -> None:
    text = "\n\n".join("Sở Tư pháp — " + "nhiệm vụ " * n for n in range(1, 40))
    parts = split_plain(text, limit=limit)
    assert all(0 < units(p) <= limit for p in parts)
    assert "".join(text.split()) == "".join("".join(parts).split())


def test_plain_turns_the_telegram_html_into_text() -> None:
    assert plain("✅ <b>Đã ghi nhận</b>: nhiệm vụ 1 &amp; 2<br>— <i>xong</i>") == "✅ Đã ghi nhận: nhiệm vụ 1 & 2\n— xong"


def test_new_code_is_readable_and_found_in_any_way_it_is_typed() -> None:
    code = new_code()
    assert len(code) == 9 and code[4] == "-"
    assert all(ch in CODE_ALPHABET for ch in code.replace("-", ""))
    raw = code.replace("-", "")
    for typed in (code, raw, raw.lower(), f"/lienket {code}", f"lienket {raw}", f"Liên kết: {code}", f"{raw[:4]} {raw[4:]}"):
        assert code_in_text(typed) == raw, typed
    assert code_hash(code) == code_hash(raw.lower())


@pytest.mark.parametrize("text", ["1 xong", "2 đang làm 60%", "xin gia hạn 3 đến 15/12", "NV12 xong", "ABCD-234", "/lienket"])
def test_status_words_are_not_link_codes(text: str) -> None:
    assert code_in_text(text) is None


def _reminders(count: int) -> object:
    from datetime import date, timedelta

    from bot.domain.reminders import AgencyReminders, Reminder, ReminderItem, ReminderKind

    today = date(2025, 6, 23)
    out = []
    for n in range(1, count + 1):
        due = today - timedelta(days=n)
        item = ReminderItem(
            due_item_id=1000 + n, task_id=n, task_ref=str(n), plan_number="1782/KH-UBND",
            title=f"Nhiệm vụ số {n} về cải cách hành chính & <chuyển đổi số> " + "nội dung " * 8,
            agency_id=1, agency_name="Sở Tư pháp", due_on=due, original_due_on=due,
        )
        out.append(Reminder(item, ReminderKind.OVERDUE, n))
    return AgencyReminders(1, "Sở Tư pháp", reminders=out), today


@pytest.mark.parametrize("count", [1, 3, 45])
def test_zalo_reminder_is_plain_numbered_and_split(count: int) -> None:
    """The day's reminder for Zalo: plain text (no tags, entities decoded), numbered 1…n
    without a break across Telegram's 30-item parts, no "press the buttons" footer, every
    message ≤ 2,000 characters, nothing lost."""
    from bot.render.reminders import reminder_messages
    from bot.render.zalo import reminder_texts

    group, today = _reminders(count)
    parts = reminder_messages(group, today, max_shown=max(1, count))  # every item, as bot.services.zalo renders it
    texts = reminder_texts(parts)
    joined = "\n".join(texts)
    assert all(units(t) <= ZALO_LIMIT for t in texts)
    assert "<b>" not in joined and "&amp;" not in joined and "& <chuyển đổi số>" in joined
    assert "Bấm số nhiệm vụ" not in joined and "phần 1/" not in joined
    assert joined.count("🔔 Nhắc việc — Sở Tư pháp") == 1
    numbers = [int(line.split(".")[0]) for line in joined.split("\n") if line[:1].isdigit() and ". " in line[:5]]
    assert numbers == list(range(1, count + 1))
    assert joined.count("Trả lời tin nhắn này để cập nhật") == 1 and "Trả lời tin nhắn này để cập nhật" in texts[-1]
    assert (len(texts) > 1) is (count == 45)


def test_zalo_reminder_carries_the_console_link_when_there_is_one() -> None:
    from bot.render.reminders import reminder_messages
    from bot.render.zalo import reminder_texts

    group, today = _reminders(2)
    parts = reminder_messages(group, today, max_shown=2)  # type: ignore[arg-type]
    url = "https://nhacviec.example.gov.vn/web/a/12.1767225600.0123456789abcdef0123456789abcdef"
    with_link = reminder_texts(parts, console_url=url)
    assert with_link[-1].endswith(f"Gửi tệp minh chứng, xem chi tiết: {url}")
    assert "/web/a/" not in "\n".join(reminder_texts(parts))
