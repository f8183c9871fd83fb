"""Free-text status replies → intended changes (pure: text, the replied-to list and `today` in).

A focal point answers a reminder in everyday Vietnamese, with or without diacritics, on a
phone: "1 xong", "nv2 đang làm 60%", "3: vướng mắc do chưa có hướng dẫn của Bộ", "xin gia hạn
nhiệm vụ 2 đến 15/12", "đã hoàn thành, đã ban hành QĐ số 123/QĐ-UBND ngày 10/6/2025".
`parse_reply` turns such a text, plus the numbered items of the message it answers
(`ContextItem`s) and today's date, into a `ReplyOutcome`:

- `changes`: what it is sure of — record them now, then say exactly what was recorded;
- `questions`: what it is not sure of — ask with buttons (each `Question` carries the
  candidate changes as options) and record nothing for it until someone confirms;
- `chatter`: the text is not a status at all ("cảm ơn", "ok", "chào bot", a question, or
  something unreadable) — answer politely, change nothing.

How a text is read (on an accent-free, lower-case key of the same length as the text, so
every match maps back to the words as typed, which are what notes keep):

1. Spans that must not be mistaken for task numbers or statuses are found first and masked:
   document references ("QĐ số 123/QĐ-UBND ngày 10/6/2025" — kept as evidence), dates
   ("15/12", "15/12/2025", "ngày 15 tháng 12", "cuối tháng 12", "hết quý III", "thêm 2 tuần")
   and percentages ("60%", "60 %", "60 phần trăm", "một nửa").
2. The text is split into clauses where a new task number starts ("1 xong; 2 đang làm 50%",
   "1 xong, 2 vướng mắc …"); a comma between bare numbers is a list ("2,3 xong").
3. Task references: a leading number or list ("2", "2,3", "2 và 3", "1-3"), or anywhere a
   marked one ("nv2", "nv 2", "NV12", "nhiệm vụ 2", "số 2", "#2", "mục 2"), or "tất cả"/"hết".
   A number is the item's number in the replied-to message; a marked number that is not
   one but is the task code (NV12) of an item there means that item; a marked number found
   nowhere is a task code for the caller to look up; a bare number found nowhere is asked
   about. Numbers followed by a unit ("2 văn bản", "3 ngày") are quantities, not tasks.
4. One status per clause, by these rules (first that applies):
   - extension words ("xin gia hạn", "lùi hạn", "xin thêm thời gian") → extension request,
     with the date (absolute, end of month/quarter/year, or "thêm N ngày/tuần/tháng") and the
     reason ("vì …", "do …"); no date or a past date → the caller asks for the date;
   - blocker words ("vướng mắc", "khó khăn", "chưa có hướng dẫn", "không thể thực hiện"),
     not negated ("không có vướng mắc") → blocked, the rest of the clause is the note;
     no explanation at all → the caller asks for one line;
   - a percentage: 100% → done; 0–99% → in progress with that percentage (so "hoàn thành
     80%" is 80%, not done); decimals are cut ("99,6%" is 99%, not done); above 100% or
     negative ("-5%") → asked;
   - done words ("xong", "hoàn thành", "hoàn tất", "đã ban hành", "✅"), not negated and not
     future ("chưa xong", "sắp xong", "dự kiến hoàn thành" are not done): done — unless the
     clause also says it is in progress ("đã xong dự thảo, đang trình"): asked;
   - in-progress words ("đang làm", "đang thực hiện", "đang …", "sắp xong", "chưa xong" with
     nothing else…) → in progress; a bare "chưa xong"/"chưa làm được" is asked (in progress
     or blocked?); "đã trình" is asked (done or in progress?);
   - "ghi chú: …" → a note without a status change;
   - only a document reference → asked (done, or a note with the document?);
   - a task number without any status → asked (which status?).
5. No task number: the only item of the message, or asked (which task?) when it lists
   several; "tất cả"/"hết" → every item.

`parse_reply` never raises on any input (a hypothesis test checks it) and looks at most at
the first `MAX_TEXT` characters.
"""

from __future__ import annotations

import calendar as _calendar
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from bot.domain.status import ChangeKind as ChangeKind  # re-exported: callers name it with the reply types

MAX_TEXT = 1500  # characters parsed; a status reply is a line or two
MAX_NOTE = 500  # characters kept as a note
MAX_RANGE = 30  # "1-30 xong" at most
_MASK = "\u00b7"  # masked spans: not a word character, not a separator


class AskReason(StrEnum):
    WHICH_ITEM = "which_item"  # no task number, the message lists several
    UNKNOWN_NUMBER = "unknown_number"  # a number the message does not list
    AMBIGUOUS_NUMBER = "ambiguous_number"  # list number of one item, task code of another
    WHICH_STATUS = "which_status"  # the task is clear, the status is not
    CONFLICT = "conflict"  # two statuses at once, or a status word that may mean either
    NO_ITEMS = "no_items"  # no list to refer to and no task code


class Chatter(StrEnum):
    THANKS = "thanks"
    ACK = "ack"  # "ok", "đã nhận", "vâng"
    GREETING = "greeting"
    QUESTION = "question"
    UNCLEAR = "unclear"
    EMPTY = "empty"


@dataclass(frozen=True)
class DocumentRef:
    """A document cited as evidence: "QĐ số 123/QĐ-UBND ngày 10/6/2025"."""

    text: str  # as typed
    kind: str | None = None  # "Quyết định", "Kế hoạch", …
    number: str | None = None  # "123/QĐ-UBND" as typed
    issued_on: date | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "kind": self.kind,
            "number": self.number,
            "issued_on": self.issued_on.isoformat() if self.issued_on else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DocumentRef:
        issued = data.get("issued_on")
        return cls(
            text=str(data.get("text") or ""),
            kind=data.get("kind"),
            number=data.get("number"),
            issued_on=date.fromisoformat(issued) if issued else None,
        )


@dataclass(frozen=True)
class Intent:
    """One intended change of one item (the target is separate: `Planned`)."""

    kind: ChangeKind
    progress: int | None = None  # PROGRESS (None: keep the last figure), BLOCKED (optional)
    note: str | None = None  # blocker explanation, extension reason, or any remark
    new_due_on: date | None = None  # EXTENSION: the proposed date
    extend_by: tuple[int, str] | None = None  # EXTENSION: (n, "day"|"week"|"month") after due_on
    bad_date: str | None = None  # EXTENSION: a date as typed that could not be used
    documents: tuple[DocumentRef, ...] = ()

    @property
    def needs_note(self) -> bool:
        """A blocker without any explanation: ask for one line first."""
        return self.kind is ChangeKind.BLOCKED and not self.note

    @property
    def needs_date(self) -> bool:
        """An extension request without a usable date: ask for it first."""
        return self.kind is ChangeKind.EXTENSION and self.new_due_on is None and self.extend_by is None

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "progress": self.progress,
            "note": self.note,
            "new_due_on": self.new_due_on.isoformat() if self.new_due_on else None,
            "extend_by": list(self.extend_by) if self.extend_by else None,
            "bad_date": self.bad_date,
            "documents": [d.as_json() for d in self.documents],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Intent:
        new_due = data.get("new_due_on")
        extend = data.get("extend_by")
        progress = data.get("progress")
        return cls(
            kind=ChangeKind(data["kind"]),
            progress=int(progress) if progress is not None else None,
            note=data.get("note"),
            new_due_on=date.fromisoformat(new_due) if new_due else None,
            extend_by=(int(extend[0]), str(extend[1])) if extend else None,
            bad_date=data.get("bad_date"),
            documents=tuple(DocumentRef.from_json(d) for d in data.get("documents") or ()),
        )


@dataclass(frozen=True)
class ContextItem:
    """One numbered item of the message being answered (a reminder, a task card…)."""

    number: int
    due_item_id: int
    task_id: int
    due_on: date | None = None
    title: str = ""


