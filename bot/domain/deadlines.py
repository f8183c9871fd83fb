"""Vietnamese deadline grammar: raw deadline text → DeadlineRule → concrete due dates.

Plans write deadlines as short phrases ("Quý II hằng năm", "trước ngày 30/01 của năm
Kế hoạch", "Ngay sau khi Chỉ số PCI được công bố"). No general date parser handles them
(quarters, recurrence, plan-year anchoring), so this module holds a small grammar of its
own. It works on `fold()`ed text, so input with or without diacritics, in NFD, upper case
or broken over lines reads the same; the raw text is always kept for display.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from bot.domain.text import clean, fold


class DeadlineKind(StrEnum):
    ONCE = "once"
    RECURRING = "recurring"
    EVENT = "event"
    NONE = "none"
    UNPARSED = "unparsed"


class Every(StrEnum):
    YEAR = "year"
    QUARTER = "quarter"
    MONTH = "month"


@dataclass(frozen=True)
class DeadlineRule:
    """A parsed deadline.

    ONCE: `on`. RECURRING: `every`; for YEAR `month` (+ `day`, None = end of month) in plan
    year + `year_offset`; for QUARTER/MONTH an optional `day` (None = end of the period).
    EVENT: `event` (cleaned text; no date until an admin sets one). `text` is the raw input.
    """

    text: str
    kind: DeadlineKind
    every: Every | None = None
    on: date | None = None
    month: int | None = None
    day: int | None = None
    year_offset: int = 0
    event: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form for storage (ISO date, enum values)."""
        return {
            "text": self.text,
            "kind": self.kind.value,
            "every": self.every.value if self.every else None,
            "on": self.on.isoformat() if self.on else None,
            "month": self.month,
            "day": self.day,
            "year_offset": self.year_offset,
            "event": self.event,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DeadlineRule:
        """Inverse of `to_dict`; raises ValueError on malformed stored data."""
        every = data.get("every")
        on = data.get("on")
        rule = cls(
            text=str(data["text"]),
            kind=DeadlineKind(data["kind"]),
            every=Every(every) if every else None,
            on=date.fromisoformat(on) if on else None,
            month=_optional_int(data.get("month")),
            day=_optional_int(data.get("day")),
            year_offset=int(data.get("year_offset") or 0),
            event=data.get("event"),
        )
        if rule.kind is DeadlineKind.ONCE and rule.on is None:
            raise ValueError("a one-off deadline needs 'on'")
        if rule.kind is DeadlineKind.RECURRING and (
            rule.every is None or (rule.every is Every.YEAR and rule.month is None)
        ):
            raise ValueError("a recurring deadline needs 'every' (and 'month' when yearly)")
        if rule.month is not None and not 1 <= rule.month <= 12:
            raise ValueError(f"month out of range: {rule.month}")
        if rule.day is not None and not 1 <= rule.day <= 31:
            raise ValueError(f"day out of range: {rule.day}")
        return rule


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


# --- tokens ---------------------------------------------------------------------------
# Time expressions are found by an ordered list of named patterns over the folded text.
# Each match is masked before the next pattern runs, so "ngày 15 tháng 6 năm 2025" is one
# date and not also "tháng 6 năm 2025" and "năm 2025". Order = most specific first.

_SEP = r"\s*[/.\-]\s*"
_D = r"(?P<d>0?[1-9]|[12]\d|3[01])"
_M = r"(?P<m>0?[1-9]|1[0-2])"
_Y = r"(?P<y>(?:19|20)\d\d)(?!\d)"
_Q = r"(?:quy|qui) (?P<q>iv|iii|ii|i|[1-4])\b"
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}

# Precision: when several expressions are present, the most precise kind wins.
_DAY, _MONTH, _QUARTER, _HALF, _YEARLY = 5, 4, 3, 2, 1


@dataclass(frozen=True)
class _Pattern:
    name: str
    regex: re.Pattern[str]
    rank: int  # precision; 0 = not an anchor by itself
    dated: bool  # carries its own year → a one-off date


