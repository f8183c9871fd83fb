"""The parser on generated plans: each layout rule tested apart from the real files.

Plans are written here the way provinces write them — appendix tables in every header
wording and in four renderings (a law site's row-marked cells, cell-per-line, pipe rows,
.docx, text-layer .pdf), labelled prose in its usual forms, duties under agency headings,
plans issued by a Quyết định — and the parser must give back the tasks, leads and due
dates they were built from.
"""

from __future__ import annotations

import io
import itertools
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from bot.catalog import Catalog
from bot.domain.deadlines import DeadlineKind
from bot.domain.plans.draft import PlanDraft, ReviewReason
from bot.domain.plans.parser import parse_plan
from bot.domain.plans.readers import read_plan

sys.path.insert(0, str(Path(__file__).parent))
from fixtures_docs import make_text_pdf

ROOT = Path(__file__).resolve().parents[2]
CATALOG = Catalog(ROOT / "data")


def parse(data: bytes | str, name: str = "kh.txt") -> PlanDraft:
    raw = data.encode() if isinstance(data, str) else data
    return parse_plan(read_plan(raw, name), provinces=CATALOG.provinces, load_directory=CATALOG.directory)


def names(draft: PlanDraft, codes: tuple[str, ...]) -> list[str]:
    known = draft.agency_names(CATALOG.names(draft.meta.province or ""))
    return [known.get(c, c) for c in codes]


def header(province: str = "TỈNH GIA LAI", place: str = "Gia Lai", number: str = "45/KH-UBND") -> str:
    return (
        f"ỦY BAN NHÂN DÂN\n{province}\n\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n\n"
        f"Số: {number}\n\n{place}, ngày 12 tháng 01 năm 2026\n\n"
        "KẾ HOẠCH\nTHỰC HIỆN CHUYỂN ĐỔI SỐ GIAI ĐOẠN 2026 - 2030\n\n"
        "I. MỤC ĐÍCH, YÊU CẦU\n\n1. Mục đích\n\nNâng cao hiệu quả công tác chỉ đạo, điều hành.\n\n"
    )


SIGNATURE = "\nNơi nhận:\n- Như trên;\n- Lưu: VT.\n\nKT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\n\nNguyễn Văn An\n"


# --- appendix tables ------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    title: str
    lead: str
    support: str
    deadline: str
    due: tuple[date, ...]
    lead_names: tuple[str, ...]


SECTIONS: tuple[tuple[str, str, tuple[Row, ...]], ...] = (
    (
        "I",
        "Hoàn thiện thể chế, chính sách",
        (
            Row("Rà soát văn bản quy phạm pháp luật về chuyển đổi số", "Sở Tư pháp", "Các sở, ngành",
                "Quý IV/2026", (date(2026, 12, 31),), ("Sở Tư pháp",)),
            Row("Xây dựng quy chế khai thác dữ liệu dùng chung", "Sở Khoa học và Công nghệ", "Sở Nội vụ",
                "Trước ngày 30/6/2027", (date(2027, 6, 30),), ("Sở Khoa học và Công nghệ",)),
        ),
    ),
    (
        "II",
        "Phát triển hạ tầng số",
        (
            Row("Nâng cấp trung tâm dữ liệu của tỉnh", "Sở Khoa học và Công nghệ; Công an tỉnh", "Sở Tài chính",
                "Năm 2027", (date(2027, 12, 31),), ("Sở Khoa học và Công nghệ", "Công an tỉnh")),
            Row("Báo cáo kết quả thực hiện", "Văn phòng UBND tỉnh", "Các sở, ban, ngành",
                "Trước ngày 15/12 hằng năm",
                tuple(date(y, 12, 15) for y in range(2026, 2031)), ("Văn phòng Ủy ban nhân dân tỉnh",)),
        ),
    ),
)

TITLE_HEADERS = ("Nội dung/nhiệm vụ", "Nhiệm vụ, giải pháp", "NHIỆM VỤ VÀ GIẢI PHÁP", "Tên nhiệm vụ", "Nội dung thực hiện")
LEAD_HEADERS = ("Cơ quan chủ trì", "Đơn vị chủ trì (tham mưu)", "CHỦ TRÌ", "Đơn vị thực hiện", "Cơ quan thực hiện")
TIME_HEADERS = ("Thời gian hoàn thành", "Thời gian thực hiện", "THỜI GIAN", "Tiến độ", "Thời hạn hoàn thành")