@dataclass(frozen=True)
class Target:
    """An item of the replied-to message, or a task code to look up (exactly one is set)."""

    item: ContextItem | None = None
    task_id: int | None = None

    def as_json(self) -> dict[str, Any]:
        if self.item is not None:
            i = self.item
            return {
                "number": i.number, "due_item_id": i.due_item_id, "task_id": i.task_id,
                "due_on": i.due_on.isoformat() if i.due_on else None, "title": i.title,
            }
        return {"code": self.task_id}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Target:
        if "code" in data:
            return cls(task_id=int(data["code"]))
        due = data.get("due_on")
        return cls(
            item=ContextItem(
                number=int(data["number"]), due_item_id=int(data["due_item_id"]),
                task_id=int(data["task_id"]), due_on=date.fromisoformat(due) if due else None,
                title=str(data.get("title") or ""),
            )
        )


@dataclass(frozen=True)
class Planned:
    """An intended change of one target."""

    target: Target
    intent: Intent

    def as_json(self) -> dict[str, Any]:
        return {"target": self.target.as_json(), "intent": self.intent.as_json()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Planned:
        return cls(Target.from_json(data["target"]), Intent.from_json(data["intent"]))


@dataclass(frozen=True)
class Question:
    """Not sure: ask, offering `options` (one button each), record nothing until confirmed."""

    reason: AskReason
    options: tuple[Planned, ...]
    text: str  # the clause as typed
    detail: str | None = None  # e.g. the number that is not in the message


@dataclass(frozen=True)
class ReplyOutcome:
    changes: tuple[Planned, ...] = ()
    questions: tuple[Question, ...] = ()
    chatter: Chatter | None = None

    @property
    def is_status(self) -> bool:
        return bool(self.changes or self.questions)


# --- the key: accent-free, lower case, one character per character of the text -------------


def _fold_char(ch: str) -> str:
    if ch in "đĐ":
        return "d"
    if ch in "%％":
        return "%"
    if ch in "–—−‐":
        return "-"
    if ch in "：":
        return ":"
    if ch in "，":
        return ","
    decomposed = unicodedata.normalize("NFD", ch)
    base = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    base = "".join(c for c in unicodedata.normalize("NFD", base) if not unicodedata.combining(c))
    if len(base) == 1:
        return base
    return base[:1] if base else " "


def _prepare(text: str) -> tuple[str, str]:
    """(text as typed: NFC, invisible characters and runs of blanks cleaned; its key)."""
    text = unicodedata.normalize("NFC", str(text or ""))[: MAX_TEXT * 2]
    text = re.sub(r"[\u200b-\u200d\u2060\ufeff\u00ad]", "", text)
    text = re.sub(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+", " ", text)
    text = re.sub(r"\r\n?", "\n", text).strip()[:MAX_TEXT]
    return text, "".join(_fold_char(c) for c in text)


# --- dates -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Date:
    start: int
    end: int
    day: int | None = None
    month: int | None = None
    year: int | None = None
    rel: tuple[int, str] | None = None  # "thêm 2 tuần"
    end_of: str | None = None  # "month", "quarter", "year": day is computed
    keyed: bool = False  # after "đến", "tới", "ngày", "hạn" …: certainly a date

    def resolve(self, *, today: date, future: bool) -> date | None:
        """The date, a missing year taken as the next (future) or last (past) occurrence."""
        if self.rel is not None or self.month is None:
            return None
        year = self.year
        if year is not None and year < 100:
            year += 2000
        candidates = [year] if year is not None else (
            [today.year, today.year + 1] if future else [today.year, today.year - 1]
        )
        for y in candidates:
            if not 1900 <= y <= 2200 or not 1 <= self.month <= 12:
                return None
            last = _calendar.monthrange(y, self.month)[1]
            day = last if self.day is None else self.day
            if not 1 <= day <= last:
                return None
            found = date(y, self.month, day)
            if year is not None:
                return found
            if (future and found >= today) or (not future and found <= today):
                return found
        return None


_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_DATE_KEY = r"(?:den|toi|ngay|han|truoc|sang|lui|lui den|cho den|tu|vao)"
_RE_FULL = re.compile(r"(?<![\d/.])(\d{1,2})\s*([/.\-])\s*(\d{1,2})\s*\2\s*(\d{4}|\d{2})(?![\d/])")
_RE_DM_SLASH = re.compile(r"(?<![\d/.,])(\d{1,2})\s*/\s*(\d{1,2})(?![\d/%])")
_RE_DM_KEYED = re.compile(rf"\b{_DATE_KEY}\s*(?:ngay\s*)?(\d{{1,2}})\s*[.\-]\s*(\d{{1,2}})(?![\d.\-/%])")
_RE_WORDS = re.compile(r"(?:\bngay\s*)?(?<!\d)(\d{1,2})\s*thang\s*(\d{1,2})(?:\s*(?:nam|/)\s*(\d{4}))?\b")
_RE_MONTH_END = re.compile(
    r"\b(?:(?:cuoi|het|trong)\s*thang|(?:den|toi)\s*(?:het\s*|cuoi\s*)?thang)\s*(\d{1,2})(?:\s*(?:/|nam)\s*(\d{4}))?\b"
)
_RE_QUARTER = re.compile(r"\b(?:(?:cuoi|het|trong)\s*)?quy\s*(iv|iii|ii|i|[1-4])\b(?:\s*(?:/|nam)\s*(\d{4}))?")
_RE_YEAR_END = re.compile(r"\b(?:cuoi|het)\s*nam\b(?:\s*(\d{4}))?")
_RE_RELATIVE = re.compile(
    r"(?:(?<=gia han )|(?<=gia han la )|\b(?:them|lui|lui lai|keo dai|keo dai them|hoan|hoan them)\s*)"
    r"(?:khoang\s*|toi da\s*)?(\d{1,3})\s*(ngay|tuan|thang)\b"
)
_DATE_INNER = r"\d{1,2}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{2,4}|\d{1,2}\s*thang\s*\d{1,2}(?:\s*nam\s*\d{4})?|\d{1,2}\s*/\s*\d{1,2}"


def _find_dates(key: str) -> list[_Date]:
    found: list[_Date] = []

    def free(a: int, b: int) -> bool:
        return all(d.end <= a or d.start >= b for d in found)

    def keyed(start: int) -> bool:
        before = key[max(0, start - 12) : start]
        return bool(re.search(rf"{_DATE_KEY}\s*(?:ngay\s*)?$", before))

    for m in _RE_RELATIVE.finditer(key):
        unit = {"ngay": "day", "tuan": "week", "thang": "month"}[m.group(2)]
        found.append(_Date(m.start(), m.end(), rel=(int(m.group(1)), unit), keyed=True))
    for m in _RE_FULL.finditer(key):
        if free(m.start(), m.end()):
            found.append(
                _Date(m.start(), m.end(), int(m.group(1)), int(m.group(3)), int(m.group(4)), keyed=True)
            )
    for m in _RE_WORDS.finditer(key):
        if free(m.start(), m.end()):
            year = int(m.group(3)) if m.group(3) else None
            found.append(_Date(m.start(), m.end(), int(m.group(1)), int(m.group(2)), year, keyed=True))
    for m in _RE_MONTH_END.finditer(key):
        if free(m.start(), m.end()):
            year = int(m.group(2)) if m.group(2) else None
            found.append(_Date(m.start(), m.end(), None, int(m.group(1)), year, end_of="month", keyed=True))
    for m in _RE_QUARTER.finditer(key):
        if free(m.start(), m.end()):
            quarter = _ROMAN[m.group(1)]
            year = int(m.group(2)) if m.group(2) else None
            found.append(_Date(m.start(), m.end(), None, quarter * 3, year, end_of="quarter", keyed=True))
    for m in _RE_YEAR_END.finditer(key):
        if free(m.start(), m.end()):
            year = int(m.group(1)) if m.group(1) else None
            found.append(_Date(m.start(), m.end(), None, 12, year, end_of="year", keyed=True))
    for m in _RE_DM_KEYED.finditer(key):
        a, b = m.start(1), m.end(2)
        if free(a, b):
            found.append(_Date(a, b, int(m.group(1)), int(m.group(2)), keyed=True))
    for m in _RE_DM_SLASH.finditer(key):
        if free(m.start(), m.end()):
            found.append(_Date(m.start(), m.end(), int(m.group(1)), int(m.group(2)), keyed=keyed(m.start())))
    return sorted(found, key=lambda d: d.start)


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, _calendar.monthrange(year, month)[1]))


