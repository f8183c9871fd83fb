"""What each chat sees: /tiendo, /quahan, /sapden, /nhiemvu, /coquan and the explanation
for everyone else — the real bot, the Phú Thọ sample plan, today = 23/06/2025."""

from __future__ import annotations

import re
from datetime import date

from bot.db import status_changes as status_changes_repo
from bot.domain.status import ChangeSource, Status
from bot.render import help as texts
from tests.e2e.conftest import (
    ADMIN,
    BOT_NOW,
    FOCAL,
    KHCN_GROUP,
    LEADER,
    LEADERS_GROUP,
    SNV_GROUP,
    STP_GROUP,
    STRANGER,
    BotWorld,
)
from tests.fakebot import SentMessage

CODE = re.compile(r"mã NV(\d+)\)")


def codes(*messages: SentMessage | str) -> set[int]:
    found: set[int] = set()
    for m in messages:
        found |= {int(x) for x in CODE.findall(m if isinstance(m, str) else m.text or "")}
    return found


async def _all_pages(w: BotWorld, chat_id: int, first: SentMessage) -> list[str]:
    """Follow the "Sau ▶" buttons of a paged answer; returns every page's text."""
    pages = [first.text or ""]
    current = first.reply_markup
    while current:
        nxt = [b["callback_data"] for row in current["inline_keyboard"] for b in row if "Sau" in b["text"]]
        if not nxt:
            break
        before = w.text(chat_id, first.message_id)
        # press_button checks the message's CURRENT buttons (by id) on the server.
        await w.press(chat_id, FOCAL if chat_id < 0 else chat_id, first, nxt[0])
        await w.server.wait_for(lambda: w.text(chat_id, first.message_id) != before)
        message = w.server.message(chat_id, first.message_id)
        assert message is not None
        pages.append(message["text"])
        current = message.get("reply_markup")
    return pages


async def test_tiendo_in_an_agency_chat_shows_only_that_agency(bot_world: BotWorld) -> None:
    w = bot_world
    await w.bind(STP_GROUP, "so-tu-phap")
    [reply] = await w.send(STP_GROUP, FOCAL, "/tiendo")
    assert reply.text.startswith("📋 Tiến độ — Sở Tư pháp\nThứ Hai, 23/06/2025")
    assert "⛔ Quá hạn" in reply.text and "quá hạn" in reply.text
    assert reply.callback_data == ["pg:t:0:1"]  # long: paged, not a burst of messages
    pages = await _all_pages(w, STP_GROUP, reply)
    assert len(pages) >= 2 and pages[-1].endswith(f"Trang {len(pages)}/{len(pages)}")
    shown = codes(*pages)
    own = await w.task_ids("so-tu-phap")
    assert shown and shown <= own
    assert shown == own  # every task the agency leads is listed somewhere

    # An agency chat cannot ask for another agency.
    [reply] = await w.send(STP_GROUP, FOCAL, "/tiendo Sở Nội vụ")
    assert reply.text.startswith("📋 Tiến độ — Sở Tư pháp")


async def test_tiendo_in_the_leaders_chat_and_the_admin_chat_is_province_wide(bot_world: BotWorld) -> None:
    w = bot_world
    await w.bind(LEADERS_GROUP, leaders=True)
    await w.bind(STP_GROUP, "so-tu-phap")
    [summary] = await w.send(LEADERS_GROUP, LEADER, "/tiendo")
    assert summary.text.startswith("📊 Tiến độ toàn tỉnh Phú Thọ")
    assert "Sở Nội vụ:" in summary.text and "Sở Tư pháp:" in summary.text
    # Agencies with open items that never had a chat are named as such ("chưa có nhóm", not
    # "không liên lạc được": no chat was ever lost); the bound one is not.
    assert "Không liên lạc được" not in summary.text
    unbound = summary.text.split("📭 Chưa có nhóm nhận nhắc việc:")[1]
    assert "Sở Nội vụ" in unbound and "Sở Tư pháp" not in unbound
    # Tasks and deadlines counted apart; both completion rates, each labelled.
    assert "39 nhiệm vụ, 300 mốc thời hạn" in summary.text
    assert "Tỉ lệ hoàn thành: " in summary.text and "tổng số mốc (" in summary.text
    assert "số mốc đã đến hạn (" in summary.text

    [admin_summary] = await w.send(ADMIN, ADMIN, "/tiendo")
    assert admin_summary.text.startswith("📊 Tiến độ toàn tỉnh Phú Thọ")

    [one] = await w.send(ADMIN, ADMIN, "/tiendo Sở Nội vụ")
    assert one.text.startswith("📋 Tiến độ — Sở Nội vụ")
    [one] = await w.send(LEADERS_GROUP, LEADER, "/tiendo tư pháp")
    assert one.text.startswith("📋 Tiến độ — Sở Tư pháp")

    [choice] = await w.send(ADMIN, ADMIN, "/tiendo UBND")
    assert choice.callback_data and all(d.startswith("td:") for d in choice.callback_data)
    await w.press(ADMIN, ADMIN, choice, choice.button("Ủy ban nhân dân tỉnh")["callback_data"])
    await w.server.wait_for(lambda: "Tiến độ — Ủy ban nhân dân tỉnh" in w.text(ADMIN, choice.message_id))


