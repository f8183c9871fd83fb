"""A generated corpus of hostile and malformed plan files (issue 19).

Real bytes, built here (python-docx, reportlab, hand-written PDF objects, zipfile), for
the reader tests, the CLI/bot corpus tests and bench/hostile.py. `corpus()` yields
more than 200 files in classes; each says what must happen to it:

- "refuse": one Vietnamese sentence, nothing stored;
- "import": stored (a well-formed plan, however odd its encoding or size);
- "either": refusing or importing are both right, but never a traceback, a hang or a
  partial import (e.g. a file cut at a point where it still happens to read).

The `heavy` flag marks files that take seconds to build or read; tests run a subset.
"""

from __future__ import annotations

import io
import random
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLANS = ROOT / "data" / "plans"
PHU_THO = PLANS / "phu-tho-1782-KH-UBND-2021.txt"


@dataclass(frozen=True)
class Hostile:
    kind: str  # the class, for figures per class
    name: str  # file name as uploaded (the extension may lie)
    build: bytes | Callable[[], bytes]  # heavy files are built on demand
    expect: str  # "refuse" | "import" | "either"
    heavy: bool = False

    @property
    def data(self) -> bytes:
        return self.build() if callable(self.build) else self.build


# --- builders ----------------------------------------------------------------------------

HEADER = (
    "ỦY BAN NHÂN DÂN\nTỈNH PHÚ THỌ\nSố: {number}/KH-UBND\nPhú Thọ, ngày 10 tháng 01 năm 2025\n\n"
    "KẾ HOẠCH\nCải cách hành chính tỉnh Phú Thọ năm 2025\n\n"
)


def text_plan(rows: int, *, number: int = 501, title: str = "Rà soát thủ tục hành chính đợt {i}") -> str:
    """A pipe-table text plan with `rows` numbered tasks (Sở Nội vụ leads each)."""
    lines = [HEADER.format(number=number)]
    lines.append("| STT | Nội dung/ Nhiệm vụ | Sản phẩm | Cơ quan chủ trì tham mưu | Cơ quan phối hợp | Thời gian hoàn thành | Ghi chú |")
    lines.append("|---|---|---|---|---|---|---|")
    for i in range(1, rows + 1):
        lines.append(f"| {i} | {title.format(i=i)} | Báo cáo | Sở Nội vụ | Sở Tư pháp | Quý IV/2025 | |")
    lines.append("\nTM. ỦY BAN NHÂN DÂN\nChủ tịch\nNguyễn Văn A\n")
    return "\n".join(lines)


def same_title_plan() -> str:
    """One task title, six rows, six lead agencies (issue 19: stored as one task once)."""
    agencies = ("Sở Nội vụ", "Sở Tư pháp", "Sở Tài chính", "Sở Y tế", "Sở Xây dựng", "Sở Công Thương")
    lines = [HEADER.format(number=511)]
    lines.append("| STT | Nội dung/ Nhiệm vụ | Sản phẩm | Cơ quan chủ trì tham mưu | Cơ quan phối hợp | Thời gian hoàn thành | Ghi chú |")
    lines.append("|---|---|---|---|---|---|---|")
    for i, agency in enumerate(agencies, start=1):
        lines.append(f"| {i} | Rà soát thủ tục hành chính | Báo cáo | {agency} | | Quý IV/2025 | |")
    lines.append("\nTM. ỦY BAN NHÂN DÂN\nChủ tịch\nNguyễn Văn A\n")
    return "\n".join(lines)


