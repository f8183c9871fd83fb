"""Labelled prose: tasks whose fields carry their names.

Recognises the labels, in any of the usual wordings, at the start of a line, after a
sentence end, or capitalised inside a line whose break the copy lost:
- task: "Nội dung (thực hiện / công việc / hoạt động)", "Nhiệm vụ (cụ thể)", "Tên nhiệm vụ";
- lead: "Cơ quan/Đơn vị (chủ trì) (tham mưu) (thực hiện)", "Chủ trì (thực hiện)";
- support: "Cơ quan/Đơn vị phối hợp", "Phối hợp thực hiện";
- time: "Thời gian (thực hiện / hoàn thành / triển khai)", "Thời hạn …", "Tiến độ …";
- product: "Sản phẩm (dự kiến / đầu ra)", "Kết quả (dự kiến / đầu ra)".
Forms: "- Nội dung: … - Cơ quan thực hiện: X chủ trì, phối hợp với … - Thời gian thực
hiện: …" line by line; inline after a bullet ("… . Đơn vị chủ trì (tham mưu) thực hiện: ….
Thời gian thực hiện: …."); lettered ("a) Nhiệm vụ: … b) Cơ quan thực hiện: - Đơn vị chủ
trì: …"). A lead value names the subject of each of its lines ("Sở Nội vụ chủ trì, phối
hợp với …" → Sở Nội vụ; "+" lines give several); a value without a verb is a list of names.
An item with labels but no time has no deadline (nothing is assumed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.domain.plans.items import RawTask
from bot.domain.plans.phrases import (
    AliasIndex,
    find_deadline_phrase,
    has_role_verb,
    subject_agency,
)
from bot.domain.text import clean, fold

_LABELS: tuple[tuple[str, str], ...] = (
    ("title", r"(?:noi dung(?: thuc hien| cong viec| hoat dong)?|ten nhiem vu|nhiem vu(?: cu the)?)"),
    (
        "support",
        r"(?:(?:co quan|don vi)(?:\s*/\s*(?:co quan|don vi))?\s+phoi hop(?: thuc hien)?)",
    ),
    (
        "lead",
        r"(?:(?:co quan|don vi)(?:\s*/\s*(?:co quan|don vi))?(?:\s+chu tri)?(?:\s*\(tham muu\)|\s+tham muu)?"
        r"(?:\s+thuc hien)?|chu tri(?: thuc hien)?)",
    ),
    (
        "deadline",
        r"(?:thoi gian(?: thuc hien| hoan thanh| trien khai)?|thoi han(?: thuc hien| hoan thanh)?"
        r"|tien do(?: thuc hien| hoan thanh)?)",
    ),
    ("product", r"(?:san pham(?: du kien| dau ra)?|ket qua(?: du kien| dau ra)?)"),
)
# A label at the start, after a sentence end, or capitalised inside a joined line
# ("… tổ chức Thời gian thực hiện: …" where the copy lost the line break).
_ANY_LABEL = re.compile(
    r"(?:^|(?<=\s))\s*(?:[-+•–]\s*|[a-zđ]\)\s*)?("
    + "|".join(f"(?P<{name}{i}>{rx})" for i, (name, rx) in enumerate(_LABELS))
    + r")\s*:\s*"
)


@dataclass
class Fields:
    """Labelled fields of one item; `body` is the text before the first label."""

    body: str
    values: dict[str, str] = field(default_factory=dict)


def split_labels(text: str) -> Fields | None:
    """The labelled fields in a paragraph, or None when it has no label."""
    key = fold(text)
    if len(key) != len(text):
        return None
    found = [
        m
        for m in _ANY_LABEL.finditer(key)
        if m.start() == 0
        or key[m.start() - 1] in ".;:"
        or key[max(0, m.start() - 2)] in ".;:"
        or text[m.start(1)].isupper()
    ]
    if not found:
        return None
    fields = Fields(body=clean(text[: found[0].start()]).rstrip(" .;:-"))
    for index, match in enumerate(found):
        name = next(k for k, v in match.groupdict().items() if v)
        name = re.sub(r"\d+$", "", name)
        end = found[index + 1].start() if index + 1 < len(found) else len(text)
        value = clean(text[match.end() : end]).rstrip(" ;")
        if value.endswith(".") and not value.endswith(".."):
            value = value[:-1].rstrip()
        if name in fields.values and value:
            fields.values[name] = f"{fields.values[name]}; {value}"
        elif name not in fields.values:
            fields.values[name] = value
    return fields


def label_only(text: str) -> str | None:
    """The field a line names when it is just a label with its value ("Thời gian hoàn
    thành: Tháng 12/2025."), else None."""
    fields = split_labels(text)
    if fields is None or fields.body or len(fields.values) != 1:
        return None
    return next(iter(fields.values))


def lead_of(value: str, index: AliasIndex) -> str:
    """The lead agencies named by a "Cơ quan thực hiện" value: the subject of each of its
    lines ("Sở Nội vụ chủ trì, phối hợp với …" → Sở Nội vụ)."""
    leads = []
    for part in value.split("; "):
        part = clean(part).lstrip("-+•–* ")
        if not part:
            continue
        # A value with no verb is a list of names ("Sở Nội vụ, Sở Tài chính.").
        leads.append((subject_agency(part, index) if has_role_verb(part) else None) or part)
    return "; ".join(leads)


def labelled_task(
    *,
    ref: str,
    section: str | None,
    text: str,
    fields: Fields,
    heading_lead: tuple[tuple[str, ...], str] | None,
    index: AliasIndex,
) -> RawTask:
    """The task of one labelled item (the heading above gives the lead when no field does)."""
    values = fields.values
    title = values.get("title") or fields.body or text
    lead_value = values.get("lead")
    deadline = values.get("deadline")
    if deadline is None and (found := find_deadline_phrase(title)):
        deadline = found[0]
    raw = RawTask(
        ref=ref,
        section=section,
        title=title,
        product=values.get("product"),
        lead_text=lead_of(lead_value, index) if lead_value else subject_agency(title, index),
        support_text=values.get("support"),
        deadline_text=deadline or None,
        deadline_slot=True,
    )
    if raw.lead_text is None and heading_lead:
        codes, raw.lead_text = heading_lead
        raw.lead_codes = codes or None
    return raw
