"""Agencies, Reports and the history export over HTTP, as each role (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io

from docx import Document
from openpyxl import load_workbook

from tests.web.conftest import ADMIN, FOCAL, LEADER, OTHER_FOCAL, STRANGER, Web


async def test_agencies_page_and_adding_a_body(web: Web) -> None:
    from bot.db.models import FocalPoint
    from tests.web.conftest import STP_GROUP

    stp = await web.world.agency_id("so-tu-phap")
    sxd = await web.world.agency_id("so-xay-dung")
    async with web.world.sm() as s, s.begin():  # registered with /daumoi (its own tests)
        s.add(FocalPoint(agency_id=stp, tg_user_id=FOCAL, name="Trần Thị Bình", username="binh_stp", registered_in=STP_GROUP))
    admin = await web.sign_in(ADMIN)
    page = await admin.get("/web/agencies")
    assert page.status_code == 200
    row = page.text.split(f'id="a-{stp}"', 1)[1].split("</tr>", 1)[0]
    assert "Sở Tư pháp — nhắc việc" in row and "Tỷ lệ đúng hạn" in row and "Trần Thị Bình (@binh_stp)" in row
    assert "chưa có nhóm" in page.text  # agencies with work and no chat
    assert (await admin.get(f"/web/agencies/{stp}")).status_code == 200

    added = await admin.post("/web/agencies", data={"csrf": web.csrf(page.text), "name": "Ban Quản lý dự án ĐTXD tỉnh"})
    assert added.status_code == 303
    agency_page = await admin.get(added.headers["location"])
    assert agency_page.status_code == 200 and "Ban Quản lý dự án ĐTXD tỉnh" in agency_page.text
    again = await admin.post("/web/agencies", data={"csrf": web.csrf(page.text), "name": "Ban Quản lý dự án ĐTXD tỉnh"})
    assert again.headers["location"] == added.headers["location"]  # the same body, not a second one
    task_page = await admin.get("/web/tasks")
    assert "Ban Quản lý dự án ĐTXD tỉnh" in task_page.text  # offered among the province's agencies

    leader = await web.sign_in(LEADER)
    listing = await leader.get("/web/agencies")
    assert listing.status_code == 200 and "Sở Xây dựng" in listing.text and 'id="add-agency"' not in listing.text
    assert (await leader.post("/web/agencies", data={"csrf": web.csrf(listing.text), "name": "Ban X"})).status_code == 403

    focal = await web.sign_in(FOCAL)
    own = await focal.get("/web/agencies")
    assert own.status_code == 200 and f'id="a-{stp}"' in own.text and f'id="a-{sxd}"' not in own.text
    assert (await focal.get(f"/web/agencies/{stp}")).status_code == 200
    refused = await focal.get(f"/web/agencies/{sxd}")
    assert refused.status_code == 404 and "Sở Xây dựng" not in refused.text
    assert (await focal.post("/web/agencies", data={"csrf": web.csrf(own.text), "name": "Ban X"})).status_code == 403

    stranger = await web.sign_in(STRANGER)
    for path in ("/web/agencies", f"/web/agencies/{stp}"):
        assert (await stranger.get(path)).status_code == 403


async def test_reports_figures_chart_and_files(web: Web) -> None:
    admin = await web.sign_in(ADMIN)
    page = await admin.get("/web/reports")
    assert page.status_code == 200
    # The bot's today is Monday 23/06: its Monday–Sunday week so far, never Tuesday–Monday.
    assert "Kỳ từ 23/06/2025 đến 23/06/2025" in page.text
    total = int(page.text.split('id="totals">', 1)[1].split("<b>", 1)[1].split("</b>", 1)[0])
    assert "<b>39</b><span>nhiệm vụ</span>" in page.text and "<span>mốc thời hạn</span>" in page.text
    assert "tỷ lệ hoàn thành (số mốc đã đến hạn)" in page.text and "tỷ lệ hoàn thành (tổng số mốc)" in page.text
    assert total > 0 and "Sở Tư pháp" in page.text and "1782/KH-UBND" in page.text
    overdue = page.text.split('id="overdue">', 1)[1]
    assert "ngày</td>" in overdue  # days late, from the same categories as the digest
    month = await admin.get("/web/reports?kind=month&date=31/12/2024")
    assert "Kỳ từ 01/12/2024 đến 31/12/2024" in month.text

    chart = await admin.get("/web/reports/chart.png?kind=week")
    assert chart.status_code == 200 and chart.content.startswith(b"\x89PNG")
    xlsx = await admin.get("/web/reports/download?kind=month&date=30/06/2025&fmt=xlsx")
    assert xlsx.status_code == 200 and ".xlsx" in xlsx.headers["content-disposition"]
    workbook = load_workbook(io.BytesIO(xlsx.content))
    assert len(workbook.sheetnames) >= 2
    docx = await admin.get("/web/reports/download?kind=month&date=30/06/2025&fmt=docx")
    text = "\n".join(p.text for p in Document(io.BytesIO(docx.content)).paragraphs)
    assert "Phú Thọ" in text or "PHÚ THỌ" in text

    leader = await web.sign_in(LEADER)
    assert (await leader.get("/web/reports")).status_code == 200
    for who in (FOCAL, OTHER_FOCAL, STRANGER):
        client = await web.sign_in(who)
        for path in ("/web/reports", "/web/reports/chart.png", "/web/reports/download?fmt=xlsx"):
            refused = await client.get(path)
            assert refused.status_code == 403, (who, path)
            assert b"PK" != refused.content[:2]


async def test_history_export_is_filtered_by_role(web: Web) -> None:
    admin = await web.sign_in(ADMIN)
    everything = list(csv.reader(io.StringIO((await admin.get("/web/history/export")).content.decode("utf-8-sig"))))
    assert everything[0][0] == "Thời điểm" and everything[0][5] == "Cơ quan"
    agencies = {row[5] for row in everything[1:]}
    assert {"Sở Tư pháp", "Sở Xây dựng"} <= agencies

    focal = await web.sign_in(FOCAL)
    mine = list(csv.reader(io.StringIO((await focal.get("/web/history/export")).content.decode("utf-8-sig"))))
    assert len(mine) > 1 and {row[5] for row in mine[1:]} == {"Sở Tư pháp"}
    sxd = await web.world.agency_id("so-xay-dung")
    other = list(csv.reader(io.StringIO((await focal.get(f"/web/history/export?agency={sxd}")).content.decode("utf-8-sig"))))
    assert other == [everything[0]]  # typing another agency's id gives nothing of it
    xlsx = await focal.get("/web/history/export?fmt=xlsx&from=01/01/2020&to=31/12/2030")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None and sheet.max_row == len(mine) + 1  # title row + the same rows
    stranger = await web.sign_in(STRANGER)
    assert (await stranger.get("/web/history/export")).status_code == 403


async def test_the_history_page_of_a_plan_an_agency_a_task_by_role(web: Web) -> None:
    """/web/history: the audit trail filtered by plan, agency or task, newest first, linked
    from the Plans, Tasks and agency pages; a focal point sees their agency's rows only, a
    stranger nothing."""
    from sqlalchemy import select

    from bot.db.models import Plan

    stp = await web.world.agency_id("so-tu-phap")
    sxd = await web.world.agency_id("so-xay-dung")
    async with web.world.sm() as s:
        plan = await s.scalar(select(Plan.id).limit(1))
    admin = await web.sign_in(ADMIN)
    assert 'href="/web/history?p=' in (await admin.get("/web/plans")).text
    assert 'id="history-page"' in (await admin.get("/web/tasks")).text
    assert 'href="/web/history?p=' in (await admin.get(f"/web/agencies/{stp}")).text
    whole = await admin.get(f"/web/history?plan={plan}")
    assert whole.status_code == 200 and "Sở Tư pháp" in whole.text and "Sở Xây dựng" in whole.text
    assert "cập nhật mới nhất; tải về để có đầy đủ." in whole.text  # the sample plan has more than a page
    assert 'fmt=xlsx' in whole.text and f"plan={plan}" in whole.text.split('id="history-xlsx"', 1)[1].split(">", 1)[0]
    one = (await admin.get(f"/web/history?agency={sxd}")).text.split('id="history"', 1)[1]
    assert "Sở Xây dựng" in one and "Sở Tư pháp</td>" not in one

    focal = await web.sign_in(FOCAL)
    mine = (await focal.get("/web/history")).text
    rows = mine.split('id="history"', 1)[1]
    assert 'data-label="Cơ quan">Sở Tư pháp</td>' in rows and 'data-label="Cơ quan">Sở Xây dựng</td>' not in rows
    typed = (await focal.get(f"/web/history?agency={sxd}")).text  # another agency's id: nothing of it
    assert "Chưa có cập nhật nào khớp bộ lọc." in typed and "Sở Xây dựng</td>" not in typed
    stranger = await web.sign_in(STRANGER)
    assert (await stranger.get("/web/history")).status_code == 403