def docx_plan(rows: int = 3, *, title: str = "Số hóa hồ sơ thủ tục hành chính đợt {i}", number: int = 502) -> bytes:
    from docx import Document

    doc = Document()
    for line in HEADER.format(number=number).strip().split("\n"):
        doc.add_paragraph(line)
    header = ("STT", "Nội dung/ Nhiệm vụ", "Sản phẩm", "Cơ quan chủ trì tham mưu", "Cơ quan phối hợp",
              "Thời gian hoàn thành", "Ghi chú")
    body = [(str(i), title.format(i=i), "Báo cáo", "Sở Tư pháp", "Sở Nội vụ", "Quý IV/2025", "")
            for i in range(1, rows + 1)]
    table = doc.add_table(rows=1 + len(body), cols=7)
    for r, row in enumerate([header, *body]):
        cells = table.rows[r].cells
        for c, text in enumerate(row):
            cells[c].text = text
    doc.add_paragraph("TM. ỦY BAN NHÂN DÂN")
    doc.add_paragraph("Nguyễn Văn B")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def rezip(docx: bytes, replace: dict[str, bytes], *, extra: dict[str, bytes] | None = None) -> bytes:
    """The same .docx with some parts replaced (or added)."""
    src = zipfile.ZipFile(io.BytesIO(docx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, replace.get(info.filename, src.read(info.filename)))
        for name, data in (extra or {}).items():
            dst.writestr(name, data)
    return out.getvalue()


def docx_with_span(attr: str, value: str) -> bytes:
    """A plan .docx whose first task row carries gridSpan/gridBefore/vMerge = `value`."""
    base = docx_plan(2)
    xml = zipfile.ZipFile(io.BytesIO(base)).read("word/document.xml").decode()
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    assert w in xml
    rows = xml.split("<w:tr>") if "<w:tr>" in xml else xml.split("<w:tr ")
    if attr == "gridBefore":
        marker = "<w:tc>"
        i = xml.index(marker, xml.index("<w:tr"))
        xml = xml[:i] + f'<w:trPr><w:gridBefore w:val="{value}"/></w:trPr>' + xml[i:]
    else:
        tag = "<w:gridSpan" if attr == "gridSpan" else "<w:vMerge"
        i = xml.index("<w:tcPr>", xml.index("<w:tr")) + len("<w:tcPr>")
        xml = xml[:i] + f'{tag} w:val="{value}"/>' + xml[i:]
    del rows
    return rezip(base, {"word/document.xml": xml.encode()})


def docx_bomb(inflated_mb: int, *, part: str = "word/document.xml") -> bytes:
    """A .docx whose `part` inflates to `inflated_mb` MB of XML whitespace."""
    base = docx_plan(2)
    xml = zipfile.ZipFile(io.BytesIO(base)).read("word/document.xml")
    head, tail = xml.split(b"<w:body>", 1)
    filler = b" " * (inflated_mb * 2**20)
    if part == "word/document.xml":
        return rezip(base, {part: head + b"<w:body>" + filler + tail})
    return rezip(base, {}, extra={part: filler})


def docx_many_entries(n: int) -> bytes:
    return rezip(docx_plan(2), {}, extra={f"customXml/bomb{i}.xml": b"<a/>" for i in range(n)})


def docx_paragraphs(n: int) -> bytes:
    """`n` body paragraphs written straight into document.xml (python-docx is slow at it)."""
    base = docx_plan(2)
    xml = zipfile.ZipFile(io.BytesIO(base)).read("word/document.xml").decode()
    paras = "".join(f"<w:p><w:r><w:t>Đoạn văn thứ {i} về cải cách hành chính.</w:t></w:r></w:p>" for i in range(n))
    i = xml.index("<w:body>") + len("<w:body>")
    return rezip(base, {"word/document.xml": (xml[:i] + paras + xml[i:]).encode()})


def docx_rows(n: int) -> bytes:
    """A plan .docx with an `n`-row task table, rows written as XML."""
    base = docx_plan(1)
    xml = zipfile.ZipFile(io.BytesIO(base)).read("word/document.xml").decode()
    start = xml.index("<w:tr", xml.index("<w:tr") + 1)  # the first task row
    end = xml.index("</w:tr>", start) + len("</w:tr>")
    row = xml[start:end]
    rows = "".join(row.replace(">1<", f">{i}<", 1).replace("đợt 1", f"đợt {i}") for i in range(1, n + 1))
    return rezip(base, {"word/document.xml": (xml[:start] + rows + xml[end:]).encode()})


def raw_pdf(contents: list[bytes], *, compress: bool = True, extra_objects: list[bytes] | None = None) -> bytes:
    """A minimal hand-written PDF: one page per content stream, Helvetica."""
    objs: list[bytes] = []
    n = len(contents)
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(n))
    objs.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objs.append(f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode())
    objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for i, content in enumerate(contents):
        objs.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
            f"/Contents {5 + 2 * i} 0 R >>".encode()
        )
        body = zlib.compress(content, 9) if compress else content
        flt = b" /Filter /FlateDecode" if compress else b""
        objs.append(b"<< /Length %d%s >>\nstream\n" % (len(body), flt) + body + b"\nendstream")
    objs.extend(extra_objects or [])
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for k, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % k + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def ops_page(n: int) -> bytes:
    return b"BT /F1 10 Tf 72 700 Td (Ke hoach cai cach hanh chinh) Tj ET\n" * n


