"""Plan metadata (số hiệu, title, issuer, date, signer, period) from a plan's text.

Plans arrive as the official layout (header table, "Số: …", "…, ngày 05 tháng 5 năm
2021", a caps title under "KẾ HOẠCH", a signature block) or as a legal-document site's
copy that adds its own summary ("Số hiệu | 18/KH-UBND", "Ngày ban hành 06/03/2025",
"Người ký Lữ Quang Ngời"). Both are read; the site's summary wins where present because
it is already structured.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from bot.domain.plans.document import Paragraph, PlanDocument, Table
from bot.domain.text import clean, fold

# "1782/KH-UBND"; a plan issued by a Quyết định carries the decision's "2820/QĐ-UBND".
_NUMBER = re.compile(
    r"\b(\d{1,6}[a-z]?\s*/\s*(?:KH|QĐ|QD)\s*-\s*[A-ZĐ0-9]+(?:-[A-ZĐ0-9]+)*)", re.I
)
_SITE_FIELD = re.compile(
    r"^(so hieu|ngay ban hanh|nguoi ky|co quan ban hanh)\s*[:|]?\s*(.+)$"
)
_PLACE_DATE = re.compile(r"ngay\s+(\d{1,2})\s+thang\s+(\d{1,2})\s+nam\s+(\d{4})")
_NUMERIC_DATE = re.compile(r"(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})")
_PERIOD_RANGE = re.compile(r"(?:giai doan|thoi ky|nam)\s*(\d{4})\s*[-–—]\s*(\d{4})")
_YEAR = re.compile(r"\bnam\s+(\d{4})\b")
_UNTIL_YEAR = re.compile(r"\bden nam\s+(\d{4})\b")
# A "tầm nhìn đến năm 2045" is no part of the period; dates of cited documents neither.
_VISION = re.compile(r"\btam nhin\b.*$")
_CITED_DATE = re.compile(r"ngay\s+\d{1,2}\s+thang\s+\d{1,2}\s+nam\s+\d{4}|\d{1,2}/\d{1,2}/\d{4}")
_ROMAN_START = re.compile(r"^[IVXL]+\.\s")
_PROVINCE_HEAD = re.compile(r"^(tinh|thanh pho)\s+(.+)$")
# Signature-block lines that are roles, not the signer's name.
_ROLE_WORDS = (
    "tm.", "kt.", "tl.", "chu tich", "pho chu tich", "uy ban nhan dan", "giam doc",
    "noi nhan", "luu", "dang xuat", "viec lam",
)


def _lines(document: PlanDocument) -> list[str]:
    """Every paragraph and table cell, in document order."""
    out: list[str] = []
    for block in document.blocks:
        if isinstance(block, Paragraph):
            out.append(block.text)
        elif isinstance(block, Table):
            for row in block.rows:
                cells = [c for c in row if c]
                # A "| Số hiệu | 18/KH-UBND |" row reads best as one line.
                if len(cells) == 2 and len(cells[0]) < 30:
                    out.append(f"{cells[0]} {cells[1]}")
                else:
                    out.extend(cells)
    return [clean(line) for line in out if clean(line)]


def _safe_date(day: str, month: str, year: str) -> date | None:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def _normalise_number(raw: str) -> str:
    return re.sub(r"\s+", "", raw).upper()


def _site_fields(lines: Sequence[str]) -> dict[str, str]:
    """The legal-document site's summary block: 'Số hiệu 48/KH-UBND', 'Người ký …'."""
    fields: dict[str, str] = {}
    for line in lines[:60]:
        line = line.replace("|", " ").strip()
        match = _SITE_FIELD.match(fold(line))
        if match and match.group(1) not in fields:
            # Take the value from the original line (same length after folding is not
            # guaranteed, so cut by the label's word count instead).
            label_words = len(match.group(1).split())
            value = " ".join(line.split()[label_words:]).strip(" :")
            if value:
                fields[match.group(1)] = value
    return fields


def _is_caps(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) / len(letters) > 0.9


def _document_title(lines: Sequence[str]) -> str | None:
    """The line(s) under the 'KẾ HOẠCH' heading: caps lines (sentence-cased), or one
    ordinary title line when the author did not use capitals."""
    for i, line in enumerate(lines):
        if fold(line) != "ke hoach":
            continue
        parts: list[str] = []
        for nxt in lines[i + 1 : i + 4]:
            if _is_caps(nxt) and not _ROMAN_START.match(nxt):
                parts.append(nxt)
            else:
                break
        if parts:
            return _sentence_case(" ".join(parts))
        if i + 1 < len(lines):
            nxt = lines[i + 1]
            if len(nxt) <= 200 and not _ROMAN_START.match(nxt) and not fold(nxt).startswith(("can cu", "thuc hien")):
                return nxt[:1].lower() + nxt[1:]
    return None


def _headline(lines: Sequence[str], number: str | None) -> str | None:
    for line in lines[:5]:
        key = fold(line)
        if key.startswith("ke hoach ") and number and fold(number) in key.replace(" ", ""):
            return line
    return None


def _issuer(lines: Sequence[str], site: dict[str, str]) -> str | None:
    for i, line in enumerate(lines[:40]):
        if fold(line) in ("uy ban nhan dan", "ubnd") and i + 1 < len(lines):
            match = _PROVINCE_HEAD.match(fold(lines[i + 1]))
            if match:
                return "Ủy ban nhân dân " + _title_case_place(lines[i + 1])
    if "co quan ban hanh" in site:
        return "Ủy ban nhân dân " + _title_case_place(site["co quan ban hanh"])
    return None


