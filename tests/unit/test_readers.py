"""Plan readers: real sample plans, encodings, generated .docx/.pdf, and refusals."""

from __future__ import annotations

import hashlib
import io
import os
import sys
import unicodedata
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.plans.document import Paragraph, PlanDocument, PlanReadError, Table
from bot.domain.plans.readers import read_plan, read_plan_file
from bot.domain.text import clean

sys.path.insert(0, str(Path(__file__).parent))
from fixtures_docs import (  # noqa: E402
    TASK_HEADER,
    TASK_ROWS,
    make_docx,
    make_encrypted_pdf,
    make_numbered_docx,
    make_scanned_pdf,
    make_text_pdf,
    to_cp1258,
)

PLANS = Path(__file__).resolve().parents[2] / "data" / "plans"
SAMPLES = sorted(PLANS.glob("*.txt"))
PHU_THO = PLANS / "phu-tho-1782-KH-UBND-2021.txt"
VINH_LONG = PLANS / "vinh-long-18-KH-UBND-2025.txt"


def paragraphs(doc: PlanDocument) -> list[str]:
    return [b.text for b in doc.blocks if isinstance(b, Paragraph)]


def tables(doc: PlanDocument) -> list[Table]:
    return [b for b in doc.blocks if isinstance(b, Table)]


def read_text(text: str, name: str = "kehoach.txt") -> PlanDocument:
    return read_plan(text.encode("utf-8"), name)


PREFIX = "Kế hoạch cải cách hành chính nhà nước năm 2025"


def texts(text: str) -> list[str]:
    """Paragraphs of a snippet (behind a title line, so that short snippets are not
    refused as "no_text")."""
    got = paragraphs(read_text(f"{PREFIX}\n\n{text}"))
    assert got[0] == PREFIX
    return got[1:]


def assert_vietnamese(message: str) -> None:
    assert message and any(ch in message for ch in "ăâđêôơưáàảãạếềểễệốồổỗộớờởỡợ"), message


# --- real samples --------------------------------------------------------------------------


def test_the_five_samples_are_there() -> None:
    assert len(SAMPLES) == 5


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_every_sample_reads_into_clean_blocks(path: Path) -> None:
    data = path.read_bytes()
    doc = read_plan_file(path)
    assert doc.kind == "txt"
    assert doc.name == path.name
    assert doc.size == len(data)
    assert doc.sha256 == hashlib.sha256(data).hexdigest()
    assert len(doc.blocks) > 20
    for block in doc.blocks:
        if isinstance(block, Paragraph):
            assert block.text and block.text == clean(block.text)
            assert "\n" not in block.text and block.text != "|"
        else:
            assert block.rows
            for row in block.rows:
                assert all(cell == clean(cell) and "\n" not in cell for cell in row)
                assert not any(cell.endswith("|") for cell in row)


def test_phu_tho_appendix_is_one_table_of_39_tasks() -> None:
    doc = read_plan_file(PHU_THO)
    [table] = tables(doc)
    assert table.rows[0] == TASK_HEADER
    assert all(len(row) == 7 for row in table.rows)
    tasks = [row for row in table.rows[1:] if row[0].isdigit()]
    assert [row[0] for row in tasks] == [str(n) for n in range(1, 40)]
    assert tasks[0] == (
        "1",
        "Xây dựng, ban hành Kế hoạch CCHC nhà nước tỉnh Phú Thọ hằng năm.",
        "Kế hoạch của UBND tỉnh",
        "Sở Nội vụ",
        "Sở, ban, ngành; UBND huyện, thành, thị",
        "Ban hành trong tháng 12 năm trước liền kề của năm KH",
        "",
    )
    by_stt = {row[0]: row for row in tasks}
    assert by_stt["7"][5] == "Ngay sau khi các Chỉ số PAR-INDEX; PAPI; SIPAS của tỉnh được công bố"
    assert by_stt["13"][5] == "Ban hành Kế hoạch trước ngày 30/01 của năm Kế hoạch"
    assert by_stt["25"][3] == "Sở Nội vụ"  # first row after the irregular section V
    assert by_stt["33"][5] == "Hoàn thành trong tháng 11/2021"
    assert by_stt["39"][2] == "Các Kế hoạch chương trình phối hợp về tuyên truyền CCHC"
    sections = [row for row in table.rows[1:] if not row[0].isdigit()]
    assert [row[0] for row in sections] == [
        "I. Công tác chỉ đạo, điều hành CCHC",
        "II. Cải cách thể chế",
        "III. Cải cách thủ tục hành chính (TTHC)",
        "IV. Cải cách tổ chức bộ máy",
        "V. Cải cách chế độ công vụ, công chức",
        "VI. Cải cách tài chính công",
        "VII. Xây dựng và phát triển Chính quyền điện tử, Chính quyền số",
        "VIII. Tuyên truyền Cải cách hành chính",
    ]
    assert all(row[1:] == ("",) * 6 for row in sections)
    assert len(table.rows) == 1 + 8 + 39


