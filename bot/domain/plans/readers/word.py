"""Word .docx plans: body paragraphs and tables in document order.

Read from the XML (through python-docx's parsed part) rather than through
`Paragraph.text`, which drops runs inside tracked insertions, smart tags and
content controls and knows nothing of automatic numbering — and official plans
often number their sections ("I.", "1.", "a)") and STT columns automatically.

Tables: each `w:tc` gives one cell, so a horizontally merged cell appears once (the
grid columns it spans are padded with ""), keeping the column positions of the other
cells. A vertically merged cell repeats its text in every row it spans: "Sở Nội vụ"
merged over tasks 3–5 leads each of them. Line breaks and paragraphs inside a cell are
joined with spaces. Small tables of at most 3 rows × 2 columns are page layout (the
"ỦY BAN NHÂN DÂN | CỘNG HÒA …" header, the signature block) and come out as paragraphs.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any

from bot.domain.plans.document import Block, Paragraph, Table
from bot.domain.plans.readers import errors, limits
from bot.domain.plans.readers.layout import BLANK, Token, reflow_tokens
from bot.domain.plans.readers.numbering import Numbering
from bot.domain.plans.readers.reflow import join_wrapped
from bot.domain.plans.readers.txt import check_has_text
from bot.domain.text import clean

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
# Subtrees whose text is not part of the paragraph as printed.
_SKIP = {
    _W + "del",
    _W + "moveFrom",
    _W + "instrText",
    _W + "txbxContent",
    _W + "pPr",
    _W + "rPr",
    _W + "footnoteReference",
    _W + "endnoteReference",
    _MC_FALLBACK,
}
_LAYOUT_MAX_ROWS = 3
_LAYOUT_MAX_COLS = 2


def is_docx_zip(data: bytes) -> bool | None:
    """True: a zip holding word/document.xml; False: another zip; None: not a readable zip."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "word/document.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None


