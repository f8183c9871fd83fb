"""Issue 12: a plan from another province is refused in the bot, never misfiled; an admin
can force it with the caption "buộc nhập". The bot world is installed for Phú Thọ."""

from __future__ import annotations

from sqlalchemy import select

from bot.db.models import Plan, Province
from bot.render import admin as admin_render
from tests.e2e.conftest import ADMIN, BotWorld

QUANG_NGAI_PLAN = (
    "ỦY BAN NHÂN DÂN\nTỈNH QUẢNG NGÃI\n-------\nSố: 77/KH-UBND\n"
    "Quảng Ngãi, ngày 21 tháng 11 năm 2025\nKẾ HOẠCH\nCải cách hành chính năm 2026\n"
    "I. NHIỆM VỤ\n1. Sở Nội vụ rà soát thủ tục hành chính trước ngày 30/6/2026.\n"
).encode()


async def _send(w: BotWorld, caption: str | None) -> str:
    before = len(w.server.messages_in(ADMIN))
    w.server.send_document(ADMIN, ADMIN, "quang-ngai-77.txt", QUANG_NGAI_PLAN, caption=caption)
    [status] = (await w.server.wait_for_sent(ADMIN, before + 1))[before:]
    await w.server.wait_for(
        lambda: w.text(ADMIN, status.message_id) != admin_render.READING, message="no answer"
    )
    return w.text(ADMIN, status.message_id)


async def _plans(w: BotWorld) -> list[tuple[str | None, str]]:
    async with w.sm() as s:
        rows = await s.execute(select(Plan.number, Province.slug).join(Province, Plan.province_id == Province.id))
        return [(n, p) for n, p in rows]


async def test_a_plan_of_another_province_is_refused_then_forced_by_caption(bot_world: BotWorld) -> None:
    w = bot_world
    refused = await _send(w, None)
    assert refused.startswith("❌ Kế hoạch do tỉnh Quảng Ngãi ban hành, không phải tỉnh Phú Thọ")
    assert "buộc nhập" in refused
    assert ("77/KH-UBND", "phu-tho") not in await _plans(w)

    summary = await _send(w, "Buộc nhập")
    assert summary.startswith("📄 Kế hoạch 77/KH-UBND")
    sent = len(w.server.messages_in(ADMIN))
    message_id, (ok, _) = w.buttons(ADMIN)
    await w.press(ADMIN, ADMIN, message_id, ok)
    [result] = (await w.server.wait_for_sent(ADMIN, sent + 1))[sent:]
    assert result.text.startswith("✅ Đã nhập Kế hoạch 77/KH-UBND")
    assert ("77/KH-UBND", "phu-tho") in await _plans(w)