async def test_strangers_and_unbound_groups_get_an_explanation_and_no_data(bot_world: BotWorld) -> None:
    w = bot_world
    for command in ("/start", "/help", "/tiendo", "/quahan", "/sapden 30", "/nhiemvu NV1", "xin chào"):
        [reply] = await w.send(STRANGER, STRANGER, command)
        assert reply.text == re.sub(r"<[^>]+>", "", texts.stranger_text()), command
    for command in ("/tiendo", "/quahan", "/sapden", "/nhiemvu NV1"):
        [reply] = await w.send(STP_GROUP, FOCAL, command)
        assert reply.text.startswith("Nhóm này chưa được đăng ký"), command
        assert not codes(reply)
    [reply] = await w.send(STP_GROUP, FOCAL, "/coquan")
    assert reply.text == texts.ADMIN_ONLY


async def test_a_successor_chat_sees_its_predecessors_tasks(bot_world: BotWorld) -> None:
    w = bot_world
    await w.bind(KHCN_GROUP, "so-khoa-hoc-cong-nghe")
    predecessor = await w.task_ids("so-thong-tin-truyen-thong")
    assert predecessor
    [reply] = await w.send(KHCN_GROUP, ADMIN, "/tiendo")
    pages = await _all_pages(w, KHCN_GROUP, reply)
    assert predecessor <= codes(*pages)
    task_id = min(predecessor)
    detail = (await w.send(KHCN_GROUP, ADMIN, f"/nhiemvu NV{task_id}"))[0]
    assert detail.text.startswith(f"📌 Nhiệm vụ NV{task_id}")
    assert "Sở Thông tin và Truyền thông (nay: Sở Khoa học và Công nghệ)" in detail.text


async def test_nhiemvu_shows_own_tasks_in_full_and_refuses_others(bot_world: BotWorld) -> None:
    w = bot_world
    await w.bind(STP_GROUP, "so-tu-phap")
    await w.bind(SNV_GROUP, "so-noi-vu")
    own = min(await w.task_ids("so-tu-phap"))
    foreign = min(await w.task_ids("so-noi-vu", role=None) - await w.task_ids("so-tu-phap", role=None))

    # A status update with awkward characters, to see the history escaped and shown.
    async with w.sm() as s, s.begin():
        from sqlalchemy import select

        from bot.db.models import Agency, DueItem

        item = await s.scalar(
            select(DueItem).join(Agency, DueItem.agency_id == Agency.id)
            .where(DueItem.task_id == own, Agency.code == "so-tu-phap").order_by(DueItem.due_on)
        )
        assert item is not None
        await status_changes_repo.change_status(
            s, item=item, status=Status.IN_PROGRESS, source=ChangeSource.CHAT, now=BOT_NOW,
            today=date(2025, 6, 23), progress=60, actor_name="Nguyễn Văn A <đầu mối>",
            note="Đang trình ký & chờ <b>phê duyệt</b>",
        )

    detail = (await w.send(STP_GROUP, FOCAL, f"/nhiemvu NV{own}"))[0]  # other features may add a card
    assert detail.text.startswith(f"📌 Nhiệm vụ NV{own}\nKế hoạch 1782/KH-UBND")
    for label in ("Nội dung:", "Cơ quan chủ trì: Sở Tư pháp", "Thời hạn (theo kế hoạch):", "Các mốc hạn của cơ quan"):
        assert label in detail.text
    assert "Đang thực hiện 60%" in detail.text
    assert "Đang trình ký & chờ <b>phê duyệt</b>" in detail.text  # shown literally
    assert "(Nguyễn Văn A <đầu mối>)" in detail.text
    assert "09:00 23/06/2025" in detail.text

    for command in (f"/nhiemvu NV{foreign}", f"/nhiemvu #{foreign}", "/nhiemvu NV999999"):
        [refused] = await w.send(STP_GROUP, FOCAL, command)
        assert refused.text.startswith("Không tìm thấy nhiệm vụ"), command
        assert "Sở Nội vụ" not in refused.text

    allowed = (await w.send(SNV_GROUP, ADMIN, f"/nhiemvu {foreign}"))[0]
    assert allowed.text.startswith(f"📌 Nhiệm vụ NV{foreign}")
    full = (await w.send(ADMIN, ADMIN, f"/nhiemvu nv{foreign}"))[0]
    assert full.text.startswith(f"📌 Nhiệm vụ NV{foreign}") and "Các mốc hạn\n" in full.text

    [usage] = await w.send(STP_GROUP, FOCAL, "/nhiemvu abc")
    assert usage.text.startswith("Cách dùng: /nhiemvu NV12")


