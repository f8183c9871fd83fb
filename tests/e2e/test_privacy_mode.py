"""Privacy mode, end to end against the fake Bot API server (which models it: in a group a
bot that is not an admin receives only commands and replies to its own messages).

- Privacy on, bot a plain member: "1 xong" typed without replying never reaches the bot —
  /dangky and /help tell the group to reply to the reminder, or to make the bot an admin.
- Bot made a group admin: the same "1 xong" typed straight is recorded against the chat's
  latest reminder, "NV<code> đang làm 50%" too, and the group's own talk gets no answer.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from bot.db.models import DueItem, OutboxMessage, Status
from scheduler.reminders import engine_for
from tests.e2e.conftest import ADMIN, FOCAL, NEW_GROUP, STP_GROUP, BotWorld


async def _reminder(w: BotWorld, day: date):
    engine = engine_for(w.app)
    assert engine is not None
    await engine.tick(day)
    await engine.drain(w.app.bot)  # type: ignore[attr-defined]
    [message] = [m for m in w.server.messages_in(STP_GROUP) if (m.text or "").startswith("🔔 Nhắc việc")]
    async with w.sm() as s:
        row = await s.scalar(
            select(OutboxMessage).where(OutboxMessage.tg_chat_id == STP_GROUP, OutboxMessage.tg_message_id == message.message_id)
        )
        assert row is not None and row.due_item_ids
        return message, list(row.due_item_ids)


async def _status(w: BotWorld, item_id: int) -> tuple[Status, int]:
    async with w.sm() as s:
        item = await s.get(DueItem, item_id)
        assert item is not None
        return item.status, item.progress


async def test_privacy_mode_on_plain_messages_never_arrive_and_the_group_is_told_how_to_answer(bot_world: BotWorld) -> None:
    w = bot_world
    w.server.add_chat(NEW_GROUP, title="Nhóm mới", members=[ADMIN, FOCAL])
    [bound] = await w.send(NEW_GROUP, ADMIN, "/dangky Sở Tư pháp")
    assert "đã được đăng ký nhận nhắc việc của Sở Tư pháp" in bound.text
    assert "bấm “Trả lời” (reply) vào tin nhắc việc của bot" in bound.text
    assert "đặt bot làm quản trị viên nhóm" in bound.text

    await w.bind(STP_GROUP, "so-tu-phap")
    [help_text] = await w.send(STP_GROUP, FOCAL, "/help")
    assert "Tin gõ thẳng mà không trả lời tin của bot thì bot KHÔNG nhận được" in help_text.text

    _, ids = await _reminder(w, date(2025, 6, 23))
    before = len(w.server.messages_in(STP_GROUP))
    w.server.send_text(STP_GROUP, FOCAL, "1 xong")
    await w.settle()
    assert len(w.server.messages_in(STP_GROUP)) == before
    assert w.server.undelivered[-1].message["text"] == "1 xong"
    assert "privacy mode" in w.server.undelivered[-1].reason
    assert (await _status(w, ids[0]))[0] is Status.PENDING


async def test_bot_as_group_admin_takes_5_xong_typed_without_replying(bot_world: BotWorld) -> None:
    w = bot_world
    await w.bind(STP_GROUP, "so-tu-phap")
    w.server.set_bot_admin(STP_GROUP)
    [help_text] = await w.send(STP_GROUP, FOCAL, "/help")
    assert "gõ thẳng trong nhóm “5 xong”" in help_text.text and "bot là quản trị viên nhóm" in help_text.text

    _, ids = await _reminder(w, date(2025, 6, 23))
    assert len(ids) >= 2
    # The group's own talk: received (the bot is an admin) but not answered.
    before = len(w.server.messages_in(STP_GROUP))
    for chatter in ("Chào cả nhà", "15/12 họp giao ban nhé", "ok"):
        w.server.send_text(STP_GROUP, FOCAL, chatter)
    await w.settle()
    assert len(w.server.messages_in(STP_GROUP)) == before
    assert not w.server.undelivered

    [recorded] = await w.send(STP_GROUP, FOCAL, "1 xong")
    assert recorded.text.startswith("✅ Đã ghi nhận")
    assert (await _status(w, ids[0]))[0] is Status.DONE

    async with w.sm() as s:
        second = await s.get(DueItem, ids[1])
        assert second is not None
        code = f"NV{second.task_id}"
    [progress] = await w.send(STP_GROUP, FOCAL, f"{code} đang làm 50%")
    assert progress.text.startswith("✅ Đã ghi nhận")
    async with w.sm() as s:
        items = list(await s.scalars(select(DueItem).where(DueItem.task_id == second.task_id, DueItem.status == Status.IN_PROGRESS)))
    assert items and all(i.progress == 50 for i in items)
