"""Caps that keep one hostile or absurd file from eating the reader's time or memory.

Each cap sits far above what a real provincial plan needs (the largest sample plan has
~1,200 paragraphs, 170 table rows, 7 columns; a dense PDF page has ~100 text operators
and ~10 KB of content) and far below what would take the reader past a few seconds or
a few hundred MB. Crossing one is a refusal ("too_complex"), never a truncated read.
The parse worker (bot.services.parse_worker) adds a hard time and memory limit on top,
for whatever these caps do not foresee.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.plans.readers import errors

MAX_TEXT_CHARS = 3_000_000  # decoded characters of a text plan (~1,500 pages)
MAX_LINES = 200_000  # lines of a text plan
MAX_PARAGRAPHS = 100_000
MAX_TABLE_ROWS = 20_000  # over the whole document
MAX_COLUMNS = 64  # grid columns of one table row (Word itself stops at 63)
MAX_CELLS = 400_000  # over the whole document
# .docx (a zip): what python-docx would hold in memory, and the XML it would parse.
MAX_ZIP_ENTRIES = 5_000
MAX_ZIP_INFLATED = 120 * 1024 * 1024
MAX_DOCUMENT_XML = 24 * 1024 * 1024
# .pdf
MAX_PDF_PAGES = 600
MAX_PAGE_CONTENT = 160 * 1024  # decompressed content stream bytes of one page
MAX_PAGE_TEXT_OPS = 2_000  # Tj/TJ/'/" operators of one page
MAX_PDF_CONTENT = 6 * 1024 * 1024  # decompressed content of all pages
MAX_PDF_TEXT_OPS = 40_000  # text operators of all pages
MAX_PDF_INFLATED = 200 * 1024 * 1024  # all streams of the file, decompressed


@dataclass
class Budget:
    """Counts what a reader has produced so far and refuses past a cap."""

    paragraphs: int = 0
    rows: int = 0
    cells: int = 0

    def paragraph(self) -> None:
        self.paragraphs += 1
        if self.paragraphs > MAX_PARAGRAPHS:
            raise errors.too_complex(f"hơn {_n(MAX_PARAGRAPHS)} đoạn văn")

    def row(self, width: int) -> None:
        if width > MAX_COLUMNS:
            raise errors.too_complex(f"một hàng của bảng rộng hơn {MAX_COLUMNS} cột")
        self.rows += 1
        self.cells += width
        if self.rows > MAX_TABLE_ROWS:
            raise errors.too_complex(f"bảng có hơn {_n(MAX_TABLE_ROWS)} hàng")
        if self.cells > MAX_CELLS:
            raise errors.too_complex(f"bảng có hơn {_n(MAX_CELLS)} ô")


def check_text_bytes(data: bytes) -> None:
    """Before decoding: no encoding we read spends more than 3 bytes on a Vietnamese
    character (UTF-8 ≤ 3, UTF-16 2), so more bytes than that cannot be within the cap."""
    if len(data) > 3 * MAX_TEXT_CHARS:
        raise errors.too_complex(f"hơn {_n(MAX_TEXT_CHARS)} ký tự")


def check_text(text: str) -> None:
    if len(text) > MAX_TEXT_CHARS:
        raise errors.too_complex(f"hơn {_n(MAX_TEXT_CHARS)} ký tự")
    if text.count("\n") > MAX_LINES:
        raise errors.too_complex(f"hơn {_n(MAX_LINES)} dòng")


def _n(value: int) -> str:
    """3.000.000: the Vietnamese thousands separator."""
    return f"{value:,}".replace(",", ".")