def resolve_new_due(intent: Intent, *, due_on: date | None, today: date) -> date | None:
    """The proposed date of an extension intent ("thêm 2 tuần" counts from the due date)."""
    if intent.new_due_on is not None:
        return intent.new_due_on
    if intent.extend_by is None:
        return None
    amount, unit = intent.extend_by
    base = max(due_on or today, today)
    try:
        if unit == "month":
            return add_months(base, amount)
        return base + timedelta(days=amount * (7 if unit == "week" else 1))
    except (OverflowError, ValueError):
        return None


# --- documents -----------------------------------------------------------------------------

_DOC_KINDS = {
    "quyet dinh": "Quyết định", "qd": "Quyết định",
    "ke hoach": "Kế hoạch", "kh": "Kế hoạch",
    "cong van": "Công văn", "cv": "Công văn",
    "bao cao": "Báo cáo", "bc": "Báo cáo",
    "thong bao": "Thông báo", "tb": "Thông báo",
    "to trinh": "Tờ trình", "ttr": "Tờ trình",
    "nghi quyet": "Nghị quyết", "nq": "Nghị quyết",
    "chi thi": "Chỉ thị",
    "van ban": "Văn bản", "vb": "Văn bản",
    "huong dan": "Hướng dẫn", "hd": "Hướng dẫn",
    "de an": "Đề án",
    "chuong trinh": "Chương trình",
    "giay moi": "Giấy mời",
}
_KIND_ALT = "|".join(sorted((re.escape(k).replace(r"\ ", r"\s*") for k in _DOC_KINDS), key=len, reverse=True))
_DOC_NUMBER = r"\d{1,6}(?:/\d{4})?/(?=[a-z0-9&.\-]*[a-z])[a-z0-9][a-z0-9&.\-]*[a-z0-9]"
_RE_DOC = re.compile(
    rf"(?:\b(?P<kind>{_KIND_ALT})\s*(?:so\s*)?[:.]?\s*|\bso\s*)?(?<![\d/])(?P<num>{_DOC_NUMBER})"
    rf"(?:\s*,?\s*(?:ngay|ky ngay|ban hanh ngay)\s*(?P<date>{_DATE_INNER}))?"
)
_RE_DOC_PLAIN = re.compile(
    rf"\b(?P<kind>{_KIND_ALT})\s*(?:so\s*)?[:.]?\s*(?P<num>\d{{1,6}})(?![\d/%]|\s*(?:ngay|tuan|thang|nam|lan)\b)"
    rf"(?:\s*,?\s*(?:ngay|ky ngay|ban hanh ngay)\s*(?P<date>{_DATE_INNER}))?"
)


def _find_documents(text: str, key: str, today: date) -> list[tuple[int, int, DocumentRef]]:
    found: list[tuple[int, int, DocumentRef]] = []
    for regex in (_RE_DOC, _RE_DOC_PLAIN):
        for m in regex.finditer(key):
            if any(not (e <= m.start() or s >= m.end()) for s, e, _ in found):
                continue
            kind_key = re.sub(r"\s+", " ", m.group("kind")) if m.group("kind") else None
            kind = _DOC_KINDS.get(kind_key) if kind_key else None
            if kind is None and regex is _RE_DOC:
                code = key[m.start("num") : m.end("num")].split("/")[-1]
                kind = _DOC_KINDS.get(code.split("-")[0])
            issued = None
            if m.group("date"):
                dates = _find_dates(key[m.start("date") : m.end("date")])
                if dates:
                    issued = dates[0].resolve(today=today, future=False)
            found.append(
                (m.start(), m.end(), DocumentRef(
                    text=text[m.start() : m.end()].strip(" ,.;"),
                    kind=kind,
                    number=text[m.start("num") : m.end("num")],
                    issued_on=issued,
                ))
            )
    return sorted(found, key=lambda f: f[0])


# --- percentages ---------------------------------------------------------------------------

_PCT_LEAD = r"(?:(?:tien do|dat|duoc|khoang|tam|gan|hon|tren|lam duoc|xong duoc|thuc hien duoc|khoi luong)\s*)*"
_RE_PERCENT = re.compile(rf"{_PCT_LEAD}(?<![\d.,])(\d{{1,7}})(?:[.,](\d{{1,2}}))?\s*(?:%|phan\s*tram\b|pt\b|o/o)")
_RE_PERCENT_WORDS = re.compile(
    r"\b(?:tien do|dat|duoc|khoang|lam duoc|xong duoc|thuc hien duoc)\s*(?:khoang\s*|tam\s*|gan\s*|hon\s*|tren\s*|duoc\s*)?"
    r"(\d{1,3})(?![\d/%.,]|\s*(?:ngay|tuan|thang|nam|lan|van ban|vb|nguoi|cuoc|don vi|ho so|xa|muc|bo|quyet dinh|%|phan))(?=\s|$|[,.;!)])"
)
_MINUS = "-\u2212\u2013"  # hyphen-minus, minus sign, en dash
_RE_HALF = re.compile(r"\b(?:mot nua|nua chang|duoc nua|dat nua)\b")


def _find_percents(key: str) -> list[tuple[int, int, int]]:
    found: list[tuple[int, int, int]] = []
    for m in _RE_PERCENT.finditer(key):
        # Decimals are cut, never rounded up: "99,6%" is not done (99%); "100,5%" is
        # over 100 (asked). A minus sign stuck to the number ("-5%", not "1 - 5%") makes
        # it negative: asked as well, never read as 5%.
        value = int(m.group(1))
        if value == 100 and m.group(2) and int(m.group(2)):
            value = 101
        sign = m.start(1) - 1
        if sign >= 0 and key[sign] in _MINUS and (sign == 0 or not key[sign - 1].isalnum()):
            value = -value if value else -1
        found.append((m.start(), m.end(), value))
    for m in _RE_PERCENT_WORDS.finditer(key):
        if all(e <= m.start(1) or s >= m.end(1) for s, e, _ in found):
            found.append((m.start(), m.end(), int(m.group(1))))
    for m in _RE_HALF.finditer(key):
        found.append((m.start(), m.end(), 50))
    return sorted(found)


# --- task references -----------------------------------------------------------------------

_COUNT_NOUN = (
    r"(?:van ban|vb|lan|ngay|tuan|thang|nam|nguoi|cuoc|don vi|xa|phuong|huyen|ho so|thu tuc|tthc|"
    r"cuon|trang|bo|quyet dinh|ke hoach|bao cao|cong van|muc tieu|chi tieu|ty|trieu|dong|gio|phut|"
    r"cai|buoi|lop|hoi nghi|dot|phong|so|co quan|ban|tap|file|tep|anh|hinh)\b"
)
_REF_MARK = r"(?:nhiem\s*vu|nvu|nv|n\.v\.?|muc|viec|so|stt|#|no\.?)"
_RE_EXPLICIT = re.compile(
    rf"(?<![a-z0-9]){_REF_MARK}\s*(?:so\s*)?[-.:#]?\s*(\d{{1,9}})(?![\d%/]|\s*%)"
    rf"((?:\s*(?:,|&|\+|va|-|den|toi)\s*(?:{_REF_MARK}\s*)?\d{{1,9}}(?![\d%/]|\s*%))*)"
)
_RE_LEADING = re.compile(
    r"\s*(?:[-*•+>]\s*)?(?:(?:cac|nhung)\s*)?(\d{1,3})((?:\s*(?:,|&|\+|va|-)\s*\d{1,3})*)"
    rf"(?=\s*(?:[:.)\]\-]|$|\s))(?!\s*(?:%|phan tram|/|{_COUNT_NOUN}))"
)
_RE_NEXT_NUMBERED = re.compile(
    r"(\d{1,3})\s*[:.)\-]?\s*(?:x+o+n*[gh]|hoan|dang|dg|vuong|xin|gia han|da\b|kho|chua|ht\b|done|\u00b7)"
)
_RE_ALL = re.compile(r"\b(?:tat ca|toan bo|ca hai|ca 2 (?:nhiem vu|nv|viec)|het(?=\s*(?:roi|a|nhe|ca|$|[,.;!])))\b")
_RE_LIST_PART = re.compile(r"(,|&|\+|va|-|den|toi)\s*(?:" + _REF_MARK + r"\s*)?(\d{1,9})")


