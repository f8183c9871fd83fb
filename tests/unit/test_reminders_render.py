"""Reminder texts: the DESIGN.md layout, HTML escaping, buttons, splitting without loss."""

from __future__ import annotations

import asyncio
import sys
from collections import deque
from datetime import date
from pathlib import Path

import pytest
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.domain.callbacks import OpenCard, encode
from bot.domain.reminders import AgencyReminders, Reminder, ReminderItem, ReminderKind, summarize_escalation
from bot.domain.status import Status
from bot.render.reminders import (
    CAPTION_LIMIT,
    escalation_message,
    plain_text,
    reminder_message,
    reminder_messages,
    unreachable_notice,
    unreachable_reason,
)
from bot.services.sender import Pacer, telegram_answered

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:  # `tests` is not an installed package
    sys.path.insert(0, str(_ROOT))
from tests.fakebot import parse_text  # noqa: E402  (Telegram's HTML rules, strict)

TODAY = date(2025, 6, 23)


def reminder(n: int, due: date, kind: ReminderKind, *, title: str | None = None, inherited: str | None = None, **kw) -> Reminder:
    item = ReminderItem(
        due_item_id=1000 + n, task_id=n, task_ref=str(n), plan_number="1782/KH-UBND",
        title=title or f"Nhiệm vụ {n}", agency_id=1, agency_name="Sở Tư pháp", due_on=due,
        original_due_on=kw.pop("original", due), **kw,
    )
    days = (TODAY - due).days if kind is ReminderKind.OVERDUE else (due - TODAY).days
    return Reminder(item, kind, days, inherited)


def group(*reminders: Reminder, name: str = "Sở Tư pháp") -> AgencyReminders:
    return AgencyReminders(1, name, reminders=list(reminders))


def test_message_matches_the_design_example():
    [part] = reminder_messages(
        group(
            reminder(2, date(2025, 6, 30), ReminderKind.DUE_SOON,
                     title="Số hoá dữ liệu hộ tịch, đồng bộ CSDL quốc gia về dân cư"),
            reminder(1, date(2025, 1, 30), ReminderKind.OVERDUE,
                     title="Xây dựng Kế hoạch kiểm tra, rà soát văn bản QPPL"),
        ),
        TODAY,
    )
    text = plain_text(part.text)
    assert text == (
        "🔔 Nhắc việc — Sở Tư pháp\n"
        "Thứ Hai, 23/06/2025\n\n"
        "⛔ Quá hạn\n"
        "1. Xây dựng Kế hoạch kiểm tra, rà soát văn bản QPPL (KH 1782/KH-UBND · NV1)\n"
        "   Hạn 30/01/2025 · quá hạn 144 ngày\n"
        "⏰ Sắp đến hạn\n"
        "2. Số hoá dữ liệu hộ tịch, đồng bộ CSDL quốc gia về dân cư (KH 1782/KH-UBND · NV2)\n"
        "   Hạn 30/06/2025 · còn 7 ngày\n\n"
        "Bấm số nhiệm vụ bên dưới để cập nhật, hoặc trả lời tin nhắn này, "
        "ví dụ: “1 xong”, “2 đang làm 60%”."
    )
    assert part.due_item_ids == (1001, 1002) and part.first_number == 1
    assert part.buttons == ((("✏️ 1", "u:1001"), ("✏️ 2", "u:1002")),)
    parse_text(part.text, "HTML")  # Telegram (the fake's strict parser) accepts it


def test_plan_text_is_escaped_everywhere():
    [part] = reminder_messages(
        group(
            reminder(1, date(2025, 6, 30), ReminderKind.DUE_SOON, title="Sửa <Quy chế> & <b>đậm</b>",
                     inherited="Sở TT&TT"),
            name="Sở <KH> & CN",
        ),
        TODAY,
    )
    assert "&lt;Quy chế&gt; &amp; &lt;b&gt;đậm&lt;/b&gt;" in part.text
    assert "Sở &lt;KH&gt; &amp; CN" in part.text and "chuyển từ Sở TT&amp;TT" in part.text
    assert parse_text(part.text, "HTML").text.count("<b>đậm</b>") == 1


def test_status_and_extension_details():
    [part] = reminder_messages(
        group(
            reminder(1, date(2025, 7, 23), ReminderKind.DUE_SOON, status=Status.EXTENDED, original=date(2025, 7, 1)),
            reminder(2, date(2025, 6, 23), ReminderKind.DUE_SOON, status=Status.IN_PROGRESS, progress=60),
            reminder(3, date(2025, 6, 20), ReminderKind.OVERDUE, status=Status.BLOCKED),
        ),
        TODAY,
    )
    text = plain_text(part.text)
    assert "Hạn 23/07/2025 (gia hạn từ 01/07/2025) · còn 30 ngày" in text
    assert "Hạn 23/06/2025 · đến hạn hôm nay · đang thực hiện 60%" in text
    assert "quá hạn 3 ngày · vướng mắc" in text


