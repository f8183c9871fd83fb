"""Event tasks ("Ngay sau khi Chỉ số PCI của tỉnh được công bố") have no due date, so they
are on no task list: admins see them on their own page and give several one date at once,
through the same correction service as one task's deadline (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from bot.db.models import DueItem, Task, TaskCorrection
from tests.web.conftest import ADMIN, FOCAL, LEADER, OTHER_FOCAL, STRANGER, Web


async def _undated_ids(web: Web) -> list[int]:
    async with web.world.sm() as s:
        dated = select(DueItem.task_id).where(DueItem.cancelled.is_(False))
        return list(await s.scalars(select(Task.id).where(Task.removed.is_(False), Task.id.not_in(dated)).order_by(Task.id)))


async def test_admins_date_several_event_tasks_at_once(web: Web) -> None:
    undated = await _undated_ids(web)
    assert len(undated) >= 2
    admin = await web.sign_in(ADMIN)
    tasks = await admin.get("/web/tasks")
    assert 'id="undated-link"' in tasks.text
    page = await admin.get("/web/tasks/undated")
    assert page.status_code == 200 and "PCI" in page.text
    for task_id in undated:
        assert f'id="undated-{task_id}"' in page.text and f'name="task" value="{task_id}"' in page.text
    csrf = web.csrf(page.text)

    picked = undated[:2]
    bad = await admin.post("/web/tasks/undated", data={"csrf": csrf, "task": [str(t) for t in picked], "deadline": "khi nào xong"})
    assert bad.status_code == 303 and "Kh%C3%B4ng+%C4%91%E1%BB%8Dc" in bad.headers["location"]
    assert await _undated_ids(web) == undated
    forged = await admin.post("/web/tasks/undated", data={"task": [str(t) for t in picked], "deadline": "15/08/2025"})
    assert forged.status_code == 403 and await _undated_ids(web) == undated

    done = await admin.post("/web/tasks/undated", data={
        "csrf": csrf, "task": [str(t) for t in picked], "deadline": "15/08/2025", "reason": "PCI 2024 đã công bố",
    })
    assert done.status_code == 303
    after = await admin.get(done.headers["location"])
    assert "Đã đặt hạn cho 2 nhiệm vụ." in after.text
    assert await _undated_ids(web) == undated[2:]
    async with web.world.sm() as s:
        for task_id in picked:
            dues = set(await s.scalars(select(DueItem.due_on).where(DueItem.task_id == task_id, DueItem.cancelled.is_(False))))
            task = await s.get(Task, task_id)
            assert task is not None
            correction = await s.scalar(
                select(TaskCorrection).where(TaskCorrection.task_ref == task.ref, TaskCorrection.field == "deadline")
                .order_by(TaskCorrection.id.desc()).limit(1)
            )
            assert correction is not None and correction.reason == "PCI 2024 đã công bố" and correction.actor_tg_id == ADMIN
            assert dues in ({date(2025, 8, 15)}, set())  # no item when the task has no lead agency
        assert any([
            await s.scalar(select(DueItem.id).where(DueItem.task_id == t, DueItem.due_on == date(2025, 8, 15)))
            for t in picked
        ])
    for task_id in picked:
        assert f'id="undated-{task_id}"' not in after.text

    # Leaders read the list, without checkboxes, and cannot date; others see nothing.
    leader = await web.sign_in(LEADER)
    read = await leader.get("/web/tasks/undated")
    assert read.status_code == 200 and 'name="task"' not in read.text
    refused = await leader.post("/web/tasks/undated", data={"csrf": web.csrf((await leader.get("/web/tasks")).text), "task": str(undated[2]) if len(undated) > 2 else "1", "deadline": "15/08/2025"})
    assert refused.status_code == 403
    for who in (FOCAL, OTHER_FOCAL, STRANGER):
        client = await web.sign_in(who)
        assert (await client.get("/web/tasks/undated")).status_code == 403, who
    assert await _undated_ids(web) == undated[2:]