def table_rows(title_h: str, lead_h: str, time_h: str, *, restart: bool, inline_sections: bool,
               repeat_header: bool = False) -> list[list[str]]:
    head = ["TT" if restart else "STT", title_h, lead_h, "Cơ quan/Đơn vị phối hợp", time_h, "Sản phẩm", "Ghi chú"]
    rows = [head]
    number = 0
    for index, (numeral, name, tasks) in enumerate(SECTIONS):
        if repeat_header and index:
            rows.append(head)
        rows.append([f"{numeral}. {name}", "", "", "", "", "", ""] if inline_sections else [numeral, name, "", "", "", "", ""])
        if restart:
            number = 0
        for row in tasks:
            number += 1
            rows.append([str(number), row.title, row.lead, row.support, row.deadline, "Báo cáo", ""])
    return rows


def as_marked_text(rows: list[list[str]]) -> str:
    """A law site's copy: every row opens with a bar, every cell ends with one."""
    out = []
    for row in rows:
        cells = list(row)
        while cells and not cells[-1]:
            cells.pop()  # merged or empty trailing cells are simply missing
        out.append("|")
        for cell in cells:
            out += [cell, "|"]
    return "\n".join(out) + "\n"


def as_cell_text(rows: list[list[str]]) -> str:
    """Cells one per line, each followed by a bar, rows not marked (an older site layout)."""
    return "\n".join(f"{cell}\n|" for row in rows for cell in row) + "\n"


def as_pipe_text(rows: list[list[str]]) -> str:
    return "\n".join("| " + " | ".join(row) + " |" for row in rows) + "\n"


def as_docx(before: str, rows: list[list[str]]) -> bytes:
    from docx import Document

    doc = Document()
    for line in before.splitlines():
        if line.strip():
            doc.add_paragraph(line)
    table = doc.add_table(rows=len(rows), cols=len(rows[0]))
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            table.cell(r, c).text = cell
    doc.add_paragraph("Nơi nhận:")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def check_table_plan(draft: PlanDraft) -> None:
    expected = [row for _, _, rows in SECTIONS for row in rows]
    tasks = [t for t in draft.tasks if any(t.title.startswith(r.title) for r in expected)]
    assert [t.title for t in tasks] == [r.title for r in expected]
    for task, row in zip(tasks, expected, strict=True):
        assert names(draft, task.lead) == list(row.lead_names), task.title
        assert task.due_dates == row.due, task.title
    assert len({t.ref for t in draft.tasks}) == len(draft.tasks)
    assert draft.meta.number == "45/KH-UBND" and draft.meta.period == (2026, 2030)
    assert draft.meta.province == "gia-lai"


HEADER_VARIANTS = list(zip(TITLE_HEADERS, LEAD_HEADERS, TIME_HEADERS, strict=True))


@pytest.mark.parametrize("render", [as_marked_text, as_cell_text, as_pipe_text])
@pytest.mark.parametrize(("title_h", "lead_h", "time_h"), HEADER_VARIANTS)
@pytest.mark.parametrize(("restart", "inline_sections"), [(True, False), (False, True), (True, True)])
def test_appendix_table_in_every_wording_and_rendering(render, title_h, lead_h, time_h, restart, inline_sections):
    rows = table_rows(title_h, lead_h, time_h, restart=restart, inline_sections=inline_sections)
    text = header() + "II. TỔ CHỨC THỰC HIỆN\n\nCác sở, ngành triển khai Kế hoạch.\n" + SIGNATURE
    text += "\nPHỤ LỤC\nNHIỆM VỤ CHUYỂN ĐỔI SỐ\n(Kèm theo Kế hoạch số:     /KH-UBND ngày     của UBND tỉnh)\n\n"
    check_table_plan(parse(text + render(rows)))


@pytest.mark.parametrize("upper", [False, True])
def test_header_case_and_repeated_header_rows(upper):
    rows = table_rows("Nhiệm vụ", "Cơ quan chủ trì", "Thời gian thực hiện", restart=True, inline_sections=False,
                      repeat_header=True)
    if upper:
        rows = [[c.upper() for c in rows[0]], *rows[1:]]
    check_table_plan(parse(header() + SIGNATURE + as_marked_text(rows)))


