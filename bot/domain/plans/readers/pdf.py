"""PDF plans with a text layer, through pdfplumber.

Per page: ruled tables (`find_tables`) and the text lines outside them, merged in
reading order (top to bottom). Words on one baseline separated by a wide gap are
separate lines ("Số: 18/KH-UBND" … "Vĩnh Long, ngày …" side by side in the header).
Lines that repeat at the top or bottom of most pages (running headers, footers) and
page numbers are dropped. A vertical gap clearly wider than the line pitch, or a short
line followed by one that does not start in lowercase, marks a paragraph end; the
rest is re-joined by the same rules as wrapped text (`reflow`).

A PDF that yields (almost) no text is a scan; text made only of "(cid:NN)" codes
(fonts without a Unicode map) is as unreadable as a scan and refused the same way, and
so is a PDF with some scanned pages (a page-sized image with at most a signature
stamp's text): reading only its text pages could silently drop a scanned appendix.
A damaged compressed stream makes the whole file "corrupt" (no half result).
"""

from __future__ import annotations

import io
import itertools
import re
import statistics
import zlib
from collections import Counter
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from bot.domain.plans.document import Block, PlanReadError, Table
from bot.domain.plans.readers import errors, limits
from bot.domain.plans.readers.layout import (
    BLANK,
    Glued,
    Token,
    looks_wrapped,
    reflow_tokens,
)
from bot.domain.plans.readers.reflow import join_wrapped
from bot.domain.text import clean

_MIN_LETTERS = 30
_SCANNED_PAGE_LETTERS = 200
_PAGE_NUMBER = re.compile(r"^[-–—\s]*(?:trang\s*)?\d{1,4}(?:\s*(?:/|trên)\s*\d{1,4})?[-–—\s]*$", re.IGNORECASE)
_CID = re.compile(r"\(cid:\d+\)")
_EDGE_LINES = 2  # how many lines at the top/bottom of a page may be a running header/footer


@dataclass
class _Line:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float


@dataclass
class _Page:
    items: list[tuple[float, _Line | Table]]
    letters: int  # letters in its text layer
    image_cover: float  # share of the page covered by images

    @property
    def scanned(self) -> bool:
        """A page image with at most a stamp's worth of text ("Ký bởi: …")."""
        return self.image_cover >= 0.5 and self.letters < _SCANNED_PAGE_LETTERS


def read_pdf(data: bytes) -> list[Block]:
    import pdfplumber  # imported here so .txt reading does not pay for it

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except Exception as exc:  # pdfminer raises many types for damaged/encrypted files
        raise errors.corrupt_pdf() from exc
    try:
        with pdf:
            if len(pdf.pages) > limits.MAX_PDF_PAGES:
                raise errors.too_complex(f"hơn {limits.MAX_PDF_PAGES} trang")
            _check_streams(pdf.doc, _content_streams(pdf.pages))
            pages = []
            for page in pdf.pages:
                pages.append(_read_page(page))
                page.close()  # drop its parsed objects: memory stays one page deep
    except PlanReadError:
        raise
    except Exception as exc:
        raise errors.corrupt_pdf() from exc
    if not pages:
        raise errors.corrupt_pdf()
    scanned = [number for number, page in enumerate(pages, start=1) if page.scanned]
    if sum(page.letters for page in pages) < _MIN_LETTERS or len(scanned) == len(pages):
        raise errors.scanned_pdf()
    if scanned:
        # Reading only the text pages would silently lose e.g. a scanned appendix table.
        raise errors.scanned_pdf(pages=scanned)
    _drop_running_lines(pages)
    tokens, lines = _tokens(pages)
    return reflow_tokens(tokens, wrapped=looks_wrapped(lines))


def _content_streams(pages: Any) -> dict[int, int]:
    """objid of each page content stream → its page number (from 1)."""
    owner: dict[int, int] = {}
    for number, page in enumerate(pages, start=1):
        for stream in page.page_obj.contents:
            objid = getattr(stream, "objid", None)
            if objid is not None:
                owner.setdefault(objid, number)
    return owner


