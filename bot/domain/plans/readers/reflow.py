"""Physical lines → logical paragraphs.

Text copied from a web page or extracted from a PDF is wrapped at a fixed width, so
one paragraph arrives as several lines ("Căn cứ Nghị quyết Đại hội Đảng\\nbộ tỉnh …").
`Reflow` re-joins them. The decision is made line by line between the paragraph
built so far and the next line:

- a hard break (blank line, table, layout-table cell border) always ends it;
- a next line that opens an item (``II. ``, ``1. ``, ``1.2. ``, ``a) ``, ``- ``, ``[1]``,
  ``Điều 3.``, ``Chương II``), or is a "Số: …" line or a place-and-date line, starts a new paragraph;
- an all-caps heading paragraph ("KẾ HOẠCH", "PHÓ CHỦ TỊCH") takes only what obviously
  continues it: a lowercase start, anything after a trailing "-" or ",", a line without
  letters ("… GIAI ĐOẠN 2021 -" + "2025"), capitals starting with a digit ("… GIAI ĐOẠN"
  + "2021 - 2025 TRÊN ĐỊA BÀN …") and, for a roman-numbered heading, more capitals
  ("II. CÔNG TÁC" + "CHỈ ĐẠO, ĐIỀU HÀNH …"); "2. MỤC TIÊU" + "100% văn bản …" stay apart;
- a next line that is itself an all-caps heading starts a new paragraph;
- a next line starting in lowercase continues the paragraph;
- otherwise, in wrapped text the line continues unless the paragraph so far ends a
  sentence (``. ; : ! ?``); in unwrapped text (long lines, Word paragraphs) it does not.
"""

from __future__ import annotations

import re

from bot.domain.plans.document import Paragraph

_ITEM = re.compile(
    r"""^(?:
        \d{1,3}[.)]\s+\S                      # 1. / 1)  (not "3.000 người")
      | \d{1,2}(?:\.\d{1,2})+\.?(?:\s|$)      # 1.2. / 1.2
      | [IVXLC]+\.(?:\s|$)                    # II.
      | [a-zđ]\)\s*\S                         # a) / đ)
      | \[\d{1,3}\]                           # [1] footnote
      | \(\d{1,3}\)\s                         # (1) …
      | Điều\ \d{1,3}\.                       # Điều 3.  (not "tại\nĐiều 5 Luật …")
      | (?:Chương|CHƯƠNG|Mục|MỤC|Phần|PHẦN|Phụ\ lục|PHỤ\ LỤC)\ [\dIVXLC]{1,5}(?:[.:]|$)
    )""",
    re.VERBOSE,
)
_STANDALONE = re.compile(r"^(?:Số|Số hiệu|Nơi nhận|Kính gửi)\s*:", re.IGNORECASE)
_PLACE_DATE = re.compile(r"^([^,;:]{2,40}),\s*ngày(?:\s+\d|\s*[.…]|\s*$)")
_ROMAN_HEADING = re.compile(r"^[IVXLC]+\.(?:\s|$)")
_BULLETS = "-+*•–—"
_SENTENCE_END = ".;:!?…"
_CONTINUES = ("-", "–", "—", ",", "&", "/", "(")
_TRAILING_CLOSERS = ")]”\"'’»"


def is_caps(text: str) -> bool:
    """All letters uppercase (at least two letters): a heading line."""
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def is_caps_heading(text: str) -> bool:
    """A line that starts a heading, not an acronym run like "TCVN ISO 9001:2015"."""
    if not is_caps(text):
        return False
    words = [w for w in text.split() if any(c.isalpha() for c in w)]
    non_ascii = any(c.isalpha() and not c.isascii() for c in text)
    return len(words) >= 2 and (non_ascii or len(words) >= 3)


def starts_item(line: str) -> bool:
    if line[:1] in _BULLETS and len(line) > 2 and line[1] in " \t":
        # "- Hằng năm …" opens an item; "- xã hội" is a wrapped "kinh tế - xã hội".
        first = line[2:].lstrip()[:1]
        return bool(first) and not (first.isalpha() and first.islower())
    return bool(_ITEM.match(line))


def starts_standalone(line: str) -> bool:
    """"Số: 18/KH-UBND" or a place-and-date line ("Phú Thọ, ngày 05 …")."""
    if _STANDALONE.match(line):
        return True
    match = _PLACE_DATE.match(line)
    if not match:
        return False
    words = match.group(1).split()
    return 1 <= len(words) <= 5 and all(w[0].isupper() for w in words)