def test_phu_tho_blocks_around_the_appendix() -> None:
    doc = read_plan_file(PHU_THO)
    blocks = list(doc.blocks)
    at = next(i for i, b in enumerate(blocks) if isinstance(b, Table))
    assert blocks[at - 1] == Paragraph("(Kèm theo Kế hoạch số /KH-UBND ngày tháng 5 năm 2021 của UBND tỉnh Phú Thọ)")
    assert blocks[at - 3] == Paragraph("PHỤ LỤC")
    after = [b.text for b in blocks[at + 1 :] if isinstance(b, Paragraph)]
    assert [t[:4] for t in after] == ["[1] ", "[2] ", "[3] "]
    assert after[0].startswith("[1] Nghị định số 32/2020/NĐ-CP ngày 05/3/2020 của Chính phủ")


def test_phu_tho_wrapped_lines_are_rejoined() -> None:
    got = paragraphs(read_plan_file(PHU_THO))
    assert got[:9] == [
        "ỦY BAN NHÂN DÂN",
        "TỈNH PHÚ THỌ",
        "CỘNG HÒA XÃ HỘI",
        "CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Số: 1782/KH-UBND",
        "Phú Thọ, ngày 05 tháng 5 năm 2021",
        "KẾ HOẠCH",
        "CẢI CÁCH HÀNH CHÍNH NHÀ NƯỚC TỈNH PHÚ THỌ GIAI ĐOẠN 2021 - 2025",
    ]
    preamble = got[9]
    assert preamble.startswith("Căn cứ Nghị quyết Đại hội Đảng bộ tỉnh Phú Thọ khóa XIX nhiệm kỳ 2020 - 2025;")
    assert preamble.endswith(
        "UBND tỉnh ban hành Kế hoạch cải cách hành chính nhà nước giai đoạn 2021 - 2025, cụ thể như sau:"
    )
    for expected in (
        "I. MỤC TIÊU",
        "1. Mục tiêu chung",
        "II. CÔNG TÁC CHỈ ĐẠO, ĐIỀU HÀNH CẢI CÁCH HÀNH CHÍNH",
        "III. NHIỆM VỤ",
        "1. Cải cách thể chế",
        "6. Xây dựng và phát triển Chính quyền điện tử, Chính quyền số",
        "IV. TỔ CHỨC THỰC HIỆN",
        "a) Về cải cách thể chế:",
        "e) Xây dựng và phát triển Chính quyền điện tử, Chính quyền số",
        "đ) Xây dựng Đề án tăng cường kỷ luật, kỷ cương, đạo đức công vụ trong các cơ quan hành chính "
        "nhà nước giai đoạn 2021 - 2025.",
        "- Bộ Nội vụ;",
        "- Lưu: VT, VX4.",
        "Nơi nhận:",
    ):
        assert expected in got, expected
    assert (
        "1. CCHC là nhiệm vụ trọng tâm, xuyên suốt trong hoạt động của các cơ quan hành chính nhà nước, "
        "do đó phải đặt dưới sự lãnh đạo trực tiếp, toàn diện của các cấp ủy Đảng, đồng thời triển khai, "
        "thực hiện tốt Chương trình hành động số 01-CTr/TU ngày 16/11/2020 của Tỉnh ủy về thực hiện "
        "Nghị quyết Đại hội Đảng bộ tỉnh lần thứ XIX, nhiệm kỳ 2020 - 2025."
    ) in got
    sign = got.index("TM. ỦY BAN NHÂN DÂN")
    assert got[sign : sign + 4] == ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Phan Trọng Tấn"]
    assert not any(set(t) <= set("-|") for t in got)  # no bars or "-------" rules left