def test_appendix_table_in_docx_and_pdf():
    rows = table_rows("Nội dung/nhiệm vụ", "Cơ quan chủ trì", "Thời gian hoàn thành", restart=True,
                      inline_sections=False)
    check_table_plan(parse(as_docx(header(), rows), "kh.docx"))
    pdf = make_text_pdf([header().splitlines()], table=rows)
    check_table_plan(parse(pdf, "kh.pdf"))


def test_row_without_number_is_its_own_task_or_the_row_above_going_on():
    rows = [
        ["TT", "Nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian hoàn thành"],
        ["1", "Xây dựng hạ tầng dữ liệu", "Sở Tài chính", "Công an tỉnh", "Quý IV/2026"],
        ["", "Xây dựng hạ tầng dự phòng", "Trung tâm Giám sát điều hành thông minh tỉnh"],
        ["2", "Vận hành hệ thống thông tin", "Sở Tài chính", "", "Quý II/2027"],
    ]
    draft = parse(header() + SIGNATURE + as_marked_text(rows))
    titles = [t.title for t in draft.tasks]
    assert titles == ["Xây dựng hạ tầng dữ liệu", "Xây dựng hạ tầng dự phòng", "Vận hành hệ thống thông tin"]
    middle = draft.tasks[1]
    # Not in the directory: kept as a body of the plan, flagged, never dropped.
    assert names(draft, middle.lead) == ["Trung tâm Giám sát điều hành thông minh tỉnh"]
    assert ReviewReason.UNKNOWN_AGENCY in middle.needs_review
    assert draft.tasks[2].due_dates == (date(2027, 6, 30),)


def test_sub_section_rows_and_rows_numbered_under_them():
    rows = [
        ["STT", "Nội dung nhiệm vụ", "Chủ trì", "Phối hợp", "Tiến độ"],
        ["5", "Phát triển kinh tế số ngành", "", "", ""],
        ["5.1", "", "Thương mại"],
        ["5.1.1", "Phát triển sàn thương mại điện tử", "Sở Công Thương", "", "Năm 2027"],
        ["5.2", "Nông nghiệp số", "", "", ""],
        ["5.2.1", "Truy xuất nguồn gốc nông sản", "Sở Nông nghiệp và Môi trường", "", "Năm 2028"],
    ]
    draft = parse(header() + SIGNATURE + as_pipe_text(rows))
    assert [t.title for t in draft.tasks] == ["Phát triển sàn thương mại điện tử", "Truy xuất nguồn gốc nông sản"]
    assert [t.ref for t in draft.tasks] == ["5.1.1", "5.2.1"]
    assert "Thương mại" in (draft.tasks[0].section or "")
    assert names(draft, draft.tasks[1].lead) == ["Sở Nông nghiệp và Môi trường"]


@pytest.mark.parametrize("render", [as_marked_text, as_cell_text])
def test_more_than_a_thousand_rows_are_all_read(render):
    rows = [["STT", "Nhiệm vụ", "Cơ quan chủ trì", "Thời gian hoàn thành"]]
    rows += [[str(n), f"Nhiệm vụ số {n} về cải cách hành chính", "Sở Nội vụ", "Quý IV/2026"] for n in range(1, 1201)]
    draft = parse(header() + SIGNATURE + render(rows))
    assert [t.ref for t in draft.tasks] == [str(n) for n in range(1, 1201)]


def test_same_title_for_different_agencies_gives_different_tasks():
    rows = [["STT", "Nhiệm vụ", "Cơ quan chủ trì", "Thời gian hoàn thành"]]
    leads = ["Sở Nội vụ", "Sở Tư pháp", "Sở Y tế", "Sở Tài chính", "Sở Xây dựng", "Công an tỉnh"]
    rows += [[str(n), "Rà soát thủ tục hành chính thuộc phạm vi quản lý", lead, "Quý II/2026"]
             for n, lead in enumerate(leads, start=1)]
    draft = parse(header() + SIGNATURE + as_marked_text(rows))
    assert [names(draft, t.lead) for t in draft.tasks] == [[lead] for lead in leads]


def test_a_target_table_with_a_lead_column():
    rows = [
        ["TT", "Chỉ tiêu", "Chủ trì"],
        ["I. Kinh tế số", "", ""],
        ["1", "Kinh tế số chiếm 30% GRDP", "Sở Tài chính"],
        ["2", "Tỷ lệ doanh nghiệp ứng dụng công nghệ số đạt 60%", "Sở Khoa học và Công nghệ thúc đẩy, theo dõi, báo cáo chỉ tiêu"],
    ]
    draft = parse(header() + SIGNATURE + as_marked_text(rows))
    assert [names(draft, t.lead) for t in draft.tasks] == [["Sở Tài chính"], ["Sở Khoa học và Công nghệ"]]