@dataclass(frozen=True)
class _Ref:
    number: int
    explicit: bool  # "nv2", "nhiệm vụ 2": may also be a task code


def _list_numbers(first: str, rest: str, explicit: bool) -> list[_Ref]:
    numbers = [int(first)]
    for sep, value in _RE_LIST_PART.findall(rest):
        n = int(value)
        if sep in ("-", "den", "toi") and numbers and numbers[-1] < n <= numbers[-1] + MAX_RANGE:
            numbers.extend(range(numbers[-1] + 1, n + 1))
        else:
            numbers.append(n)
    out = list(dict.fromkeys(numbers))
    return [_Ref(n, explicit) for n in out if n > 0]


# --- status words --------------------------------------------------------------------------

_NEG = r"(?:chua|khong|ko|k|kh|kg|khg|hong|chang|cha|van chua|van khong|chua the|khong the)"
_FUTURE = r"(?:du kien|se|sap|gan|chuan bi|phan dau|co gang|ke hoach|de|dang|han|thoi han|muon|truoc khi|cho|neu|khi|moi|nham|can|phai)"
_RE_DONE = re.compile(
    r"(?<![a-z0-9])(?:x+o+n*[gh]+(?:\s*xuoi)?|hoan\s*tat|da\s*ban\s*hanh|ban\s*hanh\s*xong|done|finish(?:ed)?|"
    r"complete(?:d)?|ht)(?![a-z0-9/\-])|[\u2705\u2714\u2611]"
)
_FUZZY_DONE = ("hoan thanh",)
_PROGRESS_PLAIN = re.compile(
    r"(?:dang|dg)(?:\s+(?:thuc\s+hien|trien\s+khai|tien\s+hanh|xu\s+ly|lam|lm))?|lam duoc|tien do|in progress|doing|trien khai"
)
_RE_PROGRESS = re.compile(
    r"(?<![a-z0-9])(?:dang|dg)\s+(?:thuc\s+hien|trien\s+khai|tien\s+hanh|xu\s+ly)\b"
    r"|(?<![a-z0-9])(?:dang|dg)\s+(?!(?:vuong|gap kho|bi|xin|de nghi|cho huong dan|kho khan)\b)[a-z]+"
    r"|\b(?:trien khai|tien do|dang tien hanh|lam duoc|sap xong|gan xong|sap hoan thanh|gan hoan thanh|in progress|doing)\b"
)
_RE_PROGRESS_WORD_ONLY = re.compile(r"(?<![a-z0-9])(?:dang|dg)(?![a-z0-9])")
_RE_BLOCKED = re.compile(
    r"\b(?:vuong\s*mac|vuong\s*mat|vuong|kho\s*khan|gap\s*kho|bi\s*tac|ach\s*tac|tro\s*ngai|"
    r"(?:khong|chua)\s*the\s*(?:thuc\s*hien|trien\s*khai|hoan\s*thanh|lam|ban\s*hanh)|"
    r"khong\s*(?:thuc\s*hien|lam)\s*duoc|"
    r"thieu\s*(?:kinh\s*phi|nhan\s*luc|huong\s*dan|can\s*cu|co\s*so|nguon)|"
    r"chua\s*co\s*(?:huong\s*dan|kinh\s*phi|can\s*cu|quy\s*dinh|nguon|y\s*kien)|"
    r"het\s*kinh\s*phi|cho\s*huong\s*dan|stuck|blocked)\b"
)
_FUZZY_BLOCKED = ("vuong mac", "kho khan")
_RE_EXTENSION = re.compile(
    r"\b(?:gia\s*han|gia\s*hang|lui\s*(?:thoi\s*)?han|lui\s*(?:thoi\s*gian|lai|sang)|doi\s*han|"
    r"hoan\s*(?:thoi\s*)?han|keo\s*dai\s*(?:thoi\s*(?:han|gian))?|"
    r"dieu\s*chinh\s*(?:thoi\s*(?:han|gian)|han)|(?:xin|can)\s*them\s*thoi\s*gian|them\s*thoi\s*gian)\b"
)
_FUZZY_EXTENSION = ("gia han",)
_EXT_NEG = r"(?:khong|ko|k|chua|khong can|chua can|khong xin|chua xin|khong phai)"
_RE_NOT_YET = re.compile(
    r"\b(?:chua\s*(?:lam|thuc\s*hien|trien\s*khai|bat\s*dau)(?:\s*duoc)?|chua\s*(?:xong|hoan\s*thanh|hoan\s*tat)|"
    r"khong\s*(?:xong|hoan\s*thanh)|van\s*dang)\b"
)
_RE_SUBMITTED = re.compile(r"\b(?:da\s*trinh|trinh\s*xong|da\s*gui\s*(?:du\s*thao|xin\s*y\s*kien)|da\s*xin\s*y\s*kien)\b")
_RE_NOTE = re.compile(r"^\s*(?:ghi\s*chu|gc|luu\s*y|note|bo\s*sung|thong\s*tin\s*them|y\s*kien)\s*[:\-]")
_RE_REASON = re.compile(r"\b(?:vi|do|ly\s*do|boi\s*vi|boi|tai\s*vi|nguyen\s*nhan)\b\s*[:\-]?\s*")

_THANKS = {"cam", "on", "ong", "camon", "cmon", "thanks", "thank", "you", "tks", "thx", "ty", "cam.on", "🙏", "❤", "♥"}
_ACK = {
    "ok", "oke", "okie", "oki", "okay", "okela", "okla", "vang", "da", "ro", "nhan", "duoc", "biet",
    "noted", "received", "👍", "👌", "✔", "yes", "uh", "u", "um", "dong", "y",
}
_GREETING = {"chao", "xin", "hello", "hi", "alo", "helo", "👋"}
_FILLER = {
    "a", "em", "anh", "chi", "ban", "bot", "nhe", "nha", "roi", "nhieu", "rat", "ah", "ak", "ad", "admin",
    "moi", "nguoi", "ca", "nha", "nhe", "thi", "la", "voi", "va", "minh", "toi", "chung", "ta", "tin", "nhan",
    "!", ".", ",", "…", "~", ":", ")", "(", "=", "-", "^", "*", "ạ", "☺", "😊", "🙂", "😀", "😁", "the", "lai",
}
_QUESTION_WORDS = re.compile(
    r"\?|\b(?:gi|khi nao|bao gio|tai sao|vi sao|the nao|nhu the nao|lam sao|o dau|co phai|phai khong|"
    r"duoc khong|chua nhi|la sao|hoi|cach nao|ai)\b"
)
_TOKEN = re.compile(r"[a-z0-9]+|[^\sa-z0-9]")


