"""Sentence prose: duties written as sentences that start with their agency.

Recognises "Sở Tài chính định kỳ hằng quý tổng hợp …", "Đề nghị Liên đoàn Lao động tỉnh …",
"Căn cứ Kế hoạch này, các Sở … xây dựng …" (the subject after a leading clause), a body the
directory does not know ("Trung tâm X chủ trì …"), and deadlines inside the sentence
(`phrases.find_deadline_phrase`). One item holding several sentences gives several tasks
where a sentence starts with another agency, or brings a second deadline.
"""

from __future__ import annotations

import re

from bot.domain.plans.items import RawTask
from bot.domain.plans.phrases import AliasIndex, find_deadline_phrase, subject_agency

SENTENCE_BREAK = re.compile(
    r"(?<=[.;!?])\s+(?=[A-ZĐÀ-ỸÁẢẠÃÂẤẦẨẪẬĂẮẰẲẴẶÉÈẺẼẸÊẾỀỂỄỆÍÌỈĨỊÓÒỎÕỌÔỐỒỔỖỘƠỚỜỞỠỢÚÙỦŨỤƯỨỪỬỮỰÝỲỶỸỴ])"
)


def split_tasks(text: str, index: AliasIndex) -> list[str]:
    """One item → one or more task texts: a new task starts at a sentence that begins
    with an agency, or that has its own deadline when the current one already has one."""
    sentences = [s for s in SENTENCE_BREAK.split(text) if s.strip()]
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


def sentence_tasks(
    *,
    ref: str,
    section: str | None,
    text: str,
    heading_lead: tuple[tuple[str, ...], str] | None,
    index: AliasIndex,
) -> list[RawTask]:
    """The tasks of one unlabelled item (the heading above gives the lead when no
    sentence names one)."""
    pieces = split_tasks(text, index)
    tasks = []
    for n, piece in enumerate(pieces, start=1):
        deadline = find_deadline_phrase(piece)
        raw = RawTask(
            ref=ref + (f"-{n}" if len(pieces) > 1 else ""),
            section=section,
            title=piece,
            lead_text=subject_agency(piece, index),
            deadline_text=deadline[0] if deadline else None,
        )
        if raw.lead_text is None and heading_lead:
            codes, raw.lead_text = heading_lead
            raw.lead_codes = codes or None
        tasks.append(raw)
    return tasks