def test_a_statistics_table_gives_no_tasks():
    rows = [
        ["TT", "Địa điểm quan trắc", "Thông số", "Tần suất", "Thời gian quan trắc"],
        ["1", "Cửa sông A", "Độ mặn, pH", "02 lần/tháng", "Từ tháng 3 đến tháng 10"],
        ["2", "Cửa sông B", "Độ mặn, pH", "02 lần/tháng", "Từ tháng 3 đến tháng 10"],
    ]
    draft = parse(header() + "II. NHIỆM VỤ\n\n1. Sở Nông nghiệp và Môi trường tổ chức quan trắc trước ngày 30/11/2026.\n"
                  + SIGNATURE + as_marked_text(rows))
    assert [t.title for t in draft.tasks] == ["Sở Nông nghiệp và Môi trường tổ chức quan trắc trước ngày 30/11/2026."]


# --- labelled prose -------------------------------------------------------------------------

LABEL_FORMS = {
    "activity": (
        "a) Hoạt động 1\n- Nội dung: {title}\n- Cơ quan thực hiện: {lead} chủ trì, phối hợp với {support}.\n"
        "- Thời gian thực hiện: {deadline}.\n"
    ),
    "numbered": (
        "1. {title}\n- Cơ quan chủ trì: {lead}.\n- Cơ quan phối hợp: {support}.\n- Thời gian thực hiện: {deadline}.\n"
    ),
    "numbered content": (
        "1. Nhóm nhiệm vụ về dữ liệu\n- Nội dung thực hiện: {title}\n- Cơ quan thực hiện: {lead} chủ trì.\n"
        "- Thời gian hoàn thành: {deadline}\n"
    ),
    "inline": (
        "- {title}. Đơn vị chủ trì (tham mưu) thực hiện: {lead}. Đơn vị phối hợp: {support}. "
        "Thời gian thực hiện: {deadline}.\n"
    ),
    "lettered labels": (
        "a) Nhiệm vụ: {title}\nb) Cơ quan thực hiện:\n- Đơn vị chủ trì: {lead}\n- Đơn vị phối hợp: {support}\n"
        "c) Thời gian thực hiện: {deadline}\n"
    ),
    "label broken over lines": (
        "- {title}\nCơ quan\nchủ trì: {lead}.\nThời\ngian hoàn thành: {deadline}.\n"
    ),
}


@pytest.mark.parametrize("form", list(LABEL_FORMS))
@pytest.mark.parametrize(
    ("lead", "deadline", "due"),
    [
        ("Sở Nội vụ", "Quý III/2026", (date(2026, 9, 30),)),
        ("Sở Văn hóa, Thể thao và Du lịch", "Tháng 11 - 12/2026", (date(2026, 12, 31),)),
        ("Ủy ban nhân dân các xã, phường", "Trước ngày 31/5/2027", (date(2027, 5, 31),)),
    ],
)
def test_labelled_tasks_in_every_form(form, lead, deadline, due):
    title = "Tổ chức tập huấn kỹ năng số cho cán bộ, công chức"
    body = LABEL_FORMS[form].format(title=title, lead=lead, support="Sở Tài chính", deadline=deadline)
    draft = parse(header() + "II. NỘI DUNG HOẠT ĐỘNG\n\n" + body + "\nIII. KINH PHÍ\n\nNgân sách tỉnh.\n" + SIGNATURE)
    tasks = [t for t in draft.tasks if t.title.startswith(title)]
    assert len(tasks) == 1, [t.title for t in draft.tasks]
    task = tasks[0]
    assert task.due_dates == due
    assert task.lead and task.lead_text is not None
    assert "Tài chính" not in " ".join(names(draft, task.lead))
    if "xã" not in lead:
        assert names(draft, task.lead) == [lead]
    # The label lines are fields, never tasks of their own.
    assert not any(t.title.lower().startswith(("thời gian", "cơ quan", "đơn vị")) for t in draft.tasks)


def test_labelled_item_without_a_time_has_no_invented_date():
    body = "a) Hoạt động 1\n- Nội dung: Tuyên truyền về bình đẳng giới\n- Cơ quan thực hiện: Sở Nội vụ chủ trì.\n"
    draft = parse(header() + "II. NỘI DUNG\n\n" + body + SIGNATURE)
    (task,) = draft.tasks
    assert task.deadline.kind is DeadlineKind.NONE and task.due_dates == () and not task.assumed