def check_zip(data: bytes) -> None:
    """Refuse a zip bomb before python-docx inflates every part into memory.

    The sizes are those the archive declares; zipfile stops at the declared size of an
    entry (a lie shows up as a CRC error, i.e. a damaged file), so they are a safe bound.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise errors.corrupt_docx() from exc
    if len(infos) > limits.MAX_ZIP_ENTRIES:
        raise errors.too_complex(f"tệp nén chứa hơn {limits.MAX_ZIP_ENTRIES} phần")
    if sum(info.file_size for info in infos) > limits.MAX_ZIP_INFLATED:
        raise errors.too_complex(f"giải nén ra hơn {limits.MAX_ZIP_INFLATED // 2**20} MB")
    main = next((i for i in infos if i.filename == "word/document.xml"), None)
    if main is None:
        return
    if main.file_size > limits.MAX_DOCUMENT_XML:
        raise errors.too_complex(f"nội dung văn bản hơn {limits.MAX_DOCUMENT_XML // 2**20} MB")
    # Count rows and paragraphs in the raw XML first: refusing 25,000 rows after reading
    # 20,000 of them takes seconds that a byte count does not. (Another namespace prefix
    # than "w:" escapes this count, not the Budget while reading.)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            xml = archive.read(main)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error) as exc:
        raise errors.corrupt_docx() from exc
    if len(_ROW_TAG.findall(xml)) > limits.MAX_TABLE_ROWS:
        raise errors.too_complex(f"bảng có hơn {limits.MAX_TABLE_ROWS:,} hàng".replace(",", "."))
    if len(_PARAGRAPH_TAG.findall(xml)) > limits.MAX_PARAGRAPHS:
        raise errors.too_complex(f"hơn {limits.MAX_PARAGRAPHS:,} đoạn văn".replace(",", "."))


_ROW_TAG = re.compile(rb"<w:tr[\s>/]")
_PARAGRAPH_TAG = re.compile(rb"<w:p[\s>/]")


def read_docx(data: bytes) -> list[Block]:
    import docx  # python-docx; imported here so .txt reading does not pay for it

    check_zip(data)
    try:
        document = docx.Document(io.BytesIO(data))
        body = document.element.body
        numbering = Numbering.from_document(document)
    except Exception as exc:  # any failure to parse the package means a damaged file
        raise errors.corrupt_docx() from exc
    reader = _BodyReader(numbering)
    try:
        tokens = reader.tokens(body)
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise errors.corrupt_docx() from exc
    blocks = reflow_tokens(tokens, wrapped=False)
    check_has_text(
        " ".join(b.text if isinstance(b, Paragraph) else " ".join(" ".join(r) for r in b.rows) for b in blocks)
    )
    return blocks


def _local(el: Any) -> str:
    tag = el.tag
    return tag if isinstance(tag, str) else ""


def _block_children(parent: Any) -> Iterator[Any]:
    """w:p and w:tbl children, looking through content controls and custom XML."""
    for child in parent.iterchildren():
        tag = _local(child)
        if tag in (_W + "p", _W + "tbl"):
            yield child
        elif tag == _W + "sdt":
            for content in child.iterchildren(_W + "sdtContent"):
                yield from _block_children(content)
        elif tag == _W + "customXml":
            yield from _block_children(child)


def _run_text(el: Any, out: list[str]) -> None:
    for child in el.iterchildren():
        tag = _local(child)
        if tag in _SKIP:
            continue
        if tag == _W + "t":
            out.append(child.text or "")
        elif tag in (_W + "tab", _W + "ptab"):
            out.append("\t")
        elif tag in (_W + "br", _W + "cr"):
            out.append("\n")
        elif tag == _W + "noBreakHyphen":
            out.append("-")
        else:
            _run_text(child, out)


def paragraph_text(p: Any) -> str:
    out: list[str] = []
    _run_text(p, out)
    return "".join(out)


class _BodyReader:
    def __init__(self, numbering: Numbering) -> None:
        self.numbering = numbering
        self.budget = limits.Budget()

    def tokens(self, body: Any) -> list[Token]:
        out: list[Token] = []
        for el in _block_children(body):
            if _local(el) == _W + "p":
                self._paragraph(el, out)
            else:
                before = self.numbering.snapshot()
                rows = self._table_rows(el)
                if _is_layout(rows):
                    self.numbering.restore(before)  # its paragraphs are numbered again below
                    for cell_paragraphs in self._layout_cells(el):
                        for p in cell_paragraphs:
                            self._paragraph(p, out)
                        out.append(BLANK)
                elif rows:
                    out.append(Table(tuple(rows)))
        return out

    def _paragraph(self, p: Any, out: list[Token]) -> None:
        text = paragraph_text(p)
        label = self.numbering.label(p)
        if label and text.strip():
            text = f"{label} {text.lstrip()}"
        self.budget.paragraph()
        for line in text.split("\n"):
            line = clean(line)
            out.append(BLANK if _is_decoration(line) else line)
        out.append(BLANK)

    def _cell_text(self, tc: Any) -> str:
        text = ""
        for el in _block_children(tc):
            if _local(el) == _W + "p":
                label = self.numbering.label(el)
                piece = clean(paragraph_text(el).replace("\n", " "))
                if label:  # an auto-numbered STT cell holds only its label
                    piece = f"{label} {piece}".strip()
            else:
                piece = " ".join(c for row in self._table_rows(el) for c in row if c)
            if piece and not _is_decoration(piece):
                text = join_wrapped(text, piece)
        return clean(text)

    def _table_rows(self, tbl: Any) -> list[tuple[str, ...]]:
        rows: list[tuple[str, ...]] = []
        above: dict[int, str] = {}  # grid column → text of the cell covering it
        for tr in _children(tbl, _W + "tr"):
            # Spans are checked before any list is padded: gridSpan="1000000000" must
            # be refused, not allocated.
            before = _grid_before(tr)
            cells = [(tc, *_tc_props(tc)) for tc in _children(tr, _W + "tc")]
            self.budget.row(before + sum(span for _, span, _ in cells))
            row: list[str] = [""] * before
            covered: dict[int, str] = {}
            for tc, span, vmerge in cells:
                col = len(row)
                text = above.get(col, "") if vmerge == "continue" else self._cell_text(tc)
                row.append(text)
                row.extend([""] * (span - 1))
                for k in range(col, col + span):
                    covered[k] = text
            above = covered
            if any(row):
                rows.append(tuple(row))
        return rows

    def _layout_cells(self, tbl: Any) -> Iterator[list[Any]]:
        for tr in _children(tbl, _W + "tr"):
            for tc in _children(tr, _W + "tc"):
                yield [el for el in _block_children(tc) if _local(el) == _W + "p"]


def _children(el: Any, tag: str) -> Iterator[Any]:
    """Direct children with `tag`, looking through content controls and custom XML."""
    for child in el.iterchildren():
        local = _local(child)
        if local == tag:
            yield child
        elif local == _W + "sdt":
            for content in child.iterchildren(_W + "sdtContent"):
                yield from _children(content, tag)
        elif local == _W + "customXml":
            yield from _children(child, tag)


def _tc_props(tc: Any) -> tuple[int, str | None]:
    span, vmerge = 1, None
    tc_pr = tc.find(_W + "tcPr")
    if tc_pr is not None:
        grid_span = tc_pr.find(_W + "gridSpan")
        if grid_span is not None:
            try:
                span = max(1, int(grid_span.get(_W + "val", "1")))
            except ValueError:
                span = 1
        merge = tc_pr.find(_W + "vMerge")
        if merge is not None:
            vmerge = merge.get(_W + "val", "continue")
    return span, vmerge


def _grid_before(tr: Any) -> int:
    tr_pr = tr.find(_W + "trPr")
    if tr_pr is None:
        return 0
    before = tr_pr.find(_W + "gridBefore")
    try:
        return max(0, int(before.get(_W + "val", "0"))) if before is not None else 0
    except ValueError:
        return 0


def _is_layout(rows: list[tuple[str, ...]]) -> bool:
    filled = [tuple(c for c in row if c) for row in rows]
    return 0 < len(rows) <= _LAYOUT_MAX_ROWS and all(len(r) <= _LAYOUT_MAX_COLS for r in filled)


def _is_decoration(text: str) -> bool:
    return len(text) >= 3 and set(text) <= set("-_=*~.·•")
