"""The Plans page over HTTP against the real bot: upload a real .docx, follow the parse,
correct rows before importing, import, and who may do what (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import io
import re
from datetime import date

import httpx
from sqlalchemy import select

from bot.db.models import Agency, DueItem, PendingUpload, Plan, Task, TaskAgency, TaskCorrection
from bot.domain.kinds import LinkRole
from tests.web.conftest import ADMIN, FOCAL, LEADER, STRANGER, Web

NUMBER = "99/KH-UBND"


def plan_docx() -> bytes:
    """A small Phú Thọ plan: a task with a body the directory lacks, an event deadline, a
    row that is no task, and a plain one."""
    from docx import Document

    doc = Document()
    header = doc.add_table(rows=2, cols=2)
    header.cell(0, 0).text = "ỦY BAN NHÂN DÂN\nTỈNH PHÚ THỌ"
    header.cell(0, 1).text = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    header.cell(1, 0).text = f"Số: {NUMBER}"
    header.cell(1, 1).text = "Phú Thọ, ngày 10 tháng 3 năm 2025"
    doc.add_paragraph("KẾ HOẠCH")
    doc.add_paragraph("Cải cách hành chính nhà nước tỉnh Phú Thọ năm 2025")
    rows = [
        ("STT", "Nội dung nhiệm vụ", "Sản phẩm", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian hoàn thành"),
        ("1", "Rà soát, đơn giản hóa thủ tục hành chính", "Báo cáo", "Sở Tư pháp", "Sở Nội vụ", "Quý III/2025"),
        ("2", "Số hóa hồ sơ đất đai", "Cơ sở dữ liệu", "Ban Số hóa Đặc biệt Đất Tổ", "", "Ngay sau khi Bộ ban hành hướng dẫn"),
        ("3", "Tổng hợp kinh phí thực hiện kế hoạch", "Dự toán", "Sở Tài chính", "", "Tháng 12/2025"),
    ]
    table = doc.add_table(rows=len(rows), cols=6)
    for r, values in enumerate(rows):
        for c, text in enumerate(values):
            table.cell(r, c).text = text
    doc.add_paragraph("TM. ỦY BAN NHÂN DÂN")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


async def _upload(web: Web, client: httpx.AsyncClient, data: bytes, name: str = "ke-hoach-99.docx") -> httpx.Response:
    page = await client.get("/web/plans")
    files = {"file": (name, data, "application/octet-stream")}
    return await client.post("/web/plans/upload", data={"csrf": web.csrf(page.text)}, files=files)


async def _parsed(client: httpx.AsyncClient, job_url: str) -> str:
    """Poll the progress fragment as htmx does until it redirects; the review page's URL."""
    for _ in range(600):
        progress = await client.get(job_url + "/progress", headers={"HX-Request": "true"})
        assert progress.status_code == 200
        if "HX-Redirect" in progress.headers:
            return progress.headers["HX-Redirect"]
        assert "parse-error" not in progress.text, progress.text
        await asyncio.sleep(0.1)
    raise AssertionError("the parse never finished")