def test_a_long_list_is_one_message_most_urgent_first_the_rest_counted():
    """60 items: ONE message (never "phần 1/3"): due today, then overdue most recent first,
    then upcoming; 10 items in full, the other 50 counted, a button to the console's list."""
    upcoming = [reminder(n, date(2025, 6, 30), ReminderKind.DUE_SOON, title=f"Việc {n} " + "rất dài " * 12) for n in range(1, 41)]
    old = [reminder(n, date(2025, 1, 2), ReminderKind.OVERDUE, title=f"Cũ {n}") for n in range(41, 58)]
    recent = [reminder(n, date(2025, 6, 20), ReminderKind.OVERDUE, title=f"Mới quá hạn {n}") for n in (59, 58)]
    today = [reminder(60, TODAY, ReminderKind.DUE_SOON, title="Hôm nay")]
    url = "https://nhacviec.example.gov.vn/web/tasks?agency=1"
    parts = reminder_messages(group(*upcoming, *old, *recent, *today), TODAY, more_url=url)
    assert len(parts) == 1
    [part] = parts
    text = plain_text(part.text)
    assert "phần" not in text and len(part.text) <= 4096
    parse_text(part.text, "HTML")
    shown = [line.split(" (KH")[0] for line in text.splitlines() if line[:1].isdigit()]
    assert shown == [
        "1. Hôm nay", "2. Mới quá hạn 58", "3. Mới quá hạn 59",  # NV58 before NV59
        "4. Cũ 41", "5. Cũ 42", "6. Cũ 43", "7. Cũ 44", "8. Cũ 45", "9. Cũ 46", "10. Cũ 47",
    ]
    sections = [line for line in text.splitlines() if line and line[0] in "📌⛔⏰"]
    assert sections == ["📌 Đến hạn hôm nay", "⛔ Quá hạn"]
    assert "… và 50 nhiệm vụ khác (10 quá hạn, 40 sắp đến hạn): bấm “📋 Xem tất cả” hoặc gõ /tiendo" in text
    assert part.due_item_ids == (1060, 1058, 1059, *range(1041, 1048))
    assert part.buttons[-1] == (("📋 Xem tất cả (60)", url),)
    item_buttons = [data for row in part.buttons[:-1] for _, data in row]
    assert item_buttons == [encode(OpenCard(i)) for i in part.due_item_ids]


def test_one_item_over_the_limit_is_shown_rather_than_hidden_and_no_url_means_tiendo():
    eleven = [reminder(n, date(2025, 6, 30), ReminderKind.DUE_SOON) for n in range(1, 12)]
    part = reminder_message(group(*eleven), TODAY)
    assert part is not None and len(part.due_item_ids) == 11 and "khác" not in part.text
    twelve = [reminder(n, date(2025, 6, 30), ReminderKind.DUE_SOON) for n in range(1, 13)]
    part = reminder_message(group(*twelve), TODAY)
    assert part is not None and len(part.due_item_ids) == 10
    assert "… và <b>2</b> nhiệm vụ khác (2 sắp đến hạn): gõ /tiendo trong nhóm để xem đủ danh sách." in part.text
    assert all(not data.startswith("http") for row in part.buttons for _, data in row)
    assert reminder_message(group(), TODAY) is None


def test_escalation_is_one_captioned_excel_file_under_the_caption_limit():
    import io

    from openpyxl import load_workbook

    many = [
        Reminder(
            ReminderItem(
                due_item_id=n, task_id=n, task_ref=str(n), plan_number="1782/KH-UBND", title="Việc <quan trọng> " * 20,
                agency_name=f"Sở số {n % 23} & Cơ quan có tên rất dài để thử", agency_id=n % 23,
                due_on=date(2025, 1, 1), original_due_on=date(2025, 1, 1),
            ),
            ReminderKind.OVERDUE, 173 + n % 7,
        )
        for n in range(1, 301)
    ]
    summary = summarize_escalation(many, worst=5)
    alert = escalation_message(summary, TODAY, after_days=14)
    assert alert is not None and alert.buttons == ()
    text = plain_text(alert.text)
    assert len(text) <= CAPTION_LIMIT and "phần" not in text
    assert text.startswith("🚨 Quá hạn trên 14 ngày — Thứ Hai, 23/06/2025\n300 nhiệm vụ mới chuyển lãnh đạo, 23 cơ quan.")
    parse_text(alert.text, "HTML")
    assert alert.attachment_name == "qua-han-2025-06-23.xlsx"
    sheet = load_workbook(io.BytesIO(alert.attachment or b"")).active
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert len(rows) == 300 and rows[0][6] == 179  # most overdue first
    assert [r[1] for r in rows[:3]] == ["NV6", "NV13", "NV20"]  # NV6 before NV13 (natural order)

    small = escalation_message(summarize_escalation(many[:2]), TODAY, after_days=14)
    assert small is not None
    text = plain_text(small.text)
    assert "Theo cơ quan: Sở số 1 & Cơ quan có tên rất dài để thử 1 · Sở số 2 & Cơ quan có tên rất dài để thử 1" in text
    assert "1. Sở số 2" in text and "(NV2) — quá hạn 175 ngày\n2. Sở số 1" in text