def _levenshtein(a: str, b: str, limit: int = 2) -> int:
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def _fuzzy(key: str, phrases: Iterable[str]) -> list[tuple[int, int]]:
    """Spans of one-typo spellings of `phrases` ("hoan thah", "vuong mat", "hoanthanh")."""
    tokens = [(m.start(), m.end(), m.group()) for m in re.finditer(r"[a-z]+", key)]
    spans: list[tuple[int, int]] = []
    for phrase in phrases:
        words = phrase.split()
        n = len(words)
        for i in range(len(tokens)):
            window = tokens[i : i + n]
            if len(window) == n and all(t[2][0] == w[0] for t, w in zip(window, words, strict=True)):
                if sum(_levenshtein(t[2], w, 1) for t, w in zip(window, words, strict=True)) <= 1:
                    spans.append((window[0][0], window[-1][1]))
                    continue
            token = tokens[i][2]
            if token[0] == words[0][0] and len(token) >= len(phrase) - 2 and _levenshtein(token, phrase.replace(" ", ""), 1) <= 1:
                spans.append((tokens[i][0], tokens[i][1]))
    return spans


def _preceded_by(key: str, start: int, pattern: str) -> bool:
    before = key[max(0, start - 24) : start]
    return re.search(rf"(?<![a-z0-9]){pattern}\s*(?:co\s*|gap\s*|bi\s*|con\s*|duoc\s*|da\s*|the\s*)?$", before) is not None


# --- one clause ----------------------------------------------------------------------------


@dataclass
class _Clause:
    start: int
    end: int
    refs: list[_Ref] = field(default_factory=list)
    ref_spans: list[tuple[int, int]] = field(default_factory=list)
    all_items: bool = False
    all_spans: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class _Reading:
    """What one clause says: a sure intent, alternatives to ask about, or nothing."""

    intent: Intent | None = None
    options: tuple[Intent, ...] = ()
    reason: AskReason | None = None
    chatter: Chatter | None = None


class _Text:
    """The text, its key with masked spans, and what was found in it."""

    def __init__(self, text: str, today: date) -> None:
        self.text, self.key = _prepare(text)
        self.today = today
        self.documents = _find_documents(self.text, self.key, today)
        masked = list(self.key)

        def mask(a: int, b: int) -> None:
            for i in range(a, b):
                if masked[i] not in "\n;":
                    masked[i] = _MASK

        for s, e, _ in self.documents:
            mask(s, e)
        self.dates = [d for d in _find_dates("".join(masked)) if "".join(masked[d.start : d.end]).strip(_MASK + " ")]
        for d in self.dates:
            mask(d.start, d.end)
        self.percents = _find_percents("".join(masked))
        for s, e, _ in self.percents:
            mask(s, e)
        self.work = "".join(masked)

    def original(self, a: int, b: int) -> str:
        return self.text[a:b]


def _split(t: _Text) -> list[_Clause]:
    """Clauses: split at ; and new lines, and at , or . when a new task reference follows."""
    work = t.work
    clauses: list[_Clause] = []
    pos = 0
    n = len(work)
    while pos < n:
        clause = _Clause(pos, n)
        lead = _RE_LEADING.match(work, pos)
        cursor = pos
        if lead:
            clause.refs = _list_numbers(lead.group(1), lead.group(2) or "", explicit=False)
            clause.ref_spans.append((lead.start(1), lead.end(2) if lead.group(2) else lead.end(1)))
            cursor = lead.end()
        cut = n
        i = cursor
        while i < n:
            ch = work[i]
            if ch in ";\n":
                cut = i
                break
            if ch == " " and clause.refs and work[cursor:i].strip(" ,.:-" + _MASK) and _RE_NEXT_NUMBERED.match(work, i + 1):
                # "2 xong 3 đang làm": a new numbered clause without a comma
                cut = i
                break
            if ch in ",." and (ch == "," or i + 1 >= n or work[i + 1] == " "):
                rest = work[i + 1 :]
                if work[pos:i].strip(" ,.;:-" + _MASK) and (
                    _RE_LEADING.match(rest) or re.match(r"\s*" + _REF_MARK + r"\s*\d", rest)
                ):
                    nxt = _RE_LEADING.match(rest)
                    # "1, 2 xong" is a list, not two clauses: a comma right after the leading list
                    if not (nxt and not work[cursor:i].strip(" ,")):
                        cut = i
                        break
            i += 1
        clause.end = cut
        if work[clause.start : clause.end].strip(" ,.;:-\n" + _MASK) or clause.refs:
            clauses.append(clause)
        pos = cut + 1
    if not clauses:
        clauses.append(_Clause(0, n))
    for clause in clauses:
        segment = work[clause.start : clause.end]
        for m in _RE_EXPLICIT.finditer(segment):
            a = clause.start + m.start()
            if any(s <= a < e for s, e in clause.ref_spans):
                continue
            clause.refs.extend(_list_numbers(m.group(1), m.group(2) or "", explicit=True))
            clause.ref_spans.append((a, clause.start + m.end()))
        for m in _RE_ALL.finditer(segment):
            clause.all_items = True
            clause.all_spans.append((clause.start + m.start(), clause.start + m.end()))
        unique: dict[int, _Ref] = {}
        for ref in clause.refs:
            if ref.number not in unique or ref.explicit:
                unique[ref.number] = ref
        clause.refs = list(unique.values())
    return clauses