def test_vinh_long_pipe_tables() -> None:
    doc = read_plan_file(VINH_LONG)
    found = tables(doc)
    meta = found[0]
    assert meta.rows[0] == ("Số hiệu", "18/KH-UBND")
    assert ("Người ký", "Lữ Quang Ngời") in meta.rows and len(meta.rows) == 7
    header = (
        ("ỦY BAN NHÂN DÂN", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
        ("Số: 18/KH-UBND", "Vĩnh Long, ngày 06 tháng 3 năm 2025"),
    )
    # The page repeats its first block; the reader keeps both copies (the parser dedupes).
    assert [t.rows for t in found].count(header) == 2
    indicators = [t for t in found if t.rows[0] == ("STT", "Chỉ tiêu", "Đơn vị", "Chỉ tiêu năm 2025")]
    assert [len(t.rows) - 1 for t in indicators] == [7, 4, 5]
    assert indicators[0].rows[1] == (
        "1.",
        "Tỷ lệ cung cấp dịch vụ công trực tuyến toàn trình trên tổng số TTHC có đủ điều kiện "
        "trên Cổng Dịch vụ công quốc gia",
        "%",
        "80",
    )
    satisfaction = "Mức độ hài lòng trong tiếp nhận, giải quyết TTHC của người dân, doanh nghiệp"
    assert indicators[1].rows[-1] == ("4", satisfaction, "%", "Tối thiểu 90")  # "4", not "4."
    got = paragraphs(doc)
    assert "2. Chỉ tiêu giao tại Nghị quyết số 02/NQ-CP" in got
    assert got.count("KẾ HOẠCH") == 2
    assert got[-2:] == ["Đăng xuất", "Việc làm Hồ Chí Minh"]
    assert found[-1].rows == (("CHỦ TỊCH",),)


@pytest.mark.parametrize(
    ("stem", "number", "place_date"),
    [
        ("binh-duong-6898-KH-UBND-2023", "Số: 6898/KH-UBND", "Bình Dương, ngày 29 tháng 12 năm 2023"),
        ("soc-trang-48-KH-UBND-2016", "Số: 48/KH-UBND", "Sóc Trăng, ngày 04 tháng 07 năm 2016"),
        ("tuyen-quang-232-KH-UBND-2022", "Số: 232/KH-UBND", "Tuyên Quang, ngày 24 tháng 12 năm 2022"),
    ],
)
def test_one_paragraph_per_line_samples(stem: str, number: str, place_date: str) -> None:
    got = paragraphs(read_plan_file(PLANS / f"{stem}.txt"))
    assert number in got and place_date in got
    assert got[got.index(number) + 1] == place_date
    assert got[got.index(place_date) + 1] == "KẾ HOẠCH"
    assert any(t.startswith("Số hiệu ") for t in got)  # metadata lines are not glued together
    assert any(t.startswith("Ngày ban hành ") for t in got)
    assert "ỦY BAN NHÂN DÂN" in got and not any(set(t) <= set("-") for t in got)


# --- encodings -----------------------------------------------------------------------------


ENCODINGS = {
    "utf-8": lambda t: t.encode("utf-8"),
    "utf-8-sig": lambda t: t.encode("utf-8-sig"),
    "utf-16": lambda t: t.encode("utf-16"),  # with BOM
    "utf-16-le-no-bom": lambda t: t.encode("utf-16-le"),
    "utf-16-be": lambda t: b"\xfe\xff" + t.encode("utf-16-be"),
    "cp1258": to_cp1258,
    "crlf": lambda t: t.replace("\n", "\r\n").encode("utf-8"),
    "nfd": lambda t: unicodedata.normalize("NFD", t).encode("utf-8"),
}


@pytest.mark.parametrize("path", [PHU_THO, VINH_LONG], ids=lambda p: p.stem)
@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_encodings_give_identical_blocks(path: Path, encoding: str) -> None:
    text = path.read_text(encoding="utf-8")
    expected = read_text(text).blocks
    assert read_plan(ENCODINGS[encoding](text), path.name).blocks == expected


def test_cp1258_sample_really_uses_combining_tones() -> None:
    data = to_cp1258("Kế hoạch cải cách hành chính")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert "\u0301" in data.decode("cp1258")  # the tone of "ế" is a separate mark
    assert texts_from(data) == ["Kế hoạch cải cách hành chính"]


def test_utf8_read_as_cp1258_scores_as_mojibake() -> None:
    from bot.domain.plans.readers.encoding import vietnamese_score

    text = PHU_THO.read_text(encoding="utf-8")
    assert vietnamese_score(text) == 1.0
    misread = unicodedata.normalize("NFC", text.encode("utf-8").decode("cp1258", errors="replace"))
    assert vietnamese_score(misread) < 0.9


def texts_from(data: bytes) -> list[str]:
    return paragraphs(read_plan(data, "kehoach.txt"))


def test_nfd_text_comes_out_nfc_with_its_tone_placement_kept() -> None:
    text = "Đẩy mạnh xã hội hoá, thuỷ lợi; khóa XIX, hòa bình."
    got = texts_from(unicodedata.normalize("NFD", text).encode("utf-8"))
    assert got == [text]
    assert unicodedata.is_normalized("NFC", got[0])


def test_mostly_utf8_with_a_damaged_byte_is_not_read_as_cp1258() -> None:
    data = "Kế hoạch cải cách hành chính tỉnh Phú Thọ năm 2021".encode() + b"\xff"
    got = texts_from(data)
    assert got[0].startswith("Kế hoạch cải cách hành chính tỉnh Phú Thọ")


VN_WORDS = st.sampled_from(
    "kế hoạch cải cách hành chính nhà nước tỉnh Phú Thọ Sở Nội vụ thủ tục quý năm "
    "đánh giá chỉ số thực hiện Ủy ban nhân dân ban hành trước ngày tháng Đề án".split()
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(VN_WORDS, min_size=3, max_size=12).map(" ".join), min_size=1, max_size=8))
def test_cp1258_and_utf8_read_the_same(lines: list[str]) -> None:
    text = "\n".join([*lines, "Kế hoạch cải cách hành chính nhà nước tỉnh Phú Thọ"])
    assert read_plan(to_cp1258(text), "a.txt").blocks == read_text(text).blocks


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.lists(VN_WORDS, min_size=1, max_size=10).map(" ".join),
            st.sampled_from(["", "|", "STT", "1", "2", "I. Mục", " |", "| a | b |", "- a", "a) b", "-----"]),
        ),
        min_size=5,
        max_size=40,
    )
)
def test_any_mix_of_lines_gives_clean_blocks(lines: list[str]) -> None:
    doc = read_text("\n".join(lines) + "\nKế hoạch cải cách hành chính nhà nước tỉnh Phú Thọ")
    for block in doc.blocks:
        if isinstance(block, Paragraph):
            assert block.text and block.text == clean(block.text)
        else:
            assert block.rows and all(row for row in block.rows)