def _title_case_place(text: str) -> str:
    """'TỈNH PHÚ THỌ' → 'tỉnh Phú Thọ'; 'Tỉnh Sóc Trăng' → 'tỉnh Sóc Trăng'."""
    words = clean(text).split()
    if not words:
        return text
    head, rest = words[0].lower(), words[1:]
    if fold(head) == "thanh" and rest and fold(rest[0]) == "pho":
        head, rest = "thành phố", rest[1:]
    return " ".join([head, *(w[:1].upper() + w[1:].lower() for w in rest)])


def _issued_on(lines: Sequence[str], site: dict[str, str]) -> date | None:
    if "ngay ban hanh" in site:
        match = _NUMERIC_DATE.search(site["ngay ban hanh"])
        if match and (found := _safe_date(*match.groups())):
            return found
    for line in lines[:60]:
        key = fold(line)
        # "Phú Thọ, ngày 05 tháng 5 năm 2021": a place, a comma, then the date.
        if "," in key and (match := _PLACE_DATE.search(key)):
            if found := _safe_date(*match.groups()):
                return found
    return None


def _is_name(line: str) -> bool:
    words = line.split()
    key = fold(line)
    if not 2 <= len(words) <= 5 or any(ch.isdigit() for ch in line):
        return False
    if any(role in key for role in _ROLE_WORDS) or line.endswith((".", ":", ";")):
        return False
    return all(w[:1].isupper() for w in words) and not line.isupper()


def _signer(lines: Sequence[str], site: dict[str, str]) -> str | None:
    """The site's 'Người ký', else the name under the last signature-block role line
    ("CHỦ TỊCH", "KT. CHỦ TỊCH / PHÓ CHỦ TỊCH") — an appendix may follow the signature."""
    if "nguoi ky" in site:
        return site["nguoi ky"]
    roles = ("chu tich", "tm. uy ban", "kt. chu tich", "giam doc")
    for i in range(len(lines) - 1, -1, -1):
        key = fold(lines[i])
        if len(key) < 40 and any(key.startswith(role) or key == role for role in roles):
            for following in lines[i + 1 : i + 4]:
                if _is_name(following):
                    return following
    return None


def _period(title: str | None, lines: Sequence[str], issued_on: date | None) -> tuple[int, int] | None:
    """The years a plan covers, from its title (else its first lines).

    "giai đoạn 2026 - 2030" → 2026–2030; "… đến năm 2030" in a plan issued in 2025 →
    2025–2030 ("tầm nhìn đến năm 2045" is not part of it); "năm 2026", "cuối năm 2025" →
    that year; nothing stated → the issue year.
    """
    candidates = [t for t in (title,) if t] + list(lines[:5])
    for text in candidates:
        key = _CITED_DATE.sub(" ", _VISION.sub("", fold(text)))
        if match := _PERIOD_RANGE.search(key):
            first, last = int(match.group(1)), int(match.group(2))
            if first <= last:
                return first, last
        if (match := _UNTIL_YEAR.search(key)) and issued_on and issued_on.year <= int(match.group(1)):
            return issued_on.year, int(match.group(1))
        years = [int(y) for y in _YEAR.findall(key)]
        # The headline says "Kế hoạch 6898/KH-UBND năm 2023 … năm 2024": the issue year
        # comes first, the plan year last.
        if years:
            return years[-1], years[-1]
    if issued_on:
        return issued_on.year, issued_on.year
    return None


def extract_meta(document: PlanDocument) -> dict[str, object]:
    """Metadata fields as a dict (PlanMeta is built by the parser with the province)."""
    lines = _lines(document)
    site = _site_fields(lines)
    number = None
    if "so hieu" in site and (match := _NUMBER.search(site["so hieu"])):
        number = _normalise_number(match.group(1))
    if number is None:
        for i, line in enumerate(lines[:80]):
            key = fold(line)
            if not key.startswith("so"):
                continue
            # "Số:" with the number on the next line (a header table copied cell by cell).
            text = f"{line} {lines[i + 1]}" if key.rstrip(" :") == "so" and i + 1 < len(lines) else line
            if match := _NUMBER.search(text):
                number = _normalise_number(match.group(1))
                break
    caps = _document_title(lines)
    headline = _headline(lines, number)
    title = f"Kế hoạch {caps}" if caps else headline
    issued_on = _issued_on(lines, site)
    return {
        "number": number,
        "title": title,
        "issuer": _issuer(lines, site),
        "issued_on": issued_on,
        "signer": _signer(lines, site),
        "period": _period(caps or headline, lines, issued_on),
        "lines": lines,
    }


_KEEP_UPPER = {"ubnd", "hdnd", "tthc", "cchc", "qppl", "pci", "par", "index", "sipas", "papi"}


def _sentence_case(caps: str) -> str:
    """'CẢI CÁCH HÀNH CHÍNH … TỈNH PHÚ THỌ GIAI ĐOẠN 2021 - 2025' → readable case.

    Place names after 'tỉnh'/'thành phố' keep their capitals; acronyms stay upper.
    """
    words = caps.split()
    out: list[str] = []
    capitalise_next = 0
    for word in words:
        key = fold(word)
        if key in _KEEP_UPPER:
            out.append(word.upper())
            continue
        if capitalise_next:
            out.append(word[:1].upper() + word[1:].lower())
            capitalise_next -= 1
            continue
        out.append(word.lower())
        if key == "tinh":
            capitalise_next = 2
    # Two words are enough for most province names (Phú Thọ, Vĩnh Long, Bình Dương);
    # a third capital word would be a following common word, so it was lowered.
    return " ".join(out)
