"""Focal points end to end: /daumoi in a group (several per agency, `bo` to leave), the
@mention in the agency's daily reminder, and the private copy (`/daumoi rieng`) answered
like the group's — the real bot against the fake Bot API server, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from bot.db.models import DueItem, FocalPoint, Status
from scheduler.reminders import engine_for
from tests.e2e.conftest import ADMIN, FOCAL, SNV_GROUP, STP_GROUP, BotWorld


async def _tick(w: BotWorld, day: date) -> None:
    engine = engine_for(w.app)
    assert engine is not None
    await engine.tick(day)
    await engine.drain(w.app.bot)  # type: ignore[attr-defined]


def _mentioned(message) -> set[int]:
    return {e["user"]["id"] for e in message.entities if e["type"] == "text_mention"}


async def test_focal_points_register_are_mentioned_get_a_private_copy_and_leave(bot_world: BotWorld) -> None:
    w = bot_world
    await w.bind(STP_GROUP, "so-tu-phap")

    [unbound] = await w.send(SNV_GROUP, FOCAL, "/daumoi")
    assert "chưa được đăng ký cho cơ quan nào" in unbound.text
    [usage] = await w.send(STP_GROUP, FOCAL, "/daumoi linh tinh")
    assert usage.text.startswith("Cách dùng trong nhóm của cơ quan")

    [first] = await w.send(STP_GROUP, FOCAL, "/daumoi")
    assert first.text.startswith("✅ Đã đăng ký Đầu mối STP là đầu mối của Sở Tư pháp")
    [second] = await w.send(STP_GROUP, ADMIN, "/daumoi")
    assert "Đầu mối hiện nay: Đầu mối STP, Quản trị." in second.text
    [again] = await w.send(STP_GROUP, ADMIN, "/daumoi")
    assert again.text.startswith("Quản trị đã là đầu mối của Sở Tư pháp.")
    [private] = await w.send(STP_GROUP, FOCAL, "/daumoi rieng")
    assert "sẽ nhận thêm tin nhắc việc trong tin nhắn riêng" in private.text

    await _tick(w, date(2025, 6, 23))
    [group_reminder] = [m for m in w.server.messages_in(STP_GROUP) if (m.text or "").startswith("🔔 Nhắc việc")]
    assert group_reminder.text.splitlines()[2] == "👤 Đầu mối: Đầu mối STP, Quản trị"
    assert _mentioned(group_reminder) == {FOCAL, ADMIN}
    [copy] = [m for m in w.server.messages_in(FOCAL) if (m.text or "").startswith("🔔 Nhắc việc")]
    assert copy.text == group_reminder.text

    # An answer in the private chat is the agency's answer.
    before = len(w.server.messages_in(FOCAL))
    w.server.send_text(FOCAL, FOCAL, "1 xong", reply_to_message_id=copy.message_id)
    await w.server.wait_for_sent(FOCAL, before + 1)
    await w.settle()
    assert "Đã ghi nhận" in (w.server.messages_in(FOCAL)[before].text or "")
    first_id = await _first_item(w, STP_GROUP, group_reminder.message_id)
    async with w.sm() as s:
        item = await s.get(DueItem, first_id)
        assert item is not None and item.status is Status.DONE

    [left] = await w.send(STP_GROUP, FOCAL, "/daumoi bo")
    assert left.text.startswith("Đầu mối STP không còn là đầu mối của Sở Tư pháp.")
    [not_one] = await w.send(STP_GROUP, FOCAL, "/daumoi bo")
    assert "chưa đăng ký là đầu mối" in not_one.text
    async with w.sm() as s:
        rows = list(await s.scalars(select(FocalPoint).order_by(FocalPoint.id)))
    assert [(r.tg_user_id, r.active, r.private_copy) for r in rows] == [(FOCAL, False, False), (ADMIN, True, False)]

    copies_before = len(w.server.messages_in(FOCAL))
    await _tick(w, date(2025, 6, 24))
    tuesday = [m for m in w.server.messages_in(STP_GROUP) if (m.text or "").startswith("🔔 Nhắc việc") and "24/06/2025" in m.text]
    for message in tuesday:
        assert _mentioned(message) == {ADMIN}
    assert len(w.server.messages_in(FOCAL)) == copies_before  # no private copy any more


async def _first_item(w: BotWorld, tg_chat_id: int, message_id: int) -> int:
    from bot.db.models import OutboxMessage

    async with w.sm() as s:
        row = await s.scalar(
            select(OutboxMessage).where(OutboxMessage.tg_chat_id == tg_chat_id, OutboxMessage.tg_message_id == message_id)
        )
        assert row is not None and row.due_item_ids
        return row.due_item_ids[0]