def _starts_lower(line: str) -> bool:
    first = line[:1]
    return first.isalpha() and first.islower()


def _ends_sentence(line: str) -> bool:
    stripped = line.rstrip(_TRAILING_CLOSERS) or line
    return stripped[-1] in _SENTENCE_END


def join_wrapped(left: str, right: str) -> str:
    """Join two pieces of one paragraph/cell: a space, except inside a hyphenated word."""
    if not left:
        return right
    if not right:
        return left
    if len(left) >= 2 and left[-1] == "-" and left[-2].isalnum() and right[0].isalnum():
        return left + right  # "PAR-" + "INDEX" → "PAR-INDEX"
    return f"{left} {right}"


_HEAD = 64  # enough for every prefix rule below ("Số hiệu:", "II. ")


class _Paragraph:
    """What `should_join` needs to know about the paragraph built so far."""

    __slots__ = ("caps", "head")

    def __init__(self, head: str, caps: bool) -> None:
        self.head = head
        self.caps = caps


def should_join(paragraph: str, last_line: str, nxt: str, *, wrapped: bool) -> bool:
    """Whether `nxt` continues the paragraph whose text so far is `paragraph`."""
    return _should_join(_Paragraph(paragraph[:_HEAD], is_caps(paragraph)), last_line, nxt, wrapped=wrapped)


def _should_join(paragraph: _Paragraph, last_line: str, nxt: str, *, wrapped: bool) -> bool:
    if starts_item(nxt) or starts_standalone(nxt):
        return False
    if _STANDALONE.match(paragraph.head):
        return _starts_lower(nxt)
    if paragraph.caps:
        if _starts_lower(nxt) or last_line.endswith(_CONTINUES):
            return True
        if not any(c.isalpha() for c in nxt):
            return True  # "… GIAI ĐOẠN 2021 -" + "2025"
        if is_caps(nxt):  # "… GIAI ĐOẠN" + "2021 - 2025 TRÊN ĐỊA BÀN TỈNH"; "II. CÔNG TÁC" + "CHỈ ĐẠO …"
            return nxt[:1].isdigit() or bool(_ROMAN_HEADING.match(paragraph.head))
        return False
    if is_caps_heading(nxt):
        return False
    if _starts_lower(nxt):
        return True
    if not wrapped:
        return False
    return not _ends_sentence(last_line)


class Reflow:
    """Accumulates lines (`line`) and hard breaks (`brk`); `take` returns the paragraphs.

    Linear in the input: the paragraph is kept as pieces joined once at its end, and the
    facts `should_join` needs about it (its head, whether it is all caps) are kept up to
    date per line, so a file of 400,000 lines that all join stays fast.
    """

    def __init__(self, *, wrapped: bool) -> None:
        self.wrapped = wrapped
        self._pieces: list[str] = []
        self._tail = ""  # the last two characters: what a hyphenated join looks at
        self._head = ""  # the paragraph's first characters: what _STANDALONE looks at
        self._letters = 0  # letters so far, and whether all of them are uppercase
        self._upper = True
        self._last = ""
        self.out: list[Paragraph] = []

    @property
    def _text(self) -> str:
        return "".join(self._pieces)

    def _append(self, line: str) -> None:
        if self._pieces:
            joined = join_wrapped(self._tail, line)
            # join_wrapped adds either nothing or one space between the two pieces.
            piece = joined[len(self._tail):]
        else:
            piece = line
        self._pieces.append(piece)
        self._tail = (self._tail + piece)[-2:]
        if len(self._head) < _HEAD:
            self._head = (self._head + piece)[:_HEAD]
        for c in line:
            if c.isalpha():
                self._letters += 1
                if self._upper and not c.isupper():
                    self._upper = False

    def _summary(self) -> _Paragraph:
        return _Paragraph(self._head, self._letters >= 2 and self._upper)

    def line(self, line: str, *, glued: bool = False) -> None:
        """Add a line; `glued` says the layout already shows it continues (PDF geometry)."""
        if not line:
            self.brk()
            return
        if glued and self._pieces and not starts_item(line):
            self._append(line)
        elif self._pieces and _should_join(self._summary(), self._last, line, wrapped=self.wrapped):
            self._append(line)
        else:
            self.brk()
            self._append(line)
        self._last = line

    def brk(self) -> None:
        if self._pieces:
            self.out.append(Paragraph(self._text))
        self._pieces = []
        self._tail = self._head = self._last = ""
        self._letters = 0
        self._upper = True

    def take(self) -> list[Paragraph]:
        self.brk()
        out, self.out = self.out, []
        return out