@dataclass(frozen=True)
class _Token:
    pattern: _Pattern
    groups: Mapping[str, str]


def _p(name: str, regex: str, rank: int, dated: bool) -> _Pattern:
    return _Pattern(name, re.compile(regex), rank, dated)


# "107/2020/nd-cp ngay", "468/qd-ttg ngay": a document number followed by its date.
_CITED = r"\b\d+(?:/\d{4})?/[a-z]+(?:\s*-\s*[a-z]+)*\s+ngay\s+"

_PATTERNS: tuple[_Pattern, ...] = (
    # A legal citation's date ("Nghị định số 107/2020/NĐ-CP ngày 14/9/2020") is no deadline.
    _p("citation", rf"{_CITED}\d{{1,2}}{_SEP}\d{{1,2}}{_SEP}\d{{4}}", 0, False),
    # --- with a year: one-off deadlines
    _p("date", rf"\bngay {_D} thang {_M} nam {_Y}", _DAY, True),
    _p("date", rf"(?<![\d/.\-]){_D}{_SEP}{_M}{_SEP}{_Y}(?![/.\-]?\d)", _DAY, True),
    _p("half_year", rf"\b0?6 thang (?P<h>dau|cuoi) nam {_Y}", _HALF, True),
    _p("quarter_year", rf"\b{_Q}(?:{_SEP}| nam ){_Y}", _QUARTER, True),
    _p("month_year", rf"\bthang {_M}(?:{_SEP}| nam ){_Y}", _MONTH, True),
    _p("year", rf"\bnam {_Y}", _YEARLY, True),
    # --- without a year: anchors inside a (plan) year
    _p("day_month", rf"\bngay {_D} thang {_M}(?!\d)", _DAY, False),
    _p("day_month", rf"(?<![\d/.\-]){_D}[/\-]{_M}(?![/.\-]?\d)", _DAY, False),
    _p("half", r"\b0?6 thang (?P<h>dau|cuoi) nam\b", _HALF, False),
    _p("year_end", r"\b(?:cuoi|het) nam\b", _YEARLY, False),
    _p("quarter", rf"\b{_Q}", _QUARTER, False),
    _p("month", rf"\bthang {_M}(?!\d)", _MONTH, False),
    # A bare day of month only means something with "hằng tháng"/"hằng quý".
    _p("day", rf"\bngay {_D}(?![\d/.\-])", 0, False),
)


def _tokens(key: str) -> tuple[list[_Token], str]:
    """All time expressions in a folded text, and the text with them masked out."""
    found: list[_Token] = []
    for pattern in _PATTERNS:
        for match in pattern.regex.finditer(key):
            found.append(_Token(pattern, {k: v for k, v in match.groupdict().items() if v}))
        key = pattern.regex.sub(lambda m: "#" * len(m.group()), key)
    return found, key


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _quarter(groups: Mapping[str, str]) -> int:
    q = groups["q"]
    return _ROMAN[q] if q in _ROMAN else int(q)


def _dated(token: _Token) -> date:
    """The end date of an expression with a year; ValueError if impossible (31/2/2025)."""
    g, name = token.groups, token.pattern.name
    year = int(g["y"])
    if name == "date":
        return date(year, int(g["m"]), int(g["d"]))
    if name == "half_year":
        return date(year, 6, 30) if g["h"] == "dau" else date(year, 12, 31)
    month = 12 if name == "year" else 3 * _quarter(g) if name == "quarter_year" else int(g["m"])
    return date(year, month, _last_day(year, month))


def _anchor(token: _Token) -> tuple[int, int | None]:
    """(month, day or None = end of month) of a yearless expression; ValueError if impossible."""
    g, name = token.groups, token.pattern.name
    if name == "day_month":
        month, day = int(g["m"]), int(g["d"])
        date(2000, month, day)  # a leap year: 29/02 is a valid yearly anchor
        return month, day
    if name == "half":
        return (6 if g["h"] == "dau" else 12), None
    if name == "year_end":
        return 12, None
    if name == "quarter":
        return 3 * _quarter(g), None
    return int(g["m"]), None


