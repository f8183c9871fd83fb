"""Status updates end to end: the real bot (bot.app.build_application) against the fake Bot API
server, on SQLite and PostgreSQL, the Phú Thọ sample plan imported, today = Monday 23/06/2025.

Sở Tư pháp's reminder that day numbers three overdue items (NV11, NV31, NV32, due 31/12/2024).
Every flow is checked three ways: what the chat shows, the database (item + history rows),
and what /tiendo and /nhiemvu say afterwards.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.db import status_changes as status_changes_repo
from bot.db.models import DueItem, ExtensionRequest, OutboxMessage, StatusChange, StatusPrompt
from bot.domain.kinds import ExtensionState, FlowState, OutboxKind, OutboxStatus
from bot.domain.status import ChangeSource, Status
from scheduler.reminders import engine_for
from tests.e2e.conftest import (
    ADMIN,
    BOT_NOW,
    FOCAL,
    LEADER,
    LEADERS_GROUP,
    OTHER_FOCAL,
    SNV_GROUP,
    STP_GROUP,
    BotWorld,
)
from tests.fakebot import SentMessage

# --- helpers -------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def no_handler_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """A handler that fails is logged by the error handler (and answered with an apology):
    every test here must run without one."""
    caplog.set_level(logging.WARNING)
    yield
    problems = [f"{r.name}: {r.getMessage()}" for r in caplog.get_records("call") if r.levelno >= logging.ERROR]
    assert not problems, "\n".join(problems)



async def reminder(w: BotWorld, chat: int = STP_GROUP, code: str = "so-tu-phap") -> SentMessage:
    """Bind the chat, run today's reminder tick and deliver it; returns the reminder."""
    await w.bind(chat, code)
    engine = engine_for(w.app)
    assert engine is not None
    await engine.tick()
    await engine.drain(w.app.bot)  # type: ignore[attr-defined]
    found = await w.server.wait_for(
        lambda: [m for m in w.server.messages_in(chat) if (m.text or "").startswith("🔔")],
        message="no reminder delivered",
    )
    return found[0]


def ids_of(message: SentMessage, prefix: str = "u:") -> list[int]:
    return [int(d.split(":")[1]) for d in message.callback_data if d.startswith(prefix)]


async def item(w: BotWorld, due_item_id: int) -> DueItem:
    async with w.sm() as s:
        row = await s.get(DueItem, due_item_id)
        assert row is not None
        return row


async def history(w: BotWorld, due_item_id: int) -> list[StatusChange]:
    async with w.sm() as s:
        return [c for c in await status_changes_repo.history(s, due_item_id=due_item_id) if c.source is not ChangeSource.IMPORT]


async def reply(w: BotWorld, chat: int, user: int, to: SentMessage | int, text: str, *, expect: int = 1) -> list[SentMessage]:
    """A user answers one of the bot's messages; returns the bot's `expect` new messages."""
    before = len(w.server.messages_in(chat))
    target = to if isinstance(to, int) else to.message_id
    w.server.send_text(chat, user, text, reply_to_message_id=target)
    sent = await w.server.wait_for_sent(chat, before + expect)
    await w.server.wait_until_idle()
    return sent[before:]


async def tap(w: BotWorld, chat: int, user: int, message: SentMessage | int, data: str, *, strict: bool = True) -> str | None:
    """Press a button; returns the callback answer's text once the bot is idle again."""
    mid = message if isinstance(message, int) else message.message_id
    current = w.server.message(chat, mid)
    assert current is not None
    msg = SentMessage("sendMessage", chat, mid, current.get("text"), None, None, [], current.get("reply_markup"))
    query = await w.press(chat, user, msg, data, strict=strict)
    await w.server.wait_until_idle()
    answer = w.server.answer_for(query)
    assert answer is not None
    return answer.text


