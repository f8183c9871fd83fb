"""Lines of plain text → paragraphs and tables.

Shared by the .txt reader and the PDF reader (for the text between PDF tables).
Pages copied from a legal-document website carry tables as pipes, in three styles:

(md)  one row per line:               ``| Số hiệu | 18/KH-UBND |``
(row) a ``|`` line opens each row, and every cell ends with `` |`` (the cell may wrap
      over several lines)::

          |
          STT |
          Chỉ tiêu |

(cell) every cell is one or more lines followed by a line that is just ``|``; rows are
      not marked at all (the Phú Thọ appendix)::

          STT
          |
          Nội dung/ Nhiệm vụ
          |

Style (cell) is also how the site renders layout tables (the "ỦY BAN NHÂN DÂN |
CỘNG HÒA …" header, the signature block). Those are not data, so a (cell) run becomes
a Table only from a header cell "STT"/"TT" on; everything else between the bars is
read as paragraphs, each bar being a hard paragraph break. Rows of a (cell) table are
rebuilt from the numbering: a new row starts at a bare STT number ("12", "12.", "1.2")
that follows the previous one, or at a roman-numbered section heading ("VII. Xây
dựng …"); rows are padded to the header's width.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain.plans.document import Block, Table
from bot.domain.plans.readers.reflow import Reflow, join_wrapped
from bot.domain.text import clean

# Longest line seen in text that is wrapped at a fixed width; web pages that keep one
# paragraph per line have lines far longer than this.
WRAP_WIDTH = 120
# A cell of style (row) may wrap over this many lines before its closing " |".
_MAX_CELL_LINES = 8

_DECORATION = re.compile(r"^[-_=*~.·•]{3,}$")
_STT_HEADER = re.compile(r"^(?:s[ốo]\s*)?(?:stt|tt|thứ\s*tự)$", re.IGNORECASE)
_STT_NUMBER = re.compile(r"^(\d{1,4}(?:\.\d{1,3})*)\.?$")
_BARE_ROMAN = re.compile(r"^(?=[IVXL])(C{0,3}(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3}))\.?$")
_ROMAN = re.compile(r"^(C{0,3}(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3}))\.(?:\s|$)")
_MD_SEPARATOR = re.compile(r"^:?-{2,}:?$")


class _Blank:
    """Hard break: a blank or decorative line, or a consumed table border."""


class _Bar:
    """A line that is just "|": a cell border of style (cell)."""


class Glued(str):
    """A line the source's geometry shows continues the previous one (PDF: the previous
    line runs to the right margin)."""

    __slots__ = ()


BLANK = _Blank()
BAR = _Bar()
Token = str | _Blank | _Bar | Table


def build_blocks(raw_lines: list[str], *, wrapped: bool | None = None) -> list[Block]:
    """Paragraphs and tables, in order, from raw text lines (cleaned here)."""
    lines = [clean(line) for line in raw_lines]
    if wrapped is None:
        wrapped = looks_wrapped(lines)
    tokens = _explicit_tables(lines)
    tokens = _cell_tables(tokens)
    return reflow_tokens(tokens, wrapped=wrapped)


def looks_wrapped(lines: list[str]) -> bool:
    """Text hard-wrapped at a fixed width (PDF, some web copies): (almost) no line is
    longer than WRAP_WIDTH. One long URL or table row does not change the verdict."""
    text_lines = [ln for ln in lines if ln and ln != "|"]
    long = sum(1 for ln in text_lines if len(ln) > WRAP_WIDTH)
    return bool(text_lines) and long <= 0.02 * len(text_lines)


def reflow_tokens(tokens: list[Token], *, wrapped: bool) -> list[Block]:
    out: list[Block] = []
    flow = Reflow(wrapped=wrapped)
    for token in tokens:
        if isinstance(token, str):
            flow.line(str(token), glued=isinstance(token, Glued))
        elif isinstance(token, Table):
            out.extend(flow.take())
            if token.rows:
                out.append(token)
        else:
            flow.brk()
    out.extend(flow.take())
    return out


# --- styles (md) and (row) -------------------------------------------------------------


def _is_md_row(line: str) -> bool:
    return len(line) >= 3 and line[0] == "|" and line[-1] == "|" and line.count("|") >= 2


def _is_cell_end(line: str) -> bool:
    return len(line) >= 2 and line[-1] == "|" and line[0] != "|"


def _cell_close(lines: list[str], start: int) -> int | None:
    """Index of the " |"-terminated line closing a cell that starts at `start`, if any."""
    for j in range(start, min(len(lines), start + _MAX_CELL_LINES)):
        line = lines[j]
        if _is_cell_end(line):
            return j
        if not line or line == "|" or _is_md_row(line) or _DECORATION.match(line):
            return None
    return None


def _split_cells(text: str) -> list[str]:
    return [clean(part) for part in text.split("|")]


def _explicit_tables(lines: list[str]) -> list[Token]:
    """Tables of styles (md) and (row) become Table tokens; other lines pass through."""
    out: list[Token] = []
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        if _is_md_row(line):
            rows: list[tuple[str, ...]] = []
            while i < n and _is_md_row(lines[i]):
                cells = _split_cells(lines[i][1:-1])
                if not all(_MD_SEPARATOR.match(c) for c in cells):
                    rows.append(tuple(cells))
                i += 1
            out.append(Table(tuple(rows)))
            continue
        if line == "|" and _opens_row_table(lines, i):
            table, i = _row_table(lines, i)
            out.append(table)
            continue
        if not line or _DECORATION.match(line):
            out.append(BLANK)
        elif line == "|":
            out.append(BAR)
        else:
            out.append(line)
        i += 1
    return out


def _opens_row_table(lines: list[str], i: int) -> bool:
    j = i
    while j < len(lines) and lines[j] == "|":
        j += 1
    return j < len(lines) and _cell_close(lines, j) is not None


def _row_table(lines: list[str], i: int) -> tuple[Table, int]:
    rows: list[tuple[str, ...]] = []
    row: list[str] | None = None
    n = len(lines)
    while i < n:
        line = lines[i]
        if line == "|":
            if row:
                rows.append(tuple(row))
            row = []
            i += 1
            continue
        end = _cell_close(lines, i)
        if end is None or row is None:
            break
        text = ""
        for piece in lines[i:end]:
            text = join_wrapped(text, piece)
        cells = _split_cells(lines[end][:-1])
        cells[0] = join_wrapped(text, cells[0])
        row.extend(cells)
        i = end + 1
    if row:
        rows.append(tuple(row))
    return Table(tuple(r for r in rows if any(r))), i


# --- style (cell) -------------------------------------------------------------------------


@dataclass
class _Cell:
    text: str
    lines: list[Token]  # as they came, to hand back as paragraphs if the table ends here


def _cell_tables(tokens: list[Token]) -> list[Token]:
    """Find style-(cell) tables headed by STT; other bars stay as hard breaks."""
    out: list[Token] = []
    i, n = 0, len(tokens)
    while i < n:
        token = tokens[i]
        header_start = _header_start(out) if token is BAR and out else -1
        if header_start >= 0:
            first = " ".join(t for t in out[header_start:] if isinstance(t, str))
            # A bar before the header cell: every row opens with its own bar (style
            # "marked"), which tells rows apart better than the numbering alone.
            marked = header_start > 0 and out[header_start - 1] is BAR
            parse = _parse_marked_table if marked else _parse_cell_table
            parsed = parse(first, tokens, i + 1)
            if parsed is not None:
                table, i, leftover = parsed
                del out[header_start - (1 if marked else 0) :]
                out.append(table)
                out.extend(leftover)
                continue
        out.append(token)
        i += 1
    return out


def _header_start(out: list[Token]) -> int:
    """Index in `out` where an "STT" header cell begins ("STT", or "Số" + "TT"), or -1."""
    last = out[-1]
    if isinstance(last, str) and _STT_HEADER.match(last):
        if len(out) >= 2 and isinstance(out[-2], str) and _STT_HEADER.match(f"{out[-2]} {last}"):
            return len(out) - 2
        return len(out) - 1
    return -1


def _read_cell(tokens: list[Token], i: int) -> tuple[_Cell | None, int]:
    """The cell that starts at `i` and ends at the next bar; None when no bar follows."""
    text = ""
    taken: list[Token] = []
    n = len(tokens)
    while i < n:
        token = tokens[i]
        if token is BAR:
            return _Cell(clean(text), taken), i + 1
        if isinstance(token, Table):
            return None, i
        taken.append(token)
        if isinstance(token, str):
            text = join_wrapped(text, token)
        i += 1
    return None, i


def _stt(text: str) -> tuple[int, ...] | None:
    match = _STT_NUMBER.match(text)
    return tuple(int(p) for p in match.group(1).split(".")) if match else None


def _follows(prev: tuple[int, ...] | None, cur: tuple[int, ...]) -> bool:
    """`cur` is a plausible next STT after `prev` (2 → 3, 2 → 2.1, 2.3 → 3, any → 1)."""
    if cur == (1,) or prev is None:
        return True
    successors = {prev + (1,)}
    for k in range(len(prev)):
        successors.add(prev[:k] + (prev[k] + 1,))
    return cur in successors


def _is_section(text: str) -> bool:
    """A section cell: "VII. Xây dựng …", or the numeral alone ("II", "IV.")."""
    match = _ROMAN.match(text)
    return bool(match and match.group(1)) or bool(_BARE_ROMAN.match(text))


def _parse_cell_table(first: str, tokens: list[Token], i: int) -> tuple[Table, int, list[Token]] | None:
    """Rows of a style-(cell) table whose header cell `first` ended just before `i`."""
    header = [clean(first)]
    rows: list[list[str]] = []
    row: list[str] | None = None
    row_is_section = False
    prev_stt: tuple[int, ...] | None = None
    leftover: list[Token] = []
    n = len(tokens)
    while i < n:
        cell, j = _read_cell(tokens, i)
        if cell is None:
            break  # trailing text after the last bar: paragraphs, not a cell
        text = cell.text
        ncols = len(header)
        stt = _stt(text)
        if row is None:
            if stt is not None or _is_section(text):
                row = [text]
                row_is_section = stt is None
                prev_stt = stt or prev_stt
            else:
                header.append(text)
        elif _is_section(text) and len(row) >= 2:
            rows.append(row)
            row, row_is_section = [text], True
        elif stt is not None and (
            row_is_section
            or len(row) >= ncols
            or (len(row) >= ncols - 1 and _follows(prev_stt, stt))
        ):
            rows.append(row)
            row, row_is_section, prev_stt = [text], False, stt
        elif len(row) >= ncols:
            leftover = [*cell.lines, BLANK]
            i = j
            break
        else:
            row.append(text)
        i = j
    if row:
        rows.append(row)
    if not rows:
        return None  # an "STT" cell with no numbered row after it is not a table
    width = len(header)
    padded = [tuple(header)] + [tuple(r + [""] * (width - len(r))) for r in rows]
    return Table(tuple(padded)), i, leftover


# --- style (marked): style (cell) with a bar opening every row ----------------------------


def _row_start(text: str) -> bool:
    """A cell that opens a row: an STT number or a section numeral ("I", "II.", "IV")."""
    return _stt(text) is not None or bool(_BARE_ROMAN.match(text)) or _is_section(text)


def _parse_marked_table(
    first: str, tokens: list[Token], i: int
) -> tuple[Table, int, list[Token]] | None:
    """Rows of a table whose rows each open with a bar (law-site copies)::

        |            <- opens the header row
        TT |  Nhiệm vụ |  … |  Nguồn kinh phí |
        |            <- opens the next row
        I |  Hoàn thiện thể chế… |
        |
        1 |  Phối hợp rà soát… |  Sở Tài chính |  … |

    An empty cell and a row's opening bar look the same (two bars in a row). In a run of
    empty cells, the last one opens a new row when the next cell starts one (a number or
    a section numeral), or when keeping the run inside the current row would give it more
    cells than the header has: merged cells are simply missing from such copies, so a row
    may be short, never long. A row that does not start with a number (its number cell
    was merged with the row above) gets an empty first cell, so its cells stay under
    their headings.
    """
    cells: list[str] = []
    n = len(tokens)
    while i < n:
        cell, j = _read_cell(tokens, i)
        if cell is None:
            break
        cells.append(cell.text)
        i = j
    if "" not in cells:
        return None
    cut = cells.index("")
    header = [clean(first), *cells[:cut]]
    width = len(header)
    rest = cells[cut + 1 :]
    rows: list[list[str]] = []
    row: list[str] = []
    k = 0
    while k < len(rest):
        text = rest[k]
        if text:
            row.append(text)
            k += 1
            continue
        run = k
        while run < len(rest) and not rest[run]:
            run += 1
        empties = run - k
        following = 0
        while run + following < len(rest) and rest[run + following]:
            following += 1
        nxt = rest[run] if run < len(rest) else ""
        if not nxt or _row_start(nxt) or len(row) + empties + following > width:
            row.extend([""] * (empties - 1))
            rows.append(row)
            row = []
        else:
            row.extend([""] * empties)
        k = run
    if row:
        rows.append(row)
    rows = [r for r in rows if any(r)]
    if not rows:
        return None
    padded = [tuple(header)]
    for r in rows:
        if not _row_start(r[0]):
            r = ["", *r]
        r = r[:width] if len(r) > width and not any(r[width:]) else r
        padded.append(tuple(r + [""] * (width - len(r))))
    return Table(tuple(padded)), i, []