def pdf_stream_bomb(mb: int) -> bytes:
    """An unused stream object that inflates to `mb` MB (an image-like bomb)."""
    bomb = zlib.compress(b"\x00" * (mb * 2**20), 9)
    obj = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(bomb) + bomb + b"\nendstream"
    return raw_pdf([b"BT /F1 10 Tf 72 700 Td (Ke hoach) Tj ET\n"], extra_objects=[obj])


def text_pdf(lines: list[str], pages: int = 1) -> bytes:
    """A real text-layer PDF (reportlab, DejaVuSans for Vietnamese)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVuSans", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    for _ in range(pages):
        c.setFont("DejaVuSans", 10)
        for k, line in enumerate(lines[:50]):
            c.drawString(50, 800 - 15 * k, line)
        c.showPage()
    c.save()
    return buf.getvalue()


def encrypted_pdf(user_password: str) -> bytes:
    from reportlab.lib import pdfencrypt
    from reportlab.pdfgen import canvas

    text_pdf(["x"])  # registers the font
    buf = io.BytesIO()
    enc = pdfencrypt.StandardEncryption(user_password, ownerPassword="chu", strength=128, canCopy=0)
    c = canvas.Canvas(buf, encrypt=enc)
    c.setFont("DejaVuSans", 12)
    for k, line in enumerate(HEADER.format(number=503).split("\n")):
        c.drawString(72, 760 - 16 * k, line)
    c.showPage()
    c.save()
    return buf.getvalue()


def image_pdf() -> bytes:
    """A scan: one page-sized image, no text layer."""
    import struct

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    raw = b"".join(b"\x00" + bytes([(x * y) % 255 for x in range(8)]) for y in range(8))

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 0, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.drawImage(ImageReader(io.BytesIO(png)), 20, 20, width=A4[0] - 40, height=A4[1] - 40)
    c.showPage()
    c.save()
    return buf.getvalue()


def cp1258(text: str) -> bytes:
    import unicodedata

    out = []
    for ch in unicodedata.normalize("NFC", text):
        try:
            out.append(ch.encode("cp1258"))
        except UnicodeEncodeError:
            out.append(unicodedata.normalize("NFD", ch).encode("cp1258", "replace"))
    return b"".join(out)


# --- the corpus --------------------------------------------------------------------------


def corpus(*, heavy: bool = True) -> Iterator[Hostile]:
    """Every hostile file, deterministic (seeded); `heavy=False` leaves out the slow ones."""
    rnd = random.Random(19)
    plan_txt = PHU_THO.read_bytes()
    small = text_plan(3).encode()
    plan_docx = docx_plan(3)
    plan_pdf = text_pdf(HEADER.format(number=504).split("\n") + [
        "1. Sở Nội vụ chủ trì rà soát thủ tục hành chính, hoàn thành trong quý IV/2025."])

    # Empty and blank, under every extension.
    for ext in (".txt", ".docx", ".pdf", ""):
        for label, data in (("rong", b""), ("trang", b" \n\t\r\n  "), ("bom", b"\xef\xbb\xbf")):
            yield Hostile("empty", f"{label}{ext}", data, "refuse")
    # Binary noise, under every extension.
    for k in range(12):
        ext = (".txt", ".docx", ".pdf", ".doc")[k % 4]
        yield Hostile("binary", f"nhieu{k}{ext}", rnd.randbytes(64 * (k + 1)), "refuse")
    for magic in (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"GIF89a", b"\x1f\x8b\x08", b"\x7fELF", b"Rar!\x1a\x07"):
        yield Hostile("binary", f"anh{magic[1:3].hex()}.docx", magic + rnd.randbytes(300), "refuse")
    # Truncated and corrupt .docx / .pdf.
    for frac in (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99):
        cut = int(len(plan_docx) * frac)
        yield Hostile("truncated_docx", f"cat{int(frac * 100)}.docx", plan_docx[:cut], "refuse")
    for k in range(10):
        data = bytearray(plan_docx)
        for _ in range(k + 1):
            i = rnd.randrange(200, len(data) - 200)
            data[i] ^= 0xFF
        yield Hostile("corrupt_docx", f"hong{k}.docx", bytes(data), "either")
    for frac in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.97):
        cut = int(len(plan_pdf) * frac)
        yield Hostile("truncated_pdf", f"cat{int(frac * 100)}.pdf", plan_pdf[:cut], "either")
    for k in range(10):
        data = bytearray(plan_pdf)
        for _ in range(3 * (k + 1)):
            i = rnd.randrange(100, len(data) - 100)
            data[i] = rnd.randrange(256)
        yield Hostile("corrupt_pdf", f"hong{k}.pdf", bytes(data), "either")
    # Word table spans.
    for attr, value in (
        ("gridSpan", "1000000000"), ("gridSpan", "2147483647"), ("gridSpan", "65"), ("gridSpan", "-5"),
        ("gridSpan", "abc"), ("gridSpan", "99999999999999999999"),
        ("gridBefore", "2000000000"), ("gridBefore", "70"), ("gridBefore", "-3"), ("gridBefore", "x"),
        ("vMerge", "continue"), ("vMerge", "restart"), ("vMerge", "bogus"),
    ):
        expect = "refuse" if value in ("1000000000", "2147483647", "65", "99999999999999999999",
                                      "2000000000", "70") else "either"
        yield Hostile("docx_spans", f"span-{attr}-{value[:6]}.docx", docx_with_span(attr, value), expect)
    # Zip bombs and odd zips.
    if heavy:
        yield Hostile("zip_bomb", "bom-xml.docx", lambda: docx_bomb(200), "refuse", heavy=True)
    if heavy:
        yield Hostile("zip_bomb", "bom-xml-30.docx", lambda: docx_bomb(30), "refuse", heavy=True)
    if heavy:
        yield Hostile("zip_bomb", "bom-media.docx", lambda: docx_bomb(130, part="word/media/image1.png"), "refuse", heavy=True)
    if heavy:
        yield Hostile("zip_bomb", "nhieu-phan.docx", lambda: docx_many_entries(6000), "refuse", heavy=True)
    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as z:
        z.writestr("kehoach.txt", small)
    yield Hostile("zip_bomb", "nen.docx", plain_zip.getvalue(), "refuse")
    yield Hostile("zip_bomb", "nen.zip", plain_zip.getvalue(), "refuse")
    # PDFs: operator bombs, stream bombs, pages, encryption, scans.
    if heavy:
        yield Hostile("pdf_ops", "lenh-60kb.pdf", lambda: raw_pdf([ops_page(3_000_000)]), "refuse", heavy=True)
    yield Hostile("pdf_ops", "lenh-ngan.pdf", raw_pdf([ops_page(2_500)]), "refuse")
    if heavy:
        yield Hostile("pdf_ops", "lenh-nhieu-trang.pdf", lambda: raw_pdf([ops_page(1_000)] * 200), "refuse", heavy=True)
    yield Hostile("pdf_ops", "khong-nen.pdf", raw_pdf([ops_page(5_000)], compress=False), "refuse")
    if heavy:
        yield Hostile("pdf_bomb", "bom-luong.pdf", lambda: pdf_stream_bomb(300), "refuse", heavy=True)
    yield Hostile("pdf_pages", "700-trang.pdf", raw_pdf([b"BT /F1 10 Tf 72 700 Td (x) Tj ET\n"] * 700), "refuse")
    yield Hostile("pdf_encrypted", "khoa.pdf", encrypted_pdf("mat-khau"), "refuse")
    yield Hostile("pdf_encrypted", "khoa-rong.pdf", encrypted_pdf(""), "either")
    yield Hostile("pdf_scanned", "scan.pdf", image_pdf(), "refuse")
    yield Hostile("pdf_scanned", "trang-trang.pdf", raw_pdf([b""] * 3), "refuse")
    # Wrong extensions: the content decides.
    for name, data, expect in (
        ("kehoach.pdf", plan_docx, "import"), ("kehoach.txt", plan_docx, "import"),
        ("kehoach.doc", plan_docx, "import"), ("kehoach-pdf.docx", plan_pdf, "either"),
        ("kehoach-txt.pdf", small, "import"), ("kehoach-txt.docx", small, "import"),
        ("kehoach", small, "import"), ("anh.pdf", b"\x89PNG\r\n\x1a\n" + rnd.randbytes(100), "refuse"),
        ("html.txt", b"<!DOCTYPE html><html><body>" + small + b"</body></html>", "refuse"),
        ("rtf.docx", b"{\\rtf1\\ansi " + small + b"}", "refuse"),
        ("ole.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + rnd.randbytes(500), "refuse"),
    ):
        yield Hostile("wrong_extension", name, data, expect)
    # Encodings.
    text = small.decode()
    yield Hostile("encoding", "utf16le.txt", text.encode("utf-16-le"), "import")
    yield Hostile("encoding", "utf16be.txt", text.encode("utf-16-be"), "import")
    yield Hostile("encoding", "utf16bom.txt", text.encode("utf-16"), "import")
    yield Hostile("encoding", "utf32.txt", text.encode("utf-32"), "import")
    yield Hostile("encoding", "cp1258.txt", cp1258(text), "either")
    half = len(text) // 2
    for k in range(6):
        cut = half + k * 7
        mixed = text[:cut].encode() + cp1258(text[cut:])
        yield Hostile("encoding", f"tron{k}.txt", mixed, "either")
    for k in range(6):
        damaged = bytearray(small)
        for _ in range(k + 1):
            damaged[rnd.randrange(len(damaged))] = 0xFF
        yield Hostile("encoding", f"hong-utf8-{k}.txt", bytes(damaged), "either")
    # NUL and control characters.
    for k, ch in enumerate(("\x00", "\x01", "\x07", "\x1b", "\x7f", "\x85", "\u200b", "\ufeff", "\u202e")):
        sprinkled = "".join(c + (ch if i % 97 == 0 else "") for i, c in enumerate(text))
        yield Hostile("control_chars", f"ky-tu-{k}.txt", sprinkled.encode(), "either")
    for k in range(4):
        flood = text + ("\x00\x01\x02" * (50 * (k + 1)))
        yield Hostile("control_chars", f"nul-{k}.txt", flood.encode(), "refuse")
    # Markup and odd titles.
    for k, title in enumerate((
        "<b>Rà soát</b> thủ tục hành chính {i}", "<script>alert(1)</script> Số hóa hồ sơ {i}",
        "Số hóa &amp; đồng bộ &lt;dữ liệu&gt; {i}", "[Rà soát](http://x.invalid) thủ tục {i}",
        "*Rà soát* _thủ tục_ `hành chính` {i}", "Rà soát thủ tục hành chính " + "rất " * 400 + "{i}",
        "Rà soát {{i}} %s %d {i}", "Rà soát\u202eđảo chiều\u202c thủ tục {i}",
        "Rà soát 🚀🔥 thủ tục {i}", "Ｒà soát thủ tục toàn-width {i}",
    )):
        yield Hostile("markup_titles", f"tieu-de-{k}.txt", text_plan(3, number=600 + k, title=title).encode(), "import")
        yield Hostile("markup_titles", f"tieu-de-{k}.docx", docx_plan(2, number=620 + k, title=title), "import")
    # Size: paragraphs, rows, tasks, the size limit.
    if heavy:
        yield Hostile("paragraphs", "50000-doan.txt", lambda: (HEADER.format(number=505) + "\n\n".join(
            f"Đoạn văn thứ {i} về cải cách hành chính." for i in range(50_000))).encode(), "either", heavy=True)
    if heavy:
        yield Hostile("paragraphs", "50000-doan.docx", lambda: docx_paragraphs(50_000), "either", heavy=True)
    if heavy:
        yield Hostile("paragraphs", "150000-doan.txt", lambda: ("Đoạn văn.\n\n" * 150_000).encode(), "refuse", heavy=True)
    if heavy:
        yield Hostile("rows", "10000-hang.txt", lambda: text_plan(10_000, number=506).encode(), "import", heavy=True)
    if heavy:
        yield Hostile("rows", "10000-hang.docx", lambda: docx_rows(10_000), "import", heavy=True)
    if heavy:
        yield Hostile("rows", "25000-hang.docx", lambda: docx_rows(25_000), "refuse", heavy=True)
    if heavy:
        yield Hostile("tasks", "5000-nhiem-vu.txt", lambda: text_plan(5_000, number=507).encode(), "import", heavy=True)
    yield Hostile("tasks", "1000-nhiem-vu.txt", text_plan(1_000, number=508).encode(), "import")
    if heavy:
        yield Hostile("tasks", "1000-nhiem-vu.docx", lambda: docx_rows(1_000), "import", heavy=True)
    line = "Nhiệm vụ cải cách hành chính năm 2025\n".encode()
    limit = 20 * 2**20
    if heavy:
        yield Hostile("size_limit", "gan-20mb.txt", lambda: (line * (limit // len(line)))[: limit - 1], "refuse", heavy=True)
    if heavy:
        yield Hostile("size_limit", "dung-20mb.txt", lambda: (line * (limit // len(line) + 1))[:limit], "refuse", heavy=True)
    if heavy:
        yield Hostile("size_limit", "9mb.txt", lambda: (HEADER.format(number=509).encode() + line * (9 * 2**20 // len(line))),
                      "either", heavy=True)
    if heavy:
        yield Hostile("size_limit", "mot-dong-8mb.txt", lambda: HEADER.format(number=510).encode() + b"a " * (4 * 2**20),
                      "either", heavy=True)
    # Silent loss: six rows with one title for six agencies are six tasks; 1,000 rows, 1,000.
    yield Hostile("silent_loss", "cung-ten-6-co-quan.txt", same_title_plan().encode(), "import")
    # Controls: well-formed plans in every format must still import.
    yield Hostile("control", "phu-tho.txt", plan_txt, "import")
    yield Hostile("control", "kehoach.docx", plan_docx, "import")
    yield Hostile("control", "kehoach-nho.txt", small, "import")
    for k in range(16):  # plans with many identical-looking lines; each imports or is refused whole
        yield Hostile("repeats", f"lap-{k}.txt", (text + "\n" + "Sở Nội vụ\n" * (k * 500)).encode(), "either")
    for k in range(15):  # random slices of a real plan
        a = rnd.randrange(len(plan_txt) // 2)
        yield Hostile("slices", f"doan-{k}.txt", plan_txt[a:a + rnd.randrange(100, 20_000)], "either")


@cache
def light() -> tuple[Hostile, ...]:
    """The files that are quick to build and read (built once per process)."""
    return tuple(corpus(heavy=False))