def test_several_leads_one_per_line_and_several_contents():
    body = (
        "c) Hoạt động 3\n- Nội dung:\n+ Tuyên truyền trên báo, đài\n+ Treo băng rôn tại trụ sở\n"
        "- Cơ quan thực hiện:\n+ Sở Văn hóa, Thể thao và Du lịch chủ trì, phối hợp với các đơn vị liên quan.\n"
        "+ Sở Xây dựng đăng tải thông điệp trên bảng điện tử.\n"
    )
    draft = parse(header() + "II. NỘI DUNG\n\n" + body + SIGNATURE)
    (task,) = draft.tasks
    assert task.title.startswith("Tuyên truyền trên báo, đài") and "băng rôn" in task.title
    assert names(draft, task.lead) == ["Sở Văn hóa, Thể thao và Du lịch", "Sở Xây dựng"]


# --- duties under agency headings ----------------------------------------------------------

AGENCY_HEADINGS = [
    ("1. Sở Tư pháp", ["Sở Tư pháp"]),
    ("b) Văn phòng Ủy ban nhân dân tỉnh:", ["Văn phòng Ủy ban nhân dân tỉnh"]),
    ("1.2. Sở Tài chính - Cơ quan thường trực Ban Chỉ đạo", ["Sở Tài chính"]),
    ("3. Đề nghị Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh", None),
    ("4. Các cơ quan quản lý ngành, lĩnh vực (gồm các Sở: Xây dựng, Công Thương, Y tế)",
     ["Sở Xây dựng", "Sở Công Thương", "Sở Y tế"]),
    ("2. Sở Nội vụ (Cơ quan thường trực Hội đồng thi đua - khen thưởng tỉnh):", ["Sở Nội vụ"]),
]


@pytest.mark.parametrize(("heading", "leads"), AGENCY_HEADINGS)
@pytest.mark.parametrize("time_as", ["label", "sentence"])
def test_duties_under_an_agency_heading(heading, leads, time_as):
    duty = "Tổng hợp kết quả thực hiện, báo cáo Ủy ban nhân dân tỉnh"
    if time_as == "label":
        body = f"{heading}\n- {duty}.\nThời gian hoàn thành: Trước ngày 15/11/2026.\n- Phối hợp kiểm tra.\n"
    else:
        body = f"{heading}\n- {duty} trước ngày 15/11/2026.\n- Phối hợp kiểm tra.\n"
    draft = parse(header() + "IV. TỔ CHỨC THỰC HIỆN\n\n" + body + "\nTrên đây là Kế hoạch của UBND tỉnh.\n" + SIGNATURE)
    (task,) = [t for t in draft.tasks if t.title.startswith(duty)]
    assert task.due_dates == (date(2026, 11, 15),)
    if leads is None:
        assert task.lead and ReviewReason.NO_LEAD not in task.needs_review
    else:
        assert names(draft, task.lead) == leads


@pytest.mark.parametrize(
    ("sentence", "dates"),
    [
        ("Sở Nội vụ định kỳ trước ngày 15 hằng tháng báo cáo tiến độ về Ủy ban nhân dân tỉnh.",
         [date(2026, m, 15) for m in range(1, 13)]),
        ("Sở Tư pháp báo cáo kết quả trước ngày 01/6 và 15/11 hằng năm.",
         [date(2026, 6, 1), date(2026, 11, 15)]),
        ("Sở Y tế định kỳ hằng năm báo cáo kết quả về Sở Nội vụ chậm nhất ngày 17 tháng 12.",
         [date(2026, 12, 17)]),
        ("Công an tỉnh chủ trì triển khai các nội dung (khi Bộ Công an có văn bản hướng dẫn).", []),
    ],
)
def test_dated_duties_inside_sentences(sentence, dates):
    draft = parse(header() + "IV. TỔ CHỨC THỰC HIỆN\n\n1. " + sentence + "\n" + SIGNATURE)
    (task,) = draft.tasks
    assert task.lead and ReviewReason.NO_LEAD not in task.needs_review
    assert [d for d in task.due_dates if d.year == 2026] == dates
    if not dates:
        assert task.deadline.kind is DeadlineKind.EVENT


