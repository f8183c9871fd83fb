"""The digest's text, chart, workbook and report draft, read back (pure: no database)."""

from __future__ import annotations

import io
import sys
import warnings
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.domain.digest import (
    AgencyFigures,
    Digest,
    DigestEvent,
    Figures,
    PlanFigures,
    ReportRow,
    month_period,
    rank_agencies,
    week_period,
)
from bot.domain.status import Category, Status
from bot.render import chart as charts
from bot.render.digest import CAPTION_LIMIT, chart_caption, digest_messages, period_label, workbook_caption
from bot.render.report_docx import build_report_docx
from bot.render.split import SAFE_LIMIT
from bot.render.xlsx import build_workbook, sheet_name

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.fakebot import parse_text  # noqa: E402  (Telegram's HTML rules, strict)

AS_OF = date(2025, 6, 22)
HOSTILE = "Rà soát <văn bản> & “quy chế” <b>"


def row(ref: str, agency: str, due_on: date | None, cat: Category, status: Status = Status.PENDING, **kw: object) -> ReportRow:
    values: dict[str, object] = dict(
        plan_number="1782/KH-UBND", position=int(ref), task_id=int(ref), task_ref=ref, title=f"{HOSTILE} {ref}",
        product="Kế hoạch", support_text="Sở Nội vụ", deadline_text="Quý II hằng năm", agency_code=agency,
        agency_name=f"Sở {agency} <&>", due_on=due_on, original_due_on=due_on, category=cat, status=status,
        progress=0, updated_on=None, note=None, due_item_id=int(ref),
    )
    values.update(kw)
    return ReportRow(**values)  # type: ignore[arg-type]


def sample(agencies: int = 3, events: int = 2) -> Digest:
    rows = [
        row("1", "A", date(2025, 1, 15), Category.OVERDUE),
        row("2", "A", date(2025, 6, 20), Category.DONE_ON_TIME, Status.DONE, completed_on=date(2025, 6, 19), progress=100,
            updated_on=date(2025, 6, 19)),
        row("3", "B", date(2025, 9, 30), Category.ON_TRACK, Status.BLOCKED, note="Chờ ý kiến <Bộ> & ngành",
            original_due_on=date(2025, 6, 30)),
        row("4", "C", None, Category.NO_DEADLINE),
    ]
    figures = [
        AgencyFigures(f"X{i}", f"Ủy ban nhân dân xã Thượng Nông {i} <&>", Figures(overdue=i % 5, done_on_time=3, not_due=1))
        for i in range(agencies)
    ]
    line = rows[0].line()
    total = sum((a.figures for a in figures), Figures())
    return Digest(
        province_name="Phú Thọ",
        period=week_period(AS_OF),
        total=total,
        plans=[
            PlanFigures("1782/KH-UBND", "Kế hoạch CCHC <2021–2025>", total, tasks=4, period=(2021, 2025)),
            PlanFigures("18/KH-UBND", None, Figures()),
        ],
        agencies=rank_agencies(figures),
        unreachable=["Sở <Y tế>"],
        unbound=["UBND xã Hạ Hòa"],
        silent=["Sở Xây dựng & Giao thông"],
        completed=[DigestEvent(rows[1].line(), date(2025, 6, 19))] * events,
        new_blockers=[DigestEvent(rows[2].line(), date(2025, 6, 17), "Chờ ý kiến <Bộ> & ngành")] * events,
        extension_requests=[DigestEvent(line, date(2025, 6, 10), "Xin gia hạn đến 31/07")],
        became_overdue=[DigestEvent(line, date(2025, 6, 19))],
        due_soon=[replace(line, due_on=date(2025, 6, 30))],
        rows=rows,
        tasks=4,
    )


