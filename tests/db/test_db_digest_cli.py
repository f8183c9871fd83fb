"""`nhacviec digest`, run as a real process on SQLite and PostgreSQL: files, text, errors."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from openpyxl import load_workbook
from test_cli import PHU_THO, run

from bot.db.agencies import get_province
from bot.db.engine import make_engine, make_sessionmaker
from bot.domain.digest import week_period
from bot.render.chart import read_chart_data
from bot.services.digests import build_digest


async def _digest(db_url: str, as_of: date):  # type: ignore[no-untyped-def]
    engine = make_engine(db_url)
    try:
        async with make_sessionmaker(engine)() as session:
            province = await get_province(session, slug="phu-tho")
            assert province is not None
            return await build_digest(session, province=province, period=week_period(as_of))
    finally:
        await engine.dispose()


async def test_digest_out_writes_text_chart_and_workbook(db_url: str, tmp_path: Path) -> None:
    assert run("import", str(PHU_THO), db_url=db_url, cwd=tmp_path).returncode == 0
    out = tmp_path / "out"
    done = run("digest", "--date", "22/06/2025", "--out", str(out), db_url=db_url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    stem = "bao-cao-tuan-phu-tho-2025-06-22"
    assert sorted(p.name for p in out.iterdir()) == [f"{stem}.png", f"{stem}.txt", f"{stem}.xlsx"]
    digest = await _digest(db_url, date(2025, 6, 22))

    text = (out / f"{stem}.txt").read_text(encoding="utf-8")
    assert text.startswith("📊 Báo cáo tuần — tỉnh Phú Thọ\nTuần 16/06–22/06/2025")
    assert f"Quá hạn chưa xong: {digest.total.overdue} (>30 ngày: {digest.total.overdue_30}," in text
    assert "<b>" not in text  # plain text for people, not HTML

    chart = read_chart_data((out / f"{stem}.png").read_bytes())
    assert chart["series"]["overdue"] == [a.figures.overdue for a in digest.agencies[:20]]

    book = load_workbook(io.BytesIO((out / f"{stem}.xlsx").read_bytes()))
    assert book.sheetnames[:3] == ["Theo cơ quan", "Theo kế hoạch", "KH 1782-KH-UBND"]
    plan = [r for r in book["Theo kế hoạch"].iter_rows(min_row=4, values_only=True) if r[1] == "1782/KH-UBND"]
    assert plan[0][3] == digest.total.dated and plan[0][9] == digest.total.overdue


async def test_digest_month_prints_and_refuses_bad_options(db_url: str, tmp_path: Path) -> None:
    empty = run("digest", db_url=db_url, cwd=tmp_path)
    assert empty.returncode == 1 and "Chưa có kế hoạch nào" in empty.stderr
    assert run("import", str(PHU_THO), db_url=db_url, cwd=tmp_path).returncode == 0
    month = run("digest", "--date", "2025-06-30", "--kind", "month", db_url=db_url, cwd=tmp_path)
    assert month.returncode == 0, month.stderr
    assert month.stdout.startswith("📊 Báo cáo tháng — tỉnh Phú Thọ\nTháng 6/2025 · số liệu đến hết Thứ Hai, 30/06/2025")
    bad = run("digest", "--kind", "year", db_url=db_url, cwd=tmp_path)
    assert bad.returncode == 1 and "--kind không hợp lệ" in bad.stderr
    both = run("digest", "--send", "--out", str(tmp_path), db_url=db_url, cwd=tmp_path)
    assert both.returncode == 1 and "--send hoặc --out" in both.stderr
    no_token = run("digest", "--send", db_url=db_url, cwd=tmp_path)
    assert no_token.returncode == 1 and "TELEGRAM_BOT_TOKEN" in no_token.stderr