def _most_precise(tokens: list[_Token], resolve: Callable[[_Token], Any]) -> Any:
    """The one value the most precise expressions agree on; ValueError if they disagree."""
    top = max(t.pattern.rank for t in tokens)
    values = {resolve(t) for t in tokens if t.pattern.rank == top}
    if len(values) != 1:
        raise ValueError(f"conflicting deadlines: {sorted(map(str, values))}")
    return values.pop()


# --- markers (searched in the masked text) --------------------------------------------

_EVENT_AT_START = re.compile(r"^(?:ngay )?(?:sau khi|khi|theo(?! doi)|tuy theo|can cu)\b")
_EVENT_ANYWHERE = re.compile(
    r"\b(?:sau khi|khi co|khi duoc|theo (?:lo trinh|ke hoach|chi dao|huong dan|yeu cau"
    r"|quy dinh|tien do|thong bao|van ban))\b"
)
_EVERY_MONTH = re.compile(r"\b(?:hang|moi) thang\b")
_EVERY_QUARTER = re.compile(r"\b(?:hang|moi) (?:quy|qui)\b")
_EVERY_YEAR = re.compile(r"\b(?:hang|moi) nam\b|\bnam (?:ke hoach|kh)\b")
_PREVIOUS_YEAR = re.compile(r"\bnam truoc\b")
_NEXT_YEAR = re.compile(r"\bnam sau\b")
_CONTINUOUS = re.compile(r"\b(?:thuong xuyen|lien tuc|hang ngay)\b")
_HAS_CONTENT = re.compile(r"[^\W_]")


def parse_deadline(text: str, *, plan_year: int | None = None) -> DeadlineRule:
    """Read one deadline phrase. Never raises; `text` is kept exactly as given.

    Outcomes, first that applies:
    1. blank (no letter or digit) → NONE.
    2. starts with an event cue ("Ngay sau khi…", "Sau khi…", "Khi có yêu cầu", "Theo lộ
       trình/Kế hoạch hằng năm của Bộ…") → EVENT; cues win over dates and "hằng năm" inside.
    3. a date/month/quarter/half/year with its own year ("30/6/2025", "ngày 30 tháng 6 năm
       2025", "hết tháng 6/2025", "quý II/2021", "Quý III năm 2025", "6 tháng đầu năm
       2025", "Trong năm 2021") → ONCE on its last day. The most precise expression wins;
       two different ones of the same precision, an impossible date (31/2/2025) or a
       recurrence word next to them ("hằng năm") → UNPARSED for a human to read.
    4. an event cue elsewhere ("…ngay sau khi được Chính phủ phê duyệt", "hằng năm theo
       chỉ đạo của…") → EVENT.
    5. "hằng/hàng/mỗi tháng" → RECURRING MONTH; "hằng quý" → RECURRING QUARTER; due the last
       day of each period unless a day is given ("trước ngày 20 hằng tháng" → day 20).
    6. "hằng năm", "năm Kế hoạch"/"năm KH", "năm trước" (offset -1), "năm sau" (+1) →
       RECURRING YEAR at the anchor found ("trước ngày 30/01" → 30/01, "tháng 01" → 31/01,
       "quý II" → 30/06, "6 tháng đầu năm" → 30/06), else 31/12.
    7. an anchor without a year ("hết tháng 6", "trước ngày 15/12", "quý II") → ONCE in
       `plan_year` if given, else RECURRING YEAR.
    8. "thường xuyên", "liên tục", "hằng ngày" → NONE (continuous work, no due date).
    9. anything else → UNPARSED.
    """
    key = " ".join(fold(text).split())
    try:
        return _parse(text, key, plan_year)
    except (ValueError, OverflowError):  # impossible or conflicting dates, absurd plan_year
        return DeadlineRule(text=text, kind=DeadlineKind.UNPARSED)