def test_unreachable_texts():
    notice = unreachable_notice(agency_name="Sở <A>", chat_title="Nhóm & 1", tg_chat_id=-1001, reason="x")
    parse_text(notice, "HTML")
    assert unreachable_reason("Forbidden: bot was kicked from the group chat") == "bot đã bị xoá khỏi nhóm"
    assert unreachable_reason("Chat not found") == "không tìm thấy nhóm"


# --- sender building blocks ---------------------------------------------------------------------


def test_pacer_sliding_windows_with_a_fake_clock():
    now = [100.0]
    pacer = Pacer(per_second=30, group_per_minute=20, spare=1, margin=0.0, clock=lambda: now[0])
    assert pacer.chat_wait(-5) == 0
    for _ in range(20):
        pacer._per_chat.setdefault(-5, deque()).append(now[0])
    assert pacer.chat_wait(-5) == pytest.approx(60.0)
    now[0] += 60.5
    assert pacer.chat_wait(-5) == 0
    pacer._per_chat[7] = deque([now[0]])
    assert pacer.chat_wait(7) == pytest.approx(1.0)  # private chats: one a second
    pacer.hold(9, 7.0)
    assert pacer.chat_wait(9) == pytest.approx(7.0)


async def test_pacer_spaces_sends_evenly_and_caps_a_rolling_second():
    now = [0.0]
    pacer = Pacer(per_second=30, spare=1, margin=0.05, clock=lambda: now[0])
    assert pacer.min_interval == pytest.approx(1.0 / 29)
    await pacer.acquire(1)
    second = asyncio.ensure_future(pacer.acquire(2))
    await asyncio.sleep(0)
    assert not second.done()  # 36 ms apart, not in a burst
    now[0] += pacer.min_interval
    await asyncio.wait_for(second, 1)
    for n in range(27):
        now[0] += pacer.min_interval
        await pacer.acquire(3 + n)
    assert len(pacer._sent) == 29  # at most 29 in any second: one a second left for replies
    assert pacer._sent[-1] - pacer._sent[0] < pacer.global_window


async def test_pacer_counts_a_message_until_a_second_after_its_answer():
    """A request the machine put on the wire late may reach Telegram any time before its
    answer: a message counts from its slot until one second after the answer came back."""
    now = [100.0]
    pacer = Pacer(per_second=30, spare=1, clock=lambda: now[0])
    slots = []
    for n in range(29):
        slots.append(await pacer.acquire(-n))
        now[0] += pacer.min_interval
    now[0] += 5.0  # long after every slot was taken, but no answer has come back
    blocked = asyncio.ensure_future(pacer.acquire(-100))
    await asyncio.sleep(0)
    assert not blocked.done()  # 29 in flight: any of them may still land in Telegram's next second
    slots[0].release()
    slots[0].release()  # idempotent
    await asyncio.sleep(0)
    assert not blocked.done()  # answered just now: it may have arrived just now
    now[0] += 0.5
    await asyncio.sleep(0)
    assert not blocked.done()
    now[0] += 0.5  # a full second after that answer
    await asyncio.wait_for(blocked, 5)


def test_only_telegrams_own_json_answer_counts_as_its_word():
    """A gateway's HTML page (PTB chains the failed JSON decoding as the cause) proves
    nothing about the message, whatever its status: it is retried, never a final error."""
    def wrapped(exc: TelegramError, cause: Exception | None) -> TelegramError:
        exc.__cause__ = cause
        return exc

    assert telegram_answered(wrapped(BadRequest("Bad Request: chat not found"), None))
    assert telegram_answered(wrapped(Forbidden("Forbidden: bot was kicked"), None))
    assert not telegram_answered(wrapped(BadRequest("Bad Gateway (502). Parsing failed"), TelegramError("Invalid server response")))
    assert not telegram_answered(wrapped(Forbidden("Forbidden (403). Parsing failed"), TelegramError("Invalid server response")))
