"""Plan parser: a read PlanDocument → PlanDraft (metadata, tasks, due dates, review flags).

Tasks come from one of two shapes, never both:
- an appendix table with the plan's own columns (STT, Nội dung/Nhiệm vụ, Sản phẩm,
  Cơ quan chủ trì, Cơ quan phối hợp, Thời gian hoàn thành, Ghi chú) — Phú Thọ;
- otherwise prose: the items of the task sections (headings naming nhiệm vụ, giải pháp,
  tổ chức thực hiện). A sentence starting with an agency, or a heading that is only an
  agency ("b) Văn phòng Ủy ban nhân dân tỉnh"), gives the lead; deadline phrases are
  looked for after trigger words ("hoàn thành trước ngày …", "trong Quý III/2025",
  "định kỳ hàng tháng", "ngay sau khi …") so that dates inside document citations
  ("Nghị định số 09/2019/NĐ-CP ngày 24/01/2019") are not taken for deadlines.

What the parser cannot know it says: every task carries `needs_review` reasons.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from bot.domain.agencies import AgencyGroup, Directory, Province, identify_province
from bot.domain.deadlines import DeadlineKind, DeadlineRule, due_dates, parse_deadline
from bot.domain.plans.document import Paragraph, PlanDocument, Table
from bot.domain.plans.draft import PlanDraft, PlanMeta, ReviewReason, TaskDraft
from bot.domain.plans.items import RawTask
from bot.domain.plans.meta import extract_meta
from bot.domain.plans.tables import tasks_from_tables
from bot.domain.text import clean, fold, vn_key

DirectoryLoader = Callable[[str], Directory]

# --- prose -----------------------------------------------------------------------------

_ROMAN_HEADING = re.compile(r"^([IVXL]+)\s*\.\s*(.+)$")
_NUMBERED = re.compile(r"^(\d+(?:\.\d+)*)\.\s+(.+)$")
_LETTERED = re.compile(r"^([a-zđ])\)\s+(.+)$")
_BULLET = re.compile(r"^[-+•*–]\s*(.+)$")
_TASK_SECTION = ("nhiem vu", "giai phap", "to chuc thuc hien", "phan cong")
_NON_TASK_SECTION = ("muc dich", "muc tieu", "yeu cau", "chi tieu", "can cu", "ket qua dat")
# Closing formulas after the last task ("Trên đây là Kế hoạch…", "Trong quá trình triển
# khai thực hiện nếu có khó khăn, vướng mắc…") and the distribution list.
_END_SECTION = ("noi nhan", "tren day la", "trong qua trinh trien khai", "trong qua trinh thuc hien")
_SENTENCE_BREAK = re.compile(r"(?<=[.;!?])\s+(?=[A-ZĐÀ-ỸÁẢẠÃÂẤẦẨẪẬĂẮẰẲẴẶÉÈẺẼẸÊẾỀỂỄỆÍÌỈĨỊÓÒỎÕỌÔỐỒỔỖỘƠỚỜỞỠỢÚÙỦŨỤƯỨỪỬỮỰÝỲỶỸỴ])")

_DATE = r"\d{1,2}\s*[/.-]\s*\d{1,2}(?:\s*[/.-]\s*\d{4})?"
_LONG_DATE = r"ngay\s+\d{1,2}\s+thang\s+\d{1,2}(?:\s+nam\s+\d{4})?"
_QUARTER = r"quy\s+(?:[ivx]+|\d)(?:\s*/\s*\d{4}|\s+nam\s+\d{4})?"
_MONTH = r"thang\s+\d{1,2}(?:\s*/\s*\d{4}|\s+nam\s+\d{4})?"
_YEAR = r"nam\s+\d{4}"
_WHEN = rf"(?:{_LONG_DATE}|(?:ngay\s+)?{_DATE}|{_QUARTER}|{_MONTH}|{_YEAR}|6\s+thang\s+(?:dau|cuoi)\s+nam(?:\s+\d{{4}})?)"
_DEADLINE_PHRASES = (
    re.compile(
        rf"(?:hoan thanh\s+)?(?:truoc|den het|den|het|trong|vao|cham nhat(?:\s+la)?|xong truoc)\s+{_WHEN}"
    ),
    re.compile(r"dinh ky\s+hang\s+(?:thang|quy|nam)|\bhang\s+(?:thang|quy)\b"),
    re.compile(r"ngay sau khi\s+[^,.;]+"),
)


def find_deadline_phrase(text: str) -> tuple[str, int] | None:
    """The first deadline phrase in a sentence (original text) and where it starts.

    Phrases must follow a trigger word; a bare date belongs to a citation, not a deadline.
    """
    key = fold(text)
    if len(key) != len(text):  # folding changed lengths: fall back to folded text
        source = key
    else:
        source = text
    best: tuple[int, int] | None = None
    for pattern in _DEADLINE_PHRASES:
        match = pattern.search(key)
        if match and (best is None or match.start() < best[0]):
            best = (match.start(), match.end())
    if best is None:
        return None
    return source[best[0] : best[1]], best[0]


@dataclass
class _AliasIndex:
    """Folded names/aliases of agencies and groups, to find an agency at a sentence start."""

    entries: list[tuple[str, str]] = field(default_factory=list)  # (folded alias, phrase)

    @classmethod
    def build(cls, directory: Directory) -> _AliasIndex:
        seen: dict[str, str] = {}
        for item in [*directory.agencies.values(), *directory.groups.values()]:
            for name in (item.name, *item.aliases):
                key = fold(name)
                if len(key) >= 4:
                    seen.setdefault(key, name)
        entries = sorted(seen.items(), key=lambda kv: -len(kv[0]))
        return cls(entries)

    def at_start(self, text: str) -> str | None:
        """The longest agency phrase the text starts with (original characters)."""
        key = fold(text)
        for alias, _ in self.entries:
            if key.startswith(alias) and (len(key) == len(alias) or not key[len(alias)].isalnum()):
                return text[: len(alias)] if len(key) == len(text) else alias
        return None


@dataclass
class _Heading:
    level: int
    label: str  # "II", "3", "a"
    text: str
    task_section: bool | None  # None: inherit
    lead_codes: tuple[str, ...] | None = None
    lead_text: str | None = None


def _section_kind(text: str) -> bool | None:
    key = fold(text)
    if any(word in key for word in _TASK_SECTION):
        return True
    if any(word in key for word in _NON_TASK_SECTION):
        return False
    return None


def _looks_like_heading(text: str) -> bool:
    """Headings are short and do not end a sentence."""
    return len(text) <= 160 and not text.rstrip().endswith((".", ";", ":"))


def _agency_heading(text: str, directory: Directory) -> tuple[tuple[str, ...], str] | None:
    """A heading that is nothing but an agency list assigns the items under it."""
    if len(text) > 160:
        return None
    resolution = directory.resolve(text)
    if resolution.unknown or resolution.uncertain:
        return None
    codes = _lead_codes(resolution.agencies, resolution.groups)
    return (codes, text) if codes else None


def _lead_codes(agencies: Sequence, groups: Sequence[AgencyGroup]) -> tuple[str, ...]:
    codes = [a.code for a in agencies]
    # A group with no known members in this province is reminded as one collective.
    codes += [g.code for g in groups if not g.members]
    return tuple(dict.fromkeys(codes))


def _split_tasks(text: str, index: _AliasIndex) -> list[str]:
    """One item → one or more task texts: a new task starts at a sentence that begins
    with an agency, or that has its own deadline when the current one already has one."""
    sentences = [s for s in _SENTENCE_BREAK.split(text) if s.strip()]
    groups: list[list[str]] = []
    has_deadline = False
    for sentence in sentences:
        starts_with_agency = index.at_start(sentence) is not None
        sentence_deadline = find_deadline_phrase(sentence) is not None
        if groups and (starts_with_agency or (sentence_deadline and has_deadline)):
            groups.append([sentence])
            has_deadline = sentence_deadline
        elif groups:
            groups[-1].append(sentence)
            has_deadline = has_deadline or sentence_deadline
        else:
            groups.append([sentence])
            has_deadline = sentence_deadline
    return [" ".join(g) for g in groups]


def tasks_from_prose(
    paragraphs: Sequence[str], directory: Directory, *, fallback_to_targets: bool = True
) -> tuple[list[RawTask], list[str]]:
    """Tasks from the task sections of a prose plan, and document-level warnings."""
    index = _AliasIndex.build(directory)
    stack: list[_Heading] = []
    counters: dict[tuple[str, ...], int] = {}
    tasks: list[RawTask] = []
    targets: list[RawTask] = []
    started = False  # the body starts at the first roman heading
    ended = False
    preamble: set[str] = set()  # lines before the body: seen again = the page repeated itself

    def path() -> tuple[str, ...]:
        return tuple(h.label for h in stack)

    def in_task_section() -> bool | None:
        for heading in reversed(stack):
            if heading.task_section is not None:
                return heading.task_section
        return None

    def heading_lead() -> tuple[tuple[str, ...], str] | None:
        for heading in reversed(stack):
            if heading.lead_codes:
                return heading.lead_codes, heading.lead_text or ""
        return None

    def section_name() -> str | None:
        names = [f"{h.label}. {h.text}" if h.level == 1 else f"{h.label}. {h.text}" for h in stack[:2]]
        return " › ".join(names) if names else None

    def push(level: int, label: str, text: str) -> None:
        while stack and stack[-1].level >= level:
            stack.pop()
        heading = _Heading(level, label, text, _section_kind(text))
        if found := _agency_heading(text, directory):
            heading.lead_codes, heading.lead_text = found
        stack.append(heading)

    def add_item(label: str | None, text: str) -> None:
        base = path() + ((label,) if label else ())
        if label is None:
            counters[base] = counters.get(base, 0) + 1
            base = base + (str(counters[base]),)
        pieces = _split_tasks(text, index)
        for n, piece in enumerate(pieces, start=1):
            ref = ".".join(base) + (f"-{n}" if len(pieces) > 1 else "")
            deadline = find_deadline_phrase(piece)
            lead_text = index.at_start(piece)
            raw = RawTask(
                ref=ref,
                section=section_name(),
                title=piece,
                lead_text=lead_text,
                deadline_text=deadline[0] if deadline else None,
            )
            if lead_text is None and (inherited := heading_lead()):
                raw.lead_codes, raw.lead_text = inherited
            kind = in_task_section()
            if kind:
                tasks.append(raw)
            elif kind is False and _is_target_section():
                targets.append(raw)

    def _is_target_section() -> bool:
        return any("muc tieu" in fold(h.text) for h in stack)

    for text in paragraphs:
        text = clean(text)
        key = fold(text)
        if ended or not any(ch.isalnum() for ch in text):
            continue
        if started and any(key.startswith(word) for word in _END_SECTION):
            ended = True
            continue
        if started and vn_key(text) in preamble:
            # A web page that repeats the document header restarts the document: parse
            # the repeat from the top again; its tasks get the same refs and are deduped.
            started = False
            stack.clear()
            counters.clear()
        if match := _ROMAN_HEADING.match(text):
            started = True
            push(1, match.group(1), match.group(2))
            continue
        if not started:
            preamble.add(vn_key(text))
            continue
        if match := _NUMBERED.match(text):
            label, body = match.groups()
            level = 2 + label.count(".")
            if _looks_like_heading(body):
                push(level, label, body)
            else:
                while stack and stack[-1].level >= level:
                    stack.pop()
                add_item(label, body)
            continue
        if match := _LETTERED.match(text):
            label, body = match.groups()
            if _looks_like_heading(body):
                push(5, label, body)
            else:
                while stack and stack[-1].level >= 5:
                    stack.pop()
                add_item(label, body)
            continue
        if match := _BULLET.match(text):
            add_item(None, match.group(1))
            continue
        add_item(None, text)

    warnings: list[str] = []
    if any(clean(p) in ("[...]", "[…]", "...", "…") for p in paragraphs):
        warnings.append("Văn bản có chỗ bị cắt bớt ([...]); có thể còn thiếu nhiệm vụ.")
    if not tasks and targets and fallback_to_targets:
        warnings.append(
            "Không tìm thấy phần nhiệm vụ; các mục tiêu của kế hoạch được lấy làm nhiệm vụ, "
            "cần rà soát."
        )
        tasks = targets
    return tasks, warnings


# --- assembling the draft ---------------------------------------------------------------


def _dedupe(tasks: list[RawTask]) -> list[RawTask]:
    """Drop blocks the source page repeated: same ref or same content seen before."""
    seen_refs: set[str] = set()
    seen_titles: set[str] = set()
    out = []
    for task in tasks:
        title_key = vn_key(task.title)
        if task.ref in seen_refs or title_key in seen_titles:
            continue
        seen_refs.add(task.ref)
        seen_titles.add(title_key)
        out.append(task)
    return out


def _resolve(
    task: RawTask, directory: Directory, meta: PlanMeta
) -> TaskDraft:
    reasons: list[ReviewReason] = []
    if task.lead_codes is not None:
        lead = task.lead_codes
    elif task.lead_text:
        resolution = directory.resolve(task.lead_text)
        lead = _lead_codes(resolution.agencies, resolution.groups)
        if resolution.unknown:
            reasons.append(ReviewReason.UNKNOWN_AGENCY)
        if resolution.uncertain:
            reasons.append(ReviewReason.LOW_CONFIDENCE_AGENCY)
    else:
        lead = ()
    if not lead:
        reasons.append(ReviewReason.NO_LEAD)
    support: tuple[str, ...] = ()
    if task.support_text:
        resolution = directory.resolve(task.support_text)
        support = tuple(c for c in _lead_codes(resolution.agencies, resolution.groups) if c not in lead)
        if resolution.uncertain and ReviewReason.LOW_CONFIDENCE_AGENCY not in reasons:
            reasons.append(ReviewReason.LOW_CONFIDENCE_AGENCY)

    first, last = meta.period or ((meta.issued_on.year,) * 2 if meta.issued_on else (None, None))
    plan_year = first if first is not None and first == last else None
    rule = parse_deadline(task.deadline_text or "", plan_year=plan_year)
    dates: list[date] = []
    assumed = False
    if first is not None and last is not None:
        dates = due_dates(rule, first_year=first, last_year=last, not_before=meta.issued_on)
    if rule.kind == DeadlineKind.UNPARSED:
        reasons.append(ReviewReason.DEADLINE_UNPARSED)
    elif rule.kind == DeadlineKind.EVENT:
        reasons.append(ReviewReason.EVENT_DEADLINE)
    elif rule.kind == DeadlineKind.NONE and not task.deadline_text:
        if last is not None:
            dates = [date(last, 12, 31)]
            assumed = True
            reasons.append(ReviewReason.DEADLINE_ASSUMED)
        else:
            reasons.append(ReviewReason.NO_DEADLINE)
    elif rule.kind == DeadlineKind.NONE:
        reasons.append(ReviewReason.NO_DEADLINE)
    return TaskDraft(
        ref=task.ref,
        section=task.section,
        title=task.title,
        product=task.product,
        lead_text=task.lead_text,
        support_text=task.support_text,
        lead=lead,
        support=support,
        deadline=rule,
        due_dates=tuple(sorted(set(dates))),
        assumed=assumed,
        needs_review=tuple(dict.fromkeys(reasons)),
        notes=task.notes,
    )


def parse_plan(
    document: PlanDocument,
    *,
    provinces: Sequence[Province],
    load_directory: DirectoryLoader,
    province: str | None = None,
) -> PlanDraft:
    """Parse a read plan. `province` (a slug) overrides what the header says."""
    fields = extract_meta(document)
    lines: list[str] = fields.pop("lines")  # type: ignore[assignment]
    warnings: list[str] = []
    slug = province
    if slug is None:
        header = " \n".join(lines[:40])
        found = identify_province(header, list(provinces))
        slug = found.slug if found else None
    if slug is None:
        raise PlanProvinceUnknown(
            "Không xác định được tỉnh ban hành kế hoạch: đầu văn bản không có "
            "“Ủy ban nhân dân tỉnh …” hoặc tên tỉnh chưa có trong danh bạ."
        )
    directory = load_directory(slug)
    meta = PlanMeta(province=slug, **fields)  # type: ignore[arg-type]
    for name, label in (("number", "số hiệu"), ("issued_on", "ngày ban hành"), ("period", "thời kỳ kế hoạch")):
        if getattr(meta, name) is None:
            warnings.append(f"Không đọc được {label} của kế hoạch.")

    tables = [b for b in document.blocks if isinstance(b, Table)]
    raw_tasks = tasks_from_tables(tables)
    if not raw_tasks:
        paragraphs = [b.text for b in document.blocks if isinstance(b, Paragraph)]
        raw_tasks, prose_warnings = tasks_from_prose(paragraphs, directory)
        warnings.extend(prose_warnings)
    if not raw_tasks:
        warnings.append("Không tìm thấy nhiệm vụ nào trong kế hoạch.")
    tasks = tuple(_resolve(t, directory, meta) for t in _dedupe(raw_tasks))
    return PlanDraft(
        meta=meta,
        tasks=tasks,
        source_name=document.name,
        source_sha256=document.sha256,
        warnings=tuple(warnings),
    )


class PlanProvinceUnknown(Exception):
    """The plan does not say which province issued it. `message` is Vietnamese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def with_province(draft: PlanDraft, slug: str) -> PlanDraft:
    return replace(draft, meta=replace(draft.meta, province=slug))