def _dates(text: str) -> list[date]:
    return [
        date(int(y), int(m), int(d))
        for d, m, y in re.findall(r"Hạn (\d{2})/(\d{2})/(\d{4})", text)
    ]


async def test_quahan_lists_overdue_items_of_the_chats_scope(bot_world: BotWorld) -> None:
    w = bot_world
    await w.bind(STP_GROUP, "so-tu-phap")
    [reply] = await w.send(STP_GROUP, FOCAL, "/quahan")
    assert reply.text.startswith("⛔ Nhiệm vụ quá hạn — Sở Tư pháp")
    pages = await _all_pages(w, STP_GROUP, reply)
    text = "\n".join(pages)
    assert _dates(text) and all(d < date(2025, 6, 23) for d in _dates(text))
    assert codes(text) <= await w.task_ids("so-tu-phap")
    assert " — Sở Nội vụ" not in text  # no agency names in an agency's own list

    [province] = await w.send(ADMIN, ADMIN, "/quahan")
    assert province.text.startswith("⛔ Nhiệm vụ quá hạn — toàn tỉnh Phú Thọ")
    assert " — Sở Nội vụ" in province.text  # province-wide lists name the agency
    assert province.callback_data == ["pg:q:0:1"]


async def test_sapden_lists_what_falls_due_within_the_days_asked(bot_world: BotWorld) -> None:
    w = bot_world
    await w.bind(SNV_GROUP, "so-noi-vu")
    [reply] = await w.send(SNV_GROUP, ADMIN, "/sapden 30")
    assert reply.text.startswith("⏰ Sắp đến hạn trong 30 ngày — Sở Nội vụ")
    found = _dates(reply.text)
    assert found and all(date(2025, 6, 23) <= d <= date(2025, 7, 23) for d in found)
    assert "còn 7 ngày" in reply.text  # Quý II: 30/06/2025

    [default] = await w.send(SNV_GROUP, ADMIN, "/sapden")
    assert default.text.startswith("⏰ Sắp đến hạn trong 14 ngày")
    [bad] = await w.send(SNV_GROUP, ADMIN, "/sapden abc")
    assert bad.text.startswith("Cách dùng: /sapden 30")


async def test_coquan_lists_agencies_chats_and_task_counts_for_admins(bot_world: BotWorld) -> None:
    w = bot_world
    await w.bind(STP_GROUP, "so-tu-phap")
    await w.bind(SNV_GROUP, "so-noi-vu")
    replies = await w.send(ADMIN, ADMIN, "/coquan")
    text = replies[0].text
    assert text.startswith("🏛 Cơ quan — Phú Thọ")
    stp = next(line for line in text.splitlines() if "Sở Tư pháp —" in line)
    assert re.search(r"Sở Tư pháp — 6 nhiệm vụ chủ trì, \d+ hạn chưa xong", stp)
    assert "Nhóm: Sở Tư pháp — nhắc việc" in text
    assert "Nhóm: Sở Nội vụ <CCHC> & nhắc việc" in text  # a chat title with HTML characters
    assert "Sở Thông tin và Truyền thông (đã hợp nhất vào Sở Khoa học và Công nghệ)" in text
    assert "⚠️ Chưa có nhóm đăng ký" in text

    [refused] = await w.send(STP_GROUP, ADMIN, "/coquan")  # a group: its members would see it
    assert refused.text == texts.ADMIN_ONLY