def test_text_is_escaped_valid_html_and_starts_with_who_is_behind() -> None:
    messages = digest_messages(sample())
    for message in messages:
        parse_text(message, "HTML")  # strict: a bare & or < would fail here, as in Telegram
        assert len(message) <= SAFE_LIMIT
    text = "\n".join(parse_text(m, "HTML").text for m in messages)
    assert text.startswith("📊 Báo cáo tuần — tỉnh Phú Thọ\nTuần 16/06–22/06/2025 · số liệu đến hết Chủ Nhật, 22/06/2025")
    assert "Quá hạn chưa xong: 3 (>30 ngày: 0, >90 ngày: 0)" in text
    assert "Cơ quan chậm nhất\n1. ⛔ Ủy ban nhân dân xã Thượng Nông 2 <&>: quá hạn 2 · xong 3/5" in text
    assert "Không liên lạc được (bot bị xóa khỏi nhóm hoặc bị chặn): Sở <Y tế>" in text
    assert "Chưa có nhóm nhận nhắc việc (chưa đăng ký /dangky): UBND xã Hạ Hòa" in text
    assert "UBND xã Hạ Hòa" not in text.split("Không liên lạc được")[1].split("\n")[0]
    assert "Không phản hồi nhắc việc 14 ngày qua: Sở Xây dựng & Giao thông" in text
    assert "Vướng mắc mới trong tuần (2)" in text and "“Chờ ý kiến <Bộ> & ngành”" in text
    assert "Đề nghị gia hạn chờ quyết định (1)" in text
    assert "Mới quá hạn trong tuần (1)" in text
    assert "Đến hạn trong 14 ngày tới (1)" in text
    # One line a plan; tasks and deadlines counted apart; both rates, each saying what it is over.
    assert "KH 1782/KH-UBND: 4 nhiệm vụ, 15 mốc thời hạn · hoàn thành 60% tổng số mốc, 75% số mốc đã đến hạn" in text
    assert "📁 4 nhiệm vụ, 15 mốc thời hạn\n" in text
    assert "Tỉ lệ hoàn thành: 60% tổng số mốc (9/15) · 75% số mốc đã đến hạn (9/12)" in text


def test_long_digests_are_split_and_capped() -> None:
    digest = sample(agencies=1000, events=40)
    messages = digest_messages(digest)
    assert all(len(m) <= SAFE_LIMIT for m in messages)
    assert len(messages) <= 3
    text = "\n".join(messages)
    assert "… và 990 cơ quan khác (790 có nhiệm vụ quá hạn)" in text
    assert "… và 32 nhiệm vụ khác (xem tệp Excel)." in text


def test_quiet_digest_is_one_line() -> None:
    digest = Digest("Phú Thọ", week_period(AS_OF), Figures(not_due=3), [], [])
    assert digest.quiet
    [message] = digest_messages(digest)
    assert "\n" not in message
    assert message.endswith("không có nhiệm vụ nào quá hạn, sắp đến hạn hay thay đổi.")


def test_period_labels_and_captions() -> None:
    assert period_label(week_period(date(2025, 1, 5))) == "tuần 30/12/2024–05/01/2025"
    assert period_label(week_period(date(2025, 1, 3))) == "tuần 30/12/2024–05/01/2025 (đến 03/01/2025)"
    assert period_label(week_period(date(2025, 6, 23))) == "tuần 23/06–29/06/2025 (đến 23/06/2025)"
    assert period_label(month_period(date(2025, 6, 30))) == "tháng 6/2025"
    assert period_label(month_period(date(2025, 6, 23))) == "tháng 6/2025 (đến 23/06/2025)"
    digest = sample(agencies=50)
    assert chart_caption(digest, 20) == "📈 Tình trạng nhiệm vụ theo cơ quan (20 cơ quan chậm nhất / 50), tuần 16/06–22/06/2025."
    assert len(workbook_caption(digest)) <= CAPTION_LIMIT


def test_chart_is_a_png_with_the_figures_and_a_vietnamese_font() -> None:
    digest = sample(agencies=30)
    data = charts.chart_data(digest, title="Tình trạng nhiệm vụ theo cơ quan — tuần 16/06–22/06/2025")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph … missing from font": fail instead
        png = charts.render_chart(data)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        width, height = image.size
    assert width >= 800 and height >= 600 and width + height <= 10_000  # Telegram's photo limits
    stored = charts.read_chart_data(png)
    assert stored["agencies"] == [a.agency_name for a in digest.agencies[:20]]
    assert stored["series"]["overdue"] == [a.figures.overdue for a in digest.agencies[:20]]
    assert stored["series"]["done_on_time"] == [3] * 20
    assert stored["total_agencies"] == 30
    assert charts.missing_glyphs("Ủy ban nhân dân huyện Thanh Thủy — Sở Nông nghiệp và Môi trường ữặễỗợự") == set()


def test_chart_font_failure_is_loud() -> None:
    with pytest.raises(charts.ChartFontError):
        charts.chart_font(("\U0001f9ea",))  # a test tube: no glyph in DejaVu Sans


def test_empty_chart_still_renders() -> None:
    digest = Digest("Phú Thọ", week_period(AS_OF), Figures(), [], [])
    assert charts.render_chart(charts.chart_data(digest)).startswith(b"\x89PNG")