def _check_streams(doc: Any, contents: dict[int, int]) -> None:
    """Refuse a PDF whose compressed streams are damaged, or that inflates too far.

    pdfminer, by default, replaces a stream that fails to inflate with what it could
    salvage (often nothing) and carries on — a page would silently lose its text.
    Decoding every Flate stream (behind any ASCII85/ASCIIHex stage) strictly first turns
    that into a refusal. The same pass measures what pdfminer would face: the inflated
    size of all streams (a "zip bomb" image or font), and per page the size of its
    content and its number of text operators (60 KB that inflate into millions of
    "Tj" keep pdfminer busy for minutes).
    """
    from pdfminer.ascii85 import ascii85decode, asciihexdecode
    from pdfminer.pdftypes import (
        LITERALS_ASCII85_DECODE,
        LITERALS_ASCIIHEX_DECODE,
        LITERALS_FLATE_DECODE,
        PDFStream,
    )

    total = 0
    page_bytes: Counter[int] = Counter()
    page_ops: Counter[int] = Counter()
    for xref in doc.xrefs:
        for objid in xref.get_objids():
            try:
                obj = doc.getobj(objid)
            except Exception:  # a dangling xref entry: pdfminer itself skips these
                continue
            if not isinstance(obj, PDFStream) or obj.rawdata is None:
                continue
            page = contents.get(objid)
            data = obj.rawdata
            decipher = getattr(obj, "decipher", None)
            if decipher is not None and obj.objid is not None and obj.genno is not None:
                data = decipher(obj.objid, obj.genno, data, obj.attrs)
            size, ops = len(data), None
            for name, _params in obj.get_filters():
                try:
                    if name in LITERALS_ASCII85_DECODE:
                        data = ascii85decode(data)
                    elif name in LITERALS_ASCIIHEX_DECODE:
                        data = asciihexdecode(data)
                    elif name in LITERALS_FLATE_DECODE:
                        budget = limits.MAX_PDF_INFLATED - total
                        if page is not None:
                            budget = min(budget, limits.MAX_PAGE_CONTENT - page_bytes[page])
                        size, ops = _inflate_check(data, budget, count=page is not None)
                        break
                    else:
                        break
                except (zlib.error, ValueError) as exc:
                    raise errors.corrupt_pdf() from exc
                size = len(data)
            total += size
            if total > limits.MAX_PDF_INFLATED:
                raise errors.too_complex(f"giải nén ra hơn {limits.MAX_PDF_INFLATED // 2**20} MB")
            if page is not None:
                page_bytes[page] += size
                page_ops[page] += ops if ops is not None else len(_TEXT_OP.findall(data))
                if page_bytes[page] > limits.MAX_PAGE_CONTENT or page_ops[page] > limits.MAX_PAGE_TEXT_OPS:
                    raise errors.too_complex(f"trang {page} chứa quá nhiều lệnh vẽ chữ")
                if sum(page_bytes.values()) > limits.MAX_PDF_CONTENT or sum(page_ops.values()) > limits.MAX_PDF_TEXT_OPS:
                    raise errors.too_complex("các trang chứa quá nhiều lệnh vẽ chữ")


_TEXT_OP = re.compile(rb"(?:T[jJ]|['\"])(?=[\s\]>)]|$)")


def _inflate_check(data: bytes, budget: int, *, count: bool) -> tuple[int, int]:
    """Inflated size (and text operators, if `count`) of Flate data, in bounded memory.

    Raises zlib.error on damaged data or a wrong checksum; a stream cut short without
    its checksum (some producers write them so) passes, as it does in pdfminer. Stops
    counting once `budget` bytes are exceeded (the caller refuses the file then)."""
    inflater = zlib.decompressobj()
    chunk = data
    size = ops = 0
    while chunk and not inflater.eof and size <= budget:
        out = inflater.decompress(chunk, 1 << 20)
        size += len(out)
        if count:
            ops += len(_TEXT_OP.findall(out))
        chunk = inflater.unconsumed_tail
    return size, ops