def _parse(text: str, key: str, plan_year: int | None) -> DeadlineRule:
    if not _HAS_CONTENT.search(key):
        return DeadlineRule(text=text, kind=DeadlineKind.NONE)
    if _EVENT_AT_START.search(key):
        return _event(text)

    tokens, masked = _tokens(key)
    dated = [t for t in tokens if t.pattern.dated]
    anchors = [t for t in tokens if not t.pattern.dated and t.pattern.rank]
    days = {int(t.groups["d"]) for t in tokens if t.pattern.name == "day"}
    recurring = any(
        marker.search(masked)
        for marker in (_EVERY_MONTH, _EVERY_QUARTER, _EVERY_YEAR, _PREVIOUS_YEAR, _NEXT_YEAR)
    )

    if dated:
        if recurring:
            raise ValueError("a dated deadline that also recurs")
        on = _most_precise(dated, _dated)
        return DeadlineRule(text=text, kind=DeadlineKind.ONCE, on=on)
    if _EVENT_ANYWHERE.search(key):
        return _event(text)

    for marker, every in ((_EVERY_MONTH, Every.MONTH), (_EVERY_QUARTER, Every.QUARTER)):
        if marker.search(masked):
            if len(days) > 1:
                raise ValueError("several days of the period")
            day = days.pop() if days else None
            return DeadlineRule(text=text, kind=DeadlineKind.RECURRING, every=every, day=day)

    month, day = _most_precise(anchors, _anchor) if anchors else (12, None)
    if recurring:
        offset = -1 if _PREVIOUS_YEAR.search(masked) else 1 if _NEXT_YEAR.search(masked) else 0
        return DeadlineRule(
            text=text, kind=DeadlineKind.RECURRING, every=Every.YEAR,
            month=month, day=day, year_offset=offset,
        )  # fmt: skip
    if anchors:
        if plan_year is None:
            return DeadlineRule(
                text=text, kind=DeadlineKind.RECURRING, every=Every.YEAR, month=month, day=day
            )
        on = date(plan_year, month, day or _last_day(plan_year, month))
        return DeadlineRule(text=text, kind=DeadlineKind.ONCE, on=on)
    if _CONTINUOUS.search(masked):
        return DeadlineRule(text=text, kind=DeadlineKind.NONE)
    return DeadlineRule(text=text, kind=DeadlineKind.UNPARSED)


def _event(text: str) -> DeadlineRule:
    return DeadlineRule(text=text, kind=DeadlineKind.EVENT, event=" ".join(clean(text).split()))


def due_dates(
    rule: DeadlineRule, *, first_year: int, last_year: int, not_before: date | None = None
) -> list[date]:
    """Concrete due dates of a rule over the plan years first_year..last_year (sorted, unique).

    ONCE keeps its date even outside the plan or before `not_before` (the import flags it);
    recurring dates before `not_before` (the plan's issue date) are dropped, since a plan
    cannot ask for work due before it existed. EVENT, NONE and UNPARSED have no dates.
    """
    if last_year < first_year:
        raise ValueError(f"plan years out of order: {first_year}..{last_year}")
    if rule.kind is DeadlineKind.ONCE:
        return [rule.on] if rule.on else []
    if rule.kind is not DeadlineKind.RECURRING or rule.every is None:
        return []

    if rule.every is Every.YEAR:
        months = [rule.month or 12]
    elif rule.every is Every.QUARTER:
        months = [3, 6, 9, 12]
    else:
        months = list(range(1, 13))
    found: set[date] = set()
    for plan_year in range(first_year, last_year + 1):
        year = plan_year + rule.year_offset
        for month in months:
            last = _last_day(year, month)
            due = date(year, month, min(rule.day, last) if rule.day else last)
            if not_before is None or due >= not_before:
                found.add(due)
    return sorted(found)
