"""Plan parser: a read PlanDocument → PlanDraft (metadata, tasks, due dates, review flags).

The one entry point (`parse_plan`) for every layout family, each in its own module:
- `tables` — appendix task tables and target tables (the readers rebuild tables from
  .docx, .pdf and law-site text copies);
- `prose` — the body: labelled items, duties under agency headings, sentences that start
  with an agency, dated duties of the implementation sections (`phrases` finds deadline
  phrases, labels and subjects);
- `meta` — số hiệu, title, date, signer, period; `leads` — agency phrases → codes.

A plan with task tables takes its tasks from them, and from its prose only the dated
duties of "Tổ chức thực hiện"/"Chế độ báo cáo" (the body restates the table otherwise).
The province comes from the header (or is given, and then must agree with it).

What the parser cannot know it says: every task carries `needs_review` reasons, and a
flagged task is kept, never dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from bot.domain.agencies import (
    Agency,
    Directory,
    Province,
    identify_province,
)
from bot.domain.deadlines import DeadlineKind, due_dates, parse_deadline
from bot.domain.plans.document import Paragraph, PlanDocument, Table
from bot.domain.plans.draft import PlanDraft, PlanMeta, ReviewReason, TaskDraft
from bot.domain.plans.items import RawTask
from bot.domain.plans.leads import resolve_leads
from bot.domain.plans.meta import extract_meta
from bot.domain.plans.prose import tasks_from_prose
from bot.domain.plans.tables import tasks_from_tables
from bot.domain.text import vn_key
from bot.domain.units import REORGANISED_ON

DirectoryLoader = Callable[[str], Directory]

# --- assembling the draft ---------------------------------------------------------------


def _dedupe(tasks: list[RawTask]) -> list[RawTask]:
    """Drop blocks the source page repeated (same text for the same agency); keep every
    other task, renaming a ref that another task already took."""
    seen_refs: set[str] = set()
    seen_content: set[tuple[str, str]] = set()
    out = []
    for task in tasks:
        content = (vn_key(task.title), vn_key(task.lead_text or ""))
        if content in seen_content:
            continue
        seen_content.add(content)
        ref, n = task.ref, 1
        while ref in seen_refs:
            n += 1
            ref = f"{task.ref}~{n}"
        task.ref = ref
        seen_refs.add(ref)
        out.append(task)
    return out


def _resolve(
    task: RawTask, directory: Directory, meta: PlanMeta, new_agencies: list[Agency]
) -> TaskDraft:
    """One task's agencies and due dates; bodies the directory lacks go to `new_agencies`."""
    reasons: list[ReviewReason] = []
    without_districts = meta.issued_on is not None and meta.issued_on >= REORGANISED_ON
    if task.lead_codes is not None:
        lead = task.lead_codes
    elif task.lead_text:
        leads = resolve_leads(task.lead_text, directory, without_districts=without_districts)
        lead = tuple(leads.codes)
        new_agencies.extend(leads.new)
        if leads.unknown:
            reasons.append(ReviewReason.UNKNOWN_AGENCY)
        if leads.uncertain:
            reasons.append(ReviewReason.LOW_CONFIDENCE_AGENCY)
    else:
        lead = ()
    if not lead:
        reasons.append(ReviewReason.NO_LEAD)
    support: tuple[str, ...] = ()
    if task.support_text:
        supports = resolve_leads(task.support_text, directory, without_districts=without_districts)
        support = tuple(c for c in supports.codes if c not in lead)
        new_agencies.extend(a for a in supports.new if a.code in support)
        if supports.uncertain and ReviewReason.LOW_CONFIDENCE_AGENCY not in reasons:
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
    elif rule.kind == DeadlineKind.NONE and not task.deadline_text and not task.deadline_slot:
        # Prose that never says when: the plan's end is the best guess, for review.
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
    force_province: bool = False,
) -> PlanDraft:
    """Parse a read plan. `province` (a slug) is where it must belong: a plan whose header
    names another unit is refused (PlanProvinceMismatch) unless `force_province`."""
    fields = extract_meta(document)
    lines: list[str] = fields.pop("lines")  # type: ignore[assignment]
    warnings: list[str] = []
    header = " \n".join(lines[:40])
    found = identify_province(header, list(provinces))
    slug = province
    if slug is not None and found is not None and found.slug != slug and not force_province:
        given = load_directory(slug).province
        raise PlanProvinceMismatch(f"{found.kind} {found.name}", f"{given.kind} {given.name}")
    if slug is None:
        slug = found.slug if found else None
    if slug is None:
        raise PlanProvinceUnknown(
            "Không xác định được tỉnh ban hành kế hoạch: đầu văn bản không có "
            "“Ủy ban nhân dân tỉnh …” hoặc “… thành phố …” của một tỉnh, thành phố nào."
        )
    directory = load_directory(slug)
    meta = PlanMeta(province=slug, **fields)  # type: ignore[arg-type]
    for name, label in (("number", "số hiệu"), ("issued_on", "ngày ban hành"), ("period", "thời kỳ kế hoạch")):
        if getattr(meta, name) is None:
            warnings.append(f"Không đọc được {label} của kế hoạch.")

    tables = [b for b in document.blocks if isinstance(b, Table)]
    raw_tasks, table_warnings = tasks_from_tables(tables)
    warnings.extend(table_warnings)
    paragraphs = [b.text for b in document.blocks if isinstance(b, Paragraph)]
    # With task tables, the prose mostly restates them: only its dated duties and
    # labelled items are tasks of their own.
    prose_tasks, prose_warnings = tasks_from_prose(
        paragraphs, directory, dated_only=bool(raw_tasks), fallback_to_targets=not raw_tasks
    )
    raw_tasks = [*raw_tasks, *prose_tasks]
    warnings.extend(prose_warnings)
    if not raw_tasks:
        warnings.append("Không tìm thấy nhiệm vụ nào trong kế hoạch.")
    new_agencies: list[Agency] = []
    tasks = tuple(_resolve(t, directory, meta, new_agencies) for t in _dedupe(raw_tasks))
    return PlanDraft(
        meta=meta,
        tasks=tasks,
        new_agencies=tuple({a.code: a for a in new_agencies}.values()),
        source_name=document.name,
        source_sha256=document.sha256,
        warnings=tuple(warnings),
    )


class PlanProvinceUnknown(Exception):
    """The plan does not say which province issued it. `message` is Vietnamese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PlanProvinceMismatch(PlanProvinceUnknown):
    """The header names another unit than the one given (or the installation's)."""

    def __init__(self, detected: str, given: str) -> None:
        super().__init__(
            f"Kế hoạch do {detected} ban hành, không phải {given}: "
            f"không nhập để tránh xếp nhầm tỉnh."
        )
        self.detected = detected
        self.given = given

    def __reduce__(self) -> tuple[type, tuple[str, str]]:  # crosses the parse worker's pipe
        return (type(self), (self.detected, self.given))


