"""Builders for real plan files used by the reader tests: .docx (python-docx), .pdf
(reportlab with a Vietnamese-capable TTF) and legacy-encoded text. No mocks: the readers
get the same bytes a user would upload."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence

FONT_PATH = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
FONT = "DejaVuSans"

TONES = "\u0300\u0301\u0303\u0309\u0323"

# A task table like the Phú Thọ appendix, 7 columns.
TASK_HEADER = (
    "STT",
    "Nội dung/ Nhiệm vụ",
    "Sản phẩm",
    "Cơ quan chủ trì tham mưu",
    "Cơ quan phối hợp",
    "Thời gian hoàn thành",
    "Ghi chú",
)
TASK_ROWS = (
    (
        "1",
        "Xây dựng, ban hành Kế hoạch CCHC nhà nước tỉnh hằng năm",
        "Kế hoạch của UBND tỉnh",
        "Sở Nội vụ",
        "Sở, ban, ngành; UBND huyện, thành, thị",
        "Ban hành trong tháng 12 năm trước liền kề của năm KH",
        "",
    ),
    (
        "2",
        "Thực hiện đánh giá, xác định Chỉ số CCHC hằng năm",
        "Kết quả đánh giá",
        "Sở Nội vụ",
        "Sở, ban, ngành",
        "Quý II hằng năm",
        "",
    ),
)


def to_cp1258(text: str) -> bytes:
    """Encode Vietnamese text the way Windows-1258 stores it.

    cp1258 has the vowel-quality letters (â ê ô ơ ư ă đ) precomposed but most toned
    letters only as base + combining tone mark, so `text.encode("cp1258")` fails on
    "ấ". Split each letter into its NFC base (without tone) + tone mark first.
    """
    out = []
    for ch in unicodedata.normalize("NFC", text):
        decomposed = unicodedata.normalize("NFD", ch)
        tones = "".join(c for c in decomposed if c in TONES)
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in TONES))
        try:
            out.append(ch.encode("cp1258"))  # precomposed in cp1258 (á, à, Ã …)
        except UnicodeEncodeError:
            out.append((base + tones).encode("cp1258"))
    return b"".join(out)


# --- .docx ---------------------------------------------------------------------------------


def make_docx(*, merged: bool = True) -> bytes:
    """Paragraphs, a 2×2 layout header, a 7-column task table and a signature paragraph.

    The task table has a section row merged across all 7 columns, a lead-agency cell
    merged vertically over both task rows, and a line break inside a deadline cell.
    """
    from docx import Document
    from docx.enum.text import WD_BREAK

    doc = Document()
    header = doc.add_table(rows=2, cols=2)
    header.cell(0, 0).text = "ỦY BAN NHÂN DÂN\nTỈNH PHÚ THỌ"
    header.cell(0, 1).text = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    header.cell(1, 0).text = "Số: 1782/KH-UBND"
    header.cell(1, 1).text = "Phú Thọ, ngày 05 tháng 5 năm 2021"
    doc.add_paragraph("KẾ HOẠCH")
    doc.add_paragraph("Cải cách hành chính nhà nước tỉnh Phú Thọ giai đoạn 2021 - 2025")
    doc.add_paragraph("I. MỤC TIÊU")
    doc.add_paragraph("1. Đẩy mạnh cải cách hành chính, xây dựng nền hành chính liêm chính.")
    doc.add_paragraph("")  # empty paragraph: must not produce an empty block

    table = doc.add_table(rows=2 + len(TASK_ROWS), cols=7)
    for c, text in enumerate(TASK_HEADER):
        table.cell(0, c).text = text
    section = table.cell(1, 0)
    if merged:
        section = section.merge(table.cell(1, 6))
    section.text = "I. Công tác chỉ đạo, điều hành CCHC"
    for r, row in enumerate(TASK_ROWS, start=2):
        for c, text in enumerate(row):
            if c == 5 and r == 2:
                para = table.cell(r, c).paragraphs[0]
                para.add_run("Ban hành trong tháng 12")
                para.add_run().add_break(WD_BREAK.LINE)
                para.add_run("năm trước liền kề của năm KH")
            elif not (merged and c == 3 and r == 3):
                table.cell(r, c).text = text
    if merged:
        table.cell(2, 3).merge(table.cell(3, 3))  # "Sở Nội vụ" leads both tasks
    doc.add_paragraph("TM. ỦY BAN NHÂN DÂN")
    doc.add_paragraph("Phan Trọng Tấn")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def make_numbered_docx() -> bytes:
    """Paragraphs using Word's automatic numbering (List Number style) — labels are not in
    the text runs, the reader has to render them."""
    from docx import Document

    doc = Document()
    doc.add_paragraph("Nhiệm vụ trọng tâm:")
    doc.add_paragraph("Rà soát thủ tục hành chính.", style="List Number")
    doc.add_paragraph("Số hóa hồ sơ.", style="List Number")
    doc.add_paragraph("Kiểm tra việc thực hiện.", style="List Bullet")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# --- .pdf ----------------------------------------------------------------------------------


def _register_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, FONT_PATH))


def make_text_pdf(
    pages: Sequence[Sequence[str]],
    *,
    table: Sequence[Sequence[str]] | None = None,
    running_header: str | None = None,
    page_numbers: bool = False,
) -> bytes:
    """A PDF with a real text layer: one list of paragraphs per page (wrapped by
    reportlab), an optional ruled table after the first page's paragraphs, optional
    running header and page numbers drawn on every page."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, TableStyle
    from reportlab.platypus import Table as RLTable

    _register_font()
    style = ParagraphStyle("vn", fontName=FONT, fontSize=11, leading=14, spaceAfter=8)
    cell_style = ParagraphStyle("cell", fontName=FONT, fontSize=8, leading=10)
    widths = [1.2 * cm, 4.2 * cm, 2.6 * cm, 2.6 * cm, 2.4 * cm, 2.6 * cm, 1.4 * cm]

    def decorate(canvas, doc) -> None:  # noqa: ANN001 - reportlab callback signature
        canvas.saveState()
        canvas.setFont(FONT, 9)
        if running_header:
            canvas.drawString(2 * cm, A4[1] - 1.2 * cm, running_header)
        if page_numbers:
            canvas.drawCentredString(A4[0] / 2, 1 * cm, str(doc.page))
        canvas.restoreState()

    story = []
    for number, paragraphs in enumerate(pages):
        if number:
            story.append(PageBreak())
        story.extend(Paragraph(text, style) for text in paragraphs)
        if table and number == 0:
            data = [[Paragraph(c, cell_style) for c in row] for row in table]
            grid = RLTable(data, colWidths=widths[: len(table[0])])
            grid.setStyle(
                TableStyle(
                    [("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP")]
                )
            )
            story += [Spacer(1, 6), grid, Spacer(1, 6)]
    buf = io.BytesIO()
    SimpleDocTemplate(
        buf, pagesize=A4, leftMargin=2 * cm, rightMargin=2 * cm, topMargin=2 * cm, bottomMargin=2 * cm
    ).build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buf.getvalue()