# --- re-joining wrapped lines (synthetic) ---------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("Căn cứ Nghị quyết Đại hội Đảng\nbộ tỉnh Phú Thọ khóa XIX.", ["Căn cứ Nghị quyết Đại hội Đảng bộ tỉnh Phú Thọ khóa XIX."]),
        ("Phú Thọ, ngày 05\ntháng 5 năm 2021", ["Phú Thọ, ngày 05 tháng 5 năm 2021"]),
        ("Số: 1782/KH-UBND\nPhú Thọ, ngày 05 tháng 5 năm 2021", ["Số: 1782/KH-UBND", "Phú Thọ, ngày 05 tháng 5 năm 2021"]),
        ("a) Một việc\nb) Hai việc\nđ) Năm việc", ["a) Một việc", "b) Hai việc", "đ) Năm việc"]),
        ("1. Một\n1.2. Hai\n[1] Ba\n+ Bốn\n* Năm", ["1. Một", "1.2. Hai", "[1] Ba", "+ Bốn", "* Năm"]),
        ("phát triển kinh tế\n- xã hội của tỉnh", ["phát triển kinh tế - xã hội của tỉnh"]),
        ("Mục tiêu đạt được\n- Hằng năm có 100% cơ quan", ["Mục tiêu đạt được", "- Hằng năm có 100% cơ quan"]),
        ("Hoàn thành trước ngày\n30/6/2025.\nSở Tư pháp chủ trì.", ["Hoàn thành trước ngày 30/6/2025.", "Sở Tư pháp chủ trì."]),
        ("Thực hiện tốt.\nSở Nội vụ theo dõi.", ["Thực hiện tốt.", "Sở Nội vụ theo dõi."]),
        ("Ban hành theo\nNghị định số 45/2020/NĐ-CP", ["Ban hành theo Nghị định số 45/2020/NĐ-CP"]),
        ("Theo quy định tại\nĐiều 5 Luật Ban hành văn bản", ["Theo quy định tại Điều 5 Luật Ban hành văn bản"]),
        ("Nội dung chung\nChương II\nĐiều 3. Trách nhiệm", ["Nội dung chung", "Chương II", "Điều 3. Trách nhiệm"]),
        ("Dòng một\n\nDòng hai", ["Dòng một", "Dòng hai"]),
        ("KẾ HOẠCH\nCẢI CÁCH HÀNH CHÍNH NĂM 2025", ["KẾ HOẠCH", "CẢI CÁCH HÀNH CHÍNH NĂM 2025"]),
        ("CẢI CÁCH HÀNH CHÍNH GIAI ĐOẠN 2021 -\n2025\nCăn cứ Luật.", ["CẢI CÁCH HÀNH CHÍNH GIAI ĐOẠN 2021 - 2025", "Căn cứ Luật."]),
        ("II. CÔNG TÁC\nCHỈ ĐẠO, ĐIỀU HÀNH", ["II. CÔNG TÁC CHỈ ĐẠO, ĐIỀU HÀNH"]),
        ("KẾ HOẠCH THỰC HIỆN GIAI ĐOẠN\n2021 - 2025 TRÊN ĐỊA BÀN TỈNH", ["KẾ HOẠCH THỰC HIỆN GIAI ĐOẠN 2021 - 2025 TRÊN ĐỊA BÀN TỈNH"]),
        ("2. MỤC TIÊU CỤ THỂ\n100% văn bản được ban hành đúng hạn.", ["2. MỤC TIÊU CỤ THỂ", "100% văn bản được ban hành đúng hạn."]),
        ("Việc làm theo tiêu chuẩn\nTCVN ISO 9001:2015 tại cơ quan", ["Việc làm theo tiêu chuẩn TCVN ISO 9001:2015 tại cơ quan"]),
        ("Các Chỉ số PAR-\nINDEX được công bố", ["Các Chỉ số PAR-INDEX được công bố"]),
        ("TM. ỦY BAN NHÂN DÂN\nKT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\nPhan Trọng Tấn", ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Phan Trọng Tấn"]),
        ("Giá trị 3.000\nngười dân", ["Giá trị 3.000 người dân"]),
        ("ỦY BAN NHÂN DÂN\n-------\nSố: 1/KH-UBND", ["ỦY BAN NHÂN DÂN", "Số: 1/KH-UBND"]),
        ("Kế hoạch\u00a0năm\u200b 2025  của   tỉnh", ["Kế hoạch năm 2025 của tỉnh"]),
        ("Trên đây là Kế hoạch của tỉnh\nPHỤ LỤC NHIỆM VỤ", ["Trên đây là Kế hoạch của tỉnh", "PHỤ LỤC NHIỆM VỤ"]),
        ("Trích yếu văn bản gửi kèm\nSố: 12/KH-UBND", ["Trích yếu văn bản gửi kèm", "Số: 12/KH-UBND"]),
    ],
)
def test_rejoin(source: str, expected: list[str]) -> None:
    assert texts(source) == expected


def test_one_long_line_does_not_turn_off_rejoining() -> None:
    url = "Xem thêm tại https://dichvucong.phutho.gov.vn/" + "thu-tuc-hanh-chinh/" * 8
    wrapped = "\n".join(["Căn cứ Nghị quyết Đại hội Đảng bộ tỉnh, UBND tỉnh ban hành Kế hoạch cải cách hành"] * 60)
    got = texts(f"{url}\n\n{wrapped}\nTham mưu giúp UBND tỉnh, Chủ tịch\nUBND tỉnh tổ chức thực hiện.")
    assert len(got) == 2
    assert got[1].endswith("cải cách hành Tham mưu giúp UBND tỉnh, Chủ tịch UBND tỉnh tổ chức thực hiện.")