def _in_spans(i: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(a <= i < b for a, b in spans)


def _matches(regex: re.Pattern[str], work: str, a: int, b: int, skip: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    return [
        (a + m.start(), a + m.end())
        for m in regex.finditer(work[a:b])
        if not _in_spans(a + m.start(), skip)
    ]


def _read(t: _Text, clause: _Clause) -> tuple[_Reading, list[tuple[int, int]]]:
    """The clause's status, and the spans of the words that said it (removed from notes)."""
    a, b = clause.start, clause.end
    work = t.work
    skip = [*clause.ref_spans, *clause.all_spans]
    used: list[tuple[int, int]] = []

    def is_dang(span: tuple[int, int]) -> bool:
        # "đang" (in progress) folds like "đăng" (post) and "đáng" (worth): check what was typed.
        word = t.text[span[0] : span[0] + 4].lower()
        return not word.startswith(("đă", "đá", "dă", "dá", "đạ", "đà", "đả", "đã"))

    extension = [
        s for s in _matches(_RE_EXTENSION, work, a, b, skip) + [
            x for x in _fuzzy(work[:b], _FUZZY_EXTENSION) if x[0] >= a and not _in_spans(x[0], skip)
        ]
        if not _preceded_by(work, s[0], _EXT_NEG)
    ]
    blocked_all = _matches(_RE_BLOCKED, work, a, b, skip) + [
        x for x in _fuzzy(work[:b], _FUZZY_BLOCKED) if x[0] >= a and not _in_spans(x[0], skip)
    ]
    blocked = [s for s in blocked_all if not _preceded_by(work, s[0], _NEG) or work[s[0] : s[1]].startswith(("khong", "chua"))]
    not_yet = _matches(_RE_NOT_YET, work, a, b, skip)
    done_raw = _matches(_RE_DONE, work, a, b, skip) + [
        x for x in _fuzzy(work[:b], _FUZZY_DONE) if x[0] >= a and not _in_spans(x[0], skip)
    ]
    done: list[tuple[int, int]] = []
    future_done: list[tuple[int, int]] = []
    for span in done_raw:
        if any(s <= span[0] < e for s, e in not_yet) or _preceded_by(work, span[0], _NEG):
            continue
        if _preceded_by(work, span[0], _FUTURE):
            future_done.append(span)
            continue
        done.append(span)
    progress = [s for s in _matches(_RE_PROGRESS, work, a, b, skip) if is_dang(s) and not _in_spans(s[0], not_yet)]
    progress += [s for s in _matches(_RE_PROGRESS_WORD_ONLY, work, a, b, skip) if is_dang(s) and not any(p[0] == s[0] for p in progress)]
    percents = [(s, e, v) for s, e, v in t.percents if a <= s < b]
    dates = [d for d in t.dates if a <= d.start < b]
    docs = [doc for s, e, doc in t.documents if a <= s < b]
    submitted = _matches(_RE_SUBMITTED, work, a, b, skip)
    note_kw = _RE_NOTE.match(work[a:b]) if not clause.ref_spans else _RE_NOTE.match(work[max(a, clause.ref_spans[0][1]) : b])

    def remainder(extra: Sequence[tuple[int, int]] = ()) -> str | None:
        return _note(t, a, b, [*skip, *used, *extra])

    pct = percents[-1][2] if percents else None
    pct_spans = [(s, e) for s, e, _ in percents]

    if "?" in work[a:b] and not (extension and dates):
        return _Reading(chatter=Chatter.QUESTION), used
    if note_kw:
        begin = max(a, clause.ref_spans[0][1]) if clause.ref_spans else a
        used.append((begin + note_kw.start(), begin + note_kw.end()))
        note = remainder()
        if note:
            return _Reading(Intent(ChangeKind.NOTE, note=note, documents=tuple(docs))), used
    if extension:
        used.extend(extension)
        target = next((d for d in dates if d.start >= extension[0][0] and (d.keyed or d.rel)), None)
        target = target or next((d for d in dates if d.keyed or d.rel), None) or (dates[0] if dates else None)
        new_due = None
        rel = None
        bad = None
        date_spans: list[tuple[int, int]] = []
        if target is not None:
            date_spans.append((target.start, target.end))
            # "đến 15/12": the connecting word goes with the date
            lo = max(a, target.start - 14)
            m = re.search(r"(?:\b(?:den|toi|sang|lui|cho den|them)\s*(?:ngay\s*|het\s*)?)$", work[lo : target.start])
            if m:
                date_spans.append((lo + m.start(), target.start))
            if target.rel is not None:
                rel = target.rel
            else:
                new_due = target.resolve(today=t.today, future=True)
                if new_due is None or new_due < t.today:
                    bad = t.original(target.start, target.end)
                    new_due = None
        reason = _reason(t, a, b, [*skip, *used, *date_spans, *pct_spans])
        return _Reading(Intent(ChangeKind.EXTENSION, note=reason, new_due_on=new_due, extend_by=rel, bad_date=bad,
                               documents=tuple(docs))), used
    if blocked:
        primary = [s for s in blocked if work[s[0] : s[1]].startswith(_BLOCKER_WORDS)]
        if primary:
            used.extend(primary)
            rest = _note(t, a, b, [*skip, *used, *pct_spans])
            after = work[primary[0][1] : b].lstrip(" ")
            if rest is None:
                note = None
            elif after.startswith((":", "-")) or _RE_REASON.match(after):
                note = _reason(t, a, b, [*skip, *used, *pct_spans]) or rest
            else:
                # "gặp khó khăn về nhân lực": the whole clause explains it
                note = _note(t, a, b, [*skip, *pct_spans])
        else:
            # "chưa có hướng dẫn", "thiếu kinh phí": the words are themselves the explanation
            note = _note(t, a, b, [*skip, *pct_spans])
        return _Reading(Intent(ChangeKind.BLOCKED, progress=pct if pct is not None and 0 <= pct < 100 else None,
                               note=note, documents=tuple(docs))), used
    if pct is not None:
        used.extend(pct_spans)
        if pct > 100 or pct < 0:  # no status means that: ask which one was meant
            return _Reading(options=_all_kinds(), reason=AskReason.WHICH_STATUS), used
        if pct == 100:
            if not_yet:
                return _Reading(options=(Intent(ChangeKind.DONE), Intent(ChangeKind.PROGRESS, progress=99)),
                                reason=AskReason.CONFLICT), used
            used.extend(_plain_done(work, done) + progress)
            return _Reading(Intent(ChangeKind.DONE, note=remainder(), documents=tuple(docs))), used
        used.extend(_plain_done(work, done) + progress + not_yet)
        return _Reading(Intent(ChangeKind.PROGRESS, progress=pct, note=remainder(), documents=tuple(docs))), used
    if done:
        used.extend(_plain_done(work, done))
        if progress or not_yet:
            used.extend(progress)
            note = remainder()
            return _Reading(
                options=(Intent(ChangeKind.DONE, note=note, documents=tuple(docs)),
                         Intent(ChangeKind.PROGRESS, note=note, documents=tuple(docs))),
                reason=AskReason.CONFLICT,
            ), used
        return _Reading(Intent(ChangeKind.DONE, note=remainder(), documents=tuple(docs))), used
    if not_yet and not progress and not future_done:
        used.extend(not_yet)
        return _Reading(
            options=(Intent(ChangeKind.PROGRESS, note=remainder(), documents=tuple(docs)),
                     Intent(ChangeKind.BLOCKED, documents=tuple(docs))),
            reason=AskReason.CONFLICT,
        ), used
    if progress or future_done or not_yet:
        used.extend(p for p in progress if _PROGRESS_PLAIN.fullmatch(re.sub(r"\s+", " ", work[p[0] : p[1]])))
        used.extend(not_yet)
        return _Reading(Intent(ChangeKind.PROGRESS, note=remainder(), documents=tuple(docs))), used
    if submitted:
        note = _note(t, a, b, skip)
        return _Reading(
            options=(Intent(ChangeKind.DONE, note=note, documents=tuple(docs)),
                     Intent(ChangeKind.PROGRESS, note=note, documents=tuple(docs))),
            reason=AskReason.CONFLICT,
        ), used
    if docs:
        note = _note(t, a, b, skip)
        return _Reading(
            options=(Intent(ChangeKind.DONE, note=note, documents=tuple(docs)),
                     Intent(ChangeKind.NOTE, note=note, documents=tuple(docs))),
            reason=AskReason.CONFLICT,
        ), used
    return _Reading(chatter=_chatter(work[a:b])), used


_BLOCKER_WORDS = ("vuong", "kho", "gap", "bi", "ach", "tro", "stuck", "blocked")


def _plain_done(work: str, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Done words removed from the note; "đã ban hành" stays, it says what was issued."""
    return [s for s in spans if "ban hanh" not in work[s[0] : s[1]]]


def _all_kinds() -> tuple[Intent, ...]:
    return (
        Intent(ChangeKind.DONE),
        Intent(ChangeKind.PROGRESS),
        Intent(ChangeKind.BLOCKED),
        Intent(ChangeKind.EXTENSION),
    )


_LEADING_FILLER = {
    "roi", "la", "va", "nhung", "nen", "a", "nhe", "nha", "ok", "oke", "em", "xin", "de", "nghi",
    "duoc", "voi", "thi", "ma", "cung", "hien", "nay", "tai", "con", "vi", "do", "boi", "ly", "nguyen",
    "nhan", "ca", "deu", "het", "viec", "nhiem", "vu", "nv", "so", "muc",
    "bot", "anh", "chi", "ad", "admin",
}
_TRAILING_FILLER = {
    "a", "nhe", "nha", "roi", "ok", "oke", "em", "anh", "chi", "bot", "cam", "on", "thanks", "tks", "nhieu",
    "rat", "xin", "va", "la", "thi", "ma", "da", "do", "vi", "voi", "den", "toi", "ah", "ak", "ca", "deu", "het",
}


def _clean_note(raw: str, t: _Text | None = None, offset: int = 0, skip: Sequence[tuple[int, int]] = ()) -> str | None:
    """Trim connecting words and punctuation at both ends; None if nothing is left."""
    if t is not None and skip:
        chars = list(raw)
        for s, e in skip:
            for i in range(max(s - offset, 0), min(e - offset, len(chars))):
                chars[i] = " "
        raw = "".join(chars)
    text = re.sub(r"[ \t]+", " ", raw).strip()
    while True:
        before = text
        text = text.strip(" \t\n,.;:-–—!?)(\"'“”…")
        words = text.split(" ")
        while words and (
            _fold(words[0]).strip(",.;:-!?") in _LEADING_FILLER
            # a lone "đã" left over from "đã hoàn thành, …"; "đã góp ý" keeps it
            or (_fold(words[0]).strip(",.;:-!?") == "da" and (len(words) == 1 or words[0].endswith(",") or not _fold(words[1]).strip(",.;:-!?")))
        ):
            words.pop(0)
        while words and _fold(words[-1]).strip(",.;:-!?") in _TRAILING_FILLER:
            words.pop()
        text = " ".join(words)
        if text == before:
            break
    text = text.strip()
    if not text or not re.search(r"\w", text):
        return None
    # Another thank-you, nothing more: not a note.
    if all(w in _THANKS | _ACK | _FILLER | _GREETING for w in _TOKEN.findall(_fold(text))):
        return None
    return text[:MAX_NOTE]


def _fold(text: str) -> str:
    return "".join(_fold_char(c) for c in text)


_RE_AUX_BEFORE = re.compile(r"(?:(?<![a-z0-9])(?:da|da duoc|deu da|deu|duoc)\s)$")


def _note(t: _Text, a: int, b: int, remove: Sequence[tuple[int, int]]) -> str | None:
    """The clause as typed without the task numbers and status words: the note."""
    widened = []
    for s, e in remove:
        # "đã" belongs to the status word it precedes ("đã xong phần dự thảo" → "phần dự thảo")
        m = _RE_AUX_BEFORE.search(t.key[max(a, s - 9) : s])
        widened.append((max(a, s - 9) + m.start() if m else s, e))
    return _clean_note(t.original(a, b), t, a, widened)


def _reason(t: _Text, a: int, b: int, remove: Sequence[tuple[int, int]]) -> str | None:
    """The reason after "vì", "do", "lý do" if there is one, else whatever is left."""
    work = t.work
    for m in _RE_REASON.finditer(work, a, b):
        if _in_spans(m.start(), remove):
            continue
        # "vì" must start the reason, not be the end of another word or inside a masked span
        text = _clean_note(t.original(m.end(), b), t, m.end(), remove)
        if text:
            return text
    return _note(t, a, b, remove)


def _chatter(segment: str) -> Chatter:
    tokens = _TOKEN.findall(segment.replace(_MASK, " "))
    if not tokens:
        return Chatter.EMPTY
    if _QUESTION_WORDS.search(segment):
        return Chatter.QUESTION
    words = set(tokens)
    polite = _THANKS | _ACK | _GREETING | _FILLER
    if words <= polite:
        if words & {"cam", "camon", "cmon", "thanks", "thank", "tks", "thx", "🙏"}:
            return Chatter.THANKS
        if words & {"chao", "hello", "hi", "alo", "helo", "👋"}:
            return Chatter.GREETING
        if words & _ACK:
            return Chatter.ACK
        return Chatter.ACK if words - {"!", ".", ","} else Chatter.EMPTY
    return Chatter.UNCLEAR


# --- targets -------------------------------------------------------------------------------


def _targets(clause: _Clause, items: Sequence[ContextItem]) -> tuple[list[Target], Question | None]:
    """The clause's targets, or the reason to ask (returned as a question without options)."""
    by_number = {i.number: i for i in items}
    by_task: dict[int, list[ContextItem]] = {}
    for item in items:
        by_task.setdefault(item.task_id, []).append(item)
    if clause.all_items and not clause.refs:
        return [Target(item=i) for i in items], None
    if not clause.refs:
        if len(items) == 1:
            return [Target(item=items[0])], None
        if not items:
            return [], Question(AskReason.NO_ITEMS, (), "")
        return [], Question(AskReason.WHICH_ITEM, (), "")
    targets: list[Target] = []
    for ref in clause.refs:
        numbered = by_number.get(ref.number)
        coded = by_task.get(ref.number, []) if ref.explicit else []
        if numbered is not None and coded and any(c.due_item_id != numbered.due_item_id for c in coded):
            return [], Question(AskReason.AMBIGUOUS_NUMBER, (), "", str(ref.number))
        if numbered is not None:
            targets.append(Target(item=numbered))
        elif coded:
            targets.append(Target(item=coded[0]))
        elif ref.explicit and (not items or ref.number > len(items) + (items[0].number - 1 if items else 0)):
            targets.append(Target(task_id=ref.number))
        elif not items:
            return [], Question(AskReason.NO_ITEMS, (), "", str(ref.number))
        else:
            return [], Question(AskReason.UNKNOWN_NUMBER, (), "", str(ref.number))
    unique: dict[tuple[int | None, int | None], Target] = {}
    for target in targets:
        unique.setdefault((target.item.due_item_id if target.item else None, target.task_id), target)
    return list(unique.values()), None


def _options_for(question: Question, items: Sequence[ContextItem], intents: Sequence[Intent]) -> tuple[Planned, ...]:
    """Every candidate item with every status the clause may mean."""
    if question.reason is AskReason.AMBIGUOUS_NUMBER and question.detail is not None:
        n = int(question.detail)
        candidates = [i for i in items if i.number == n] + [i for i in items if i.task_id == n and i.number != n]
        return tuple(Planned(Target(item=i), intent) for i in candidates for intent in intents)
    if question.reason in (AskReason.WHICH_ITEM, AskReason.UNKNOWN_NUMBER):
        return tuple(Planned(Target(item=i), intent) for i in items for intent in intents)
    return ()


# --- the entry points ------------------------------------------------------------------------


def parse_reply(text: str, items: Sequence[ContextItem] = (), *, today: date) -> ReplyOutcome:
    """What a reply to a message listing `items` says (see the module doc). Never raises."""
    try:
        return _parse(text, tuple(items), today=today, forced=None)
    except Exception:  # noqa: BLE001 - a reply we cannot read must never break the bot
        return ReplyOutcome(chatter=Chatter.UNCLEAR)


def parse_status(text: str, target: Target, *, today: date) -> ReplyOutcome:
    """/capnhat <mã> <text>: the status words for a known target (numbers are not tasks)."""
    try:
        return _parse(text, (), today=today, forced=target)
    except Exception:  # noqa: BLE001
        return ReplyOutcome(chatter=Chatter.UNCLEAR)


def _parse(text: str, items: tuple[ContextItem, ...], *, today: date, forced: Target | None) -> ReplyOutcome:
    t = _Text(text, today)
    if not t.work.strip():
        return ReplyOutcome(chatter=Chatter.EMPTY)
    if forced is not None:
        clauses = [_Clause(0, len(t.work))]
    else:
        clauses = _split(t)
    changes: list[Planned] = []
    questions: list[Question] = []
    chatter: list[Chatter] = []
    for clause in clauses:
        reading, _ = _read(t, clause)
        raw = t.original(clause.start, clause.end).strip()
        if (said := reading.chatter) is not None:
            if clause.refs and said not in (Chatter.QUESTION,):
                reading = _Reading(options=_all_kinds(), reason=AskReason.WHICH_STATUS)
            else:
                chatter.append(said)
                continue
        intents = [reading.intent] if reading.intent is not None else list(reading.options)
        if forced is not None:
            targets: list[Target] = [forced]
            missing: Question | None = None
        else:
            targets, missing = _targets(clause, items)
        if missing is not None:
            questions.append(replace(missing, options=_options_for(missing, items, intents), text=raw))
            continue
        if reading.intent is not None:
            changes.extend(Planned(target, reading.intent) for target in targets)
        else:
            for target in targets:
                questions.append(
                    Question(reading.reason or AskReason.WHICH_STATUS,
                             tuple(Planned(target, intent) for intent in reading.options), raw)
                )
    if changes or questions:
        # The same item twice ("2 xong, nv2 xong"): the last statement wins.
        last: dict[tuple[int | None, int | None], Planned] = {}
        for change in changes:
            key = (change.target.item.due_item_id if change.target.item else None, change.target.task_id)
            last.pop(key, None)
            last[key] = change
        return ReplyOutcome(tuple(last.values()), tuple(questions))
    for kind in (Chatter.QUESTION, Chatter.THANKS, Chatter.GREETING, Chatter.ACK, Chatter.UNCLEAR):
        if kind in chatter:
            if kind is Chatter.ACK and Chatter.UNCLEAR in chatter:
                return ReplyOutcome(chatter=Chatter.UNCLEAR)
            return ReplyOutcome(chatter=kind)
    return ReplyOutcome(chatter=Chatter.EMPTY)


def parse_note_answer(text: str) -> str | None:
    """The one line explaining a blocker (answer to the bot's question); None if empty."""
    cleaned, _ = _prepare(text)
    cleaned = " ".join(cleaned.split())
    cleaned = re.sub(r"^(?:(?:vướng mắc|vuong mac|do|vì|vi|lý do|ly do)\s*[:\-]?\s*)+", "", cleaned, flags=re.IGNORECASE)
    cleaned = cleaned.strip(" .,;:-")
    return cleaned[:MAX_NOTE] or None


@dataclass(frozen=True)
class ExtensionAnswer:
    new_due_on: date | None
    reason: str | None
    extend_by: tuple[int, str] | None = None
    bad_date: str | None = None


def parse_extension_answer(text: str, *, today: date) -> ExtensionAnswer:
    """The answer to "which date, and why?": "15/12/2025 vì chờ hướng dẫn của Bộ"."""
    try:
        t = _Text(text, today)
        clause = _Clause(0, len(t.work))
        target = next((d for d in t.dates if d.keyed or d.rel), None) or (t.dates[0] if t.dates else None)
        if target is None:
            return ExtensionAnswer(None, _clean_note(t.text))
        spans = [(target.start, target.end)]
        m = re.search(r"(?:\b(?:den|toi|sang|lui|cho den|xin gia han|gia han)\s*(?:den\s*)?(?:ngay\s*|het\s*)?)$",
                      t.work[max(0, target.start - 24) : target.start])
        if m:
            spans.append((max(0, target.start - 24) + m.start(), target.start))
        reason = _reason(t, clause.start, clause.end, spans)
        if target.rel is not None:
            return ExtensionAnswer(None, reason, extend_by=target.rel)
        resolved = target.resolve(today=today, future=True)
        if resolved is None or resolved < today:
            return ExtensionAnswer(None, reason, bad_date=t.original(target.start, target.end))
        return ExtensionAnswer(resolved, reason)
    except Exception:  # noqa: BLE001
        return ExtensionAnswer(None, None)


_COMPLETION = re.compile(
    r"^(?:(?:da\s+)?(?:hoan thanh|xong)\s+)?(?:tu|vao|hom|luc)?\s*(?:ngay\s+)?"
    r"(?P<d>\d{1,2})\s*[/.-]\s*(?P<m>\d{1,2})(?:\s*[/.-]\s*(?P<y>\d{4}))?\s*[.!]?$"
)


def completion_date(intent: Intent, today: date) -> date | None:
    """The day a "done" says the work was finished ("xong từ 20/12/2021", "đã hoàn thành
    ngày 15/3" — a year left out is the latest such day not after today), or None when it
    gives none or the day does not exist. A day after today is returned as it is: the
    status rules refuse it."""
    if intent.kind is not ChangeKind.DONE or not intent.note:
        return None
    found = _COMPLETION.match(_fold_key(intent.note))
    if found is None:
        return None
    day, month = int(found["d"]), int(found["m"])
    try:
        if found["y"]:
            return date(int(found["y"]), month, day)
        this_year = date(today.year, month, day)
    except ValueError:
        return None
    if this_year <= today:
        return this_year
    try:
        return date(today.year - 1, month, day)
    except ValueError:  # 29/2 of a leap year, asked the next year
        return None


def _fold_key(text: str) -> str:
    return " ".join("".join(_fold_char(ch) for ch in unicodedata.normalize("NFC", text.lower())).split())


# --- plain messages in a group the bot reads in full ----------------------------------------

_ADDRESSED = re.compile(
    r"^\s*(?:(?:nhiem vu|nhiemvu|viec|so)\s*)?(?:nv\s*[-_.]?\s*|#\s*)?\d{1,6}"
    r"(?:\s*(?:,|;|&|va|-)\s*(?:nv\s*)?\d{1,6})*(?=\s|$|[:.!)])(?![.:]\d)"
)


def addressed_plainly(text: str) -> bool:
    """Whether a message typed in a group WITHOUT replying to the bot is meant for it: it
    starts with a task number or code ("5 xong", "NV12 đang làm 60%", "nhiệm vụ 3, 4 xong",
    "#7: vướng …"); the reply parser then decides what it says. Anything else ("15/12 họp",
    "1.5 triệu", "ok", "chào cả nhà") is the group's own conversation."""
    return bool(_ADDRESSED.match(_fold_key(text)))


# --- "tạm dừng nhắc NV3 đến 15/1": snoozing one task's reminders --------------------------------

_SNOOZE = re.compile(
    r"^\s*(?:xin\s*)?(?:tam\s*dung|tam\s*ngung|ngung|hoan|tat)\s*nhac(?:\s*viec)?\s*(?:nhiem\s*vu\s*|viec\s*)?"
    r"(?:(nv\s*[-_.]?\s*|#\s*)(\d{1,9})|(\d{1,3}))\b"
)


@dataclass(frozen=True)
class Snooze:
    """"tạm dừng nhắc NV3 đến 15/1 vì …": no reminder of that task (code) or of the reminder's
    item (number) before `until` (None: until someone resumes it; `bad_date`: a date was typed
    that does not exist or is not after today)."""

    task_id: int | None = None
    number: int | None = None
    until: date | None = None
    bad_date: bool = False
    reason: str | None = None


def parse_snooze(text: str, *, today: date) -> Snooze | None:
    """The snooze a message asks for, or None when it is not one. Outcomes:

    - "tạm dừng nhắc NV3 đến 15/1" → task 3 until 15/01 (the next 15/01 from today);
    - "tạm dừng nhắc 2 đến 31/12/2026 vì chờ Bộ hướng dẫn" → item 2 of the replied reminder,
      until 31/12/2026, the reason kept;
    - "tạm dừng nhắc NV3" → until resumed (no date);
    - "tạm dừng nhắc NV3 đến 31/2" or a past date → bad_date (ask again);
    - anything else (a report, chatter) → None.
    """
    key = _fold_key(text)
    match = _SNOOZE.match(key)
    if match is None:
        return None
    task_id = int(match.group(2)) if match.group(2) else None
    number = int(match.group(3)) if match.group(3) else None
    rest = key[match.end():]
    dates = _find_dates(rest)
    until: date | None = None
    bad = False
    if dates:
        until = dates[0].resolve(today=today, future=True)
        bad = until is None or until <= today
        if bad:
            until = None
    reason = None
    why = re.search(r"\b(?:vi|do|ly do)\b[:\s]*", rest)
    if why is not None:
        raw = " ".join(text.split())  # _fold_key collapses spaces: positions agree on this form
        reason = raw[match.end() + why.end():].strip(" .;:") or None
    return Snooze(task_id=task_id, number=number, until=until, bad_date=bad, reason=reason)


@dataclass(frozen=True)
class Pause:
    """The words after /tamdung: until when (None: until /tieptuc) and why."""

    until: date | None = None
    bad_date: bool = False
    reason: str | None = None


def parse_pause(text: str, *, today: date) -> Pause:
    """'/tamdung đến 15/1 nghỉ Tết' → until 15/01 (the next one), reason "nghỉ Tết"; no date →
    until resumed; a date that does not exist or is not after today → bad_date."""
    key = _fold_key(text)
    raw = " ".join(text.split())
    dates = _find_dates(key)
    until: date | None = None
    bad = False
    reason_from = 0
    if dates:
        until = dates[0].resolve(today=today, future=True)
        bad = until is None or until <= today
        until = None if bad else until
        reason_from = dates[0].end
    head = re.match(r"\s*(?:den|toi|cho den)?\s*$", key[: dates[0].start]) if dates else None
    if dates and head is None:
        reason_from = 0  # the date is inside the reason ("họp 15/1"): keep the words whole
    reason = re.sub(r"^\s*(?:vì|vi|do|lý do|ly do)(?=[\s:])[:\s]*", "", raw[reason_from:], flags=re.IGNORECASE).strip(" .;:,") or None
    return Pause(until=until, bad_date=bad, reason=reason)