def buttons(w: BotWorld, chat: int, message_id: int) -> list[str]:
    current = w.server.message(chat, message_id) or {}
    return [b.get("callback_data", "") for row in (current.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


def button_data(w: BotWorld, chat: int, message_id: int, label: str) -> str:
    current = w.server.message(chat, message_id) or {}
    for row in (current.get("reply_markup") or {}).get("inline_keyboard", []):
        for b in row:
            if label in b.get("text", ""):
                return b["callback_data"]
    raise AssertionError(f"no button {label!r} in message {message_id}: {current.get('reply_markup')}")


async def until(w: BotWorld, predicate: Callable[[], Any], what: str) -> Any:
    return await w.server.wait_for(predicate, message=what)


async def open_card(w: BotWorld, remind: SentMessage, number: int, user: int = FOCAL) -> SentMessage:
    """Tap 1: the reminder's button for item `number` → the task card."""
    data = remind.callback_data[number - 1]
    before = len(w.server.messages_in(STP_GROUP))
    await tap(w, STP_GROUP, user, remind, data)
    [card] = (await w.server.wait_for_sent(STP_GROUP, before + 1))[before:]
    assert card.text.startswith(f"✏️ Cập nhật nhiệm vụ {number}")
    assert card.reply_to_message_id == remind.message_id
    return card


async def leaders_post(w: BotWorld) -> SentMessage:
    """The extension request posted in the leaders' chat (which also gets escalation alerts)."""
    found = await until(
        w, lambda: [m for m in w.server.messages_in(LEADERS_GROUP) if (m.text or "").startswith("📅 Đề nghị gia hạn")],
        "extension request in the leaders' chat",
    )
    [post] = found
    return post


async def tiendo(w: BotWorld) -> str:
    """/tiendo in Sở Tư pháp's group, every page (following "Sau ▶")."""
    [answer] = await w.send(STP_GROUP, FOCAL, "/tiendo")
    pages = [answer.text or ""]
    while True:
        nxt = [d for d in buttons(w, STP_GROUP, answer.message_id) if d.startswith("pg:")]
        current = w.server.message(STP_GROUP, answer.message_id) or {}
        forward = [b["callback_data"] for row in (current.get("reply_markup") or {}).get("inline_keyboard", []) for b in row if "Sau" in b["text"]]
        if not nxt or not forward:
            return "\n".join(pages)
        before = w.text(STP_GROUP, answer.message_id)
        await tap(w, STP_GROUP, FOCAL, answer.message_id, forward[0])
        await until(w, lambda: w.text(STP_GROUP, answer.message_id) != before, "next page")
        pages.append(w.text(STP_GROUP, answer.message_id))


def overdue_count(progress: str) -> int:
    match = re.search(r"⛔ Quá hạn \((\d+)\)", progress)
    return int(match.group(1)) if match else 0


# --- buttons ---------------------------------------------------------------------------------------


async def test_done_in_two_taps_then_undo(bot_world: BotWorld) -> None:
    w = bot_world
    remind = await reminder(w)
    assert len(remind.callback_data) == 3 and all(len(d.encode()) <= 64 for d in remind.callback_data)
    first = ids_of(remind)[0]

    overdue_before = overdue_count(await tiendo(w))
    card = await open_card(w, remind, 1)  # tap 1
    assert [b["text"] for row in card.buttons for b in row] == [
        "✅ Hoàn thành", "⏳ Đang thực hiện", "⚠️ Vướng mắc", "📅 Xin gia hạn",
    ]
    assert all(len(d.encode()) <= 64 for d in card.callback_data)
    assert "Hiện tại: Chưa báo cáo" in card.text
    assert await tap(w, STP_GROUP, FOCAL, card, card.button("Hoàn thành")["callback_data"]) == "Đã ghi nhận."  # tap 2

    text = w.text(STP_GROUP, card.message_id)
    assert text.startswith("✅ Đã ghi nhận: nhiệm vụ 1 — Đã hoàn thành quá hạn (Đầu mối STP, 09:00 23/06/2025).")
    assert buttons(w, STP_GROUP, card.message_id) == [button_data(w, STP_GROUP, card.message_id, "Hoàn tác")]
    row = await item(w, first)
    assert (row.status, row.progress, row.completed_on) == (Status.DONE, 100, date(2025, 6, 23))
    [change] = await history(w, first)
    assert (change.actor_tg_id, change.actor_name, change.source) == (FOCAL, "Đầu mối STP", ChangeSource.BUTTON)
    assert (change.old_status, change.new_status, change.chat_id, change.message_id) == (
        Status.PENDING, Status.DONE, STP_GROUP, card.message_id,
    )
    progress = await tiendo(w)
    assert "✅ Đã hoàn thành (1)" in progress and overdue_count(progress) == overdue_before - 1

    # Undo: a new history row, the item as it was, the four choices back on the card.
    assert await tap(w, STP_GROUP, FOCAL, card.message_id, button_data(w, STP_GROUP, card.message_id, "Hoàn tác")) == "Đã hoàn tác."
    text = w.text(STP_GROUP, card.message_id)
    assert text.startswith("↩️ Đã hoàn tác: nhiệm vụ 1 trở lại “Chưa báo cáo” (Đầu mối STP, 09:00 23/06/2025).")
    assert len(buttons(w, STP_GROUP, card.message_id)) == 4
    row = await item(w, first)
    assert (row.status, row.progress, row.completed_on) == (Status.PENDING, 0, None)
    changes = await history(w, first)
    assert [(c.old_status, c.new_status) for c in changes] == [(Status.PENDING, Status.DONE), (Status.DONE, Status.PENDING)]
    assert changes[0].id == change.id and changes[0].new_status is Status.DONE  # never edited
    assert overdue_count(await tiendo(w)) == overdue_before

    # Undoing twice changes nothing.
    undo = f"ud:{change.id}"
    assert await tap(w, STP_GROUP, FOCAL, card.message_id, undo, strict=False) == "Thay đổi này đã được hoàn tác."
    assert len(await history(w, first)) == 2


async def test_progress_blocked_and_the_prompt_survives_a_restart(bot_world: BotWorld) -> None:
    w = bot_world
    remind = await reminder(w)
    second, third = ids_of(remind)[1:]

    # ⏳ then 50%: three taps from the reminder.
    card = await open_card(w, remind, 2)
    assert await tap(w, STP_GROUP, FOCAL, card, card.button("Đang thực hiện")["callback_data"]) is None
    await until(w, lambda: "chọn mức tiến độ" in w.text(STP_GROUP, card.message_id), "progress menu")
    assert [d.rsplit(":", 1)[1] for d in buttons(w, STP_GROUP, card.message_id)] == ["p25", "p50", "p75", "k"]
    await tap(w, STP_GROUP, FOCAL, card.message_id, button_data(w, STP_GROUP, card.message_id, "50%"))
    assert w.text(STP_GROUP, card.message_id).startswith("✅ Đã ghi nhận: nhiệm vụ 2 — Đang thực hiện 50%")
    row = await item(w, second)
    assert (row.status, row.progress) == (Status.IN_PROGRESS, 50)

    # ⚠️: the bot asks for one line; the question is a database row, not process memory.
    card = await open_card(w, remind, 3)
    await tap(w, STP_GROUP, FOCAL, card, card.button("Vướng mắc")["callback_data"])
    assert "trả lời tin nhắn này" in w.text(STP_GROUP, card.message_id)
    assert (await item(w, third)).status is Status.PENDING  # nothing recorded yet
    async with w.sm() as s:
        prompt = (await s.scalars(select(StatusPrompt).where(StatusPrompt.prompt_message_id == card.message_id))).one()
        assert prompt.state is FlowState.PENDING and prompt.tg_user_id == FOCAL

    # Restart the bot: a new Application finds the question in the database.
    app = w.app
    await app.updater.stop()  # type: ignore[attr-defined]
    await app.stop()  # type: ignore[attr-defined]
    await app.shutdown()  # type: ignore[attr-defined]
    from bot.app import build_application

    new = build_application(app.bot_data.settings, sessionmaker=w.sm, catalog=app.bot_data.catalog, clock=lambda: BOT_NOW)  # type: ignore[attr-defined]
    await new.initialize()
    await new.start()
    await new.updater.start_polling(poll_interval=0, timeout=1)  # type: ignore[union-attr]
    w.app = new
    try:
        [answer] = await reply(w, STP_GROUP, FOCAL, card, "Chưa có hướng dẫn của Bộ Tư pháp")
        assert answer.text.startswith("✅ Đã ghi nhận: nhiệm vụ 3 — Vướng mắc (Đầu mối STP, 09:00 23/06/2025).")
        assert "Vướng mắc: Chưa có hướng dẫn của Bộ Tư pháp" in answer.text
        row = await item(w, third)
        assert row.status is Status.BLOCKED
        [change] = await history(w, third)
        assert change.note == "Chưa có hướng dẫn của Bộ Tư pháp" and change.source is ChangeSource.CHAT
        assert change.message_id == answer.reply_to_message_id  # the user's own message
        async with w.sm() as s:
            assert (await s.get(StatusPrompt, prompt.id)).state is FlowState.DONE  # type: ignore[union-attr]
        assert "Vướng mắc" in w.text(STP_GROUP, card.message_id) and not buttons(w, STP_GROUP, card.message_id)
        # /nhiemvu shows the history, with who and the note; and the card to update it again.
        before = len(w.server.messages_in(STP_GROUP))
        w.server.send_command(STP_GROUP, FOCAL, "nhiemvu", f"NV{row.task_id}")
        sent = (await w.server.wait_for_sent(STP_GROUP, before + 2))[before:]
        assert "Vướng mắc — Chưa có hướng dẫn của Bộ Tư pháp" in sent[0].text and "Đầu mối STP" in sent[0].text
        assert sent[-1].text.startswith("✏️ Cập nhật nhiệm vụ NV") and len(sent[-1].callback_data) == 4
    finally:
        await new.updater.stop()  # type: ignore[union-attr]
        await new.stop()
        await new.shutdown()
        w.app = app  # stopped and shut down above: the fixture's teardown finds nothing to do


async def test_extension_approved_moves_the_due_date_and_keeps_the_original(bot_world: BotWorld) -> None:
    w = bot_world
    await w.bind(LEADERS_GROUP, leaders=True)
    remind = await reminder(w)
    first = ids_of(remind)[0]

    card = await open_card(w, remind, 1)
    await tap(w, STP_GROUP, FOCAL, card, card.button("Xin gia hạn")["callback_data"])
    assert "ngày đề nghị và lý do" in w.text(STP_GROUP, card.message_id)
    [answer] = await reply(w, STP_GROUP, FOCAL, card, "15/12/2025 vì chờ hướng dẫn của Bộ")
    assert answer.text.startswith(
        "📅 Đã gửi đề nghị gia hạn: nhiệm vụ 1 — đến 15/12/2025 (hạn hiện tại 31/12/2024) (Đầu mối STP, 09:00 23/06/2025)."
    )
    assert (await item(w, first)).status is Status.EXTENSION_REQUESTED

    post = await leaders_post(w)
    assert post.text.startswith("📅 Đề nghị gia hạn — Sở Tư pháp")
    assert "Đề nghị gia hạn đến: 15/12/2025" in post.text and "Lý do: chờ hướng dẫn của Bộ" in post.text
    # The agency cannot approve its own request, even with a crafted button.
    assert await tap(w, STP_GROUP, FOCAL, answer, post.callback_data[0], strict=False) == (
        "Chỉ nhóm lãnh đạo tỉnh hoặc quản trị viên mới duyệt được đề nghị gia hạn."
    )
    stp_before = len(w.server.messages_in(STP_GROUP))
    assert await tap(w, LEADERS_GROUP, LEADER, post, post.button("Đồng ý")["callback_data"]) == "Đã đồng ý gia hạn."
    assert "✅ Đã đồng ý (Lãnh đạo, 09:00 23/06/2025)" in w.text(LEADERS_GROUP, post.message_id)
    assert not buttons(w, LEADERS_GROUP, post.message_id)

    [outcome] = (await w.server.wait_for_sent(STP_GROUP, stp_before + 1))[stp_before:]
    assert outcome.text.startswith("✅ Đã được gia hạn: nhiệm vụ NV")
    assert "hạn mới 15/12/2025 (hạn trước 31/12/2024)" in outcome.text
    assert outcome.reply_to_message_id is not None  # answers the request it decides

    row = await item(w, first)
    assert (row.status, row.due_on, row.original_due_on) == (Status.EXTENDED, date(2025, 12, 15), date(2024, 12, 31))
    changes = await history(w, first)
    assert [c.new_status for c in changes] == [Status.EXTENSION_REQUESTED, Status.EXTENDED]
    assert changes[1].actor_tg_id == LEADER
    async with w.sm() as s:
        request = (await s.scalars(select(ExtensionRequest))).one()
        assert request.state is ExtensionState.APPROVED and request.decided_by_tg_id == LEADER

    # A second press (another leader, a repeated tap) changes nothing.
    assert "đã được đồng ý" in (await tap(w, LEADERS_GROUP, ADMIN, post.message_id, f"gh:{request.id}:no", strict=False) or "")
    assert len(await history(w, first)) == 2

    # /tiendo follows the new date; so do reminders (and not on the old schedule any more).
    progress = await tiendo(w)
    line = next(chunk for chunk in progress.split("\n\n") if f"NV{row.task_id})" in chunk and "15/12/2025" in chunk)
    assert "hạn gốc 31/12/2024" in line
    engine = engine_for(w.app)
    assert engine is not None
    from bot.services.reminders import collect_reminders

    async with w.sm() as s:
        week_before = await collect_reminders(s, on_date=date(2025, 12, 8), calendar=engine.calendar, policy=engine.policy)
        today = await collect_reminders(s, on_date=date(2025, 6, 23), calendar=engine.calendar, policy=engine.policy)
    # A task is one line per reminder: the extended date is that line's, or one of its other dates.
    def dates(day: Any) -> set[tuple[int, date]]:
        return {(r.item.task_id, d) for g in day.groups for r in g.reminders for d in (r.item.due_on, *r.other_due)}

    assert (row.task_id, date(2025, 12, 15)) in dates(week_before)
    assert first not in {r.item.due_item_id for g in today.groups for r in g.reminders}


async def test_extension_by_reply_rejected_restores_the_status(bot_world: BotWorld) -> None:
    w = bot_world
    await w.bind(LEADERS_GROUP, leaders=True)
    remind = await reminder(w)
    second = ids_of(remind)[1]
    [progress] = await reply(w, STP_GROUP, FOCAL, remind, "2 đang làm 40%")
    assert (await item(w, second)).progress == 40

    [answer] = await reply(w, STP_GROUP, FOCAL, remind, "xin gia hạn nhiệm vụ 2 đến 15/12 vì thiếu kinh phí")
    assert "đến 15/12/2025" in answer.text and "Lý do: thiếu kinh phí" in answer.text
    post = await leaders_post(w)

    stp_before = len(w.server.messages_in(STP_GROUP))
    assert await tap(w, LEADERS_GROUP, LEADER, post, post.button("Từ chối")["callback_data"]) == "Đã từ chối."
    assert "✖ Đã từ chối (Lãnh đạo" in w.text(LEADERS_GROUP, post.message_id)
    [outcome] = (await w.server.wait_for_sent(STP_GROUP, stp_before + 1))[stp_before:]
    assert outcome.text.startswith("✖ Đề nghị gia hạn bị từ chối: nhiệm vụ NV")
    assert "hạn vẫn là 31/12/2024" in outcome.text

    row = await item(w, second)
    assert (row.status, row.progress, row.due_on) == (Status.IN_PROGRESS, 40, date(2024, 12, 31))
    assert [c.new_status for c in await history(w, second)] == [
        Status.IN_PROGRESS, Status.EXTENSION_REQUESTED, Status.IN_PROGRESS,
    ]
    assert "quá hạn" in await tiendo(w)


async def test_extension_outcome_survives_a_failing_group_send(bot_world: BotWorld) -> None:
    """The outcome of a leader's decision reaches the agency's group through the outbox,
    queued with the decision: Telegram failing (5xx) when the leader presses loses nothing;
    it goes once afterwards, as an answer to the request, and a reply to it finds the item."""
    w = bot_world
    await w.bind(LEADERS_GROUP, leaders=True)
    remind = await reminder(w)
    second = ids_of(remind)[1]
    await reply(w, STP_GROUP, FOCAL, remind, "xin gia hạn nhiệm vụ 2 đến 15/12 vì thiếu kinh phí")
    post = await leaders_post(w)
    async with w.sm() as s:
        request = (await s.scalars(select(ExtensionRequest))).one()
    assert request.source_message_id is not None

    stp_before = len(w.server.messages_in(STP_GROUP))
    w.server.fail_next("sendMessage", 502)  # the group's message, when the leader presses
    assert await tap(w, LEADERS_GROUP, LEADER, post, post.button("Đồng ý")["callback_data"]) == "Đã đồng ý gia hạn."
    assert "✅ Đã đồng ý (Lãnh đạo" in w.text(LEADERS_GROUP, post.message_id)  # the pressed post: at once
    await w.server.wait_for(lambda: not w.server._faults.get("sendmessage"), message="Telegram was never tried")  # noqa: SLF001
    assert (await item(w, second)).status is Status.EXTENDED  # the decision stands though the group was not told yet

    def notice() -> Any:
        return select(OutboxMessage).where(OutboxMessage.kind == OutboxKind.NOTICE, OutboxMessage.tg_chat_id == STP_GROUP)

    row = None
    for _ in range(60):  # the bot's clock stands still: let the backoff pass, wake the sender
        async with w.sm() as s:
            row = (await s.scalars(notice())).one()
        if row.status is OutboxStatus.SENT:
            break
        await w.let_retries_come_due()
        await asyncio.sleep(0.25)
    assert row is not None and row.status is OutboxStatus.SENT and row.attempts == 2  # failed once, sent once
    await w.server.wait_until_idle()
    new = [m for m in w.server.messages_in(STP_GROUP)[stp_before:] if "gia hạn" in (m.text or "")]
    assert len(new) == 1 and new[0].message_id == row.tg_message_id, [m.text for m in new]
    outcome = new[0]
    assert outcome.text.startswith("✅ Đã được gia hạn: nhiệm vụ NV")
    assert outcome.reply_to_message_id == request.source_message_id  # answers the request it decides

    # A reply to the outcome is about its item.
    [done] = await reply(w, STP_GROUP, FOCAL, outcome, "đã xong")
    assert done.text.startswith("✅ Đã ghi nhận"), done.text
    assert (await item(w, second)).status is Status.DONE


# --- replies ---------------------------------------------------------------------------------------


async def test_plain_replies_are_understood_and_confirmed(bot_world: BotWorld) -> None:
    w = bot_world
    remind = await reminder(w)
    first, second, third = ids_of(remind)

    [done] = await reply(w, STP_GROUP, FOCAL, remind, "1 xong roi, da ban hanh QD so 123/QĐ-UBND ngay 10/6/2025")
    assert done.text.startswith("✅ Đã ghi nhận: nhiệm vụ 1 — Đã hoàn thành quá hạn (Đầu mối STP, 09:00 23/06/2025).")
    assert "Văn bản: Quyết định 123/QĐ-UBND ngày 10/06/2025" in done.text
    [change] = await history(w, first)
    assert change.evidence == {
        "documents": [{"text": "QD so 123/QĐ-UBND ngay 10/6/2025", "kind": "Quyết định", "number": "123/QĐ-UBND", "issued_on": "2025-06-10"}]
    }
    assert change.source is ChangeSource.CHAT and change.message_id == done.reply_to_message_id

    [both] = await reply(w, STP_GROUP, FOCAL, remind, "nv2 đang làm 60%; 3: vướng mắc do chưa có hướng dẫn của Bộ")
    assert "nhiệm vụ 2 — Đang thực hiện 60%" in both.text and "nhiệm vụ 3 — Vướng mắc" in both.text
    assert "Vướng mắc: chưa có hướng dẫn của Bộ" in both.text
    assert [b["text"] for row in both.buttons for b in row] == ["↩️ Hoàn tác 2", "↩️ Hoàn tác 3"]
    assert ((await item(w, second)).status, (await item(w, second)).progress) == (Status.IN_PROGRESS, 60)
    assert (await item(w, third)).status is Status.BLOCKED

    # Not a status: a polite answer, nothing recorded.
    [thanks] = await reply(w, STP_GROUP, FOCAL, remind, "cảm ơn bot")
    assert thanks.text.startswith("Dạ, cảm ơn anh/chị.")
    # A reply to the confirmation itself: numbers keep their meaning.
    [more] = await reply(w, STP_GROUP, FOCAL, both, "2 dang lam 80 %")
    assert "nhiệm vụ 2 — Đang thực hiện 80%" in more.text
    assert [len(await history(w, i)) for i in (first, second, third)] == [1, 2, 1]

    progress = await tiendo(w)
    assert "Đang thực hiện 80%" in progress and "Vướng mắc" in progress and "✅ Đã hoàn thành" in progress


async def test_unsure_replies_ask_with_buttons_and_record_nothing_until_confirmed(bot_world: BotWorld) -> None:
    w = bot_world
    remind = await reminder(w)
    ids = ids_of(remind)

    [question] = await reply(w, STP_GROUP, FOCAL, remind, "xong rồi")  # which of the three?
    assert question.text.startswith("❓ Bot hiểu: “xong rồi”")
    assert "Chưa có gì được ghi nhận" in question.text
    assert len(question.callback_data) == 4  # three tasks + "none of these"
    assert all([len(await history(w, i)) == 0 for i in ids])
    # Only the author (or an admin) may answer.
    assert await tap(w, STP_GROUP, ADMIN + 999, question, question.callback_data[1], strict=False) is not None
    assert all([len(await history(w, i)) == 0 for i in ids])
    await tap(w, STP_GROUP, FOCAL, question, question.callback_data[1])
    assert w.text(STP_GROUP, question.message_id).startswith("✅ Đã ghi nhận: nhiệm vụ 2 — Đã hoàn thành quá hạn")
    assert (await item(w, ids[1])).status is Status.DONE
    assert await tap(w, STP_GROUP, FOCAL, question, question.callback_data[0], strict=False) == "Câu hỏi này đã được trả lời hoặc đã huỷ."

    [conflict] = await reply(w, STP_GROUP, FOCAL, remind, "3 đã xong dự thảo, đang trình UBND tỉnh")
    assert "chọn trạng thái đúng" in conflict.text
    await tap(w, STP_GROUP, FOCAL, conflict, conflict.button("Không phải")["callback_data"])
    assert "Không ghi nhận gì." in w.text(STP_GROUP, conflict.message_id)
    assert len(await history(w, ids[2])) == 0

    [unknown] = await reply(w, STP_GROUP, FOCAL, remind, "7 xong")
    assert "không có nhiệm vụ số 7" in unknown.text
    [unclear] = await reply(w, STP_GROUP, FOCAL, remind, "hôm qua họp rồi")
    assert unclear.text.startswith("Xin lỗi, bot chưa hiểu") and unclear.callback_data == [f"u:{i}" for i in ids]
    assert [len(await history(w, i)) for i in ids] == [0, 1, 0]


# --- who may, forged and stale buttons ---------------------------------------------------------------


async def test_other_agencies_and_forged_or_stale_buttons_change_nothing(bot_world: BotWorld) -> None:
    w = bot_world
    remind = await reminder(w)
    first, second, _ = ids_of(remind)
    task11 = (await item(w, first)).task_id
    await w.bind(SNV_GROUP, "so-noi-vu")

    # Sở Nội vụ (cooperating on NV11) cannot change Sở Tư pháp's task, but can add a note.
    [refused] = await w.send(SNV_GROUP, OTHER_FOCAL, f"/capnhat NV{task11} xong")
    assert "Cơ quan phối hợp chỉ thêm được ghi chú" in refused.text
    [noted] = await w.send(SNV_GROUP, OTHER_FOCAL, f"/capnhat NV{task11} ghi chú: đã góp ý dự thảo")
    assert noted.text.startswith("📝 Đã lưu ghi chú cho nhiệm vụ NV")
    # … and a task it has nothing to do with is simply not found.
    snv_tasks = await w.task_ids("so-noi-vu", role=None)
    assert task11 in snv_tasks
    async with w.sm() as s:
        dated = set(await s.scalars(select(DueItem.task_id)))
    unrelated = min(dated - snv_tasks)
    [none] = await w.send(SNV_GROUP, OTHER_FOCAL, f"/capnhat NV{unrelated} xong")
    assert f"Không tìm thấy nhiệm vụ NV{unrelated}" in none.text
    async with w.sm() as s:
        unrelated_items = list(await s.scalars(select(DueItem.id).where(DueItem.task_id == unrelated)))
        task11_items = list(await s.scalars(select(DueItem.id).where(DueItem.task_id == task11)))
    changes = [c for i in task11_items + unrelated_items for c in await history(w, i)]
    assert [(c.new_status, c.actor_tg_id, c.note) for c in changes] == [(Status.PENDING, OTHER_FOCAL, "đã góp ý dự thảo")]
    assert (await item(w, first)).status is Status.PENDING

    # Crafted buttons: an item that is not in that message, a card action on the reminder,
    # another agency's item on Sở Nội vụ's own message, an undo of nothing, a bogus question.
    assert await tap(w, STP_GROUP, FOCAL, remind, "u:999999", strict=False) == "Nút này không hợp lệ hoặc đã hết hạn."
    assert await tap(w, STP_GROUP, FOCAL, remind, f"st:{first}:0:d", strict=False) == "Nút này không hợp lệ hoặc đã hết hạn."
    assert await tap(w, SNV_GROUP, OTHER_FOCAL, noted, f"st:{second}:0:d", strict=False) == "Nút này không hợp lệ hoặc đã hết hạn."
    assert await tap(w, SNV_GROUP, OTHER_FOCAL, noted, "ud:1", strict=False) == "Không hoàn tác được thay đổi này."
    assert await tap(w, SNV_GROUP, OTHER_FOCAL, noted, "rc:424242:0", strict=False) == "Câu hỏi này không còn hiệu lực."
    assert await tap(w, STP_GROUP, FOCAL, remind, "st:1:2:zz", strict=False) == "Nút này không hợp lệ hoặc đã hết hạn."

    # A stale card: someone else updated the item meanwhile — nothing changes, the card refreshes.
    card = await open_card(w, remind, 2)
    await reply(w, STP_GROUP, FOCAL, remind, "2 đang làm 30%")
    answer = await tap(w, STP_GROUP, FOCAL, card, card.button("Hoàn thành")["callback_data"])
    assert answer is not None and answer.startswith("Nhiệm vụ vừa được cập nhật (Đang thực hiện 30%)")
    assert (await item(w, second)).status is Status.IN_PROGRESS
    await until(w, lambda: "Hiện tại: Đang thực hiện 30%" in w.text(STP_GROUP, card.message_id), "card refreshed")

    # Undo by someone else, and after the undo window, are refused.
    [done] = await reply(w, STP_GROUP, FOCAL, remind, "1 xong")
    undo = done.button("Hoàn tác")["callback_data"]
    w.server.chat(STP_GROUP).members.add(OTHER_FOCAL)
    assert await tap(w, STP_GROUP, OTHER_FOCAL, done, undo) == "Chỉ người đã cập nhật (hoặc quản trị viên) mới hoàn tác được."
    services = w.app.bot_data  # type: ignore[attr-defined]
    services.clock = lambda: BOT_NOW + timedelta(minutes=16)
    answer = await tap(w, STP_GROUP, FOCAL, done, undo)
    assert answer is not None and answer.startswith("Đã quá 15 phút")
    assert (await item(w, first)).status is Status.DONE


async def test_capnhat_and_a_document_as_evidence(bot_world: BotWorld) -> None:
    w = bot_world
    remind = await reminder(w)
    first, second, third = ids_of(remind)
    task11 = (await item(w, first)).task_id

    # A yearly task has several open due dates: a code alone asks which one.
    [which] = await w.send(STP_GROUP, FOCAL, f"/capnhat NV{task11} đang làm 70%")
    assert "có nhiều mốc hạn chưa hoàn thành" in which.text
    await tap(w, STP_GROUP, FOCAL, which, which.button("31/12/2024")["callback_data"])
    assert "Đang thực hiện 70%" in w.text(STP_GROUP, which.message_id)
    row = await item(w, first)
    assert (row.status, row.progress) == (Status.IN_PROGRESS, 70)
    [change] = await history(w, first)
    assert change.source is ChangeSource.COMMAND

    # A document answering a task's message is evidence for that task.
    [card] = await w.send(STP_GROUP, FOCAL, f"/capnhat NV{task11}")
    assert card.text.startswith("✏️ Cập nhật nhiệm vụ NV") and "mốc hạn khác" in card.text
    before = len(w.server.messages_in(STP_GROUP))
    w.server.send_document(STP_GROUP, FOCAL, "bao-cao-ket-qua.pdf", b"%PDF-1.4 evidence", reply_to=remind.message_id, caption="3 đã hoàn thành")
    [saved] = (await w.server.wait_for_sent(STP_GROUP, before + 1))[before:]
    assert "nhiệm vụ 3 — Đã hoàn thành quá hạn" in saved.text and "📎 Tệp: bao-cao-ket-qua.pdf" in saved.text
    [change] = await history(w, third)
    assert change.new_status is Status.DONE
    [file] = change.evidence["files"]  # type: ignore[index]
    assert file["name"] == "bao-cao-ket-qua.pdf" and file["file_id"] and file["by_tg_id"] == FOCAL
    assert file["at"].startswith("2025-06-23T02:00")

    # Without a caption, under a message with one task: stored, status unchanged.
    before = len(w.server.messages_in(STP_GROUP))
    w.server.send_document(STP_GROUP, FOCAL, "du-thao.docx", b"PK draft", reply_to=saved.message_id)
    [kept] = (await w.server.wait_for_sent(STP_GROUP, before + 1))[before:]
    assert kept.text.startswith("📝 Đã lưu tệp minh chứng cho nhiệm vụ 3")
    changes = await history(w, third)
    assert [c.new_status for c in changes] == [Status.DONE, Status.DONE]
    assert changes[1].evidence["files"][0]["name"] == "du-thao.docx"  # type: ignore[index]
    # Under the reminder (three tasks) without a number: which task?
    before = len(w.server.messages_in(STP_GROUP))
    w.server.send_document(STP_GROUP, FOCAL, "anh.pdf", b"x", reply_to=remind.message_id)
    [ask] = (await w.server.wait_for_sent(STP_GROUP, before + 1))[before:]
    assert ask.text.startswith("📎 Tệp “anh.pdf” là minh chứng cho nhiệm vụ nào?")
    assert len(await history(w, second)) == 0
    await tap(w, STP_GROUP, FOCAL, ask, ask.callback_data[1])
    assert [c.evidence["files"][0]["name"] for c in await history(w, second)] == ["anh.pdf"]  # type: ignore[index]
    assert (await item(w, second)).status is Status.PENDING

    # /nhiemvu shows the history with the evidence.
    before = len(w.server.messages_in(STP_GROUP))
    w.server.send_command(STP_GROUP, FOCAL, "nhiemvu", f"NV{(await item(w, third)).task_id}")
    sent = (await w.server.wait_for_sent(STP_GROUP, before + 1))[before:]
    assert re.search(r"Minh chứng: bao-cao-ket-qua\.pdf", sent[0].text or "")


def send_photo(w: BotWorld, chat: int, user: int, reply_to: int, caption: str | None = None) -> None:
    """A user sends a photo as a reply (the fake server has no public helper for photos)."""
    server = w.server
    state = server._chat_for_user_message(chat, user)  # noqa: SLF001
    file = server._store_file(b"\x89PNG\r\n\x1a\n" + b"0" * 64, None, "image/jpeg", "photo")  # noqa: SLF001
    server._user_message(state, server.users[user], reply_to, photo=server._photo_sizes(file), caption=caption)  # noqa: SLF001


async def test_without_a_leaders_chat_the_admins_decide_and_photos_are_evidence(bot_world: BotWorld) -> None:
    w = bot_world
    remind = await reminder(w)
    first, second, _ = ids_of(remind)

    # ⚠️ then "Huỷ": the question is closed, the four choices come back, nothing recorded.
    card = await open_card(w, remind, 2)
    await tap(w, STP_GROUP, FOCAL, card, card.button("Vướng mắc")["callback_data"])
    await tap(w, STP_GROUP, FOCAL, card.message_id, button_data(w, STP_GROUP, card.message_id, "Huỷ"))
    assert w.text(STP_GROUP, card.message_id).startswith("✏️ Cập nhật nhiệm vụ 2") and len(buttons(w, STP_GROUP, card.message_id)) == 4
    assert not await history(w, second)
    # A late answer to the cancelled question is read as an ordinary reply to the card.
    [late] = await reply(w, STP_GROUP, FOCAL, card, "đang làm 10%")
    assert "nhiệm vụ 2 — Đang thực hiện 10%" in late.text

    # No leaders' chat: the request goes to each admin's private chat.
    [asked] = await reply(w, STP_GROUP, FOCAL, remind, "1 xin gia hạn thêm 1 tháng")
    assert "đến 23/07/2025" in asked.text  # one month from today (the item is overdue already)
    post = await until(w, lambda: [m for m in w.server.messages_in(ADMIN) if (m.text or "").startswith("📅 Đề nghị gia hạn")], "admin post")
    await until(w, lambda: [m for m in w.server.messages_in(500_002) if (m.text or "").startswith("📅 Đề nghị gia hạn")], "admin 2 post")
    await w.server.wait_until_idle()
    # /giahan lists what waits (here: in an admin's private chat) with the same buttons.
    before = len(w.server.messages_in(ADMIN))
    w.server.send_command(ADMIN, ADMIN, "giahan")
    listed = (await w.server.wait_for_sent(ADMIN, before + 2))[before:]
    assert listed[0].text == "Có 1 đề nghị gia hạn đang chờ duyệt:" and len(listed[1].callback_data) == 2
    stp_before = len(w.server.messages_in(STP_GROUP))
    assert await tap(w, ADMIN, ADMIN, listed[1], listed[1].button("Đồng ý")["callback_data"]) == "Đã đồng ý gia hạn."
    # Every copy now shows the decision (the pressed one at once, the others through the
    # outbox, queued with the decision); the agency hears it.
    assert "✅ Đã đồng ý (Quản trị" in w.text(ADMIN, listed[1].message_id)
    await until(w, lambda: "✅ Đã đồng ý (Quản trị" in w.text(ADMIN, post[0].message_id), "first admin's post rewritten")
    await until(
        w, lambda: "✅ Đã đồng ý (Quản trị" in w.text(500_002, w.server.messages_in(500_002)[-1].message_id),
        "second admin's post rewritten",
    )
    [outcome] = (await w.server.wait_for_sent(STP_GROUP, stp_before + 1))[stp_before:]
    assert "hạn mới 23/07/2025" in outcome.text
    assert (await item(w, first)).due_on == date(2025, 7, 23)

    # A photo answering the outcome message (one task) is evidence for it.
    before = len(w.server.messages_in(STP_GROUP))
    send_photo(w, STP_GROUP, FOCAL, outcome.message_id)
    [kept] = (await w.server.wait_for_sent(STP_GROUP, before + 1))[before:]
    assert kept.text.startswith("📝 Đã lưu tệp minh chứng cho nhiệm vụ NV")
    last = (await history(w, first))[-1]
    assert last.new_status is Status.EXTENDED and last.evidence["files"][0]["kind"] == "photo"  # type: ignore[index]
    # …and with a caption it may say more.
    before = len(w.server.messages_in(STP_GROUP))
    send_photo(w, STP_GROUP, FOCAL, outcome.message_id, caption="đã hoàn thành")
    [done] = (await w.server.wait_for_sent(STP_GROUP, before + 1))[before:]
    assert "Đã hoàn thành đúng hạn" in done.text  # within the extended date
    assert (await item(w, first)).status is Status.DONE