def test_long_lines_are_not_glued_together() -> None:
    # One paragraph per line (web page without wrapping): "Số hiệu …" lines stay apart.
    long = (
        "Tăng cường kiểm soát chặt chẽ việc ban hành quy định TTHC trong các dự án, "
        "dự thảo văn bản quy phạm pháp luật thuộc thẩm quyền của tỉnh"
    )
    source = f"Số hiệu 6898/KH-UBND\nNgày ban hành 29/12/2023\na) Các sở, ban, ngành tỉnh\n{long}"
    assert texts(source) == ["Số hiệu 6898/KH-UBND", "Ngày ban hành 29/12/2023", "a) Các sở, ban, ngành tỉnh", long]


# --- pipe tables (synthetic) ---------------------------------------------------------------


CELL_STYLE = """PHỤ LỤC
STT
|
Nội dung
|
Số lượng
|
Thời hạn
|
I. Công
tác chỉ đạo
|
|
|
|
1
|
Mua sắm máy
tính cho Sở
|
2
|
Quý II hằng
năm
|
2
|
Tập huấn
|
3
|
Hằng năm
|
II.
Cải cách thể chế
|
|
3
|
Rà soát văn bản
|
5
|
Tháng 12/2025
|
[1] Ghi chú cuối
trang."""


def test_cell_style_table_rows_are_rebuilt_from_numbering() -> None:
    doc = read_text(CELL_STYLE)
    assert doc.blocks[0] == Paragraph("PHỤ LỤC")
    assert doc.blocks[1] == Table(
        (
            ("STT", "Nội dung", "Số lượng", "Thời hạn"),
            ("I. Công tác chỉ đạo", "", "", ""),
            ("1", "Mua sắm máy tính cho Sở", "2", "Quý II hằng năm"),  # "2" here is a quantity
            ("2", "Tập huấn", "3", "Hằng năm"),
            ("II. Cải cách thể chế", "", "", ""),  # irregular: only one empty cell
            ("3", "Rà soát văn bản", "5", "Tháng 12/2025"),
        )
    )
    assert doc.blocks[2:] == (Paragraph("[1] Ghi chú cuối trang."),)


def test_cell_style_table_ends_when_a_full_row_is_followed_by_text() -> None:
    source = "STT\n|\nViệc\n|\n1\n|\nLàm A\n|\nTrên đây là Kế hoạch.\nTM. ỦY BAN NHÂN DÂN\n|\nPhan Trọng Tấn\n|"
    doc = read_text(source)
    assert doc.blocks[0] == Table((("STT", "Việc"), ("1", "Làm A")))
    assert paragraphs(doc) == ["Trên đây là Kế hoạch.", "TM. ỦY BAN NHÂN DÂN", "Phan Trọng Tấn"]


def test_bars_without_an_stt_header_are_paragraph_breaks() -> None:
    source = (
        "ỦY BAN NHÂN DÂN\nTỈNH PHÚ THỌ\n-------\n|\nSố: 1782/KH-UBND\n|\n"
        "Phú Thọ, ngày 05\ntháng 5 năm 2021\n|\nSTT\n|\nkhông có hàng nào"
    )
    doc = read_text(source)
    assert not tables(doc)
    assert paragraphs(doc) == [
        "ỦY BAN NHÂN DÂN",
        "TỈNH PHÚ THỌ",
        "Số: 1782/KH-UBND",
        "Phú Thọ, ngày 05 tháng 5 năm 2021",
        "STT",
        "không có hàng nào",
    ]


