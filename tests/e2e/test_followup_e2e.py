"""Following up without noise, end to end: the real Application and reminder engine against
the fake Bot API server, the Phú Thọ sample plan imported with the real parser.

A week of daily ticks: every agency chat gets at most one reminder a day (the most urgent
items first, the rest behind the console button), the leaders' chat at most one alert a day
(an Excel file captioned with the counts and the worst items), never a "phần 1/16" series,
and no task twice in one message.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, timedelta

from tests.e2e.test_reminders_e2e import (  # noqa: F401  (the `world` fixture)
    ADMIN,
    DAILY_JOB,
    KHCN,
    LEADERS,
    MONDAY_0800,
    SNV,
    STP,
    World,
    _runs,
    run_job,
    until,
    world,
)

STC = -4_200_000_011  # Sở Tài chính: successor of the merged Sở Kế hoạch và Đầu tư
SNNMT = -4_200_000_012  # Sở Nông nghiệp và Môi trường: two merged departments
CONSOLE = "https://nhacviec.example.gov.vn"
_CODE = re.compile(r"· (NV\d+)\)")


async def test_a_week_of_ticks_one_message_per_chat_a_day_and_one_alert(world: World) -> None:
    for chat_id, title in ((STC, "Sở Tài chính"), (SNNMT, "Sở NN&MT")):
        world.server.add_chat(chat_id, title=title, members=[ADMIN])
    await world.bind(STP, "so-tu-phap")
    await world.bind(SNV, "so-noi-vu")
    await world.bind(KHCN, "so-khoa-hoc-cong-nghe")
    await world.bind(STC, "so-tai-chinh")
    await world.bind(SNNMT, "so-nong-nghiep-moi-truong")
    await world.bind(LEADERS, None)
    agency_chats = (STP, SNV, KHCN, STC, SNNMT)
    app = await world.start(web_base_url=CONSOLE, digest_enabled=False)  # the weekly digest is another topic
    days = [MONDAY_0800 + timedelta(days=d) for d in (0, 1, 2, 3, 4, 7)]
    try:
        for moment in days:
            world.clock.jump(moment)
            await run_job(app, DAILY_JOB)
            await until(lambda moment=moment: _runs(world, moment.date(), 1), what=f"tick {moment:%d/%m}")
            await until(world.settled, what=f"{moment:%d/%m} delivered")
    finally:
        await world.stop(app)

    sent = world.server.sent
    assert sent, "the sample plan has reminders that week"
    per_day: Counter[tuple[int, str]] = Counter()
    long_ones = 0
    for message in sent:
        body = message.text or message.caption or ""
        assert "phần" not in body.splitlines()[0]
        day = body.splitlines()[1][-10:] if message.text else body.splitlines()[0][-10:]
        per_day[(message.chat_id, day)] += 1
        if message.chat_id in agency_chats:
            assert message.method == "sendMessage" and body.startswith("🔔 Nhắc việc — ")
            codes = _CODE.findall(body)
            assert codes and len(codes) == len(set(codes)), f"a task twice in one message: {codes}"
            sections = [line for line in body.splitlines() if line[:1] in ("📌", "⛔", "⏰")]
            order = ["📌 Đến hạn hôm nay", "⛔ Quá hạn", "⏰ Sắp đến hạn"]
            assert sections == sorted(sections, key=order.index)
            if "nhiệm vụ khác" in body:
                long_ones += 1
                [[see_all]] = [row for row in message.buttons if any("url" in b for b in row)]
                assert see_all["text"].startswith("📋 Xem tất cả (") and see_all["url"].startswith(f"{CONSOLE}/web/tasks?agency=")
                assert len(codes) == 10
        else:
            assert message.chat_id == LEADERS and message.method == "sendDocument"
            assert body.startswith("🚨 Quá hạn trên 14 ngày — ") and message.document is not None
    assert max(per_day.values()) == 1, per_day
    assert long_ones >= 1  # Sở Nội vụ's Monday list is longer than ten items
    leader_days = [d for (chat, d) in per_day if chat == LEADERS]
    assert leader_days and len(leader_days) == len(set(leader_days))
    assert date(2025, 6, 23).strftime("%d/%m/%Y") in leader_days
