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
from bot.domain.reminders import AgencyReminders, Reminder, ReminderItem, ReminderKind
from bot.domain.status import Status
from bot.render.reminders import (
    escalation_messages,
    plain_text,
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


def test_long_lists_split_into_numbered_parts_without_loss():
    many = [reminder(n, date(2025, 6, 30), ReminderKind.DUE_SOON, title=f"Việc {n} " + "rất dài " * 12) for n in range(1, 41)]
    overdue = [reminder(n, date(2025, 6, 2), ReminderKind.OVERDUE, title=f"Cũ {n} " + "x " * 40) for n in range(41, 61)]
    parts = reminder_messages(group(*many, *overdue), TODAY, limit=2500)
    assert len(parts) >= 3
    numbers = []
    for index, part in enumerate(parts, 1):
        assert len(part.text) <= 2500
        assert f"(phần {index}/{len(parts)})" in part.text.splitlines()[0]
        parse_text(part.text, "HTML")
        shown = [int(line.split(".")[0]) for line in plain_text(part.text).splitlines() if line[:1].isdigit()]
        assert shown == list(range(part.first_number, part.first_number + len(part.due_item_ids)))
        assert [data for row in part.buttons for _, data in row] == [encode(OpenCard(i)) for i in part.due_item_ids]
        numbers += shown
    assert numbers == list(range(1, 61))
    # A part that continues a section repeats its heading.
    assert any("(tiếp)" in p.text for p in parts[1:])



def test_escalation_and_unreachable_texts():
    [alert] = escalation_messages([reminder(1, date(2025, 1, 30), ReminderKind.OVERDUE)], TODAY, after_days=14)
    text = plain_text(alert.text)
    assert text.startswith("🚨 Nhiệm vụ quá hạn trên 14 ngày") and "1. Sở Tư pháp: Nhiệm vụ 1" in text
    assert alert.buttons == ()
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