def _dedupe_chars(page: Any) -> Any:
    """`page.dedupe_chars()` without its quadratic last step.

    pdfplumber 0.11 restores the original order with `sorted(…, key=chars.index)`, which
    is O(n²) in the characters of a page: 60 % of the reading time of an ordinary plan.
    Same clusters (text, font and size alike, within 1 pt), the order restored by a dict.
    """
    from pdfplumber.page import FilteredPage
    from pdfplumber.utils.clustering import cluster_objects

    chars = page.chars
    order = {id(c): i for i, c in enumerate(chars)}
    key = itemgetter("upright", "text", "fontname", "size")
    unique = []
    for _, group in itertools.groupby(sorted(chars, key=key), key=key):
        for y_cluster in cluster_objects(list(group), itemgetter("doctop"), 1):
            for x_cluster in cluster_objects(y_cluster, itemgetter("x0"), 1):
                unique.append(min(x_cluster, key=itemgetter("doctop", "x0")))
    unique.sort(key=lambda c: order[id(c)])
    deduped = FilteredPage(page, lambda _obj: True)
    deduped._objects = dict(page.objects)
    deduped._objects["char"] = unique
    return deduped


def _read_page(page: Any) -> _Page:
    page = _dedupe_chars(page)
    found = page.find_tables()
    tables = [(t.bbox, _table_rows(t)) for t in found]
    boxes = [bbox for bbox, _ in tables]

    def outside(obj: dict[str, Any]) -> bool:
        cx = (obj["x0"] + obj["x1"]) / 2
        cy = (obj["top"] + obj["bottom"]) / 2
        return not any(x0 <= cx <= x1 and top <= cy <= bottom for x0, top, x1, bottom in boxes)

    all_words = page.extract_words(keep_blank_chars=False)
    words = [w for w in all_words if outside(w)]
    items: list[tuple[float, _Line | Table]] = [(line.top, line) for line in _lines(words)]
    items += [(bbox[1], Table(tuple(rows))) for bbox, rows in tables if rows]
    items.sort(key=lambda item: item[0])
    letters = sum(1 for w in all_words for ch in _CID.sub("", w["text"]) if ch.isalpha())
    area = float(page.width * page.height) or 1.0
    covered = sum(max(0.0, (im["x1"] - im["x0"]) * (im["bottom"] - im["top"])) for im in page.images)
    return _Page(items, letters, min(1.0, covered / area))


def _lines(words: list[dict[str, Any]]) -> list[_Line]:
    """Group words into lines by baseline; split a line at wide horizontal gaps."""
    words = sorted(words, key=lambda w: (w["top"], w["x0"]))
    groups: list[list[dict[str, Any]]] = []
    for word in words:
        if groups and abs(word["top"] - groups[-1][0]["top"]) <= 3:
            groups[-1].append(word)
        else:
            groups.append([word])
    lines: list[_Line] = []
    for group in groups:
        group.sort(key=lambda w: w["x0"])
        height = statistics.median(w["bottom"] - w["top"] for w in group)
        segment = [group[0]]
        for word in group[1:]:
            if word["x0"] - segment[-1]["x1"] > max(2.5 * height, 15):
                lines.append(_segment(segment))
                segment = [word]
            else:
                segment.append(word)
        lines.append(_segment(segment))
    return lines


def _segment(words: list[dict[str, Any]]) -> _Line:
    return _Line(
        text=clean(" ".join(w["text"] for w in words)),
        x0=words[0]["x0"],
        x1=words[-1]["x1"],
        top=min(w["top"] for w in words),
        bottom=max(w["bottom"] for w in words),
    )