def make_scanned_pdf(*, stamp: str | None = None, text_page: Sequence[str] | None = None) -> bytes:
    """What a scanner produces, as far as text goes: two pages that are each one
    page-sized image (plus drawn lines). `stamp` adds the small text layer a digital
    signature leaves on a scan ("Ký bởi: …"); `text_page` puts a real text page first."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    _register_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    if text_page:
        c.setFont(FONT, 11)
        for k, line in enumerate(text_page):
            c.drawString(60, 780 - 16 * k, line)
        c.showPage()
    for _ in range(2):
        c.drawImage(ImageReader(io.BytesIO(_tiny_png())), 20, 20, width=A4[0] - 40, height=A4[1] - 40)
        for y in range(100, 800, 14):
            c.line(60, y, 530, y)
        if stamp:
            c.setFont(FONT, 8)
            c.drawString(380, 60, stamp)
        c.showPage()
    c.save()
    return buf.getvalue()


def _tiny_png() -> bytes:
    import struct
    import zlib

    width = height = 8
    raw = b"".join(b"\x00" + bytes([120 + (x * y) % 100 for x in range(width)]) for y in range(height))

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def make_encrypted_pdf(
    text: str = "Kế hoạch cải cách hành chính nhà nước tỉnh Phú Thọ năm 2025", *, user_password: str = "mat-khau"
) -> bytes:
    """An encrypted PDF. With a user password it cannot be opened without it; with an empty
    one it opens freely and only the owner's permissions (printing, copying) are limited."""
    from reportlab.lib import pdfencrypt
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    _register_font()
    buf = io.BytesIO()
    enc = pdfencrypt.StandardEncryption(user_password, ownerPassword="chu-so-huu", strength=128, canCopy=0)
    c = canvas.Canvas(buf, pagesize=A4, encrypt=enc)
    c.setFont(FONT, 12)
    c.drawString(72, 760, text)
    c.showPage()
    c.save()
    return buf.getvalue()