def test_row_style_and_markdown_tables() -> None:
    source = (
        "| Số hiệu | 18/KH-UBND |\n| --- | --- |\n| Người ký | Lữ Quang Ngời |\n"
        "|\nỦY BAN NHÂN DÂN |\nCỘNG HÒA XÃ HỘI\nCHỦ NGHĨA VIỆT NAM |\n"
        "|\nSố: 18/KH-UBND |\nVĩnh Long, ngày 06 tháng 3 năm 2025 |\n"
        "KẾ HOẠCH\n"
        "|\nSTT |\nChỉ tiêu |\n|\n1. |\nTỷ lệ hồ sơ trực tuyến |\n"
        "2. Chỉ tiêu khác\n"
    )
    doc = read_text(source)
    assert doc.blocks == (
        Table((("Số hiệu", "18/KH-UBND"), ("Người ký", "Lữ Quang Ngời"))),
        Table(
            (
                ("ỦY BAN NHÂN DÂN", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
                ("Số: 18/KH-UBND", "Vĩnh Long, ngày 06 tháng 3 năm 2025"),
            )
        ),
        Paragraph("KẾ HOẠCH"),
        Table((("STT", "Chỉ tiêu"), ("1.", "Tỷ lệ hồ sơ trực tuyến"))),
        Paragraph("2. Chỉ tiêu khác"),
    )


# --- .docx ---------------------------------------------------------------------------------


def test_docx_paragraphs_and_tables_in_document_order() -> None:
    doc = read_plan(make_docx(), "kehoach.docx")
    assert doc.kind == "docx"
    kinds = ["T" if isinstance(b, Table) else "P" for b in doc.blocks]
    assert kinds == ["P"] * 9 + ["T"] + ["P"] * 2
    assert paragraphs(doc) == [
        # The 2×2 header is page layout: its cells come out as paragraphs.
        "ỦY BAN NHÂN DÂN",
        "TỈNH PHÚ THỌ",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Số: 1782/KH-UBND",
        "Phú Thọ, ngày 05 tháng 5 năm 2021",
        "KẾ HOẠCH",
        "Cải cách hành chính nhà nước tỉnh Phú Thọ giai đoạn 2021 - 2025",
        "I. MỤC TIÊU",
        "1. Đẩy mạnh cải cách hành chính, xây dựng nền hành chính liêm chính.",
        "TM. ỦY BAN NHÂN DÂN",
        "Phan Trọng Tấn",
    ]


def test_docx_task_table_merged_cells_and_line_breaks() -> None:
    [table] = tables(read_plan(make_docx(), "kehoach.docx"))
    assert table.rows[0] == TASK_HEADER
    # Merged across the row: the text once, the spanned columns empty (not 7 copies).
    assert table.rows[1] == ("I. Công tác chỉ đạo, điều hành CCHC", "", "", "", "", "", "")
    # The line break inside the deadline cell is a space.
    assert table.rows[2] == TASK_ROWS[0]
    # "Sở Nội vụ" merged vertically over both tasks leads both.
    assert table.rows[3] == TASK_ROWS[1]
    assert len(table.rows) == 4


def test_docx_without_merges_reads_the_same_cells() -> None:
    [table] = tables(read_plan(make_docx(merged=False), "kehoach.docx"))
    assert table.rows[1] == ("I. Công tác chỉ đạo, điều hành CCHC", "", "", "", "", "", "")
    assert table.rows[2:] == TASK_ROWS


def test_docx_automatic_numbering_labels_are_rendered() -> None:
    got = paragraphs(read_plan(make_numbered_docx(), "kehoach.docx"))
    assert got == [
        "Nhiệm vụ trọng tâm:",
        "1. Rà soát thủ tục hành chính.",
        "2. Số hóa hồ sơ.",
        "- Kiểm tra việc thực hiện.",
    ]


def test_docx_is_recognised_by_content_whatever_its_name() -> None:
    doc = read_plan(make_docx(), "kehoach.doc")
    assert doc.kind == "docx" and tables(doc)


def test_docx_without_text_is_refused() -> None:
    from docx import Document

    document = Document()
    document.add_paragraph("12/12")
    document.add_paragraph("")
    buf = io.BytesIO()
    document.save(buf)
    assert _refusal(buf.getvalue(), "trong.docx").code == "no_text"


def test_docx_nfd_text_is_normalised() -> None:
    from docx import Document

    document = Document()
    document.add_paragraph(unicodedata.normalize("NFD", "Thực hiện trong năm Kế hoạch"))
    buf = io.BytesIO()
    document.save(buf)
    assert paragraphs(read_plan(buf.getvalue(), "a.docx")) == ["Thực hiện trong năm Kế hoạch"]


# --- .pdf ----------------------------------------------------------------------------------


PAGE_1 = [
    "KẾ HOẠCH",
    "Cải cách hành chính nhà nước tỉnh Phú Thọ giai đoạn 2021 - 2025",
    "Căn cứ Nghị quyết Đại hội Đảng bộ tỉnh Phú Thọ khóa XIX nhiệm kỳ 2020 - 2025; Chương trình hành động "
    "số 01-CTr/TU ngày 16/11/2020 của Tỉnh ủy và Kế hoạch số 526/KH-UBND ngày 08/02/2021 của UBND tỉnh, "
    "UBND tỉnh ban hành Kế hoạch cải cách hành chính nhà nước giai đoạn 2021 - 2025 như sau:",
    "I. MỤC TIÊU",
]
PAGE_2 = [
    "II. NHIỆM VỤ",
    "a) Triển khai thi hành các Luật, Bộ luật được Quốc hội thông qua; đảm bảo các chủ trương của Đảng, "
    "chính sách, pháp luật của Nhà nước được phổ biến rộng rãi đến mọi tầng lớp nhân dân.",
]
PAGE_3 = [
    "III. TỔ CHỨC THỰC HIỆN",
    "Sở Nội vụ là cơ quan thường trực hướng dẫn, đôn đốc, kiểm tra việc triển khai thực hiện kế hoạch.",
]


def test_pdf_text_layer_paragraphs_and_table() -> None:
    data = make_text_pdf(
        [PAGE_1, PAGE_2, PAGE_3],
        table=[TASK_HEADER, *TASK_ROWS],
        running_header="UBND TỈNH PHÚ THỌ - KẾ HOẠCH 1782/KH-UBND",
        page_numbers=True,
    )
    doc = read_plan(data, "kehoach.pdf")
    assert doc.kind == "pdf"
    # Wrapped lines re-joined (also across "2025;" at a line end), running header and
    # page numbers gone, the table between the first page's text and the second page's.
    assert doc.blocks == (
        *(Paragraph(t) for t in PAGE_1),
        Table((TASK_HEADER, *TASK_ROWS)),
        *(Paragraph(t) for t in PAGE_2 + PAGE_3),
    )


def test_pdf_merged_table_cells() -> None:
    from fixtures_docs import FONT, _register_font
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import SimpleDocTemplate, TableStyle
    from reportlab.platypus import Table as RLTable

    _register_font()
    rows = [
        ["STT", "Nội dung", "Chủ trì", "Thời hạn"],
        ["I. Cải cách thể chế", "", "", ""],
        ["1", "Rà soát văn bản", "Sở Tư pháp", "Quý II"],
        ["2", "Kiểm tra văn bản", "", "Quý III"],
    ]
    grid = RLTable(rows, colWidths=[40, 200, 110, 80])
    grid.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("SPAN", (0, 1), (3, 1)),  # section row across the table
                ("SPAN", (2, 2), (2, 3)),  # "Sở Tư pháp" leads both tasks
            ]
        )
    )
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4).build([grid])
    [table] = tables(read_plan(buf.getvalue(), "bang.pdf"))
    assert table.rows == (
        ("STT", "Nội dung", "Chủ trì", "Thời hạn"),
        ("I. Cải cách thể chế", "", "", ""),
        ("1", "Rà soát văn bản", "Sở Tư pháp", "Quý II"),
        ("2", "Kiểm tra văn bản", "Sở Tư pháp", "Quý III"),
    )


