"""Bulk actions on the tasks page (admins only), each item through the single-item services."""

from __future__ import annotations

from datetime import date
from urllib.parse import unquote_plus

from sqlalchemy import select

from bot.db.models import Agency, DueItem, StatusChange, TaskCorrection
from bot.domain.status import Status
from tests.web.conftest import ADMIN, FOCAL, LEADER, Web


async def _open_items(web: Web, code: str) -> list[DueItem]:
    async with web.world.sm() as s:
        return list(
            await s.scalars(
                select(DueItem).join(Agency, DueItem.agency_id == Agency.id)
                .where(Agency.code == code, DueItem.cancelled.is_(False), DueItem.status == Status.PENDING,
                       DueItem.due_on < date(2025, 6, 1))
                .order_by(DueItem.due_on, DueItem.id)
            )
        )


async def test_bulk_close_reassign_and_redate(web: Web) -> None:
    stp = await _open_items(web, "so-tu-phap")
    first, second = stp[0], stp[1]
    moved = next(i for i in stp[2:] if i.task_id not in (first.task_id, second.task_id))
    admin = await web.sign_in(ADMIN)
    page = await admin.get("/web/tasks")
    assert 'id="bulk"' in page.text
    csrf = web.csrf(page.text)

    closed = await admin.post("/web/tasks/bulk", data={
        "csrf": csrf, "action": "done", "date": "15/05/2025", "item": [str(first.id), str(second.id)], "back": "/web/tasks?page=2"})
    assert closed.status_code == 303 and closed.headers["location"].startswith("/web/tasks?page=2&m=")
    assert "Đã cập nhật 2 hạn nhiệm vụ" in unquote_plus(closed.headers["location"])
    async with web.world.sm() as s:
        for item_id in (first.id, second.id):
            item = await s.get(DueItem, item_id)
            assert item is not None and item.status is Status.DONE and item.completed_on == date(2025, 5, 15)
            history = await s.scalar(select(StatusChange).where(StatusChange.due_item_id == item_id).order_by(StatusChange.id.desc()).limit(1))
            assert history is not None and history.actor_tg_id == ADMIN and history.channel == "web"

    snv = await web.world.agency_id("so-noi-vu")
    reassigned = await admin.post("/web/tasks/bulk", data={"csrf": csrf, "action": "lead", "agency": str(snv), "item": str(moved.id), "reason": "sáp nhập"})
    assert reassigned.status_code == 303 and "Đã cập nhật 1 nhiệm vụ" in unquote_plus(reassigned.headers["location"])
    async with web.world.sm() as s:
        codes = set(await s.scalars(
            select(Agency.code).join(DueItem, DueItem.agency_id == Agency.id)
            .where(DueItem.task_id == moved.task_id, DueItem.cancelled.is_(False))
        ))
        assert "so-noi-vu" in codes and "so-tu-phap" not in codes
        correction = await s.scalar(select(TaskCorrection).where(TaskCorrection.field == "lead").order_by(TaskCorrection.id.desc()).limit(1))
        assert correction is not None and correction.reason == "sáp nhập"

    redated = await admin.post("/web/tasks/bulk", data={"csrf": csrf, "action": "deadline", "deadline": "31/01/2027", "item": str(stp[3].id)})
    assert redated.status_code == 303
    async with web.world.sm() as s:
        dates = set(await s.scalars(select(DueItem.due_on).where(DueItem.task_id == stp[3].task_id, DueItem.cancelled.is_(False), DueItem.status != Status.DONE)))
    assert dates == {date(2027, 1, 31)}
    bad = await admin.post("/web/tasks/bulk", data={"csrf": csrf, "action": "done", "date": "", "item": str(stp[4].id)})
    assert "Cần ngày hoàn thành" in unquote_plus(bad.headers["location"])
    assert (await admin.post("/web/tasks/bulk", data={"action": "done", "date": "15/05/2025", "item": str(stp[4].id)})).status_code == 403

    for who in (LEADER, FOCAL):
        client = await web.sign_in(who)
        token = web.csrf((await client.get("/web/tasks")).text)
        refused = await client.post("/web/tasks/bulk", data={"csrf": token, "action": "done", "date": "15/05/2025", "item": str(stp[4].id)})
        assert refused.status_code == 403
        assert 'id="bulk"' not in (await client.get("/web/tasks")).text
    async with web.world.sm() as s:
        untouched = await s.get(DueItem, stp[4].id)
        assert untouched is not None and untouched.status is Status.PENDING
