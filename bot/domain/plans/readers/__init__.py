"""Plan files (.txt, .docx, .pdf) → `PlanDocument`: cleaned paragraphs and tables in order.

`read_plan` picks the reader from the content first (PDF magic, a zip holding
word/document.xml, text that decodes) and the file name second, so a plan sent as
"kehoach.doc" that is really a .docx, or a text file without an extension, still reads.
Every failure is a `PlanReadError` with a stable code and a Vietnamese message:

=============  ====================================================================
empty          0 bytes, or only blanks
too_large      over `max_bytes`
unsupported    images, archives, old binary Office files, RTF/HTML, undecodable bytes
corrupt        a damaged .docx (broken zip, no word/document.xml), a damaged or
               password-protected PDF
scanned_pdf    a PDF without a text layer
no_text        text that decodes but has (almost) no letters
=============  ====================================================================

Either a whole document comes back or an error: never part of one.
"""

from __future__ import annotations

import hashlib
from pathlib import Path, PurePath
from typing import Literal

from bot.domain.plans.document import Block, PlanDocument, PlanReadError
from bot.domain.plans.readers import errors
from bot.domain.plans.readers.pdf import read_pdf
from bot.domain.plans.readers.txt import read_txt
from bot.domain.plans.readers.word import is_docx_zip, read_docx

__all__ = ["DEFAULT_MAX_BYTES", "PlanReadError", "read_plan", "read_plan_file"]

DEFAULT_MAX_BYTES = 20 * 1024 * 1024

_BINARY_MAGIC = (
    b"\x89PNG",
    b"\xff\xd8\xff",  # JPEG
    b"GIF8",
    b"II*\x00",  # TIFF
    b"MM\x00*",
    b"Rar!",
    b"7z\xbc\xaf",
    b"\x1f\x8b",  # gzip
    b"\x7fELF",
)
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .doc, .xls, .ppt
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
_LEGACY_EXT = {".doc", ".xls", ".xlsx", ".ppt", ".pptx", ".odt", ".rtf"}


def read_plan(data: bytes, filename: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> PlanDocument:
    """Read a plan file; raise PlanReadError (Vietnamese message) if it cannot be read."""
    if not data:
        raise errors.empty()
    if len(data) > max_bytes:
        raise errors.too_large(max_bytes)
    kind, blocks = _dispatch(data, PurePath(filename).suffix.lower())
    if not blocks:
        raise errors.no_text() if kind != "pdf" else errors.scanned_pdf()
    return PlanDocument(
        name=filename,
        kind=kind,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        blocks=tuple(blocks),
    )


def read_plan_file(path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> PlanDocument:
    """`read_plan` for a file on disk (CLI, tests); the size is checked before reading."""
    path = Path(path)
    if path.stat().st_size > max_bytes:
        raise errors.too_large(max_bytes)
    return read_plan(path.read_bytes(), path.name, max_bytes=max_bytes)


def _dispatch(data: bytes, ext: str) -> tuple[Literal["txt", "docx", "pdf"], list[Block]]:
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf", read_pdf(data)
    if data.startswith(_ZIP):
        is_docx = is_docx_zip(data)
        if is_docx:
            return "docx", read_docx(data)
        if is_docx is None and (ext == ".docx" or b"word/" in data):
            raise errors.corrupt_docx()  # truncated or damaged .docx
        if is_docx is False and ext == ".docx":
            raise errors.corrupt_docx()  # a zip named .docx without a document inside
        if ext in _LEGACY_EXT or b"xl/" in data or b"ppt/" in data:
            raise errors.legacy_office()
        raise errors.unsupported()
    if data.startswith(_OLE2):
        raise errors.legacy_office()
    if data.startswith(_BINARY_MAGIC):
        raise errors.unsupported()
    if data.lstrip()[:5] == b"{\\rtf":
        raise errors.unsupported("Tệp RTF chưa được hỗ trợ.")
    if _looks_like_html(data):
        raise errors.unsupported("Tệp HTML chưa được hỗ trợ; hãy sao chép nội dung trang vào tệp .txt.")
    try:
        return "txt", read_txt(data)
    except PlanReadError as exc:
        if exc.code != "unsupported":
            raise
        # Not text either: the name says what the user meant to send.
        if ext == ".pdf":
            raise errors.corrupt_pdf() from None
        if ext == ".docx":
            raise errors.corrupt_docx() from None
        if ext in _LEGACY_EXT:
            raise errors.legacy_office() from None
        raise


def _looks_like_html(data: bytes) -> bool:
    start = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith((b"<!doctype html", b"<html"))