def test_pdf_side_by_side_header_lines_are_kept_apart() -> None:
    from fixtures_docs import FONT, _register_font
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    _register_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setFont(FONT, 12)
    for y, left, right in (
        (780, "ỦY BAN NHÂN DÂN", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
        (764, "TỈNH VĨNH LONG", "Độc lập - Tự do - Hạnh phúc"),
        (740, "Số: 18/KH-UBND", "Vĩnh Long, ngày 06 tháng 3 năm 2025"),
    ):
        c.drawString(60, y, left)
        c.drawString(300, y, right)
    c.drawString(260, 700, "KẾ HOẠCH")
    c.showPage()
    c.save()
    assert paragraphs(read_plan(buf.getvalue(), "dau-trang.pdf")) == [
        "ỦY BAN NHÂN DÂN",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "TỈNH VĨNH LONG",
        "Độc lập - Tự do - Hạnh phúc",
        "Số: 18/KH-UBND",
        "Vĩnh Long, ngày 06 tháng 3 năm 2025",
        "KẾ HOẠCH",
    ]


def test_pdf_paragraph_spacing_ends_a_paragraph_even_after_a_full_line() -> None:
    from bot.domain.plans.readers.pdf import _Line, _paragraph_gap, _runs_on

    # Line pitch 14pt, text from x=60 to x=530.
    full = _Line("Tăng cường kiểm tra việc thực hiện kế hoạch của các cơ quan", 60, 530, 100, 112)
    same_para = _Line("Sở Nội vụ theo dõi", 60, 200, 114, 126)
    spaced = _Line("Sở Nội vụ theo dõi", 60, 200, 122, 134)  # 22pt below: paragraph spacing
    assert not _paragraph_gap(full, same_para, 14, 60, 530) and _runs_on(full, same_para, 60, 530)
    assert _paragraph_gap(full, spaced, 14, 60, 530)
    short = _Line("I. MỤC TIÊU", 60, 150, 100, 112)
    assert _paragraph_gap(short, same_para, 14, 60, 530)
    lower = _Line("tháng 5 năm 2021", 60, 200, 140, 152)
    assert not _paragraph_gap(short, lower, 14, 60, 530)


def test_scanned_pdf_is_refused() -> None:
    with pytest.raises(PlanReadError) as err:
        read_plan(make_scanned_pdf(), "scan.pdf")
    assert err.value.code == "scanned_pdf"
    assert ".docx" in err.value.message
    assert_vietnamese(err.value.message)


def test_scanned_pdf_with_a_signature_stamp_is_refused() -> None:
    data = make_scanned_pdf(stamp="Ký bởi: Ủy ban nhân dân tỉnh Phú Thọ - Thời gian ký: 05.05.2021")
    err = _refusal(data, "scan-ky-so.pdf")
    assert err.code == "scanned_pdf"
    assert err.message.startswith("Tệp PDF là bản scan")  # the whole file, not "Trang …"


def test_pdf_with_scanned_pages_is_refused_naming_them() -> None:
    data = make_scanned_pdf(text_page=[PAGE_1[0], PAGE_1[1], *PAGE_2] * 4)
    err = _refusal(data, "mot-phan-scan.pdf")
    assert err.code == "scanned_pdf"
    assert "Trang 2, 3 " in err.message


def test_encrypted_pdf_is_refused() -> None:
    with pytest.raises(PlanReadError) as err:
        read_plan(make_encrypted_pdf(), "khoa.pdf")
    assert err.value.code == "corrupt"
    assert_vietnamese(err.value.message)


def test_pdf_restricted_by_an_owner_password_only_reads() -> None:
    doc = read_plan(make_encrypted_pdf(user_password=""), "han-che.pdf")
    assert paragraphs(doc) == ["Kế hoạch cải cách hành chính nhà nước tỉnh Phú Thọ năm 2025"]


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.95])
def test_truncated_pdf_is_refused_not_half_read(keep: float) -> None:
    data = make_text_pdf([PAGE_1, PAGE_2, PAGE_3])
    with pytest.raises(PlanReadError) as err:
        read_plan(data[: int(len(data) * keep)], "cut.pdf")
    assert err.value.code == "corrupt"
    assert_vietnamese(err.value.message)