def test_a_horizon_or_a_citation_is_no_deadline():
    body = (
        "1. Sở Tài chính triển khai Đề án phát triển kinh tế số đến năm 2030.\n"
        "2. Sở Nội vụ thực hiện Kế hoạch số 45-KH/TU ngày 14/12/2017 của Tỉnh ủy.\n"
    )
    draft = parse(header() + "II. NHIỆM VỤ\n\n" + body + SIGNATURE)
    assert all(t.deadline.text == "" for t in draft.tasks)


def test_the_closing_paragraph_may_set_a_dated_report():
    body = "1. Sở Xây dựng chủ trì triển khai Kế hoạch.\n\nTrên đây là Kế hoạch chuyển đổi số. Định kỳ hằng năm " \
        "(trước ngày 30 tháng 11) các cơ quan báo cáo kết quả thực hiện về Sở Xây dựng.\n"
    draft = parse(header() + "V. TỔ CHỨC THỰC HIỆN\n\n" + body + SIGNATURE)
    report = [t for t in draft.tasks if "báo cáo kết quả" in t.title]
    assert len(report) == 1 and report[0].due_dates[0] == date(2026, 11, 30)
    assert not report[0].title.startswith("Trên đây")


# --- a plan issued by a Quyết định ------------------------------------------------------------


def test_plan_issued_by_a_decision_takes_its_number_and_its_body_after_the_decision():
    text = (
        "ỦY BAN NHÂN DÂN\nTHÀNH PHỐ HẢI PHÒNG\n\nSố:\n1234/QĐ-UBND\n\nHải Phòng, ngày 05 tháng 3 năm 2026\n\n"
        "QUYẾT ĐỊNH\nBan hành Kế hoạch cải cách hành chính năm 2026\n\nCăn cứ Luật Tổ chức chính quyền địa phương;\n"
        "QUYẾT ĐỊNH:\nĐiều 1. Ban hành kèm theo Quyết định này Kế hoạch cải cách hành chính năm 2026.\n"
        "Điều 2. Quyết định này có hiệu lực từ ngày ký.\n\nNơi nhận:\n- Như Điều 3;\n- Lưu: VT.\n\n"
        "CHỦ TỊCH\n\nTrần Văn Bình\n\n"
        "KẾ HOẠCH\nCẢI CÁCH HÀNH CHÍNH NĂM 2026\n(Kèm theo Quyết định số 1234/QĐ-UBND ngày 05/3/2026)\n\n"
        "I. MỤC ĐÍCH\n\nNâng cao chất lượng phục vụ.\n\nII. NHIỆM VỤ\n\n"
        "1. Sở Nội vụ xây dựng bộ chỉ số cải cách hành chính trong Quý II/2026.\n"
        "2. Sở Tư pháp rà soát thủ tục hành chính, hoàn thành trước ngày 30/9/2026.\n"
    )
    draft = parse(text)
    assert draft.meta.number == "1234/QĐ-UBND"
    assert draft.meta.province == "hai-phong" and draft.meta.signer == "Trần Văn Bình"
    assert draft.meta.period == (2026, 2026)
    assert [(names(draft, t.lead), t.due_dates) for t in draft.tasks] == [
        (["Sở Nội vụ"], (date(2026, 6, 30),)),
        (["Sở Tư pháp"], (date(2026, 9, 30),)),
    ]


@pytest.mark.parametrize(
    ("title", "period"),
    [
        ("THỰC HIỆN CHƯƠNG TRÌNH PHÒNG, CHỐNG MA TÚY ĐẾN NĂM 2030", (2026, 2030)),
        ("PHÁT TRIỂN HẠ TẦNG SỐ GIAI ĐOẠN 2026 - 2030, TẦM NHÌN ĐẾN NĂM 2045", (2026, 2030)),
        ("PHÁT TRIỂN 5G ĐẾN NĂM 2030, TẦM NHÌN ĐẾN NĂM 2050", (2026, 2030)),
        ("CẢI CÁCH HÀNH CHÍNH NĂM 2027", (2027, 2027)),
        ("NHIỆM VỤ TRỌNG TÂM CUỐI NĂM 2026", (2026, 2026)),
    ],
)
def test_plan_period_from_the_title(title, period):
    text = header().replace("THỰC HIỆN CHUYỂN ĐỔI SỐ GIAI ĐOẠN 2026 - 2030", title)
    draft = parse(text + "II. NHIỆM VỤ\n\n1. Sở Nội vụ triển khai trước ngày 30/6/2027.\n" + SIGNATURE)
    assert draft.meta.period == period