def _table_rows(table: Any) -> list[tuple[str, ...]]:
    """Cell texts; a vertically merged cell repeats in the rows it spans, a horizontal
    span leaves "" in the columns it covers (same convention as the .docx reader)."""
    raw = table.extract()
    cells = [row.cells for row in table.rows]
    rows: list[tuple[str, ...]] = []
    for r, row in enumerate(raw):
        out: list[str] = []
        for c, value in enumerate(row):
            if value is not None:
                text = ""
                for piece in value.split("\n"):
                    text = join_wrapped(text, clean(piece))
                out.append(clean(text))
                continue
            out.append(_merged_from_above(raw, cells, r, c))
        if any(out):
            rows.append(tuple(out))
    return rows


def _merged_from_above(raw: list[list[str | None]], cells: list[list[Any]], r: int, c: int) -> str:
    row_top = _row_top(cells[r])
    for k in range(r - 1, -1, -1):
        bbox = cells[k][c] if c < len(cells[k]) else None
        if bbox is not None:
            if row_top is not None and bbox[3] > row_top + 1:
                value = raw[k][c]
                return clean(" ".join((value or "").split()))
            return ""
    return ""


def _row_top(row_cells: list[Any]) -> float | None:
    tops = [bbox[1] for bbox in row_cells if bbox is not None]
    return min(tops) if tops else None


def _key(text: str) -> str:
    return re.sub(r"\d+", "#", text.casefold())


def _drop_running_lines(pages: list[_Page]) -> None:
    """Remove page numbers and lines repeated at the top/bottom of most pages."""
    edges: list[list[_Line]] = []
    for page in pages:
        lines = [item for _, item in page.items if isinstance(item, _Line)]
        edges.append(lines[:_EDGE_LINES] + lines[-_EDGE_LINES:])
    counts = Counter(key for edge in edges for key in {_key(line.text) for line in edge})
    threshold = max(2, (len(pages) + 1) // 2)
    running = {key for key, n in counts.items() if n >= threshold}
    for page, edge in zip(pages, edges, strict=True):
        drop = {
            id(line) for line in edge if _key(line.text) in running or _PAGE_NUMBER.match(line.text)
        }
        page.items = [item for item in page.items if id(item[1]) not in drop]


def _tokens(pages: list[_Page]) -> tuple[list[Token], list[str]]:
    tokens: list[Token] = []
    texts: list[str] = []
    for page in pages:
        lines = [item for _, item in page.items if isinstance(item, _Line)]
        pitch = _pitch(lines)
        right = max((line.x1 for line in lines), default=0.0)
        left = min((line.x0 for line in lines), default=0.0)
        prev: _Line | None = None
        for _, item in page.items:
            if isinstance(item, Table):
                tokens.append(item)
                prev = None
                continue
            if prev is not None and _paragraph_gap(prev, item, pitch, left, right):
                tokens += [BLANK, item.text]
            elif prev is not None and _runs_on(prev, item, left, right):
                tokens.append(Glued(item.text))
            else:
                tokens.append(item.text)
            texts.append(item.text)
            prev = item
    return tokens, texts


def _pitch(lines: list[_Line]) -> float | None:
    steps = [b.top - a.top for a, b in zip(lines, lines[1:]) if b.top - a.top > 0]
    return statistics.median(steps) if steps else None


def _paragraph_gap(prev: _Line, line: _Line, pitch: float | None, left: float, right: float) -> bool:
    """The layout shows a paragraph end between `prev` and `line`."""
    first = line.text[:1]
    if first.isalpha() and first.islower():
        return False  # a lowercase start always continues the sentence
    if line.top <= prev.top:
        return False  # side by side on one baseline: left to the text rules
    if pitch is not None and line.top - prev.top > 1.3 * pitch:
        return True  # paragraph spacing
    width = right - left
    return width > 0 and prev.x1 < right - 0.15 * width  # the previous line stops short


def _runs_on(prev: _Line, line: _Line, left: float, right: float) -> bool:
    """`prev` fills the line up to the right margin, so `line` carries on its paragraph
    even after a ";" or ":" that the text rules would take for a paragraph end."""
    width = right - left
    return (
        width > 0
        and prev.x1 >= right - 0.1 * width
        and prev.x0 <= left + 0.2 * width
        and line.x0 <= left + 0.2 * width
    )