def test_workbook_reads_back_with_dates_filters_and_numbers() -> None:
    digest = sample()
    book = load_workbook(io.BytesIO(build_workbook(digest)))
    assert book.sheetnames == ["Theo cơ quan", "Theo kế hoạch", "KH 1782-KH-UBND", "KH 18-KH-UBND"]
    agencies = book["Theo cơ quan"]
    assert agencies.freeze_panes == "A4"
    assert agencies.auto_filter.ref == "A3:R6"  # the last three: chưa cập nhật, tạm dừng nhắc, không thực hiện
    assert [c.value for c in agencies[3]][-3:] == ["Chưa cập nhật", "Tạm dừng nhắc", "Không thực hiện"]
    assert [c.value for c in agencies[3]][:4] == ["STT", "Cơ quan", "Tổng số mốc thời hạn", "Mốc đã đến hạn"]
    first = [c.value for c in agencies[4]]
    assert first[1] == "Ủy ban nhân dân xã Thượng Nông 2 <&>" and first[8] == 2  # overdue column
    total = [c.value for c in agencies[7]]
    assert total[1] == "Toàn tỉnh" and total[8] == digest.total.overdue and total[2] == digest.total.dated
    assert agencies["M4"].number_format == "0%"
    assert agencies.column_dimensions["B"].width >= 30

    plan = book["KH 1782-KH-UBND"]
    header = [c.value for c in plan[3]]
    assert header == [
        "STT", "Nội dung/Nhiệm vụ", "Sản phẩm", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian hoàn thành",
        "Hạn hoàn thành", "Tình trạng", "Tiến độ", "Ngày cập nhật", "Ghi chú", "Mã",
    ]
    assert plan.freeze_panes == "A4" and plan.auto_filter.ref == "A3:L7"
    values = [[c.value for c in r] for r in plan.iter_rows(min_row=4)]
    assert values[0][1] == f"{HOSTILE} 1"  # plain text in Excel: nothing escaped
    due_cell = plan["G4"]
    assert due_cell.is_date and due_cell.value == datetime(2025, 1, 15) and due_cell.number_format == "DD/MM/YYYY"
    assert values[0][7] == "Quá hạn"
    assert values[1][8] == 1 and plan["I5"].number_format == "0%"
    assert values[1][9] == datetime(2025, 6, 19)
    assert values[2][7] == "Đang thực hiện trong hạn (vướng mắc)"
    assert values[2][10] == "Vướng mắc; Hạn gốc 30/06/2025; Chờ ý kiến <Bộ> & ngành"
    assert values[3][6] is None and values[3][7] == "Chưa xác định thời hạn"
    assert values[0][11] == "NV1"
    assert plan.column_dimensions["B"].width == 60


def test_sheet_names_are_valid_and_unique() -> None:
    taken: set[str] = set()
    assert sheet_name("1782/KH-UBND", taken) == "KH 1782-KH-UBND"
    assert sheet_name("1782\\KH-UBND", taken) == "KH 1782-KH-UBND (2)"
    long = sheet_name("123/KH-UBND-" + "X" * 40, taken)
    assert len(long) == 31 and not set("[]:*?/\\") & set(long)


def test_monthly_report_draft_has_the_official_layout() -> None:
    import docx

    digest = replace(sample(agencies=5), period=month_period(date(2025, 6, 30)))
    document = docx.Document(io.BytesIO(build_report_docx(digest)))
    header = document.tables[0].rows[0].cells
    assert header[0].text.startswith("ỦY BAN NHÂN DÂN\nTỈNH PHÚ THỌ")
    assert header[1].text.startswith("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc")
    body = [p.text for p in document.paragraphs]
    assert "BÁO CÁO" in body
    assert "Kết quả thực hiện nhiệm vụ cải cách hành chính tháng 6 năm 2025" in body
    for heading in ("I. KẾT QUẢ THỰC HIỆN", "II. TỒN TẠI, HẠN CHẾ", "III. NHIỆM VỤ TRỌNG TÂM KỲ TỚI", "IV. ĐỀ XUẤT, KIẾN NGHỊ"):
        assert heading in body
    table = document.tables[1]
    assert len(table.rows) == 1 + 5
    assert table.rows[1].cells[1].text == digest.agencies[0].agency_name
    assert table.rows[1].cells[6].text == str(digest.agencies[0].figures.overdue)
    assert table.rows[1].cells[2].text == str(digest.agencies[0].figures.dated)
    assert document.styles["Normal"].font.name == "Times New Roman"
