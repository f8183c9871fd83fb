"""Issue 18: "of 36 /dangky commands sent in a row by one admin, 33 were answered".

The cause was the flood throttle: it counted an admin's commands like anybody's (10 at
once, then one every 3 s), so a burst of bindings was cut after the tenth with one warning
and silence. Admins are not throttled now; everybody else still is.
"""

from __future__ import annotations

from pathlib import Path

from bot.catalog import Catalog
from bot.render import help as texts
from tests.e2e.conftest import ADMIN, STRANGER, BotWorld

GROUPS = 36


def _communes() -> list[str]:
    recipients = Catalog(Path(__file__).resolve().parents[2] / "data").recipients("phu-tho")
    return [a.name for a in recipients if a.code.startswith(("xa-", "phuong-")) and a.successor is None][:GROUPS]


async def test_thirty_six_dangky_in_a_row_by_an_admin_are_all_answered(bot_world: BotWorld) -> None:
    w = bot_world
    w.app.bot_data.monotonic = lambda: 1000.0  # type: ignore[attr-defined]  # all within one instant
    names = _communes()
    chats = [-4_200_000_000 - i for i in range(GROUPS)]
    for chat_id, name in zip(chats, names, strict=True):
        w.server.add_chat(chat_id, title=f"Nhóm {name}", members=[ADMIN])
    for chat_id, name in zip(chats, names, strict=True):
        w.server.send_text(chat_id, ADMIN, f"/dangky {name}")
    for _ in range(16):  # somebody else flooding at the same instant is still stopped
        w.server.send_text(STRANGER, STRANGER, "/help")
    await w.server.wait_for(
        lambda: all(w.server.messages_in(c) for c in chats), timeout=120, message="a /dangky went unanswered"
    )
    await w.settle()

    answers = [[m.text for m in w.server.messages_in(c)] for c in chats]
    assert all(len(a) == 1 for a in answers), answers
    # Each is a binding, or (a name the directory search ranks close to another) the
    # closest names to choose from: never a throttle warning, an apology or nothing.
    bound = [a[0] for a in answers if a[0].startswith("✅ Nhóm này đã được đăng ký")]
    offered = [a[0] for a in answers if a[0].startswith("Không tìm thấy cơ quan")]
    assert len(bound) + len(offered) == GROUPS and len(bound) >= GROUPS // 2
    async with w.sm() as s:
        from bot.db import chats as chats_repo

        rows = [await chats_repo.get_chat(s, tg_chat_id=c) for c in chats]
    assert sum(1 for r in rows if r is not None and r.active and r.agency_id) == len(bound)
    stranger = [m.text for m in w.server.messages_in(STRANGER)]
    assert len(stranger) == 10 + 1 and stranger[-1] == texts.throttled(3)
