"""The plan parser on the five real sample plans and on generated .docx/.pdf plans."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest

from bot.catalog import Catalog
from bot.domain.deadlines import DeadlineKind, Every
from bot.domain.plans.draft import PlanDraft, ReviewReason
from bot.domain.plans.parser import PlanProvinceUnknown, parse_plan
from bot.domain.plans.readers import read_plan, read_plan_file

sys.path.insert(0, str(Path(__file__).parent))
from fixtures_docs import TASK_HEADER, make_docx, make_text_pdf  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
PLANS = ROOT / "data" / "plans"
CATALOG = Catalog(ROOT / "data")


def parse_file(name: str) -> PlanDraft:
    return parse_plan(
        read_plan_file(PLANS / name), provinces=CATALOG.provinces, load_directory=CATALOG.directory
    )


def parse_bytes(data: bytes, name: str, province: str | None = None) -> PlanDraft:
    return parse_plan(
        read_plan(data, name), provinces=CATALOG.provinces, load_directory=CATALOG.directory, province=province
    )


def years(month: int, day: int, first: int, last: int) -> tuple[date, ...]:
    return tuple(date(y, month, day) for y in range(first, last + 1))


@pytest.fixture(scope="module")
def phu_tho() -> PlanDraft:
    return parse_file("phu-tho-1782-KH-UBND-2021.txt")


@pytest.fixture(scope="module")
def vinh_long() -> PlanDraft:
    return parse_file("vinh-long-18-KH-UBND-2025.txt")


def by_ref(draft: PlanDraft) -> dict:
    return {task.ref: task for task in draft.tasks}


# --- Phú Thọ: the appendix table ---------------------------------------------------------


def test_phu_tho_metadata(phu_tho):
    meta = phu_tho.meta
    assert meta.number == "1782/KH-UBND"
    assert meta.province == "phu-tho"
    assert meta.issued_on == date(2021, 5, 5)
    assert meta.period == (2021, 2025)
    assert meta.signer == "Phan Trọng Tấn"
    assert meta.issuer == "Ủy ban nhân dân tỉnh Phú Thọ"
    assert meta.title == "Kế hoạch cải cách hành chính nhà nước tỉnh Phú Thọ giai đoạn 2021 - 2025"


def test_phu_tho_has_its_39_tasks_in_order(phu_tho):
    assert [t.ref for t in phu_tho.tasks] == [str(i) for i in range(1, 40)]
    assert phu_tho.warnings == ()


@pytest.mark.parametrize(
    ("ref", "lead"),
    [
        ("1", ("so-noi-vu",)),
        ("6", ("so-ke-hoach-dau-tu",)),
        ("11", ("so-tu-phap",)),
        ("15", ("van-phong-ubnd-tinh",)),
        ("26", ("so-noi-vu", "so-tai-chinh")),
        ("33", ("so-tai-chinh",)),
        ("34", ("so-thong-tin-truyen-thong",)),
        ("37", ("so-khoa-hoc-cong-nghe",)),
    ],
)
def test_phu_tho_lead_agencies(phu_tho, ref, lead):
    assert by_ref(phu_tho)[ref].lead == lead


def test_phu_tho_list_cell_gives_every_named_department(phu_tho):
    lead = by_ref(phu_tho)["10"].lead
    assert set(lead) == {
        "so-tai-chinh", "so-noi-vu", "so-tai-nguyen-moi-truong", "so-xay-dung", "so-ke-hoach-dau-tu",
    }


def test_phu_tho_group_lead_expands_to_departments(phu_tho):
    lead = by_ref(phu_tho)["31"].lead
    assert "so-tu-phap" in lead and "so-y-te" in lead and len(lead) > 10


@pytest.mark.parametrize(
    ("ref", "dates"),
    [
        ("1", years(12, 31, 2021, 2024)),  # tháng 12 năm trước liền kề của năm KH
        ("2", years(6, 30, 2021, 2025)),  # Quý II hằng năm
        ("12", years(1, 31, 2022, 2025)),  # tháng 01 của năm KH (2021's was before the plan)
        ("13", years(1, 30, 2022, 2025)),  # trước ngày 30/01 của năm KH
        ("25", years(12, 31, 2021, 2025)),  # Thực hiện trong năm Kế hoạch
        ("8", (date(2021, 6, 30),)),  # quý II/2021
        ("19", (date(2021, 12, 31),)),  # Trong năm 2021
        ("33", (date(2021, 11, 30),)),  # tháng 11/2021
    ],
)
def test_phu_tho_due_dates(phu_tho, ref, dates):
    assert by_ref(phu_tho)[ref].due_dates == dates


def test_phu_tho_event_deadlines_have_no_dates_and_ask_for_review(phu_tho):
    events = [t for t in phu_tho.tasks if t.deadline.kind is DeadlineKind.EVENT]
    assert [t.ref for t in events] == ["4", "5", "6", "7", "20", "23"]
    assert all(t.due_dates == () for t in events)
    assert all(t.needs_review == (ReviewReason.EVENT_DEADLINE,) for t in events)
    assert [t.ref for t in phu_tho.tasks if t.needs_review] == ["4", "5", "6", "7", "20", "23"]


def test_phu_tho_sections_products_and_cells(phu_tho):
    task = by_ref(phu_tho)["11"]
    assert task.section == "II. Cải cách thể chế"
    assert task.product == "Các Văn bản QPPL được ban hành"
    assert task.deadline.text == "Thực hiện hằng năm"
    assert task.support_text == "Sở, ban, ngành; UBND cấp huyện"
    assert "so-tu-phap" not in task.support and "tp-viet-tri" in task.support
    assert by_ref(phu_tho)["25"].section == "V. Cải cách chế độ công vụ, công chức"


# --- Vĩnh Long: prose ------------------------------------------------------------------


def test_vinh_long_metadata(vinh_long):
    meta = vinh_long.meta
    assert (meta.number, meta.issued_on, meta.period, meta.signer) == (
        "18/KH-UBND", date(2025, 3, 6), (2025, 2025), "Lữ Quang Ngời",
    )
    assert meta.province == "vinh-long"


def test_vinh_long_dated_tasks_once_each(vinh_long):
    civil = [t for t in vinh_long.tasks if "hộ tịch" in t.title and t.due_dates == (date(2025, 3, 31),)]
    assert len(civil) == 1 and civil[0].lead == ("so-tu-phap",)
    assert civil[0].title.startswith("Sở Tư pháp phối hợp với Bộ Tư pháp")
    land = [t for t in vinh_long.tasks if "đất đai" in t.title and t.due_dates == (date(2025, 6, 30),)]
    assert len(land) == 1 and land[0].lead == ("so-nong-nghiep-moi-truong",)
    q3 = [t for t in vinh_long.tasks if t.due_dates == (date(2025, 9, 30),)]
    assert len(q3) == 3
    assert all("van-phong-ubnd-tinh" in t.lead and "so-tu-phap" in t.lead for t in q3)
    monthly = [t for t in vinh_long.tasks if t.title.startswith("Định kỳ hàng tháng báo cáo")]
    assert len(monthly) == 1
    assert monthly[0].deadline.every is Every.MONTH
    assert monthly[0].due_dates[0] == date(2025, 3, 31) and monthly[0].due_dates[-1] == date(2025, 12, 31)
    assert ReviewReason.NO_LEAD in monthly[0].needs_review


def test_vinh_long_repeated_page_block_gives_no_duplicates(vinh_long):
    titles = [t.title for t in vinh_long.tasks]
    assert len(titles) == len(set(titles))
    assert sum("Sở Tư pháp làm tốt công tác thẩm định" in t for t in titles) == 1
    assert not any(t.startswith(("Căn cứ Nghị quyết", "KẾ HOẠCH", "Trên đây", "Ủy ban nhân dân tỉnh Vĩnh Long xây dựng")) for t in titles)


def test_vinh_long_heading_assigns_items_under_it(vinh_long):
    office = [t for t in vinh_long.tasks if t.ref.startswith("II.3.b.")]
    assert len(office) == 5
    assert all(t.lead == ("van-phong-ubnd-tinh",) for t in office)
    assert all(t.assumed and ReviewReason.DEADLINE_ASSUMED in t.needs_review for t in office)


def test_vinh_long_citation_dates_are_not_deadlines(vinh_long):
    cited = [t for t in vinh_long.tasks if "09/2019/NĐ-CP ngày 24/01/2019" in t.title]
    assert len(cited) == 1 and cited[0].due_dates == (date(2025, 9, 30),)


# --- the three short plans -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "number", "issued", "period", "signer", "province"),
    [
        ("binh-duong-6898-KH-UBND-2023.txt", "6898/KH-UBND", date(2023, 12, 29), (2024, 2024), "Võ Văn Minh", "ho-chi-minh"),
        ("soc-trang-48-KH-UBND-2016.txt", "48/KH-UBND", date(2016, 7, 4), (2016, 2020), "Lê Thành Trí", "can-tho"),
        ("tuyen-quang-232-KH-UBND-2022.txt", "232/KH-UBND", date(2022, 12, 24), (2023, 2023), "Nguyễn Văn Sơn", "tuyen-quang"),
    ],
)
def test_short_plans_metadata_and_flagged_tasks(name, number, issued, period, signer, province):
    draft = parse_file(name)
    meta = draft.meta
    assert (meta.number, meta.issued_on, meta.period, meta.signer, meta.province) == (
        number, issued, period, signer, province,
    )
    assert draft.tasks, "every plan yields tasks"
    assert all(t.needs_review for t in draft.tasks), "nothing in these texts names a lead for every task"
    assert any("cắt bớt" in w for w in draft.warnings)
    assert all(t.title not in ("[...]", "…") for t in draft.tasks)


def test_soc_trang_legacy_font_still_parses():
    draft = parse_file("soc-trang-48-KH-UBND-2016.txt")
    assert "Sóc Trăng" in (draft.meta.title or "")
    assert any(t.title.startswith("Tăng cường nghiên cu") for t in draft.tasks)
    assert all(t.due_dates == (date(2020, 12, 31),) for t in draft.tasks)


def test_tuyen_quang_without_task_section_says_so():
    draft = parse_file("tuyen-quang-232-KH-UBND-2022.txt")
    assert any("mục tiêu" in w for w in draft.warnings)


# --- generated files --------------------------------------------------------------------


def test_docx_plan_with_a_real_table():
    draft = parse_bytes(make_docx(), "ke-hoach.docx")
    assert draft.meta.number == "1782/KH-UBND"
    assert draft.meta.issued_on == date(2021, 5, 5)
    assert [t.ref for t in draft.tasks] == ["1", "2"]
    first, second = draft.tasks
    assert first.lead == second.lead == ("so-noi-vu",)  # a vertically merged lead cell
    assert first.due_dates == years(12, 31, 2021, 2024)
    assert second.due_dates == years(6, 30, 2021, 2025)
    assert first.section == "I. Công tác chỉ đạo, điều hành CCHC"


def test_pdf_plan_in_prose():
    pages = [
        [
            "ỦY BAN NHÂN DÂN TỈNH VĨNH LONG",
            "Số: 77/KH-UBND",
            "Vĩnh Long, ngày 10 tháng 02 năm 2026",
            "KẾ HOẠCH",
            "CẢI CÁCH HÀNH CHÍNH NĂM 2026",
            "I. NHIỆM VỤ TRỌNG TÂM",
            "1. Sở Tư pháp rà soát văn bản quy phạm pháp luật, hoàn thành trước ngày 30/6/2026.",
            "2. Sở Nội vụ tổ chức tập huấn cải cách hành chính trong Quý III/2026.",
        ]
    ]
    draft = parse_bytes(make_text_pdf(pages), "ke-hoach.pdf")
    assert draft.meta.number == "77/KH-UBND"
    assert draft.meta.period == (2026, 2026)
    assert [(t.lead, t.due_dates) for t in draft.tasks] == [
        (("so-tu-phap",), (date(2026, 6, 30),)),
        (("so-noi-vu",), (date(2026, 9, 30),)),
    ]
    assert all(t.needs_review == () for t in draft.tasks)


def test_pdf_plan_with_a_task_table():
    pages = [["UBND TỈNH PHÚ THỌ", "Số: 5/KH-UBND", "Phú Thọ, ngày 02 tháng 01 năm 2025", "KẾ HOẠCH", "CẢI CÁCH HÀNH CHÍNH NĂM 2025"]]
    table = [
        list(TASK_HEADER),
        ["1", "Rà soát thủ tục hành chính", "Báo cáo", "Văn phòng UBND tỉnh", "Sở Tư pháp", "Quý II/2025", ""],
        ["2", "Ban hành kế hoạch tuyên truyền", "Kế hoạch", "Sở Nội vụ", "", "trước ngày 31/3/2025", ""],
    ]
    draft = parse_bytes(make_text_pdf(pages, table=table), "kh.pdf")
    assert [(t.ref, t.lead, t.due_dates) for t in draft.tasks] == [
        ("1", ("van-phong-ubnd-tinh",), (date(2025, 6, 30),)),
        ("2", ("so-noi-vu",), (date(2025, 3, 31),)),
    ]
    assert draft.tasks[0].support == ("so-tu-phap",)


def test_unknown_agency_and_unparsed_deadline_are_flagged():
    import io

    from docx import Document

    doc = Document()
    for text in ("UBND TỈNH PHÚ THỌ", "Số: 9/KH-UBND", "Phú Thọ, ngày 02 tháng 01 năm 2025", "KẾ HOẠCH", "CẢI CÁCH HÀNH CHÍNH NĂM 2025"):
        doc.add_paragraph(text)
    table = doc.add_table(rows=3, cols=7)
    for c, text in enumerate(TASK_HEADER):
        table.cell(0, c).text = text
    for c, text in enumerate(["1", "Nhiệm vụ A", "", "Sở Du lịch Vũ trụ", "", "Quý II/2025", ""]):
        table.cell(1, c).text = text
    for c, text in enumerate(["2", "Nhiệm vụ B", "", "Sở Nội vụ", "", "sớm nhất có thể", ""]):
        table.cell(2, c).text = text
    buf = io.BytesIO()
    doc.save(buf)
    draft = parse_bytes(buf.getvalue(), "kh.docx")
    first, second = draft.tasks
    # A body the directory lacks is kept as a new agency of the plan, flagged for review.
    assert first.needs_review == (ReviewReason.UNKNOWN_AGENCY,)
    assert [a.name for a in draft.new_agencies] == ["Sở Du lịch Vũ trụ"]
    assert first.lead == (draft.new_agencies[0].code,)
    assert second.deadline.kind is DeadlineKind.UNPARSED
    assert second.needs_review == (ReviewReason.DEADLINE_UNPARSED,)
    assert second.deadline.text == "sớm nhất có thể"


def test_plan_without_a_province_is_refused_clearly():
    text = "KẾ HOẠCH\nCẢI CÁCH HÀNH CHÍNH NĂM 2025\nI. NHIỆM VỤ\n1. Làm việc A trước ngày 30/6/2025.\n".encode()
    with pytest.raises(PlanProvinceUnknown) as err:
        parse_bytes(text, "kh.txt")
    assert "tỉnh" in err.value.message
    assert parse_bytes(text, "kh.txt", province="phu-tho").meta.province == "phu-tho"
