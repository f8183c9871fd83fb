"""Reports that tell the truth (issue 15), on the sample plans, through the real command line
on SQLite and PostgreSQL: tasks and deadlines counted apart, both completion rates labelled,
tasks nobody leads ("chưa giao") listed until assigned, a task once in "kỳ tới"."""

from __future__ import annotations

import io
import re
from pathlib import Path

import docx
from openpyxl import load_workbook
from test_cli import PHU_THO, PLANS, run

SOC_TRANG = PLANS / "soc-trang-48-KH-UBND-2016.txt"
VINH_LONG = PLANS / "vinh-long-18-KH-UBND-2025.txt"


async def test_soc_trang_digest_and_status_say_its_tasks_are_unassigned(db_url: str, tmp_path: Path) -> None:
    assert run("import", str(SOC_TRANG), db_url=db_url, cwd=tmp_path).returncode == 0
    digest = run("digest", "--date", "14/12/2026", db_url=db_url, cwd=tmp_path)
    assert digest.returncode == 0, digest.stderr
    text = digest.stdout
    # None of its 16 tasks has a lead: never "nothing overdue", but "unassigned".
    assert "không có nhiệm vụ nào quá hạn" not in text
    assert "📁 16 nhiệm vụ, 0 mốc thời hạn · 16 nhiệm vụ chưa giao cơ quan chủ trì" in text
    assert "❓ Nhiệm vụ chưa giao cơ quan chủ trì (16) — chưa cơ quan nào được nhắc:" in text
    assert "(KH 48/KH-UBND, mục II.1.a, NV" in text and "… và 8 nhiệm vụ khác (xem tệp Excel)." in text

    status = run("status", db_url=db_url, cwd=tmp_path)
    assert status.returncode == 0, status.stdout + status.stderr
    assert "• Kế hoạch: 1 · 16 nhiệm vụ (cần rà soát: 16; chưa giao cơ quan chủ trì: 16) · 0 mốc thời hạn" in status.stdout
    assert "• Nhiệm vụ chưa giao cơ quan chủ trì — Cần Thơ (16):" in status.stdout
    assert len(re.findall(r"^  - NV\d+ \(KH 48/KH-UBND, mục II\.", status.stdout, re.M)) == 16


async def test_vinh_long_workbook_and_report_show_all_35_tasks(db_url: str, tmp_path: Path) -> None:
    assert run("import", str(VINH_LONG), db_url=db_url, cwd=tmp_path).returncode == 0
    out = tmp_path / "out"
    done = run("digest", "--date", "30/11/2026", "--kind", "month", "--out", str(out), db_url=db_url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    stem = "bao-cao-thang-vinh-long-2026-11-30"
    book = load_workbook(io.BytesIO((out / f"{stem}.xlsx").read_bytes()))
    assert book.sheetnames == ["Theo cơ quan", "Theo kế hoạch", "Chưa giao", "KH 18-KH-UBND"]
    unassigned = [r for r in book["Chưa giao"].iter_rows(min_row=4, values_only=True) if r[0] is not None]
    assert len(unassigned) == 18 and all(r[1] == "18/KH-UBND" and str(r[7]).startswith("NV") for r in unassigned)
    plan_rows = list(book["KH 18-KH-UBND"].iter_rows(min_row=4, values_only=True))
    assert len({r[11] for r in plan_rows}) == 35  # every task of the plan, by its code
    assert sum(1 for r in plan_rows if r[7] == "Chưa giao cơ quan chủ trì") == 18
    summary = [r for r in book["Theo kế hoạch"].iter_rows(min_row=3, values_only=True)]
    header, plan = summary[0], summary[1]
    assert plan[header.index("Số nhiệm vụ")] == 35 and plan[header.index("Nhiệm vụ chưa giao chủ trì")] == 18
    assert plan[header.index("Tổng số mốc thời hạn")] == 155

    body = "\n".join(p.text for p in docx.Document(io.BytesIO((out / f"{stem}.docx").read_bytes())).paragraphs)
    assert "các kế hoạch có 35 nhiệm vụ, 155 mốc thời hạn" in body
    assert "trong đó 18 nhiệm vụ chưa giao cơ quan chủ trì" in body
    assert "- Kế hoạch số 18/KH-UBND (năm 2025): 35 nhiệm vụ, 155 mốc thời hạn" in body
    assert "Có 18 nhiệm vụ chưa giao cơ quan chủ trì (chưa cơ quan nào được nhắc):" in body
    # No agency ever bound a chat: "chưa có nhóm", never "không liên lạc được".
    assert "Cơ quan chưa có nhóm nhận nhắc việc: " in body and "không liên lạc được" not in body.lower()


async def test_phu_tho_report_counts_tasks_and_deadlines_and_lists_a_task_once(db_url: str, tmp_path: Path) -> None:
    assert run("import", str(PHU_THO), db_url=db_url, cwd=tmp_path).returncode == 0
    out = tmp_path / "out"
    # Month to 01/12/2021: the 31/12/2021 deadlines of five- and fifteen-agency tasks are "kỳ tới".
    done = run("digest", "--date", "01/12/2021", "--kind", "month", "--out", str(out), db_url=db_url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    stem = "bao-cao-thang-phu-tho-2021-12-01"
    document = docx.Document(io.BytesIO((out / f"{stem}.docx").read_bytes()))
    body = [p.text for p in document.paragraphs]
    joined = "\n".join(body)
    assert "các kế hoạch có 39 nhiệm vụ, 300 mốc thời hạn" in joined
    assert "- Kế hoạch số 1782/KH-UBND (giai đoạn 2021–2025): 39 nhiệm vụ, 300 mốc thời hạn" in joined
    # Both rates, each saying what it is over.
    assert re.search(r"đạt \d+% tổng số mốc\. Trong \d+ mốc đã đến hạn", joined)
    assert "số mốc đã đến hạn; tỉ lệ hoàn thành đúng hạn" in joined
    section = body[body.index("III. NHIỆM VỤ TRỌNG TÂM KỲ TỚI") + 1 : body.index("IV. ĐỀ XUẤT, KIẾN NGHỊ")]
    items = [line for line in section if line.startswith("- ")]
    titles = [line.split(" (")[0] for line in items]
    assert items and len(titles) == len(set(titles))  # one line a task, however many leads
    assert any(line.count("Sở ") >= 5 for line in items)  # …naming every lead agency

    text = (out / f"{stem}.txt").read_text(encoding="utf-8")
    soon = text.split("Đến hạn trong 31 ngày tới")[1]
    bullets = [line for line in soon.splitlines() if line.startswith("• ")]
    codes = [re.search(r"\((NV\d+)\)", line).group(1) for line in bullets]  # type: ignore[union-attr]
    assert len(codes) == len(set(codes))
