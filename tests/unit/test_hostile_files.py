"""Issue 19: hostile and malformed files end in a plan or in one Vietnamese sentence.

The light part of the generated corpus (tests/hostile.py, ~190 files) goes through the
reader and parser in-process; the heavy files (zip bombs, 20 MB text, 10,000-row tables)
are in bench/hostile.py and, a few of them, in tests/db/test_cli_hostile.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.catalog import Catalog
from bot.domain.plans.document import PlanReadError
from bot.domain.plans.parser import PlanProvinceUnknown
from bot.domain.plans.readers import limits, read_plan
from bot.services.plans import read_and_parse
from tests.hostile import (
    Hostile,
    docx_bomb,
    docx_rows,
    docx_with_span,
    light,
    ops_page,
    raw_pdf,
    text_plan,
)

CATALOG = Catalog(ROOT / "data")
VIETNAMESE = set("àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ")


def assert_one_vietnamese_sentence(message: str) -> None:
    assert "\n" not in message and "Traceback" not in message
    assert 20 <= len(message) <= 400
    assert set(message.lower()) & VIETNAMESE, message


def outcome(f: Hostile) -> str:
    try:
        draft = read_and_parse(f.data, f.name, catalog=CATALOG, province=None, max_bytes=20 * 2**20)
    except (PlanReadError, PlanProvinceUnknown) as exc:
        assert_one_vietnamese_sentence(exc.message)
        return "refuse"
    assert draft.tasks or f.expect != "import", f"{f.name}: imported without tasks"
    return "import"


@pytest.mark.parametrize("hostile", light(), ids=lambda f: f"{f.kind}-{f.name}")
def test_every_light_hostile_file_imports_or_is_refused_in_one_sentence(hostile: Hostile) -> None:
    got = outcome(hostile)  # any other exception fails the test with its traceback
    if hostile.expect != "either":
        assert got == hostile.expect


def test_the_corpus_has_over_200_files_in_every_class_the_issue_names() -> None:
    from tests.hostile import corpus

    kinds = {f.kind for f in light()}  # built once (cached), heavy ones below are lazy
    assert {"empty", "binary", "truncated_docx", "corrupt_docx", "truncated_pdf", "corrupt_pdf", "docx_spans",
            "pdf_encrypted", "pdf_scanned", "wrong_extension", "encoding", "control_chars",
            "markup_titles"} <= kinds
    heavy = [f.kind for f in corpus(heavy=True) if f.heavy]
    assert {"zip_bomb", "pdf_ops", "pdf_bomb", "paragraphs", "rows", "tasks", "size_limit"} <= set(heavy)
    assert len(light()) + len(heavy) >= 200


@pytest.mark.parametrize(
    ("attr", "value"), [("gridSpan", "1000000000"), ("gridBefore", "2000000000"), ("gridSpan", "65")]
)
def test_a_word_table_span_past_64_columns_is_refused_not_allocated(attr: str, value: str) -> None:
    with pytest.raises(PlanReadError) as caught:
        read_plan(docx_with_span(attr, value), "span.docx")
    assert caught.value.code == "too_complex"
    assert "64 cột" in caught.value.message


def test_word_rows_up_to_the_cap_read_and_past_it_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_TABLE_ROWS", 40)
    document = read_plan(docx_rows(39), "kh.docx")  # 39 tasks + the header row
    assert sum(len(b.rows) for b in document.blocks if hasattr(b, "rows")) == 40
    with pytest.raises(PlanReadError) as caught:
        read_plan(docx_rows(40), "kh.docx")
    assert caught.value.code == "too_complex" and "40 hàng" in caught.value.message


def test_a_docx_that_inflates_past_the_cap_is_refused_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_DOCUMENT_XML", 2 * 2**20)
    with pytest.raises(PlanReadError) as caught:
        read_plan(docx_bomb(3), "bom.docx")
    assert caught.value.code == "too_complex"


def test_pdf_text_operators_are_capped_per_page_and_per_file() -> None:
    with pytest.raises(PlanReadError) as caught:
        read_plan(raw_pdf([ops_page(limits.MAX_PAGE_TEXT_OPS + 1)]), "lenh.pdf")
    assert caught.value.code == "too_complex" and "trang 1" in caught.value.message
    pages = limits.MAX_PDF_TEXT_OPS // 1000 + 1
    with pytest.raises(PlanReadError) as caught:
        read_plan(raw_pdf([ops_page(1000)] * pages), "lenh.pdf")
    assert caught.value.code == "too_complex"


def test_text_past_the_character_cap_is_refused_before_decoding() -> None:
    with pytest.raises(PlanReadError) as caught:
        read_plan(b"a" * (3 * limits.MAX_TEXT_CHARS + 1), "to.txt")
    assert caught.value.code == "too_complex" and "3.000.000 ký tự" in caught.value.message


def test_a_long_run_of_joining_lines_is_one_paragraph_with_every_line() -> None:
    # 20,000 wrapped lines that all continue one sentence: the reflow keeps each piece
    # once (it used to rescan the whole paragraph per line: quadratic).
    lines = ["Căn cứ kế hoạch"] + ["và các nhiệm vụ"] * 20_000
    document = read_plan("\n".join(lines).encode(), "dai.txt")
    [paragraph] = document.blocks
    assert paragraph.text.count("và các nhiệm vụ") == 20_000


def test_ten_thousand_task_rows_are_all_read() -> None:
    document = read_plan(text_plan(10_000).encode(), "10000.txt")
    [table] = [b for b in document.blocks if hasattr(b, "rows")]
    assert len(table.rows) == 10_001