@pytest.mark.parametrize(
    ("province_line", "place", "slug"),
    [("TỈNH ĐẮK LẮK", "Đắk Lắk", "dak-lak"), ("THÀNH PHỐ HUẾ", "Huế", "hue"), ("TỈNH QUẢNG NGÃI", "Quảng Ngãi", "quang-ngai")],
)
def test_every_layout_works_for_any_province(province_line, place, slug):
    body = "II. NHIỆM VỤ\n\n1. Sở Tư pháp rà soát văn bản, hoàn thành trước ngày 30/6/2026.\n"
    draft = parse(header(province_line, place) + body + SIGNATURE)
    assert draft.meta.province == slug
    assert names(draft, draft.tasks[0].lead) == ["Sở Tư pháp"]


def test_variants_do_not_leak_between_layouts():
    """A plan with both a table and prose keeps the table's rows and only the prose's
    dated duties from its implementation section."""
    rows = table_rows("Nhiệm vụ", "Cơ quan chủ trì", "Thời gian hoàn thành", restart=False, inline_sections=True)
    prose = (
        "II. NHIỆM VỤ, GIẢI PHÁP\n\n1. Rà soát văn bản quy phạm pháp luật về chuyển đổi số.\n\n"
        "III. TỔ CHỨC THỰC HIỆN\n\n1. Sở Khoa học và Công nghệ định kỳ hằng quý tổng hợp, báo cáo UBND tỉnh.\n"
        "2. Các sở, ngành bố trí kinh phí thực hiện.\n"
    )
    draft = parse(header() + prose + SIGNATURE + as_marked_text(rows))
    extra = [t for t in draft.tasks if not t.ref[0].isdigit()]
    assert [t.title for t in extra] == ["Sở Khoa học và Công nghệ định kỳ hằng quý tổng hợp, báo cáo UBND tỉnh."]
    assert len(draft.tasks) == 5
    assert list(itertools.chain(*(names(draft, t.lead) for t in extra))) == ["Sở Khoa học và Công nghệ"]


@pytest.mark.parametrize("kind", ["docx", "pdf"])
def test_labelled_prose_and_agency_headings_in_docx_and_pdf(kind):
    lines = [
        *header().splitlines(),
        "II. NỘI DUNG HOẠT ĐỘNG",
        "a) Hoạt động 1",
        "- Nội dung: Tổ chức tập huấn kỹ năng số cho cán bộ, công chức",
        "- Cơ quan thực hiện: Sở Nội vụ chủ trì, phối hợp với Sở Tài chính.",
        "- Thời gian thực hiện: Quý III/2026.",
        "III. TỔ CHỨC THỰC HIỆN",
        "1. Sở Tư pháp",
        "- Tổng hợp kết quả thực hiện, báo cáo Ủy ban nhân dân tỉnh trước ngày 15/11/2026.",
    ]
    lines = [line for line in lines if line.strip()]
    if kind == "docx":
        from docx import Document

        doc = Document()
        for line in lines:
            doc.add_paragraph(line)
        buf = io.BytesIO()
        doc.save(buf)
        data = buf.getvalue()
    else:
        data = make_text_pdf([lines])
    draft = parse(data, f"kh.{kind}")
    got = [(t.title[:40], names(draft, t.lead), t.due_dates) for t in draft.tasks]
    assert got == [
        ("Tổ chức tập huấn kỹ năng số cho cán bộ, ", ["Sở Nội vụ"], (date(2026, 9, 30),)),
        ("Tổng hợp kết quả thực hiện, báo cáo Ủy b", ["Sở Tư pháp"], (date(2026, 11, 15),)),
    ]


@pytest.mark.parametrize(("day", "expected"), [("12 tháng 01 năm 2026", "communes"), ("05 tháng 5 năm 2021", "districts")])
def test_district_wording_after_july_2025_means_the_communes(day, expected):
    text = (
        "ỦY BAN NHÂN DÂN\nTỈNH PHÚ THỌ\n\nSố: 9/KH-UBND\n\nPhú Thọ, ngày " + day + "\n\n"
        "KẾ HOẠCH\nCẢI CÁCH HÀNH CHÍNH\n\nI. NHIỆM VỤ\n\n"
        "1. UBND các huyện, thành, thị rà soát thủ tục hành chính trước ngày 30/11/2026.\n" + SIGNATURE
    )
    (task,) = parse(text).tasks
    directory = CATALOG.directory("phu-tho")
    if expected == "communes":
        assert task.lead == ("ubnd-cap-xa",)
    else:
        assert len(task.lead) > 5 and all(directory.agencies[c].kind == "district" for c in task.lead)


