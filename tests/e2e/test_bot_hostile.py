"""Issue 19 end to end: a busy group does not lock out a status reply; a throttled reply is
answered "not recorded, resend in N s"; a member removed from a group loses the right at once.
The real bot against the fake Bot API server, the Phú Thọ sample plan, today 23/06/2025.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.db.models import DueItem
from bot.domain.status import Status
from bot.render import help as texts
from tests.e2e.conftest import FOCAL, STP_GROUP, BotWorld
from tests.e2e.test_status_flows import ids_of, reminder, tap
from tests.e2e.test_status_flows import reply as reply_to

MEMBERS = range(9100, 9124)  # 24 colleagues of the focal point in Sở Tư pháp's group


async def _status(w: BotWorld, due_item_id: int) -> Status:
    async with w.sm() as s:
        row = await s.get(DueItem, due_item_id)
        assert row is not None
        await s.refresh(row)
        return row.status


async def test_chatter_in_a_group_where_the_bot_is_admin_does_not_throttle_a_status_reply(bot_world: BotWorld) -> None:
    w = bot_world
    remind = await reminder(w)
    third = ids_of(remind)[2]
    w.server.set_bot_admin(STP_GROUP)  # the bot now receives every message of the group
    w.app.bot_data.monotonic = lambda: 5000.0  # type: ignore[attr-defined]  # all within one instant
    for member in MEMBERS:
        w.server.send_text(STP_GROUP, member, "cảm ơn")
        w.server.send_text(STP_GROUP, member, "họp lúc 2h nhé")
    for _ in range(12):  # the focal point chats too, more than a bucket's worth
        w.server.send_text(STP_GROUP, FOCAL, "ok anh")
    [answer] = await reply_to(w, STP_GROUP, FOCAL, remind, "3 xong")
    assert answer.text.startswith("✅ Đã ghi nhận: nhiệm vụ 3 — Đã hoàn thành"), answer.text
    assert await _status(w, third) is Status.DONE
    said = [m.text or "" for m in w.server.messages_in(STP_GROUP)]
    assert not any("gửi quá nhanh" in t for t in said)  # nobody was told off for chatting


async def test_a_throttled_status_reply_is_never_dropped_in_silence(bot_world: BotWorld) -> None:
    w = bot_world
    remind = await reminder(w)
    first = ids_of(remind)[0]
    w.app.bot_data.monotonic = lambda: 7000.0  # type: ignore[attr-defined]
    for _ in range(10):  # ten commands empty the focal point's bucket
        await w.send(STP_GROUP, FOCAL, "/sapden")
    [refused] = await reply_to(w, STP_GROUP, FOCAL, remind, "1 xong")
    assert refused.text == texts.throttled_status(3)
    assert "CHƯA được ghi nhận" in refused.text and "3 giây" in refused.text
    [again] = await reply_to(w, STP_GROUP, FOCAL, remind, "1 xong")  # still throttled: told again
    assert again.text == texts.throttled_status(3)
    assert await _status(w, first) is not Status.DONE

    w.app.bot_data.monotonic = lambda: 7004.0  # type: ignore[attr-defined]  # the wait it named
    [answer] = await reply_to(w, STP_GROUP, FOCAL, remind, "1 xong")
    assert answer.text.startswith("✅ Đã ghi nhận: nhiệm vụ 1 — Đã hoàn thành"), answer.text
    assert await _status(w, first) is Status.DONE


async def test_a_member_removed_from_the_group_can_no_longer_change_its_tasks(bot_world: BotWorld) -> None:
    w = bot_world
    remind = await reminder(w)
    first, second = ids_of(remind)[:2]
    w.server.set_member_status(STP_GROUP, FOCAL, "kicked")  # removed by the group's owner

    [refused] = await reply_to(w, STP_GROUP, FOCAL, remind, "1 xong")
    assert refused.text == texts.NOT_A_MEMBER
    assert await tap(w, STP_GROUP, FOCAL, remind, remind.callback_data[1]) == texts.NOT_A_MEMBER
    w.server.set_member_status(STP_GROUP, FOCAL, "left")  # or gone of their own accord
    [refused] = await reply_to(w, STP_GROUP, FOCAL, remind, "2 đang làm 50%")
    assert refused.text == texts.NOT_A_MEMBER
    assert await _status(w, first) is Status.PENDING and await _status(w, second) is Status.PENDING

    w.server.set_member_status(STP_GROUP, FOCAL, "member")  # added back: the right comes back
    [answer] = await reply_to(w, STP_GROUP, FOCAL, remind, "1 xong")
    assert answer.text.startswith("✅ Đã ghi nhận: nhiệm vụ 1"), answer.text
    assert await _status(w, first) is Status.DONE


async def _say(w: BotWorld, to: int, text: str) -> tuple[int, str]:
    """FOCAL replies `text` to message `to`; (the user's message id, the bot's answer)."""
    before = len(w.server.messages_in(STP_GROUP))
    sent = w.server.send_text(STP_GROUP, FOCAL, text, reply_to_message_id=to)
    answers = await w.server.wait_for_sent(STP_GROUP, before + 1)
    await w.settle()
    return sent["message_id"], answers[before].text or ""


async def _edit(w: BotWorld, message_id: int, text: str) -> str:
    before = len(w.server.messages_in(STP_GROUP))
    w.server.edit_text(STP_GROUP, message_id, text)
    answers = await w.server.wait_for_sent(STP_GROUP, before + 1)
    await w.settle()
    return answers[before].text or ""


async def test_an_edited_reply_applies_only_while_it_is_the_latest_word(bot_world: BotWorld) -> None:
    w = bot_world
    remind = await reminder(w)
    first = ids_of(remind)[0]
    old, said = await _say(w, remind.message_id, "1 đang làm 50%")
    assert said.startswith("✅ Đã ghi nhận: nhiệm vụ 1 — Đang thực hiện 50%"), said
    # A typo fixed at once: the message is still the latest word on item 1.
    said = await _edit(w, old, "1 đang làm 60%")
    assert said.startswith("✅ Đã ghi nhận: nhiệm vụ 1 — Đang thực hiện 60%"), said
    latest, said = await _say(w, remind.message_id, "1 xong")
    assert said.startswith("✅ Đã ghi nhận: nhiệm vụ 1 — Đã hoàn thành"), said

    # Editing the older message must not reopen the finished task.
    said = await _edit(w, old, "1 đang làm 70%")
    assert said == texts.stale_edit(["1"])
    assert await _status(w, first) is Status.DONE
    # The newest message may still be corrected.
    said = await _edit(w, latest, "1 đang làm 90%")
    assert said.startswith("✅ Đã ghi nhận: nhiệm vụ 1 — Đang thực hiện 90%"), said
    assert await _status(w, first) is Status.IN_PROGRESS


BOT_REFUSED = (
    "rong.txt", "nhieu0.txt", "cat50.docx", "span-gridSpan-100000.docx", "span-gridBefore-200000.docx",
    "lenh-60kb.pdf", "bom-xml.docx", "khoa.pdf", "scan.pdf", "700-trang.pdf", "nul-0.txt", "nen.docx",
)


@pytest.mark.parametrize("bot_db_url", ["sqlite"], indirect=True)  # refused before any SQL
async def test_hostile_files_sent_to_the_bot_are_refused_in_one_sentence_and_the_bot_stays_up(
    bot_world: BotWorld,
) -> None:
    from bot.db.models import PendingUpload, Plan
    from tests.e2e.conftest import ADMIN
    from tests.e2e.test_bot_uploads import _upload
    from tests.hostile import corpus

    w = bot_world
    files = {f.name: f for f in corpus() if f.name in BOT_REFUSED}
    async with w.sm() as s:
        plans_before = len((await s.scalars(select(Plan.id))).all())
    for name in BOT_REFUSED:
        status_id = await _upload(w, ADMIN, name, files[name].data)
        text = w.text(ADMIN, status_id)
        assert text.startswith("❌ ") and "\n" not in text, (name, text)
        assert texts.APOLOGY not in text and "Traceback" not in text
    # Still answering, nothing staged or stored.
    [hello] = await w.send(ADMIN, ADMIN, "/help")
    assert hello.text
    async with w.sm() as s:
        assert (await s.scalars(select(PendingUpload))).all() == []
        assert len((await s.scalars(select(Plan.id))).all()) == plans_before


async def test_an_edited_capnhat_does_not_reopen_a_later_state_either(bot_world: BotWorld) -> None:
    from sqlalchemy import func

    from tests.e2e.conftest import ADMIN

    w = bot_world
    async with w.sm() as s:  # a task with one due date and one lead: /capnhat needs no choice
        task_id = (await s.scalars(
            select(DueItem.task_id).group_by(DueItem.task_id).having(func.count(DueItem.id) == 1)
            .order_by(DueItem.task_id)
        )).first()
        assert task_id is not None
        first = (await s.scalars(select(DueItem.id).where(DueItem.task_id == task_id))).one()
    code = f"NV{task_id}"

    async def say(text: str, edit: int | None = None) -> tuple[int, str]:
        before = len(w.server.messages_in(ADMIN))
        if edit is None:
            sent = w.server.send_text(ADMIN, ADMIN, text)
        else:
            sent = w.server.edit_text(ADMIN, edit, text)
        answers = await w.server.wait_for_sent(ADMIN, before + 1)
        await w.settle()
        return sent["message_id"], answers[before].text or ""

    old, said = await say(f"/capnhat {code} đang làm 50%")
    assert "Đang thực hiện 50%" in said, said
    _, said = await say(f"/capnhat {code} xong")
    assert "Đã hoàn thành" in said, said
    _, said = await say(f"/capnhat {code} đang làm 70%", edit=old)
    assert said == texts.stale_edit([code])
    assert await _status(w, first) is Status.DONE