async def test_upload_review_correct_drop_and_import(web: Web) -> None:
    admin = await web.sign_in(ADMIN)
    started = await _upload(web, admin, plan_docx())
    assert started.status_code == 303 and started.headers["location"].startswith("/web/plans/jobs/")
    job_url = started.headers["location"]
    waiting = await admin.get(job_url)
    assert waiting.status_code in (200, 303)
    review_url = await _parsed(admin, job_url)
    assert (await admin.get(job_url)).headers["location"] == review_url  # done: the job page forwards

    page = await admin.get(review_url)
    assert page.status_code == 200
    html = page.text
    assert NUMBER in html and "Ban Số hóa Đặc biệt Đất Tổ" in html  # the unknown body, kept
    assert "Rà soát, đơn giản hóa thủ tục hành chính" in html and "30/09/2025" in html
    assert "chưa có ngày hạn" in html  # the event deadline: no date yet, flagged
    csrf = web.csrf(html)
    upload_id = int(review_url.rsplit("/", 1)[1])

    row = await admin.get(f"{review_url}/row?ref=2")
    assert row.status_code == 200 and "Ngay sau khi Bộ ban hành hướng dẫn" in row.text
    preview = await admin.get(f"{review_url}/deadline-preview?deadline=Quý IV/2025")
    assert "31/12/2025" in preview.text
    unread = await admin.post(f"{review_url}/row", data={"csrf": csrf, "ref": "2", "field": "deadline", "deadline": "khi có yêu cầu"})
    assert unread.status_code == 422 and "Không đọc được ngày hạn" in unread.text
    for form in (
        {"field": "lead", "agency": "so-nong-nghiep-moi-truong"},
        {"field": "support", "agency": ["so-tu-phap", "so-noi-vu"]},
        {"field": "deadline", "deadline": "Quý IV/2025"},
        {"field": "product", "value": "Cơ sở dữ liệu đất đai"},
    ):
        done = await admin.post(f"{review_url}/row", data={"csrf": csrf, "ref": "2", **form})
        assert done.status_code == 303, (form, done.text)
    bad_lead = await admin.post(f"{review_url}/row", data={"csrf": csrf, "ref": "1", "field": "lead", "agency": "khong-co"})
    assert bad_lead.status_code == 422 and "không thuộc danh mục" in bad_lead.text
    added = await admin.post(f"{review_url}/agency", data={"csrf": csrf, "ref": "1", "name": "Ban Quản lý dự án ĐTXD tỉnh"})
    assert added.status_code == 303
    row1 = await admin.get(f"{review_url}/row?ref=1")
    code = re.search(r'value="(moi-ban-quan-ly-du-an-[^"]+)"', row1.text)
    assert code, "the added body is offered as a lead"
    assert (await admin.post(f"{review_url}/row", data={"csrf": csrf, "ref": "1", "field": "lead", "agency": ["so-tu-phap", code.group(1)]})).status_code == 303
    assert (await admin.post(f"{review_url}/row", data={"csrf": csrf, "ref": "3", "field": "dropped", "value": "1"})).status_code == 303
    without_csrf = await admin.post(f"{review_url}/row", data={"ref": "3", "field": "dropped", "value": "0"})
    assert without_csrf.status_code == 403

    html = (await admin.get(review_url)).text
    assert "31/12/2025" in html and "Sở Nông nghiệp và Môi trường" in html and "sẽ không nhập" in html
    assert "<b>2</b> nhiệm vụ sẽ được nhập" in html

    imported = await admin.post(f"{review_url}/import", data={"csrf": csrf})
    assert imported.status_code == 200 and "Đã nhập Kế hoạch 99/KH-UBND: 2 nhiệm vụ" in imported.text
    async with web.world.sm() as s:
        plan = await s.scalar(select(Plan).where(Plan.number == NUMBER))
        assert plan is not None
        tasks = {t.ref: t for t in await s.scalars(select(Task).where(Task.plan_id == plan.id))}
        assert set(tasks) == {"1", "2"}  # row 3 dropped before the import
        links = set(
            (await s.execute(
                select(Task.ref, TaskAgency.role, Agency.code).join(Task).join(Agency).where(Task.plan_id == plan.id)
            )).all()
        )
        assert ("2", LinkRole.LEAD, "so-nong-nghiep-moi-truong") in links
        assert {("2", LinkRole.SUPPORT, "so-tu-phap"), ("2", LinkRole.SUPPORT, "so-noi-vu")} <= links
        assert ("1", LinkRole.LEAD, code.group(1)) in links  # the body added on the spot
        items = set(
            (await s.execute(
                select(Task.ref, Agency.code, DueItem.due_on).join(Task).join(Agency, DueItem.agency_id == Agency.id)
                .where(Task.plan_id == plan.id, DueItem.cancelled.is_(False))
            )).all()
        )
        assert ("2", "so-nong-nghiep-moi-truong", date(2025, 12, 31)) in items
        assert tasks["2"].product == "Cơ sở dữ liệu đất đai" and "event_deadline" not in tasks["2"].needs_review
        history = list(await s.scalars(select(TaskCorrection).where(TaskCorrection.plan_number == NUMBER)))
        assert {(c.task_ref, c.field) for c in history} >= {("2", "lead"), ("2", "deadline"), ("3", "dropped"), ("1", "lead")}
        assert all(c.actor_tg_id == ADMIN for c in history)
        upload = await s.get(PendingUpload, upload_id)
        assert upload is not None and upload.state.value == "done"
    again = await admin.post(f"{review_url}/import", data={"csrf": csrf})
    assert again.status_code == 404  # decided: nothing to import twice


async def test_uploads_are_refused_by_type_size_and_role(web: Web) -> None:
    admin = await web.sign_in(ADMIN)
    wrong = await _upload(web, admin, b"MZ\x90\x00", name="virus.exe")
    assert wrong.status_code == 422 and "chỉ nhận kế hoạch dạng .docx, .pdf hoặc .txt" in wrong.text
    max_mb = web.world.app.bot_data.settings.max_upload_mb  # type: ignore[attr-defined]
    big = await _upload(web, admin, b"x" * (max_mb * 1024 * 1024 + 1), name="to.txt")
    assert big.status_code == 413
    unreadable = await _upload(web, admin, b"\x00\x01 not a plan", name="rong.docx")
    job_url = unreadable.headers["location"]
    for _ in range(600):
        progress = await admin.get(job_url + "/progress")
        if "parse-error" in progress.text:
            break
        await asyncio.sleep(0.1)
    assert "parse-error" in progress.text and "HX-Redirect" not in progress.headers

    started = await _upload(web, admin, plan_docx())
    review_url = await _parsed(admin, started.headers["location"])

    leader = await web.sign_in(LEADER)
    listing = await leader.get("/web/plans")
    assert listing.status_code == 200 and "1782/KH-UBND" in listing.text and "upload-form" not in listing.text
    assert (await _upload(web, leader, plan_docx())).status_code == 403
    assert (await leader.get(started.headers["location"])).status_code == 404  # another person's parse
    focal = await web.sign_in(FOCAL)
    stranger = await web.sign_in(STRANGER)
    for client, plans_status in ((leader, 200), (focal, 403), (stranger, 403)):
        assert (await client.get("/web/plans")).status_code == plans_status
        for path in (review_url, f"{review_url}/row?ref=1", f"{review_url}/deadline-preview?deadline=2026"):
            refused = await client.get(path)
            assert refused.status_code in (403, 404), path
            assert NUMBER not in refused.text
        tasks = await client.get("/web/tasks")
        token = web.csrf(tasks.text) if tasks.status_code == 200 else "x"  # their own, valid token
        assert (await client.post(f"{review_url}/import", data={"csrf": token})).status_code in (403, 404)
        assert (await client.post(f"{review_url}/row", data={"csrf": token, "ref": "1", "field": "dropped", "value": "1"})).status_code in (403, 404)
    async with web.world.sm() as s:
        assert await s.scalar(select(Plan).where(Plan.number == NUMBER)) is None
    cancelled = await admin.post(f"{review_url}/cancel", data={"csrf": web.csrf((await admin.get(review_url)).text)})
    assert cancelled.status_code == 303
    assert (await admin.get(review_url)).status_code == 404
