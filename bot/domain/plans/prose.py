"""Tasks written as prose: the walker over the body of a plan.

It reads the paragraphs in order from the first part heading ("II.", "Phần II", "B." or
"2." in capitals — one style per plan) to the end ("Nơi nhận", "Trên đây là …"), keeps the
stack of headings (numbered "2.", "2.1.", lettered "a)"), and hands each item to its
layout family:
- `labelled` — items whose fields carry their names ("- Nội dung: …", "- Cơ quan thực
  hiện: …", "Thời gian thực hiện: …"); a label line is a field of the item above it,
  "+" lines under a label are that field's values;
- `headings` — a heading that names agencies gives the lead of every item under it; a
  line ending with ":" leads the list below it (and, dated, is itself the task);
- `sentences` — items whose sentences start with their agency.

Sections count by their names: tasks in "NHIỆM VỤ, GIẢI PHÁP", "NỘI DUNG (KẾ HOẠCH/HOẠT
ĐỘNG)", "CÁC NHIỆM VỤ TRỌNG TÂM", "TỔ CHỨC THỰC HIỆN", "CHẾ ĐỘ BÁO CÁO"; none in "MỤC ĐÍCH,
YÊU CẦU", "MỤC TIÊU", "KINH PHÍ". A heading nothing is written under is an item itself. A
plan issued by a Quyết định has its own "Nơi nhận" before the plan: the body starts again
at the plan's "KẾ HOẠCH" title. The closing paragraph may still set a dated duty.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.domain.agencies import Directory
from bot.domain.plans.headings import agency_heading, is_intro
from bot.domain.plans.items import RawTask
from bot.domain.plans.labelled import Fields, labelled_task, split_labels
from bot.domain.plans.phrases import AliasIndex, find_deadline_phrase, subject_agency
from bot.domain.plans.sentences import SENTENCE_BREAK, sentence_tasks
from bot.domain.text import clean, fold, vn_key

_ROMAN_HEADING = re.compile(r"^([IVXL]+)\s*[.:]\s*(.+)$")
# The parts of a plan: "II. NHIỆM VỤ", "Phần II. …", or in capitals "B. NHIỆM VỤ",
# "2. NHIỆM VỤ" — one style per plan, the first one met.
_TOP_STYLES: tuple[tuple[str, re.Pattern[str], bool], ...] = (
    ("roman", _ROMAN_HEADING, False),
    ("part", re.compile(r"^Phần\s+(?:thứ\s+)?([IVXL]+|\d+|[^\W\d_]+)\s*[.:]?\s+(.+)$", re.IGNORECASE), False),
    ("letter", re.compile(r"^([A-H])\s*[.:]\s+(.+)$"), True),
    ("arabic", re.compile(r"^(\d{1,2})\s*[.:]\s+(.+)$"), True),
)


def _is_caps(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 4 and sum(c.isupper() for c in letters) >= 0.9 * len(letters)


def _top_heading(text: str, style: str | None) -> tuple[str, str, str] | None:
    """(style, numeral, title) of a part heading in this plan's style (any, before the
    first part)."""
    for name, pattern, capitals in _TOP_STYLES:
        if style is not None and name != style:
            continue
        match = pattern.match(text)
        if match and len(match.group(2)) <= 200 and (not capitals or _is_caps(match.group(2))):
            return name, match.group(1), match.group(2)
    return None


_NUMBERED = re.compile(r"^(\d+(?:\.\d+)*)\.?\s+(.+)$")
_LETTERED = re.compile(r"^([a-zđ])\)\s*(.+)$")
_BULLET = re.compile(r"^([-+•*–])\s*(.+)$")
_BARE_LABEL = re.compile(r"^(?:[IVXL]+\.|\d+(?:\.\d+)*\.?|[a-zđ]\))$")
_PLAN_TITLE = re.compile(r"^KẾ HOẠCH(?:\s|$)")
_TASK_SECTION = (
    "nhiem vu", "giai phap", "to chuc thuc hien", "phan cong", "noi dung", "che do bao cao",
    "trach nhiem", "hoat dong",
)
_NON_TASK_SECTION = (
    "muc dich", "muc tieu", "yeu cau", "chi tieu", "can cu", "ket qua dat", "kinh phi",
    "thuc trang", "tinh hinh",
)
_DUTY_SECTION = ("to chuc thuc hien", "che do bao cao", "trach nhiem", "phan cong", "bao cao")
# Closing formulas after the last task ("Trên đây là Kế hoạch…", "Trong quá trình triển
# khai thực hiện nếu có khó khăn, vướng mắc…") and the distribution list.
_END_SECTION = ("noi nhan", "tren day la", "trong qua trinh trien khai", "trong qua trinh thuc hien")
@dataclass
class _Heading:
    level: int
    label: str  # "II", "3", "a"
    text: str
    task_section: bool | None  # None: inherit
    lead_codes: tuple[str, ...] | None = None
    lead_text: str | None = None
    has_items: bool = False  # a heading nothing was written under is an item itself


@dataclass
class _Item:
    """One item of a task section: a paragraph with the lines that belong to it."""

    ref: str
    section: str | None
    text: str
    in_tasks: bool
    is_target: bool  # in a "Mục tiêu" section: a task only if the plan has no task section
    heading_lead: tuple[tuple[str, ...], str] | None
    labelled: Fields | None = None
    last_field: str | None = None  # where "+" lines go
    parts: list[str] = field(default_factory=list)  # "+" lines of an unlabelled item


def _section_kind(text: str) -> bool | None:
    key = fold(text)
    if any(word in key for word in _TASK_SECTION):
        return True
    if any(word in key for word in _NON_TASK_SECTION):
        return False
    return None


def _looks_like_heading(text: str) -> bool:
    """Headings do not end a sentence and are not long (a heading nothing is written
    under is read as an item after all)."""
    return len(text) <= 300 and not text.rstrip().endswith((".", ";"))


def _join_broken_lines(paragraphs: Sequence[str]) -> list[str]:
    """Undo the breaks a web copy puts inside a paragraph: a bare number ("1.1.", "IV.",
    "a)") belongs to the next line; a line starting in lower case continues the last."""
    out: list[str] = []
    pending: str | None = None
    for raw in paragraphs:
        text = clean(raw)
        if not text:
            continue
        if pending is not None:
            text = f"{pending} {text}"
            pending = None
        if _BARE_LABEL.match(text):
            pending = text
            continue
        if out and text[0].islower() and not _LETTERED.match(text) and not out[-1].endswith(":"):
            out[-1] = f"{out[-1]} {text}"
            continue
        out.append(text)
    if pending is not None:
        out.append(pending)
    return out


def _tasks_of(item: _Item, index: AliasIndex) -> list[RawTask]:
    if item.labelled is not None:
        return [
            labelled_task(
                ref=item.ref, section=item.section, text=item.text, fields=item.labelled,
                heading_lead=item.heading_lead, index=index,
            )
        ]
    return sentence_tasks(
        ref=item.ref, section=item.section, text=" ".join([item.text, *item.parts]),
        heading_lead=item.heading_lead, index=index,
    )


def tasks_from_prose(
    paragraphs: Sequence[str],
    directory: Directory,
    *,
    fallback_to_targets: bool = True,
    dated_only: bool = False,
) -> tuple[list[RawTask], list[str]]:
    """Tasks from the task sections of a prose plan, and document-level warnings.

    `dated_only`: keep only tasks with a deadline phrase or a labelled layout (the plan
    has task tables, and its prose restates them apart from dated duties).
    """
    index = AliasIndex.build(directory)
    stack: list[_Heading] = []
    counters: dict[tuple[str, ...], int] = {}
    items: list[_Item] = []
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
            if heading.lead_codes or heading.lead_text:
                return heading.lead_codes or (), heading.lead_text or ""
        return None

    def section_name() -> str | None:
        names = [f"{h.label}. {h.text}" for h in stack[:2]]
        return " › ".join(names) if names else None

    def close(level: int) -> None:
        """Pop the headings at `level` and below; one with nothing under it was an item."""
        while stack and stack[-1].level >= level:
            heading = stack[-1]
            if heading.has_items or heading.level == 1 or heading.lead_codes:
                stack.pop()
                continue
            stack.pop()
            add_item(heading.label, heading.text)

    def push(level: int, label: str, text: str) -> None:
        close(level)
        heading = _Heading(level, label, text, _section_kind(text))
        if found := agency_heading(text, directory):
            heading.lead_codes, heading.lead_text = found
        stack.append(heading)

    def add_item(label: str | None, text: str) -> None:
        base = path() + ((label,) if label else ())
        if label is None:
            counters[base] = counters.get(base, 0) + 1
            base = base + (str(counters[base]),)
        kind = in_task_section()
        items.append(
            _Item(
                ref=".".join(base),
                section=section_name(),
                text=text,
                in_tasks=bool(kind),
                is_target=kind is False and _is_target_section(),
                heading_lead=heading_lead(),
            )
        )
        for heading in stack:
            heading.has_items = True
        fields = split_labels(text)
        if fields is not None:
            attach(fields, new=True)

    def attach(fields: Fields, *, new: bool = False) -> bool:
        """Labelled fields go to the last item; False when there is none to take them.

        Under a heading with nothing written under it yet, the fields are the heading's:
        "4. Tổ chức kiểm tra …" then "- Cơ quan thực hiện: …" is one labelled task.
        """
        if stack and not stack[-1].has_items and stack[-1].level > 1 and not new:
            heading = stack[-1]
            stack.pop()
            add_item(heading.label, heading.text)
            stack.append(heading)
            heading.has_items = True
        if not items:
            return False
        item = items[-1]
        if item.labelled is None:
            if new:
                item.labelled = fields
                item.text = fields.body or fields.values.get("title", "") or item.text
                item.last_field = list(fields.values)[-1] if fields.values else None
                return True
            item.labelled = Fields(body=" ".join([item.text, *item.parts]))
            item.parts = []
        for name, value in fields.values.items():
            old = item.labelled.values.get(name)
            item.labelled.values[name] = f"{old}; {value}" if old and value else value or old or ""
            item.last_field = name
        return True

    def plus_line(text: str) -> None:
        item = items[-1]
        if item.labelled is not None and item.last_field:
            old = item.labelled.values.get(item.last_field, "")
            item.labelled.values[item.last_field] = f"{old}; {text}" if old else text
        else:
            item.parts.append(text)

    def _is_target_section() -> bool:
        return any("muc tieu" in fold(h.text) for h in stack)

    top_style: str | None = None  # how this plan numbers its parts, from the first one
    intro_item: _Item | None = None  # a dated line ending with ":": its bullets are details
    bullet_open = False  # the last item is a "-" bullet: "+" lines belong to it
    for text in _join_broken_lines(paragraphs):
        key = fold(text)
        if not any(ch.isalnum() for ch in text):
            continue
        if ended:
            if _PLAN_TITLE.match(text):  # the plan after the Quyết định that issues it
                ended = started = False
                stack.clear()
                counters.clear()
                preamble.clear()
            continue
        if started and any(key.startswith(word) for word in _END_SECTION):
            close(2)
            ended = True
            # The closing paragraph may still set a dated duty ("… Định kỳ hằng năm
            # (trước ngày 30 tháng 11) báo cáo kết quả về Sở Xây dựng").
            dated = [x for x in SENTENCE_BREAK.split(text) if find_deadline_phrase(x)]
            if dated and stack:
                stack[1:] = []
                stack[0].task_section = True
                add_item("Z", " ".join(dated))
            continue
        if started and vn_key(text) in preamble:
            # A web page that repeats the document header restarts the document: parse
            # the repeat from the top again; its tasks get the same refs and are deduped.
            started = False
            stack.clear()
            counters.clear()
        if top := _top_heading(text, top_style):
            top_style, label, title = top
            started = True
            push(1, label, title)
            bullet_open = False
            continue
        if not started:
            preamble.add(vn_key(text))
            continue
        fields = split_labels(text)
        if fields is not None and not fields.body and "title" not in fields.values:
            # "Thời gian thực hiện: …", "- Cơ quan thực hiện: …": fields of the item above.
            if attach(fields):
                continue
        if match := (_NUMBERED.match(text) or _LETTERED.match(text)):
            label, body = match.groups()
            level = 2 + label.count(".") if label[0].isdigit() else 6
            bullet_open = False
            if is_intro(body) and agency_heading(body, directory) is None:
                # "c) X tổ chức thực hiện các nội dung sau (khi …):" — the subject leads
                # the list below; dated, the line is a task whose list is its detail.
                push(level, label, body.rstrip(":"))
                stack[-1].lead_text = stack[-1].lead_text or subject_agency(body, index)
                if find_deadline_phrase(body):
                    intro = stack.pop()
                    add_item(label, body)
                    intro.has_items = True
                    stack.append(intro)
                    intro_item = items[-1]
                continue
            if _looks_like_heading(body) and split_labels(body) is None:
                push(level, label, body.rstrip(":"))
            else:
                close(level)
                add_item(label, body)
            continue
        if match := _BULLET.match(text):
            mark, body = match.groups()
            if mark == "+" and items and (bullet_open or items[-1].labelled is not None):
                plus_line(body)
                continue
            if intro_item is not None and intro_item is items[-1] and not find_deadline_phrase(body):
                intro_item.parts.append(body)
                continue
            add_item(None, body)
            bullet_open = True
            continue
        add_item(None, text)
        bullet_open = False

    if not ended:
        close(2)

    tasks: list[RawTask] = []
    targets: list[RawTask] = []
    for item in items:
        if not item.in_tasks and not item.is_target:
            continue
        found = _tasks_of(item, index)
        if dated_only:
            # Beside task tables, the body's own tasks are the dated duties of its
            # implementation and reporting sections.
            if not any(word in fold(item.section or "") for word in _DUTY_SECTION):
                continue
            found = [t for t in found if t.deadline_text]
        (tasks if item.in_tasks else targets).extend(found)

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
