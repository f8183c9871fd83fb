"""Snooze, pause and "không thực hiện" end to end: the real bot against the fake Bot API
server, on SQLite and PostgreSQL — each stops exactly its reminders and is recorded."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from bot.db import status_changes as status_changes_repo
from bot.db.models import DueItem, OutboxMessage, ReminderHold
from bot.domain.kinds import HoldKind
from bot.domain.reminders import reminder_kind
from bot.services.reminders import collect_reminders
from scheduler.reminders import engine_for
from tests.e2e.conftest import ADMIN, FOCAL, STP_GROUP, BotWorld


def _engine(w: BotWorld):
    engine = engine_for(w.app)
    assert engine is not None
    return engine


async def _tasks_on(w: BotWorld, day: date, agency_id: int) -> set[int]:
    engine = _engine(w)
    async with w.sm() as s:
        found = await collect_reminders(s, on_date=day, calendar=engine.calendar, policy=engine.policy)
    return {r.item.task_id for g in found.groups if g.agency_id == agency_id for r in g.reminders}


async def test_snooze_pause_resume_and_drop_each_stop_their_reminders_and_are_recorded(bot_world: BotWorld) -> None:
    w = bot_world
    engine = _engine(w)
    await w.bind(STP_GROUP, "so-tu-phap")
    stp = await w.agency_id("so-tu-phap")
    await engine.tick(date(2025, 6, 23))
    await engine.drain(w.app.bot)  # type: ignore[attr-defined]
    [reminder] = [m for m in w.server.messages_in(STP_GROUP) if (m.text or "").startswith("🔔 Nhắc việc")]
    async with w.sm() as s:
        row = await s.scalar(select(OutboxMessage).where(OutboxMessage.tg_message_id == reminder.message_id,
                                                         OutboxMessage.tg_chat_id == STP_GROUP))
        assert row is not None and row.due_item_ids and len(row.due_item_ids) >= 2
        first = await s.get(DueItem, row.due_item_ids[0])
        second = await s.get(DueItem, row.due_item_ids[1])
        assert first is not None and second is not None
    snoozed_task, dropped_task = first.task_id, second.task_id
    # The next working day each is reminded on, without any hold (the policy's own cadence).
    def next_day(item: DueItem, after: date) -> date:
        day = after + timedelta(days=1)
        while reminder_kind(item.due_on, day, calendar=engine.calendar, policy=engine.policy) is None:
            day += timedelta(days=1)
        return day

    soon = next_day(first, date(2025, 6, 23))
    assert snoozed_task in await _tasks_on(w, soon, stp)

    # 1. "tạm dừng nhắc 1 đến …" replying to the reminder: that task only, until the date.
    until = soon + timedelta(days=10)
    before = len(w.server.messages_in(STP_GROUP))
    w.server.send_text(STP_GROUP, FOCAL, f"tạm dừng nhắc 1 đến {until:%d/%m/%Y} vì chờ Bộ hướng dẫn",
                       reply_to_message_id=reminder.message_id)
    [answer] = (await w.server.wait_for_sent(STP_GROUP, before + 1))[before:]
    await w.settle()
    assert answer.text.startswith(f"⏸ Đã tạm dừng nhắc NV{snoozed_task}. Nhắc lại từ ngày {until:%d/%m/%Y}.")
    assert snoozed_task not in await _tasks_on(w, soon, stp)
    assert dropped_task in await _tasks_on(w, next_day(second, date(2025, 6, 23)), stp)
    assert snoozed_task in await _tasks_on(w, next_day(first, until - timedelta(days=1)), stp)
    async with w.sm() as s:
        notes = [c.note for c in await status_changes_repo.history(s, due_item_id=first.id)]
        assert f"Tạm dừng nhắc đến {until:%d/%m/%Y}: chờ Bộ hướng dẫn" in notes

    # 2. /khongthuchien: admins only, with a reason; never reminded again.
    [refused] = await w.send(STP_GROUP, FOCAL, f"/khongthuchien NV{dropped_task} không còn phù hợp")
    assert refused.text.startswith("Cách dùng: /khongthuchien NV12 lý do")
    [dropped] = await w.send(STP_GROUP, ADMIN, f"/khongthuchien NV{dropped_task} nội dung đã sáp nhập vào nhiệm vụ khác")
    assert dropped.text.startswith(f"🚫 NV{dropped_task}: ghi nhận không thực hiện")
    for day in (date(2025, 6, 26), date(2025, 7, 1), date(2025, 12, 1)):
        assert dropped_task not in await _tasks_on(w, day, stp)
    async with w.sm() as s:
        notes = [c.note for c in await status_changes_repo.history(s, due_item_id=second.id)]
        assert "Không thực hiện: nội dung đã sáp nhập vào nhiệm vụ khác" in notes

    # /tiendo shows both as such — on hold, dropped — and neither as overdue.
    pages = await w.send(STP_GROUP, FOCAL, "/tiendo")
    text = "\n".join(m.text or "" for m in pages)
    assert "⏸ Tạm dừng nhắc, không thực hiện" in text
    before_held, held = text.split("⏸ Tạm dừng nhắc, không thực hiện", 1)
    assert f"mã NV{snoozed_task})" in held and f"mã NV{dropped_task})" in held
    assert f"Tạm dừng nhắc đến {until:%d/%m/%Y}" in held and "· Không thực hiện" in held
    assert f"mã NV{snoozed_task})" not in before_held and f"mã NV{dropped_task})" not in before_held

    # 3. /tamdung: the whole agency, until /tieptuc.
    day = next_day(first, until)
    assert await _tasks_on(w, day, stp)
    [paused] = await w.send(STP_GROUP, FOCAL, "/tamdung cán bộ đầu mối nghỉ phép")
    assert paused.text.startswith("⏸ Đã tạm dừng nhắc việc của Sở Tư pháp. Gõ /tieptuc để nhắc lại.")
    assert await _tasks_on(w, day, stp) == set()
    [resumed] = await w.send(STP_GROUP, FOCAL, "/tieptuc")
    assert resumed.text.startswith("▶️ Đã tiếp tục nhắc việc của Sở Tư pháp")
    assert snoozed_task in await _tasks_on(w, day, stp)
    async with w.sm() as s:
        holds = list(await s.scalars(select(ReminderHold).order_by(ReminderHold.id)))
    kinds = [(h.kind, h.ended_at is not None) for h in holds]
    assert (HoldKind.PAUSE, True) in kinds and (HoldKind.WAIVE, False) in kinds and (HoldKind.SNOOZE, False) in kinds
