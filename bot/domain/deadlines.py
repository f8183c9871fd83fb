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
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from typing import Any

from bot.domain.text import clean, fold, vn_key


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
    `also`: further RECURRING parts of one schedule ("hằng tháng …, tổng kết năm trước ngày
    20/11") whose dates `due_dates` unions with this rule's; the parts carry no text of their own.
    """

    text: str
    kind: DeadlineKind
    every: Every | None = None
    on: date | None = None
    month: int | None = None
    day: int | None = None
    year_offset: int = 0
    event: str | None = None
    also: tuple[DeadlineRule, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form for storage (ISO date, enum values). "also" is written only when there
        are parts, so a single rule's stored form is the same as before the key existed (and
        re-imports of plans stored then see no change)."""
        data: dict[str, Any] = {
            "text": self.text,
            "kind": self.kind.value,
            "every": self.every.value if self.every else None,
            "on": self.on.isoformat() if self.on else None,
            "month": self.month,
            "day": self.day,
            "year_offset": self.year_offset,
            "event": self.event,
        }
        if self.also:
            data["also"] = [part.to_dict() for part in self.also]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DeadlineRule:
        """Inverse of `to_dict`; raises ValueError on malformed stored data."""
        every = data.get("every")
        on = data.get("on")
        also = data.get("also") or ()
        if not isinstance(also, (list, tuple)):
            raise ValueError("'also' must be a list of rules")
        rule = cls(
            text=str(data["text"]),
            kind=DeadlineKind(data["kind"]),
            every=Every(every) if every else None,
            on=date.fromisoformat(on) if on else None,
            month=_optional_int(data.get("month")),
            day=_optional_int(data.get("day")),
            year_offset=int(data.get("year_offset") or 0),
            event=data.get("event"),
            also=tuple(cls.from_dict(_mapping(part)) for part in also),
        )
        if any(part.kind is not DeadlineKind.RECURRING for part in rule.also):
            raise ValueError("the parts of a schedule are recurring rules")
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


def _mapping(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError("a part of a schedule must be a rule")
    return value


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


# --- tokens ---------------------------------------------------------------------------
# Time expressions are found by an ordered list of named patterns over the folded text.
# Each match is masked before the next pattern runs, so "ngày 15 tháng 6 năm 2025" is one
# date and not also "tháng 6 năm 2025" and "năm 2025". Order = most specific first.

_SEP = r"\s*[/.\-]\s*"
_YEAR_AFTER = rf"(?:{_SEP}|\s+(?:nam\s+)?)"  # "quý II/2025", "quý II năm 2025", "tháng 12 2025"
_TO = r"\s*(?:-|(?:cho )?(?:den|toi)(?: het)?)\s*"  # range joiner: "2026 - 2030", "đến (hết)"
_D = r"(?P<d>0?[1-9]|[12]\d|3[01])"
_M = r"(?P<m>0?[1-9]|1[0-2])"
_M0 = r"(?P<m0>0?[1-9]|1[0-2])"
_Y = r"(?P<y>(?:19|20)\d\d)(?!\d)"
_QUARTER_WORD = r"(?:quy|qui)"
_QN = r"(?P<q>iv|iii|ii|i|[1-4])\b"
_Q = rf"{_QUARTER_WORD} {_QN}"
_Q0 = rf"{_QUARTER_WORD} (?P<q0>iv|iii|ii|i|[1-4])"
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_DASHES = re.compile(r"[\u2010-\u2015\u2212]")  # en/em dashes and minus → "-"

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
    start: int = 0
    end: int = 0
    ranged: bool = False  # the end of a range ("2026 - 2030", "từ … đến …")


def _p(name: str, regex: str, rank: int, dated: bool) -> _Pattern:
    return _Pattern(name, re.compile(regex), rank, dated)


# "107/2020/nd-cp ngay", "468/qd-ttg ngay": a document number followed by its date.
_CITED = r"\b\d+(?:/\d{4})?/[a-z]+(?:\s*-\s*[a-z]+)*\s+ngay\s+"
_SLASH_DATE = _p("date", rf"(?<![\d/.\-]){_D}{_SEP}{_M}{_SEP}{_Y}(?![/.\-]?\d)", _DAY, True)

_PATTERNS: tuple[_Pattern, ...] = (
    # A legal citation's date ("Nghị định số 107/2020/NĐ-CP ngày 14/9/2020") is no deadline.
    _p("citation", rf"{_CITED}\d{{1,2}}{_SEP}\d{{1,2}}{_SEP}\d{{4}}", 0, False),
    # --- ranges that write the year once, at the end: "Tháng 11 - 12/2025", "Quý III - IV/2025",
    # "Năm 2025 - 2026", "2026-2030", "từ năm 2025 đến năm 2030" (the start is kept as m0/q0/y0)
    _p("month_year", rf"\bthang {_M0}{_TO}(?:thang )?{_M}{_YEAR_AFTER}{_Y}", _MONTH, True),
    _p("quarter_year", rf"\b{_Q0}{_TO}(?:{_QUARTER_WORD} )?{_QN}{_YEAR_AFTER}{_Y}", _QUARTER, True),
    _p("year", rf"(?<![\d/.\-])(?P<y0>(?:19|20)\d\d){_TO}(?:nam )?{_Y}(?![/.\-]?\d)", _YEARLY,
       True),
    # --- with a year: one-off deadlines
    _p("date", rf"\bngay {_D} thang {_M}{_YEAR_AFTER}{_Y}", _DAY, True),
    _SLASH_DATE,
    _p("half_year", rf"\b0?6 thang (?P<h>dau|cuoi) nam {_Y}", _HALF, True),
    _p("quarter_year", rf"\b{_Q}{_YEAR_AFTER}{_Y}", _QUARTER, True),
    _p("month_year", rf"\bthang {_M}{_YEAR_AFTER}{_Y}", _MONTH, True),
    _p("year", rf"\bnam {_Y}", _YEARLY, True),
    # a bare year as the whole phrase: "2026", "Trong 2026", "Đến hết 2026."
    # (the words before it are `lead`: part of the match, not of the expression)
    _p("year", rf"^(?P<lead>(?:(?:trong|den|het|truoc|cuoi|hoan thanh|(?:ke )?tu)\s+)*){_Y}"
       r"[\s.,;]*$", _YEARLY, True),
    # --- without a year: anchors inside a (plan) year
    _p("month", rf"\bthang {_M0}{_TO}(?:thang )?{_M}(?![\d/.\-])", _MONTH, False),  # "tháng 11-12"
    _p("day_month", rf"\bngay {_D} thang {_M}(?!\d)", _DAY, False),
    _p("day_month", rf"(?<![\d/.\-]){_D}[/\-]{_M}(?![/.\-]?\d)", _DAY, False),
    _p("half", r"\b0?6 thang (?P<h>dau|cuoi) nam\b", _HALF, False),
    _p("year_end", r"\b(?:cuoi|het) nam\b", _YEARLY, False),
    _p("quarter", rf"\b{_Q0}{_TO}(?:{_QUARTER_WORD} )?{_QN}", _QUARTER, False),  # "quý I - II"
    _p("quarter", rf"\b{_Q}", _QUARTER, False),
    _p("month", rf"\bthang {_M}(?!\d)", _MONTH, False),
    # A bare day of month only means something with "hằng tháng"/"hằng quý".
    _p("day", rf"\bngay {_D}(?![\d/.\-])", 0, False),
)


def _tokens(key: str) -> tuple[list[_Token], str]:
    """All time expressions in a folded text (in reading order), and the text with them
    masked out."""
    found: list[_Token] = []
    for pattern in _PATTERNS:
        for match in pattern.regex.finditer(key):
            groups = {k: v for k, v in match.groupdict().items() if v}
            ranged = any(k in groups for k in ("m0", "q0", "y0"))
            start = match.end("lead") if "lead" in pattern.regex.groupindex else match.start()
            found.append(_Token(pattern, groups, start, match.end(), ranged))
        key = pattern.regex.sub(lambda m: "#" * len(m.group()), key)
    return sorted(found, key=lambda t: t.start), key


def _is_time(token: _Token) -> bool:
    return token.pattern.name != "citation"


_RANGE_JOIN = re.compile(rf"{_TO}(?:ngay\s*)?")


def _join_ranges(tokens: list[_Token], key: str) -> list[_Token]:
    """A range counts by its end: in "X - Y", "từ X đến (hết) Y" the start X is dropped.

    A yearless end after a dated start takes the start's year ("từ 01/11/2025 đến 15/12"
    → 15/12/2025; the next year when it would come before the start)."""
    out: list[_Token] = []
    for token in tokens:
        previous = out[-1] if out else None
        if (
            previous is not None
            and _is_time(previous)
            and _is_time(token)
            and _RANGE_JOIN.fullmatch(key[previous.end : token.start])
        ):
            if previous.pattern.dated and not token.pattern.dated and token.pattern.rank:
                token = _in_year_of(previous, token)
            out[-1] = replace(token, ranged=True)
        else:
            out.append(token)
    return out


def _in_year_of(start: _Token, end: _Token) -> _Token:
    begin = _dated(start)
    month, day = _anchor(end)
    year = begin.year
    if date(year, month, day or _last_day(year, month)) < begin:
        year += 1
    day = day or _last_day(year, month)
    groups = {"d": str(day), "m": str(month), "y": str(year)}
    return _Token(_SLASH_DATE, groups, end.start, end.end, True)


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
    if name == "year":
        year = max(year, int(g.get("y0", year)))  # "2030 - 2026" is still 2026..2030
        return date(year, 12, 31)
    month = 3 * _quarter(g) if name == "quarter_year" else int(g["m"])
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


def _top_values(tokens: list[_Token], resolve: Callable[[_Token], Any]) -> list[Any]:
    """The distinct values of the most precise expressions, in reading order."""
    top = max(t.pattern.rank for t in tokens)
    return list(dict.fromkeys(resolve(t) for t in tokens if t.pattern.rank == top))


def _most_precise(tokens: list[_Token], resolve: Callable[[_Token], Any]) -> Any:
    """The one value the most precise expressions agree on; ValueError if they disagree."""
    values = _top_values(tokens, resolve)
    if len(values) != 1:
        raise ValueError(f"conflicting deadlines: {sorted(map(str, values))}")
    return values[0]


# --- markers (searched in the folded or masked text) ----------------------------------

_EVENT_AT_START = re.compile(r"^\W*(?:ngay )?(?:sau khi|khi|theo(?! doi)|tuy theo|can cu)\b")
_EVENT_ANYWHERE = re.compile(
    r"\b(?:khi|theo (?:lo trinh|ke hoach|chi dao|huong dan|yeu cau"
    r"|quy dinh|tien do|thong bao|van ban))\b"
)
# A window that ends at an event, or is counted from one: no date can be fixed.
_EVENT_WINDOW = re.compile(
    r"\b(?:den|toi) khi\b"
    r"|\b\d+ (?:ngay|tuan|thang|nam)(?: lam viec)? (?:ke tu|tinh tu|sau)\b"
    r"|\btrong (?:thoi han|vong) \d+ (?:ngay|tuan|thang|nam)\b"
)
# "(hoặc/và) (báo cáo) đột xuất (…)", "hoặc khi có yêu cầu", "hoặc khi cần thiết" next to a
# schedule add no date; removed before the schedule is read (a phrase that starts so is an event).
_ON_REQUEST = re.compile(
    r"\s*(?:[,;]|\bhoac\b|\bva\b)\s*(?:bao cao\s+)?"
    r"(?:dot xuat\b[^,;()]*|(?:khi|theo)\s+(?:co\s+)?(?:yeu cau|can thiet|can)\b[^,;()]*)"
)
_EVERY_MONTH = re.compile(r"\b(?:hang|moi) thang\b")
_EVERY_QUARTER = re.compile(r"\b(?:hang|moi) (?:quy|qui)\b")
_EVERY_YEAR = re.compile(r"\b(?:hang|moi) nam\b|\bnam (?:ke hoach|kh)\b")
# "6 tháng" as a reporting period ("6 tháng, hằng năm", "định kỳ 6 tháng", "…, 6 tháng (trước
# ngày 16/6)"), not a duration ("trong 6 tháng") nor "6 tháng đầu năm" (a token).
_HALF_PERIOD = re.compile(
    r"(?:^|[,;(]|\bdinh ky|\bbao cao|\bso ket|\bva)\s*0?6 thang\b"
    r"(?! (?:dau|cuoi|ke tu|tinh tu|sau|toi|tiep|qua|truoc|lam viec))"
)
# "năm trước (liền kề)", not "(tổng kết) năm trước ngày 30/11" (a year report before a day)
_PREVIOUS_YEAR = re.compile(r"\bnam truoc\b(?!\s*(?:ngay\b|#))")
_NEXT_YEAR = re.compile(r"\bnam sau\b")
_CONTINUOUS = re.compile(r"\b(?:thuong xuyen|lien tuc|hang ngay)\b")
# A start with no end: "Từ 01/7/2025", "kể từ năm 2026", "Năm 2025 và các năm tiếp theo".
_OPEN_START = re.compile(r"(?:^|\W)(?:ke |bat dau )?(?P<tu>tu)\s*(?:ngay\s*)?$")
_OPEN_END = re.compile(r"\b(?:cac|nhung) nam (?:tiep theo|sau|ke tiep|tiep)\b|\btro di\b")
_HAS_CONTENT = re.compile(r"[^\W_]")


def parse_deadline(text: str, *, plan_year: int | None = None) -> DeadlineRule:
    """Read one deadline phrase. Never raises; `text` is kept exactly as given.

    Outcomes, first that applies:
    1. blank (no letter or digit) → NONE.
    2. starts with an event cue ("Ngay sau khi…", "Sau khi…", "(khi Bộ Y tế có văn bản triển
       khai)", "Khi có phát sinh", "Theo lộ trình/Kế hoạch hằng năm của Bộ…") → EVENT; cues win
       over dates and "hằng năm" inside.
    3. a window that ends at an event or counts from one ("Từ tháng 11/2025 đến khi kết thúc
       Tổng kiểm kê", "trong thời hạn 10 ngày kể từ ngày nhận Kế hoạch này") → EVENT.
       "(hoặc) khi có yêu cầu", "đột xuất" next to a schedule are then dropped: they add no date.
    4. a date/month/quarter/half/year with its own year ("30/6/2025", "ngày 30 tháng 6 năm
       2025", "hết tháng 6/2025", "quý II/2021", "Quý III năm 2025", "6 tháng đầu năm
       2025", "Trong năm 2021", a bare "2026") → ONCE on its last day. A range counts by its
       end: "Năm 2025 - 2026", "2026-2030", "Giai đoạn 2026-2030 và những năm tiếp theo" →
       31/12/2026, 31/12/2030; "Quý IV/2025 - Quý II/2026" → 30/6/2026; "Tháng 11 - 12/2025" →
       31/12/2025; "Từ ngày 01/01/2026 đến ngày 31/3/2026" → 31/3/2026. The most precise
       expression wins; two different ones of the same precision, an impossible date
       (31/2/2025) or a recurrence word next to them ("hằng năm") → UNPARSED for a human.
       A start with no end ("Từ 01/7/2025", "Năm 2025 và các năm tiếp theo") → NONE: ongoing
       work with no due date (an open-ended year is not read as a yearly deadline).
    5. an event cue elsewhere ("…ngay sau khi được Chính phủ phê duyệt", "hằng năm theo
       chỉ đạo của…") → EVENT.
    6. "hằng/hàng/mỗi tháng" → RECURRING MONTH; "hằng quý" → RECURRING QUARTER; due the last
       day of each period unless a day is given ("trước ngày 15 hằng tháng" → day 15). Yearly
       dates written next to it are parts of the same schedule (`also`): "hằng tháng (trước
       ngày 16 hằng tháng), 6 tháng (trước ngày 16/6), tổng kết năm (trước ngày 20/11 hằng
       năm)" → the 16th of each month and 20/11 each year.
    7. "hằng năm", "năm Kế hoạch"/"năm KH", "năm trước" (offset -1), "năm sau" (+1), or a
       half-year reporting period ("6 tháng, hằng năm", "định kỳ 6 tháng") → RECURRING YEAR
       at each anchor found ("trước ngày 30/01" → 30/01, "tháng 01" → 31/01, "quý II" → 30/06,
       "trước ngày 01/6 và 15/11 hằng năm" → both), else 31/12 (and 30/06 for a half-year
       period). "Thường xuyên, hằng năm" with no anchor → NONE (continuous work).
    8. one anchor without a year ("hết tháng 6", "trước ngày 15/12", "quý II", "từ ngày 15/11
       đến ngày 15/12") → ONCE in `plan_year` if given, else RECURRING YEAR; a start with no
       end ("Từ ngày 15/11") → NONE.
    9. "thường xuyên", "liên tục", "hằng ngày" → NONE (continuous work, no due date).
    10. anything else → UNPARSED.
    """
    key = " ".join(_DASHES.sub("-", fold(text)).split())
    try:
        return _parse(text, key, plan_year)
    except (ValueError, OverflowError):  # impossible or conflicting dates, absurd plan_year
        return DeadlineRule(text=text, kind=DeadlineKind.UNPARSED)


def _parse(text: str, key: str, plan_year: int | None) -> DeadlineRule:
    if not _HAS_CONTENT.search(key):
        return DeadlineRule(text=text, kind=DeadlineKind.NONE)
    if _EVENT_AT_START.search(key) or _EVENT_WINDOW.search(key):
        return _event(text)
    key = _ON_REQUEST.sub(lambda m: " " * len(m.group()), key)  # blanked: positions kept

    tokens, masked = _tokens(key)
    times = _join_ranges([t for t in tokens if _is_time(t)], key)
    dated = [t for t in times if t.pattern.dated]
    anchors = [t for t in times if not t.pattern.dated and t.pattern.rank]
    days = {int(t.groups["d"]) for t in times if t.pattern.name == "day"}
    yearly = any(m.search(masked) for m in (_EVERY_YEAR, _PREVIOUS_YEAR, _NEXT_YEAR))
    periodic = _EVERY_MONTH.search(masked) or _EVERY_QUARTER.search(masked)

    if (dated or anchors) and not (yearly or periodic) and _open_ended(text, times, key, masked):
        return DeadlineRule(text=text, kind=DeadlineKind.NONE)
    if dated:
        if yearly or periodic:
            raise ValueError("a dated deadline that also recurs")
        on = _most_precise(dated, _dated)
        return DeadlineRule(text=text, kind=DeadlineKind.ONCE, on=on)
    if _EVENT_ANYWHERE.search(key):
        return _event(text)

    offset = -1 if _PREVIOUS_YEAR.search(masked) else 1 if _NEXT_YEAR.search(masked) else 0
    for marker, every in ((_EVERY_MONTH, Every.MONTH), (_EVERY_QUARTER, Every.QUARTER)):
        if marker.search(masked):
            if len(days) > 1:
                raise ValueError("several days of the period")
            base = DeadlineRule(
                text=text, kind=DeadlineKind.RECURRING, every=every, day=min(days, default=None)
            )
            parts = _yearly(_top_values(anchors, _anchor) if anchors else [], offset)
            return replace(base, also=tuple(p for p in parts if not _covered(p, base)))

    half = _HALF_PERIOD.search(masked)
    if yearly or half:
        if anchors:
            values = _top_values(anchors, _anchor)
        elif _CONTINUOUS.search(masked):
            return DeadlineRule(text=text, kind=DeadlineKind.NONE)  # "Thường xuyên, hằng năm"
        else:
            values = [(6, None), (12, None)] if half else [(12, None)]
        first, *rest = _yearly(values, offset)
        return replace(first, text=text, also=tuple(rest))
    if anchors:
        month, day = _most_precise(anchors, _anchor)
        if plan_year is None:
            return DeadlineRule(
                text=text, kind=DeadlineKind.RECURRING, every=Every.YEAR, month=month, day=day
            )
        on = date(plan_year, month, day or _last_day(plan_year, month))
        return DeadlineRule(text=text, kind=DeadlineKind.ONCE, on=on)
    if _CONTINUOUS.search(masked):
        return DeadlineRule(text=text, kind=DeadlineKind.NONE)
    return DeadlineRule(text=text, kind=DeadlineKind.UNPARSED)


def _open_ended(text: str, times: list[_Token], key: str, masked: str) -> bool:
    """One time expression, not a range, that starts the work with no end: "Từ 01/7/2025",
    "kể từ năm 2026", "Năm 2025 và các năm tiếp theo"."""
    if len(times) != 1 or times[0].ranged:
        return False
    if _OPEN_END.search(masked):
        return True
    start = _OPEN_START.search(key[: times[0].start])
    if start is None:
        return False
    # Folded "tu" is also "Tư", "TU" ("Kế hoạch số 44-KH/TU ngày 14/12/2017" cites a Tỉnh ủy
    # paper): it is "từ" when written so, or when the whole phrase has no diacritics.
    marked = " ".join(_DASHES.sub("-", vn_key(text)).split())
    if len(marked) != len(key) or marked == key:
        return True
    return marked[start.start("tu") : start.end("tu")] == "từ"


def _yearly(values: list[tuple[int, int | None]], offset: int) -> list[DeadlineRule]:
    """Yearly parts (no text of their own), in calendar order."""
    return [
        DeadlineRule(
            text="", kind=DeadlineKind.RECURRING, every=Every.YEAR,
            month=month, day=day, year_offset=offset,
        )  # fmt: skip
        for month, day in sorted(values, key=lambda v: (v[0], v[1] or 32))
    ]


def _covered(part: DeadlineRule, base: DeadlineRule) -> bool:
    """A yearly part whose date the monthly/quarterly base already gives (16/6 next to
    "trước ngày 16 hằng tháng")."""
    in_base = base.every is Every.MONTH or (part.month or 12) % 3 == 0
    return in_base and part.day == base.day and part.year_offset == 0


def _event(text: str) -> DeadlineRule:
    return DeadlineRule(text=text, kind=DeadlineKind.EVENT, event=" ".join(clean(text).split()))


def due_dates(
    rule: DeadlineRule, *, first_year: int, last_year: int, not_before: date | None = None
) -> list[date]:
    """Concrete due dates of a rule over the plan years first_year..last_year (sorted, unique).

    ONCE keeps its date even outside the plan or before `not_before` (the import flags it);
    recurring dates before `not_before` (the plan's issue date) are dropped, since a plan
    cannot ask for work due before it existed. EVENT, NONE and UNPARSED have no dates. The
    dates of a schedule's parts (`also`) are added to the rule's own.
    """
    if last_year < first_year:
        raise ValueError(f"plan years out of order: {first_year}..{last_year}")
    found: set[date] = set()
    for part in (rule, *rule.also):
        found.update(_own_dates(part, first_year, last_year, not_before))
    return sorted(found)


def _own_dates(
    rule: DeadlineRule, first_year: int, last_year: int, not_before: date | None
) -> list[date]:
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
    found: list[date] = []
    for plan_year in range(first_year, last_year + 1):
        year = plan_year + rule.year_offset
        for month in months:
            last = _last_day(year, month)
            due = date(year, month, min(rule.day, last) if rule.day else last)
            if not_before is None or due >= not_before:
                found.append(due)
    return found
