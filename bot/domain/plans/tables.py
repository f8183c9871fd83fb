"""Task tables: the appendix "phân công nhiệm vụ" tables and target tables of a plan.

Recognises
- a header row in any of the usual wordings, upper or lower case: number ("STT", "TT"),
  task ("Nội dung/Nhiệm vụ", "Nhiệm vụ, giải pháp", "Tên nhiệm vụ", "Nội dung thực hiện",
  "Chỉ tiêu", "Hoạt động"), lead ("Cơ quan chủ trì", "Đơn vị chủ trì (tham mưu)", "CHỦ
  TRÌ", "Đơn vị/Cơ quan thực hiện"), support ("Cơ quan/Đơn vị phối hợp"), time ("Thời gian
  hoàn thành/thực hiện", "THỜI GIAN", "Tiến độ", "Thời hạn"), product ("Sản phẩm", "Kết
  quả dự kiến", "đầu ra") and notes ("Ghi chú"); a header split over two rows ("Cơ quan
  thực hiện" over "Chủ trì | Phối hợp"); a header repeated before each part;
- a table of tasks has a task column and a lead column, or a task column named as tasks
  ("nhiệm vụ", "nội dung") and a time column; other tables (statistics, sampling points,
  targets by year without agencies) are not tasks;
- section rows: the numeral and the title in separate cells ("I | NHÓM GIẢI PHÁP…"), in one
  cell ("I. Công tác chỉ đạo"), and sub-section rows ("5.1 | | Thương mại", or a numbered
  row without lead or time whose next row is numbered under it, 5.1 → 5.1.1);
- numbered rows "1", "1.1", "5.1.1", "a)", "-": each a task; numbering that restarts in each
  section gives refs qualified by the section ("II.1");
- an unnumbered row with its own lead cell is a task of its own (its number cell was merged
  with the row above); an unnumbered row with only text continues the task above;
- rows without any number at all in a table whose number column is missing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.domain.plans.document import Table
from bot.domain.plans.items import RawTask
from bot.domain.text import clean, fold

# Header cell → column, tried in this order on the folded cell (first hit wins), so that
# "Thời gian thực hiện" is a time and "Nội dung thực hiện" a task, not a lead.
_REF_CELLS = frozenset({"stt", "tt", "so tt", "thu tu", "so thu tu"})
_COLUMN_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("deadline", ("thoi gian", "thoi han", "tien do", "han hoan thanh", "moc hoan thanh")),
    ("support", ("phoi hop",)),
    ("lead", ("chu tri", "tham muu")),
    ("product", ("san pham", "ket qua", "dau ra")),
    ("title", ("noi dung", "nhiem vu", "chi tieu", "giai phap", "hoat dong", "cong viec", "de an")),
    ("lead", ("thuc hien", "trach nhiem", "dau moi")),
    ("notes", ("ghi chu",)),
)
_TASK_WORDS = ("nhiem vu", "noi dung", "giai phap", "hoat dong", "cong viec")

_ROMAN = r"(?=[IVXL])(?:C{0,3}(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3}))"
_SECTION_CELL = re.compile(rf"^({_ROMAN}|[A-H])\.?$")
_SECTION_INLINE = re.compile(rf"^({_ROMAN}|[A-H])[.:]\s+(\S.*)$")
_NUMBER = re.compile(r"^(\d{1,4}(?:\.\d{1,3})*)\.?$")
_LETTER = re.compile(r"^([a-zđ])[.)]$")
_BULLET = re.compile(r"^[-+•–*]$")
_COLUMN_NUMBER = re.compile(r"^\(?\d{1,2}\)?$")


def column_map(header: Sequence[str]) -> dict[str, int]:
    """Which column holds what, from one header row (may be partial)."""
    mapping: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = " ".join(fold(cell).replace("/", " ").split())
        if not key:
            continue
        if key in _REF_CELLS:
            mapping.setdefault("ref", index)
            continue
        for name, needles in _COLUMN_RULES:
            if any(needle in key for needle in needles):
                if name not in mapping:
                    mapping[name] = index
                break
    return mapping


def _is_task_table(mapping: dict[str, int], header: Sequence[str]) -> bool:
    if "title" not in mapping:
        return False
    if "lead" in mapping:
        return True
    title_key = fold(header[mapping["title"]])
    return "deadline" in mapping and any(word in title_key for word in _TASK_WORDS)


def _find_header(rows: Sequence[Sequence[str]]) -> tuple[dict[str, int], int] | None:
    """The column map and the index of the first data row, from the first rows.

    A two-row header ("Cơ quan thực hiện" over "Chủ trì | Phối hợp") is read as one: the
    second row's columns override the first's where it names them.
    """
    for i, row in enumerate(rows[:4]):
        mapping = column_map(row)
        if not mapping:
            continue
        start = i + 1
        if start < len(rows) and rows[start] and not _NUMBER.match(clean(rows[start][0])):
            below = column_map(rows[start])
            # (A merged cell of the first row is repeated in the second by the readers.)
            if {"lead", "support"} & below.keys():
                mapping = {**mapping, **below}
                start += 1
        if _is_task_table(mapping, row):
            return mapping, start
    return None


def _cell(row: Sequence[str], mapping: dict[str, int], name: str) -> str | None:
    index = mapping.get(name)
    if index is None or index >= len(row):
        return None
    return clean(row[index]) or None


@dataclass
class _Row:
    ref: str | None  # the number as printed ("1", "1.2", "a", "-"), None when unnumbered
    section: str | None
    title: str
    cells: dict[str, str | None]


def _is_header_again(row: Sequence[str], header: Sequence[str]) -> bool:
    cells = [fold(c) for c in row if clean(c)]
    return bool(cells) and cells == [fold(c) for c in header if clean(c)]


def _is_column_numbers(row: Sequence[str]) -> bool:
    """A row "(1) | (2) | (3)" or "1 | 2 | 3" under the header numbers the columns."""
    cells = [clean(c) for c in row if clean(c)]
    if len(cells) < 3 or not all(_COLUMN_NUMBER.match(c) for c in cells):
        return False
    numbers = [int(c.strip("()")) for c in cells]
    return numbers == list(range(numbers[0], numbers[0] + len(numbers)))


def _rows(table: Table, mapping: dict[str, int], start: int, skipped: list[str]) -> list[_Row | str]:
    """Numbered and unnumbered task rows, and section titles (as plain strings); a row
    with something in it that is neither goes to `skipped` (its number or first words)."""
    header = table.rows[start - 1]
    ref_col = mapping.get("ref")
    title_col = mapping["title"]
    out: list[_Row | str] = []
    for row in table.rows[start:]:
        if not any(clean(c) for c in row) or _is_header_again(row, header):
            continue
        if _is_column_numbers(row):
            continue
        first = clean(row[ref_col]) if ref_col is not None and ref_col < len(row) else ""
        title = _cell(row, mapping, "title") or ""
        if ref_col is not None and ref_col == title_col:
            title = first
        cells = {name: _cell(row, mapping, name) for name in ("lead", "support", "deadline", "product", "notes")}
        if match := _SECTION_INLINE.match(first):
            out.append(f"{match.group(1)}. {clean(match.group(2))}")
            continue
        if _SECTION_CELL.match(first) and not any(cells.values()):
            out.append(f"{first.rstrip('.')}. {title}" if title else first.rstrip("."))
            continue
        if _NUMBER.match(first) and not title:
            # "5.1 | | Thương mại": the sub-section's name sits in another cell.
            name = next((clean(c) for c in row if clean(c) and clean(c) != first), "")
            if name:
                out.append(f"{first.rstrip('.')}. {name}")
            else:
                skipped.append(first)  # a number and nothing else
            continue
        ref: str | None = None
        if number := _NUMBER.match(first):
            ref = number.group(1)
        elif letter := _LETTER.match(first):
            ref = letter.group(1)
        elif _BULLET.match(first):
            ref = "-"
        elif first and ref_col is not None and ref_col != title_col:
            ref = first  # an odd label ("1a", "*"): keep it as printed
        if not title:
            skipped.append(first or _short(next(clean(c) for c in row if clean(c))))
            continue
        out.append(_Row(ref, None, title, cells))
    return out


def _is_parent(row: _Row, following: Sequence[_Row | str]) -> bool:
    """A numbered row without lead or time whose next row is numbered under it (5.1 → 5.1.1)."""
    if row.ref is None or not _NUMBER.match(row.ref) or row.cells["lead"] or row.cells["deadline"]:
        return False
    for nxt in following:
        if isinstance(nxt, str):
            return nxt.startswith(row.ref + ".")  # "5.1. Thương mại" under "5"
        if nxt.ref is not None and _NUMBER.match(nxt.ref):
            return nxt.ref.startswith(row.ref + ".")
    return False


def tasks_from_table(table: Table, skipped: list[str] | None = None) -> list[RawTask]:
    """The tasks of one table (none when it is not a task table); rows that hold something
    but no task are added to `skipped`."""
    if not table.rows:
        return []
    found = _find_header(table.rows)
    if found is None:
        return []
    mapping, start = found
    has_deadline_column = "deadline" in mapping
    items = _rows(table, mapping, start, skipped if skipped is not None else [])

    # Refs: qualified by the section when numbering restarts within the table.
    plain = [i.ref for i in items if isinstance(i, _Row) and i.ref and _NUMBER.match(i.ref)]
    qualify = len(plain) != len(set(plain))

    tasks: list[RawTask] = []
    section: str | None = None
    section_label: str | None = None
    parents: list[tuple[str, str]] = []  # (number, title) of open sub-section rows
    last_number: str | None = None
    extra = 0
    for index, item in enumerate(items):
        if isinstance(item, str):
            label, _, _name = item.partition(". ")
            if _NUMBER.match(label):
                parents = [p for p in parents if not label.startswith(p[0] + ".")] + [(label, item)]
            else:
                section, section_label, parents = item, label, []
            continue
        if item.ref is not None and _is_parent(item, items[index + 1 :]):
            parents = [p for p in parents if item.ref.startswith(p[0] + ".")]
            parents.append((item.ref, f"{item.ref}. {item.title}"))
            continue
        cells = item.cells
        if item.ref is not None and _NUMBER.match(item.ref):
            last_number = item.ref
            extra = 0
            ref = f"{section_label}.{item.ref}" if qualify and section_label else item.ref
        elif item.ref is None and not cells["lead"] and tasks and not cells["deadline"]:
            # Text alone under a task: the task's cell went on in a new row.
            tasks[-1].title = f"{tasks[-1].title} {item.title}"
            continue
        else:
            extra += 1
            base = last_number or "0"
            if qualify and section_label:
                base = f"{section_label}.{base}"
            suffix = item.ref if item.ref and item.ref != "-" else str(extra)
            ref = f"{base}.{suffix}" if item.ref and item.ref not in ("-",) else f"{base}+{suffix}"
        where = " › ".join(p for p in (section, *(p[1] for p in parents)) if p) or None
        tasks.append(
            RawTask(
                ref=ref,
                section=where,
                title=item.title,
                product=cells["product"],
                lead_text=cells["lead"],
                support_text=cells["support"],
                deadline_text=cells["deadline"],
                notes=cells["notes"],
                deadline_slot=has_deadline_column,
            )
        )
    return tasks


def tasks_from_tables(tables: Iterable[Table]) -> tuple[list[RawTask], list[str]]:
    """Tasks of every task table, in order (refs stay unique across tables), and a warning
    naming the rows that held something but no task: nothing is dropped unsaid."""
    tasks: list[RawTask] = []
    skipped: list[str] = []
    seen: set[str] = set()
    for number, table in enumerate(tables, start=1):
        found = tasks_from_table(table, skipped)
        if any(t.ref in seen for t in found):
            for task in found:
                task.ref = f"B{number}.{task.ref}"
        seen.update(t.ref for t in found)
        tasks.extend(found)
    warnings = []
    if skipped:
        shown = ", ".join(f"“{s}”" for s in skipped[:_SHOWN_SKIPPED])
        more = f" và {len(skipped) - _SHOWN_SKIPPED} dòng khác" if len(skipped) > _SHOWN_SKIPPED else ""
        warnings.append(
            f"Bỏ qua {len(skipped)} dòng của bảng nhiệm vụ không có nội dung nhiệm vụ: {shown}{more}."
        )
    return tasks, warnings


_SHOWN_SKIPPED = 5


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
