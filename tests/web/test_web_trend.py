"""The Reports page's trend chart: each period's bar holds exactly the items due in it by
their outcome (counted here in Python with bot.domain.status.category), it follows a
change made by a focal point, and only admins and leaders see it (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

from sqlalchemy import select

from bot.db.models import DueItem, Task
from bot.domain.status import Category, Status, category
from tests.web.conftest import ADMIN, FOCAL, LEADER, OTHER_FOCAL, STRANGER, Web

TODAY = date(2025, 6, 23)  # the bot world's clock
BAR = re.compile(r'<g class="bar"><title>Tháng (\d+)/(\d+) — (\d+) mốc(?: \(([^)]*)\))?</title>')


async def _expected(web: Web) -> dict[tuple[int, int], Counter[str]]:
    async with web.world.sm() as s:
        items = (await s.execute(
            select(DueItem).join(Task, DueItem.task_id == Task.id)
            .where(DueItem.cancelled.is_(False), Task.removed.is_(False))
        )).scalars().all()
    names = {
        Category.DONE_ON_TIME: "Hoàn thành đúng hạn", Category.DONE_LATE: "Hoàn thành trễ hạn",
        Category.OVERDUE: "Quá hạn", Category.UNCONFIRMED: "Chưa cập nhật",
    }
    found: dict[tuple[int, int], Counter[str]] = {}
    for item in items:
        label = names.get(category(item.status, item.due_on, item.completed_on, TODAY), "Trong hạn / chưa đến hạn")
        found.setdefault((item.due_on.month, item.due_on.year), Counter())[label] += 1
    return found


def _bars(html: str) -> dict[tuple[int, int], Counter[str]]:
    bars: dict[tuple[int, int], Counter[str]] = {}
    for month, year, total, parts in BAR.findall(html):
        counts: Counter[str] = Counter()
        for part in filter(None, (parts or "").split("; ")):
            label, value = part.rsplit(": ", 1)
            counts[label] = int(value)
        assert sum(counts.values()) == int(total)
        bars[(int(month), int(year))] = counts
    return bars


async def test_trend_bars_hold_the_items_due_in_each_month_by_outcome(web: Web) -> None:
    admin = await web.sign_in(ADMIN)
    page = await admin.get("/web/reports?kind=month&date=30/06/2025")
    assert page.status_code == 200 and 'id="trend-chart"' in page.text
    assert "Tiến độ theo tháng đến hạn (12 tháng gần nhất)" in page.text
    bars = _bars(page.text)
    assert list(bars) == [(m, 2024) for m in range(7, 13)] + [(m, 2025) for m in range(1, 7)]
    expected = await _expected(web)
    for key, counts in bars.items():
        assert counts == expected.get(key, Counter()), key
    assert sum(sum(c.values()) for c in bars.values()) > 0

    # A focal point finishes an item due in the window: its month's bar moves with it.
    async with web.world.sm() as s:
        item = await s.scalar(
            select(DueItem).where(DueItem.status == Status.PENDING, DueItem.due_on >= date(2024, 7, 1),
                                  DueItem.due_on <= date(2025, 6, 30), DueItem.cancelled.is_(False))
            .order_by(DueItem.due_on).limit(1)
        )
    assert item is not None
    focal = await web.sign_in(FOCAL)  # Sở Tư pháp's group: the item may be another agency's
    leader = await web.sign_in(LEADER)
    week = await leader.get("/web/reports?kind=week")
    assert week.status_code == 200 and "Tiến độ theo tuần đến hạn (12 tuần gần nhất)" in week.text
    assert week.text.count('<g class="bar">') == 12
    admin_page = await admin.get(f"/web/tasks/{item.task_id}")
    csrf = web.csrf(admin_page.text)
    done = await admin.post("/web/tasks/bulk", data={
        "csrf": csrf, "action": "done", "date": "20/06/2025", "item": str(item.id), "back": "/web/tasks",
    })
    assert done.status_code == 303
    after = _bars((await admin.get("/web/reports?kind=month&date=30/06/2025")).text)
    assert after == {k: v for k, v in (await _expected(web)).items() if k in after} | {
        k: Counter() for k in after if k not in await _expected(web)
    }
    key = (item.due_on.month, item.due_on.year)
    assert sum(after[key].values()) == sum(bars[key].values())
    assert after[key]["Hoàn thành trễ hạn"] + after[key]["Hoàn thành đúng hạn"] == (
        bars[key]["Hoàn thành trễ hạn"] + bars[key]["Hoàn thành đúng hạn"] + 1
    )

    for who in (FOCAL, OTHER_FOCAL, STRANGER):
        client = focal if who == FOCAL else await web.sign_in(who)
        refused = await client.get("/web/reports?kind=month")
        assert refused.status_code == 403 and "trend-chart" not in refused.text, who
