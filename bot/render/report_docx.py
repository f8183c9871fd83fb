"""A draft of the province's monthly report on reform tasks (.docx, python-docx).

Laid out like an administrative report (Nghị định 30/2020/NĐ-CP): the issuing body and the
national motto side by side, number and date lines left blank for the office, the title
"BÁO CÁO / Kết quả thực hiện nhiệm vụ cải cách hành chính tháng …", numbered sections and a
table per agency, then "Nơi nhận" and the signature block. Times New Roman 13–14 pt.
It is a draft: the office completes the analysis and signs it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import cast

from docx import Document as new_document
from docx.document import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import Table

from bot.domain.digest import OVERDUE_LONG_DAYS, OVERDUE_VERY_LONG_DAYS, Digest, DigestEvent, DigestKind, by_task
from bot.render.format import percent, plan_period, short_date

FONT = "Times New Roman"
LIST_LIMIT = 30


def _period_words(digest: Digest) -> str:
    period = digest.period
    if period.kind is DigestKind.MONTH:
        words = f"tháng {period.start.month} năm {period.start.year}"
        return words if period.is_full_month else f"{words} (đến ngày {short_date(period.end)})"
    return f"từ ngày {short_date(period.start)} đến ngày {short_date(period.end)}"


def _style(document: Document) -> None:
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(14)
    # Word picks the East Asian font slot for some Vietnamese letters unless it is set too.
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin = section.bottom_margin = Cm(2)
    section.left_margin, section.right_margin = Cm(3), Cm(1.5)


def _paragraph(container, text: str = "", *, bold: bool = False, italic: bool = False, size: int | None = None,  # type: ignore[no-untyped-def]
               align: WD_ALIGN_PARAGRAPH | None = None, indent: bool = False):
    paragraph = container.add_paragraph()
    if text:
        run = paragraph.add_run(text)
        run.bold, run.italic = bold, italic
        if size:
            run.font.size = Pt(size)
    if align is not None:
        paragraph.alignment = align
    if indent:
        paragraph.paragraph_format.first_line_indent = Cm(1)
    paragraph.paragraph_format.space_after = Pt(3)
    return paragraph


def _header(document: Document, province_name: str) -> None:
    table = document.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = table.rows[0].cells
    left.width, right.width = Cm(6.5), Cm(10)
    left.paragraphs[0].text = ""
    for cell, lines in (
        (left, [("ỦY BAN NHÂN DÂN", True, False), (f"TỈNH {province_name.upper()}", True, False),
                ("Số:       /BC-UBND", False, False)]),
        (right, [("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", True, False), ("Độc lập - Tự do - Hạnh phúc", True, False),
                 (f"{province_name}, ngày      tháng      năm      ", False, True)]),
    ):
        first = True
        for text, bold, italic in lines:
            paragraph = cell.paragraphs[0] if first else cell.add_paragraph()
            first = False
            run = paragraph.add_run(text)
            run.bold, run.italic = bold, italic
            run.font.size = Pt(13)
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _table(document: Document, header: Sequence[str], rows: Sequence[Sequence[object]]) -> Table:
    table = document.add_table(rows=1, cols=len(header))  # python-docx is untyped: Any until returned
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.paragraphs[0].add_run(text).bold = True
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    for values in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, values, strict=True):
            cell.paragraphs[0].add_run("" if value is None else str(value))
    for row in table.rows:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(12)
    return cast(Table, table)


def _events(document: Document, events: Sequence[DigestEvent], *, with_note: bool = False) -> None:
    for event in events[:LIST_LIMIT]:
        line = event.line
        text = f"- {line.title} ({line.agency_name}; KH {line.plan_number}"
        text += f"; hạn {short_date(line.due_on)})" if line.due_on else ")"
        if event.proposed_due_on is not None:
            text += f", xin gia hạn đến {short_date(event.proposed_due_on)}"
        if with_note and event.note:
            text += f": {event.note}"
        _paragraph(document, text, indent=True)
    if len(events) > LIST_LIMIT:
        _paragraph(document, f"- Và {len(events) - LIST_LIMIT} nhiệm vụ khác (chi tiết trong tệp Excel kèm theo).", indent=True)


def build_report_docx(digest: Digest) -> bytes:
    document = new_document()
    _style(document)
    province = digest.province_name
    _header(document, province)
    words = _period_words(digest)
    _paragraph(document)
    _paragraph(document, "BÁO CÁO", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(
        document, f"Kết quả thực hiện nhiệm vụ cải cách hành chính {words}", bold=True,
        align=WD_ALIGN_PARAGRAPH.CENTER,
    )
    plans = ", ".join(f"số {p.plan_number}" for p in digest.plans) or "của tỉnh"
    _paragraph(
        document,
        f"Thực hiện các Kế hoạch cải cách hành chính {plans}, Ủy ban nhân dân tỉnh {province} báo cáo "
        f"kết quả thực hiện nhiệm vụ cải cách hành chính {words} như sau:",
        indent=True,
    )
    f = digest.total
    _paragraph(document, "I. KẾT QUẢ THỰC HIỆN", bold=True)
    _paragraph(document, "1. Tình hình chung", bold=True)
    unassigned = len(digest.unassigned)
    _paragraph(
        document,
        f"Tính đến hết ngày {short_date(digest.as_of)}, các kế hoạch có {digest.tasks} nhiệm vụ, "
        f"{f.dated} mốc thời hạn (mỗi cơ quan chủ trì, mỗi thời hạn tính một mốc)"
        + (f", trong đó {unassigned} nhiệm vụ chưa giao cơ quan chủ trì" if unassigned else "")
        + f". Đã hoàn thành {f.done}/{f.dated} mốc thời hạn, đạt {percent(f.completion_rate_all)} tổng số mốc. "
        f"Trong {f.due_so_far} mốc đã đến hạn, đã hoàn thành {f.done_due} (đúng hạn {f.done_on_time_due}, "
        f"quá hạn {f.done_late}), đạt {percent(f.completion_rate)} số mốc đã đến hạn; tỉ lệ hoàn thành đúng hạn "
        f"{percent(f.on_time_rate)} số mốc đã đến hạn. "
        f"Có {f.overdue} mốc quá hạn chưa hoàn thành (quá hạn trên {OVERDUE_LONG_DAYS} ngày: {f.overdue_30}; "
        f"trên {OVERDUE_VERY_LONG_DAYS} ngày: {f.overdue_90}); {f.in_term} mốc đang trong hạn "
        f"(đang thực hiện {f.on_track}, chưa đến hạn {f.not_due}); {f.no_deadline} nhiệm vụ chưa xác định thời hạn."
        + (f" {f.unconfirmed} mốc chưa cập nhật (hạn trước ngày bắt đầu theo dõi, chờ cơ quan xác nhận)." if f.unconfirmed else "")
        + (f" {f.held} mốc tạm dừng nhắc (không tính quá hạn)." if f.held else "")
        + (f" {f.waived} mốc không thực hiện." if f.waived else ""),
        indent=True,
    )
    for plan in digest.plans:
        p = plan.figures
        _paragraph(
            document,
            f"- Kế hoạch số {plan.plan_number}"
            + (f" ({plan_period(plan.period)})" if plan.period else "")
            + f": {plan.tasks} nhiệm vụ, {p.dated} mốc thời hạn"
            + (f" ({plan.unassigned} nhiệm vụ chưa giao cơ quan chủ trì)" if plan.unassigned else "")
            + f"; đã đến hạn {p.due_so_far} mốc, hoàn thành {p.done_due} ({percent(p.completion_rate)} số mốc đã "
            f"đến hạn; {percent(p.completion_rate_all)} tổng số mốc), quá hạn {p.overdue}, trong hạn {p.in_term}, "
            f"chưa xác định thời hạn {p.no_deadline}.",
            indent=True,
        )
    _paragraph(document, "2. Kết quả theo cơ quan, đơn vị", bold=True)
    _table(
        document,
        ("STT", "Cơ quan, đơn vị", "Tổng số mốc", "Mốc đã đến hạn", "Hoàn thành đúng hạn", "Hoàn thành quá hạn",
         "Quá hạn", "Tỉ lệ hoàn thành (số mốc đã đến hạn)"),
        [
            (n, row.agency_name, row.figures.dated, row.figures.due_so_far, row.figures.done_on_time_due,
             row.figures.done_late, row.figures.overdue, percent(row.figures.completion_rate))
            for n, row in enumerate(digest.agencies, start=1)
        ],
    )
    _paragraph(document, f"3. Nhiệm vụ hoàn thành trong kỳ ({len(digest.completed)})", bold=True)
    _events(document, digest.completed)

    _paragraph(document, "II. TỒN TẠI, HẠN CHẾ", bold=True)
    _paragraph(
        document,
        f"Còn {f.overdue} mốc thời hạn quá hạn chưa hoàn thành, trong đó {f.overdue_90} mốc quá hạn trên "
        f"{OVERDUE_VERY_LONG_DAYS} ngày.",
        indent=True,
    )
    behind = [row.agency_name for row in digest.agencies if row.figures.overdue][:10]
    if behind:
        _paragraph(document, "Các cơ quan có nhiều nhiệm vụ quá hạn: " + ", ".join(behind) + ".", indent=True)
    if digest.new_blockers:
        _paragraph(document, "Các vướng mắc được báo cáo trong kỳ:", indent=True)
        _events(document, digest.new_blockers, with_note=True)
    if digest.extension_requests:
        _paragraph(document, "Các đề nghị gia hạn đang chờ xem xét:", indent=True)
        _events(document, digest.extension_requests, with_note=True)
    if digest.unassigned:
        _paragraph(
            document,
            f"Có {len(digest.unassigned)} nhiệm vụ chưa giao cơ quan chủ trì (chưa cơ quan nào được nhắc):",
            indent=True,
        )
        for task in digest.unassigned[:LIST_LIMIT]:
            _paragraph(document, f"- {task.title} (KH {task.plan_number}, mục {task.task_ref})", indent=True)
        if len(digest.unassigned) > LIST_LIMIT:
            _paragraph(
                document, f"- Và {len(digest.unassigned) - LIST_LIMIT} nhiệm vụ khác (chi tiết trong tệp Excel kèm theo).",
                indent=True,
            )
    if digest.unreachable:
        _paragraph(
            document,
            "Cơ quan không liên lạc được (bot bị xóa khỏi nhóm hoặc bị chặn): " + ", ".join(digest.unreachable) + ".",
            indent=True,
        )
    if digest.unbound:
        _paragraph(document, "Cơ quan chưa có nhóm nhận nhắc việc: " + ", ".join(digest.unbound) + ".", indent=True)
    if digest.silent:
        _paragraph(document, "Cơ quan chưa phản hồi nhắc việc: " + ", ".join(digest.silent) + ".", indent=True)

    _paragraph(document, "III. NHIỆM VỤ TRỌNG TÂM KỲ TỚI", bold=True)
    if digest.due_soon:
        _paragraph(document, f"Các nhiệm vụ đến hạn trong {digest.soon_days} ngày tới:", indent=True)
        for group in by_task(digest.due_soon)[:LIST_LIMIT]:
            line = group.line
            _paragraph(
                document,
                f"- {line.title} ({', '.join(group.agency_names)}; KH {line.plan_number}"
                + (f"; hạn {short_date(line.due_on)})" if line.due_on else ")"),
                indent=True,
            )
    _paragraph(
        document,
        "Tập trung hoàn thành các nhiệm vụ quá hạn; các cơ quan, đơn vị báo cáo tiến độ đúng thời hạn.",
        indent=True,
    )
    _paragraph(document, "IV. ĐỀ XUẤT, KIẾN NGHỊ", bold=True)
    _paragraph(document, "(Văn phòng Ủy ban nhân dân tỉnh, Sở Nội vụ bổ sung.)", italic=True, indent=True)
    _paragraph(document, f"Trên đây là báo cáo kết quả thực hiện nhiệm vụ cải cách hành chính {words}.", indent=True)

    table = document.add_table(rows=1, cols=2)
    left, right = table.rows[0].cells
    first = left.paragraphs[0]
    first.add_run("Nơi nhận:").bold = True
    for recipient in ("- Như trên;", "- Lưu: VT."):
        left.add_paragraph().add_run(recipient).font.size = Pt(11)
    for index, (text, bold) in enumerate((("TM. ỦY BAN NHÂN DÂN", True), ("CHỦ TỊCH", True))):
        paragraph = right.paragraphs[0] if index == 0 else right.add_paragraph()
        paragraph.add_run(text).bold = bold
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