def test_pdf_with_a_damaged_stream_is_refused_not_half_read() -> None:
    import re

    data = bytearray(make_text_pdf([PAGE_1, PAGE_2, PAGE_3]))
    # The last page's content stream (reportlab: ASCII85 then Flate): damage its data.
    *_, last_page = re.finditer(rb"/ASCII85Decode /FlateDecode[^>]*>>\s*stream\r?\n", bytes(data))
    data[last_page.end() + 60 : last_page.end() + 64] = b"!!!!"  # still valid ASCII85
    # pdfminer alone would return pages 1-2 and silently drop page 3.
    assert _refusal(bytes(data), "hong.pdf").code == "corrupt"


# --- refusals ------------------------------------------------------------------------------


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, body in files.items():
            archive.writestr(name, body)
    return buf.getvalue()


def _refusal(data: bytes, name: str, **kwargs: int) -> PlanReadError:
    with pytest.raises(PlanReadError) as err:
        read_plan(data, name, **kwargs)
    assert_vietnamese(err.value.message)
    return err.value


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (b"", "kehoach.txt", "empty"),
        (b"  \r\n\n\t \xc2\xa0\n", "kehoach.txt", "empty"),
        (os.urandom(4096), "kehoach.txt", "unsupported"),
        (bytes(range(128, 256)) * 16, "kehoach", "unsupported"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + os.urandom(200), "anh.png", "unsupported"),
        (b"\x89PNG\r\n\x1a\n" + os.urandom(200), "kehoach.docx", "unsupported"),
        (b"\xff\xd8\xff\xe0" + os.urandom(200), "kehoach.pdf", "unsupported"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + os.urandom(500), "kehoach.doc", "unsupported"),
        (_zip({"xl/workbook.xml": b"<workbook/>"}), "kehoach.xlsx", "unsupported"),
        (_zip({"readme.txt": b"hello"}), "tailieu.zip", "unsupported"),
        (_zip({"readme.txt": b"hello"}), "kehoach.docx", "corrupt"),
        (b"PK\x03\x04" + os.urandom(300), "kehoach.docx", "corrupt"),
        (b"1234 5678 / 90 - 12.12 ... %%\n" * 40, "so-lieu.txt", "no_text"),
        (b"<!DOCTYPE html><html><body>K\xe1\xba\xbf ho\xe1\xba\xa1ch</body></html>", "trang.txt", "unsupported"),
        (b"{\\rtf1\\ansi K\\'e1 ho\\'e1ch}", "kehoach.rtf", "unsupported"),
    ],
)
def test_refusals(data: bytes, name: str, code: str) -> None:
    assert _refusal(data, name).code == code


def test_text_in_an_unreadable_legacy_encoding_says_so() -> None:
    # UTF-8 bytes of Vietnamese, cut to pieces: neither valid UTF-8 nor plausible cp1258.
    data = "Kế hoạch cải cách hành chính năm 2025 ".encode() * 20
    mangled = bytes(b for i, b in enumerate(data) if b < 0x80 or i % 3)
    err = _refusal(mangled, "cu.txt")
    assert err.code == "unsupported" and "UTF-8" in err.message and "bảng mã" in err.message


def test_truncated_docx_is_corrupt() -> None:
    data = make_docx()
    for cut in (len(data) // 2, len(data) - 30):
        assert _refusal(data[:cut], "kehoach.docx").code == "corrupt"
    assert _refusal(data[: len(data) // 2], "khong-ten").code == "corrupt"  # "word/" inside


def test_docx_with_broken_document_xml_is_corrupt() -> None:
    with zipfile.ZipFile(io.BytesIO(make_docx())) as src:
        files = {n: src.read(n) for n in src.namelist()}
    files["word/document.xml"] = files["word/document.xml"][:200]
    assert _refusal(_zip(files), "kehoach.docx").code == "corrupt"


def test_too_large_says_the_limit_in_mb() -> None:
    data = PHU_THO.read_bytes()
    err = _refusal(data, "kehoach.txt", max_bytes=1024 * 1024 // 64)
    assert err.code == "too_large"
    assert "0,02 MB" in err.message
    err = _refusal(b"x" * (3 * 1024 * 1024), "kehoach.txt", max_bytes=2 * 1024 * 1024)
    assert "2 MB" in err.message


def test_read_plan_file_checks_the_size_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "kehoach.txt"
    path.write_bytes(PHU_THO.read_bytes())
    with pytest.raises(PlanReadError) as err:
        read_plan_file(path, max_bytes=1000)
    assert err.value.code == "too_large"
    assert read_plan_file(path).blocks == read_plan_file(PHU_THO).blocks


def test_generated_files_round_trip_through_disk(tmp_path: Path) -> None:
    (tmp_path / "a.docx").write_bytes(make_docx())
    (tmp_path / "a.pdf").write_bytes(make_text_pdf([PAGE_1]))
    assert read_plan_file(tmp_path / "a.docx").kind == "docx"
    assert paragraphs(read_plan_file(tmp_path / "a.pdf")) == PAGE_1