def test_a_header_over_two_rows_in_docx():
    """"Cơ quan thực hiện" spans "Chủ trì | Phối hợp" below it; the other header cells
    are merged down the two rows."""
    from docx import Document

    doc = Document()
    for line in header().splitlines():
        if line.strip():
            doc.add_paragraph(line)
    table = doc.add_table(rows=4, cols=5)
    for c, text in enumerate(["TT", "Nội dung nhiệm vụ", "", "", "Thời gian hoàn thành"]):
        table.cell(0, c).text = text
    table.cell(1, 2).text, table.cell(1, 3).text = "Chủ trì", "Phối hợp"
    table.cell(0, 2).merge(table.cell(0, 3)).text = "Cơ quan thực hiện"
    for c in (0, 1, 4):
        table.cell(0, c).merge(table.cell(1, c))
    rows = [["1", "Rà soát văn bản", "Sở Tư pháp", "Sở Nội vụ", "Quý IV/2026"],
            ["2", "Số hóa hồ sơ", "Sở Nội vụ", "Sở Tư pháp", "Năm 2027"]]
    for r, row in enumerate(rows, start=2):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    buf = io.BytesIO()
    doc.save(buf)
    draft = parse(buf.getvalue(), "kh.docx")
    got = [(t.ref, t.title, names(draft, t.lead), names(draft, t.support), t.due_dates) for t in draft.tasks]
    assert got == [
        ("1", "Rà soát văn bản", ["Sở Tư pháp"], ["Sở Nội vụ"], (date(2026, 12, 31),)),
        ("2", "Số hóa hồ sơ", ["Sở Nội vụ"], ["Sở Tư pháp"], (date(2027, 12, 31),)),
    ]


@pytest.mark.parametrize(
    ("aims", "tasks", "first"),
    [
        ("I. MỤC ĐÍCH, YÊU CẦU", "II. NHIỆM VỤ", "1."),
        ("1. MỤC ĐÍCH, YÊU CẦU", "2. NHIỆM VỤ", "2.1."),
        ("A. MỤC ĐÍCH, YÊU CẦU", "B. NHIỆM VỤ", "1."),
        ("Phần I. MỤC ĐÍCH, YÊU CẦU", "Phần II. NHIỆM VỤ", "1."),
        ("PHẦN THỨ NHẤT: MỤC ĐÍCH, YÊU CẦU", "PHẦN THỨ HAI: NHIỆM VỤ", "1."),
    ],
)
def test_parts_numbered_in_any_style(aims, tasks, first):
    text = (
        header().split("I. MỤC ĐÍCH")[0] + f"{aims}\n\nNâng cao chất lượng phục vụ.\n\n{tasks}\n\n"
        f"{first} Sở Tư pháp rà soát văn bản, hoàn thành trước ngày 30/6/2026.\n\n"
        "- Sở Nội vụ tổ chức tập huấn trong Quý III/2026.\n" + SIGNATURE
    )
    draft = parse(text)
    assert [(names(draft, t.lead), t.due_dates) for t in draft.tasks] == [
        (["Sở Tư pháp"], (date(2026, 6, 30),)),
        (["Sở Nội vụ"], (date(2026, 9, 30),)),
    ]


def test_a_row_the_parser_skips_is_named_in_the_warnings():
    rows = [
        ["STT", "Nhiệm vụ", "Cơ quan chủ trì", "Thời gian hoàn thành"],
        ["1", "Rà soát văn bản", "Sở Tư pháp", "Quý IV/2026"],
        ["2", "", "", ""],  # a number and nothing else
        ["", "", "Sở Nội vụ", "Năm 2027"],  # a lead and a time but no task
        ["3", "Số hóa hồ sơ", "Sở Nội vụ", "Năm 2027"],
    ]
    draft = parse(header() + SIGNATURE + as_pipe_text(rows))
    assert [t.title for t in draft.tasks] == ["Rà soát văn bản", "Số hóa hồ sơ"]
    assert draft.warnings == ("Bỏ qua 2 dòng của bảng nhiệm vụ không có nội dung nhiệm vụ: “2”, “Sở Nội vụ”.",)
