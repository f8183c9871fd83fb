"""Every console route over HTTP, as each role and as a stranger (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import time
from datetime import date

from sqlalchemy import select

from bot.db.models import Agency, DueItem, Task, TaskAgency
from bot.domain.kinds import LinkRole
from bot.web import initdata
from tests.web.conftest import ADMIN, FOCAL, LEADER, OTHER_FOCAL, STRANGER, Web, later


async def _task_of(web: Web, code: str | None, *, kind: str | None = None, not_of: str | None = None) -> int:
    """A dated task `code` leads (and, with not_of, one that agency has no part in)."""
    async with web.world.sm() as s:
        query = (
            select(Task.id)
            .join(TaskAgency, (TaskAgency.task_id == Task.id) & (TaskAgency.role == LinkRole.LEAD))
            .join(Agency, TaskAgency.agency_id == Agency.id)
            .join(DueItem, DueItem.task_id == Task.id)
            .order_by(Task.id)
        )
        if code:
            query = query.where(Agency.code == code)
        if kind:
            query = query.where(Task.deadline_kind == kind)
        if not_of:
            linked = select(TaskAgency.task_id).join(Agency, TaskAgency.agency_id == Agency.id).where(Agency.code == not_of)
            query = query.where(Task.id.not_in(linked))
        return int(await s.scalar(query.limit(1)))


async def test_a_web_link_signs_in_once_and_expires(web: Web) -> None:
    link = await web.link(ADMIN)
    token = link.split("t=", 1)[1]
    assert (await web.client.get(f"/web/login?t={token}")).status_code == 200  # a GET uses nothing up
    forged = token[:-1] + ("0" if token[-1] != "0" else "1")
    assert (await web.client.post("/web/login", data={"t": forged})).status_code == 400
    first = await web.client.post("/web/login", data={"t": token})
    assert first.status_code == 303 and first.headers["location"] == "/web/tasks"
    cookie = first.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/web" in cookie
    assert (await web.client.post("/web/login", data={"t": token})).status_code == 400  # used
    stale = (await web.link(ADMIN)).split("t=", 1)[1]
    later(web.clock, minutes=11)
    assert (await web.client.post("/web/login", data={"t": stale})).status_code == 400


async def test_web_in_a_group_sends_no_link(web: Web) -> None:
    from tests.web.conftest import STP_GROUP

    [reply] = await web.world.send(STP_GROUP, FOCAL, "/web")
    assert "chat riêng" in (reply.text or "") and "/web/login" not in (reply.text or "")


async def test_sessions_expire_and_sign_out_works(web: Web) -> None:
    client = await web.sign_in(ADMIN)
    page = await client.get("/web/tasks")
    assert page.status_code == 200
    csrf = web.csrf(page.text)
    assert (await client.post("/web/logout", data={"csrf": "wrong"})).status_code == 403
    out = await client.post("/web/logout", data={"csrf": csrf})
    assert out.status_code == 303
    assert (await client.get("/web/tasks")).headers["location"] == "/web/signin"
    again = await web.sign_in(ADMIN)
    later(web.clock, hours=13)
    assert (await again.get("/web/tasks")).status_code == 303


async def test_each_role_sees_only_its_own(web: Web) -> None:
    stp_task = await _task_of(web, "so-tu-phap")
    sxd_task = await _task_of(web, "so-xay-dung", not_of="so-tu-phap")  # nothing of FOCAL's
    not_sxd = await _task_of(web, None, not_of="so-xay-dung")  # nothing of OTHER_FOCAL's
    anonymous = await web.client.get("/web/tasks")
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/web/signin"

    admin = await web.sign_in(ADMIN)
    everything = await admin.get("/web/tasks")
    assert "Sở Tư pháp" in everything.text and "Sở Xây dựng" in everything.text

    leader = await web.sign_in(LEADER)
    page = await leader.get("/web/tasks")
    assert page.status_code == 200 and "Sở Xây dựng" in page.text
    assert (await leader.get(f"/web/tasks/{sxd_task}")).status_code == 200
    posted = await leader.post(f"/web/tasks/{sxd_task}/deadline", data={"csrf": web.csrf(page.text), "deadline": "31/01/2027"})
    assert posted.status_code == 403  # leaders read; admins correct

    focal = await web.sign_in(FOCAL)
    mine = await focal.get("/web/tasks")
    assert "Sở Tư pháp</td>" in mine.text and "Sở Xây dựng</td>" not in mine.text
    assert (await focal.get(f"/web/tasks/{stp_task}")).status_code == 200
    assert (await focal.get(f"/web/tasks/{sxd_task}")).status_code == 404
    assert (await focal.get("/web/tasks?agency=" + str(await web.world.agency_id("so-xay-dung")))).text.count("<tr class=") == 0

    other = await web.sign_in(OTHER_FOCAL)
    assert (await other.get(f"/web/tasks/{not_sxd}")).status_code == 404
    assert (await other.get(f"/web/tasks/{sxd_task}")).status_code == 200

    stranger = await web.sign_in(STRANGER)
    for path in ("/web/tasks", f"/web/tasks/{stp_task}", f"/web/deadline-preview?task={stp_task}&deadline=2026"):
        refused = await stranger.get(path)
        assert refused.status_code == 403, path
        assert "Sở Tư pháp" not in refused.text
    assert (await admin.get("/web/tasks?p=999999")).status_code == 404


async def test_forms_need_the_session_csrf_token(web: Web) -> None:
    task = await _task_of(web, "so-tu-phap")
    admin = await web.sign_in(ADMIN)
    refused = await admin.post(f"/web/tasks/{task}/deadline", data={"deadline": "31/01/2027"})
    assert refused.status_code == 403
    other = await web.sign_in(ADMIN)  # another session's token is no good either
    page = await other.get("/web/tasks")
    assert (await admin.post(f"/web/tasks/{task}/deadline", data={"csrf": web.csrf(page.text), "deadline": "31/01/2027"})).status_code == 403


async def test_correcting_lead_and_deadline_moves_the_items_and_survives_a_reimport(web: Web) -> None:
    from bot.services.plans import store_draft
    from tests.e2e.conftest import sample_draft

    task = await _task_of(web, "so-tu-phap")
    snv = await web.world.agency_id("so-noi-vu")
    admin = await web.sign_in(ADMIN)
    page = await admin.get(f"/web/tasks/{task}")
    csrf = web.csrf(page.text)
    preview = await admin.get(f"/web/deadline-preview?task={task}&deadline=Quý II hằng năm")
    assert "30/06/2021" in preview.text and "30/06/2025" in preview.text
    bad = await admin.post(f"/web/tasks/{task}/deadline", data={"csrf": csrf, "deadline": "khi có yêu cầu"})
    assert bad.status_code == 422 and "Không đọc được ngày hạn" in bad.text

    done = await admin.post(f"/web/tasks/{task}/deadline", data={"csrf": csrf, "deadline": "31/01/2027", "reason": "đọc nhầm"})
    assert done.status_code == 303
    moved = await admin.post(f"/web/tasks/{task}/lead", data={"csrf": csrf, "agency": str(snv)})
    assert moved.status_code == 303

    async def open_items() -> set[tuple[str, date]]:
        async with web.world.sm() as s:
            rows = await s.execute(
                select(Agency.code, DueItem.due_on).join(Agency, DueItem.agency_id == Agency.id)
                .where(DueItem.task_id == task, DueItem.cancelled.is_(False))
            )
            return set(rows.all())

    assert await open_items() == {("so-noi-vu", date(2027, 1, 31))}
    detail = (await admin.get(f"/web/tasks/{task}")).text
    assert "Quản trị" in detail and "đọc nhầm" in detail and "Thay hạn" in detail
    assert "Sửa cơ quan chủ trì: Sở Tư pháp → Sở Nội vụ" in detail

    svc = web.world.app.bot_data  # type: ignore[attr-defined]
    async with web.world.sm() as s, s.begin():  # the same plan imported again
        await store_draft(s, draft=sample_draft(svc.catalog), catalog=svc.catalog, timezone="Asia/Ho_Chi_Minh", actor="test")  # type: ignore[arg-type]
    assert await open_items() == {("so-noi-vu", date(2027, 1, 31))}


async def test_dathan_replaces_a_misread_deadline(web: Web) -> None:
    task = await _task_of(web, None, kind="once")
    [reply] = await web.world.send(ADMIN, ADMIN, f"/dathan NV{task} 31/01/2027")
    assert "Thay cho hạn cũ" in (reply.text or "")
    async with web.world.sm() as s:
        dates = set(await s.scalars(select(DueItem.due_on).where(DueItem.task_id == task, DueItem.cancelled.is_(False))))
    assert dates == {date(2027, 1, 31)}


async def test_the_mini_app_signs_in_with_genuine_init_data_only(web: Web) -> None:
    token = web.world.server.token
    now = int(web.clock.now.timestamp())
    fields = {"auth_date": str(now), "query_id": "AAE", "user": json.dumps({"id": LEADER, "first_name": "Lãnh", "last_name": "đạo"})}
    genuine = initdata.sign(fields, token)
    assert (await web.client.get("/web/app")).status_code == 200
    ok = await web.client.post("/web/app", data={"init_data": genuine})
    assert ok.status_code == 303 and "nv_session=" in ok.headers["set-cookie"]
    forged = initdata.sign({**fields, "user": json.dumps({"id": ADMIN})}, "123:other-token")
    assert (await web.client.post("/web/app", data={"init_data": forged})).status_code == 400
    tampered = genuine.replace(str(LEADER), str(ADMIN))
    assert (await web.client.post("/web/app", data={"init_data": tampered})).status_code == 400
    stale = initdata.sign({**fields, "auth_date": str(now - 2 * 3600)}, token)
    assert (await web.client.post("/web/app", data={"init_data": stale})).status_code == 400
    assert time.time() > 0


async def test_tasks_filters_and_pages(web: Web) -> None:
    admin = await web.sign_in(ADMIN)
    first = await admin.get("/web/tasks")
    total = int(first.text.split('id="count">', 1)[1].split(" ", 1)[0])
    assert total > 50 and 'id="next"' in first.text
    second = await admin.get("/web/tasks?page=2")
    assert "trang 2/" in second.text
    plain = await admin.get("/web/tasks?q=XAY DUNG")  # accent- and case-insensitive
    accented = await admin.get("/web/tasks?q=xây dựng")
    count = lambda r: int(r.text.split('id="count">', 1)[1].split(" ", 1)[0])  # noqa: E731
    assert 0 < count(plain) == count(accented) < total
    overdue = await admin.get("/web/tasks?cat=overdue")
    done = await admin.get("/web/tasks?cat=done_on_time")
    assert count(overdue) > 0 and count(done) == 0
    ranged = await admin.get("/web/tasks?from=01/01/2025&to=31/12/2025")
    assert 0 < count(ranged) < total and "31/12/2024" not in ranged.text
    flagged = await admin.get("/web/tasks?flag=any")
    assert count(flagged) <= total
    stp = await web.world.agency_id("so-tu-phap")
    only = await admin.get(f"/web/tasks?agency={stp}")
    assert 0 < count(only) < total
