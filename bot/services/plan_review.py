"""Reviewing an uploaded plan before it is imported (the console's Plans page).

What the reform office corrects on a parsed plan — a row's lead or supporting agencies, its
deadline, title or product, a row dropped as "not a task", a body added to the directory —
is kept on the pending upload (`PendingUpload.review`), not in the draft: the draft is the
parser's, re-read from the stored bytes at import. Importing turns each correction into a
`TaskCorrection` row (bot.services.corrections.record) in the import's transaction, and
`import_plan` applies the latest corrections to the draft — the same path that keeps them
when an edited version of the plan is imported again. So there is one correction rule for
the console before import, the console after import and `/dathan`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bot.catalog import Catalog
from bot.db import flows as flows_repo
from bot.db.models import PendingUpload
from bot.db.session import AsyncSession
from bot.domain.agencies import Agency
from bot.domain.corrections import Field, apply_corrections, deadline_value
from bot.domain.kinds import FlowState
from bot.domain.plans.draft import PlanDraft, TaskDraft
from bot.domain.plans.leads import new_agency_code
from bot.domain.text import clean
from bot.render import corrections as texts
from bot.services.corrections import record

FIELDS = frozenset(Field)


@dataclass(frozen=True)
class ReviewRow:
    """A parsed row as it will be imported: corrections applied, the parser's own beside it."""

    task: TaskDraft  # corrected
    parsed: TaskDraft  # as the parser read it
    dropped: bool
    corrected: frozenset[Field]

    @property
    def ref(self) -> str:
        return self.parsed.ref


def stored(row: PendingUpload) -> dict[str, Any]:
    """The upload's review, normalised: {"tasks": {ref: {field: value}}, "agencies": [...]}."""
    review = dict(row.review or {})
    return {"tasks": dict(review.get("tasks") or {}), "agencies": list(review.get("agencies") or [])}


def extra_agencies(review: Mapping[str, Any]) -> tuple[Agency, ...]:
    return tuple(Agency(code=a["code"], name=a["name"], kind="other") for a in review.get("agencies") or ())


def with_review_agencies(draft: PlanDraft, review: Mapping[str, Any]) -> PlanDraft:
    """The draft with the bodies added in the review among its new agencies (created on import)."""
    known = {a.code for a in draft.new_agencies}
    added = tuple(a for a in extra_agencies(review) if a.code not in known)
    return replace(draft, new_agencies=(*draft.new_agencies, *added)) if added else draft


def _fields(review: Mapping[str, Any], ref: str) -> dict[Field, Any]:
    return {Field(k): v for k, v in (review["tasks"].get(ref) or {}).items() if k in FIELDS}


def rows(draft: PlanDraft, review: Mapping[str, Any]) -> list[ReviewRow]:
    """Every parsed row with the review's corrections (dropped rows included, marked)."""
    result = []
    for task in draft.tasks:
        fields = _fields(review, task.ref)
        dropped = bool(fields.pop(Field.DROPPED, False))
        [corrected] = apply_corrections([task], {task.ref: fields}) if fields else [task]
        result.append(ReviewRow(task=corrected, parsed=task, dropped=dropped, corrected=frozenset(fields)))
    return result


def agency_names(draft: PlanDraft, review: Mapping[str, Any], *, catalog: Catalog) -> dict[str, str]:
    """code → name of every body a row may name: the directory, the plan's new bodies and
    those added in the review."""
    slug = draft.meta.province
    names = draft.agency_names(catalog.names(slug) if slug else {})
    names.update({a.code: a.name for a in extra_agencies(review)})
    return names


async def _pending(session: AsyncSession, upload_id: int) -> PendingUpload | None:
    row = await flows_repo.get_pending_upload(session, upload_id=upload_id)
    if row is None or row.state is not FlowState.PENDING or row.content is None:
        return None
    return row


def _save(row: PendingUpload, review: dict[str, Any]) -> None:
    row.review = {"tasks": review["tasks"], "agencies": review["agencies"]}  # a new dict: JSON change tracked


async def correct(
    session: AsyncSession,
    *,
    upload_id: int,
    draft: PlanDraft,
    ref: str,
    field_: Field,
    value: Any,
    catalog: Catalog,
) -> str | None:
    """Record one correction of a row before import; returns a Vietnamese problem or None.

    Values as TaskCorrection stores them: agency codes for LEAD/SUPPORT, `deadline_value`
    for DEADLINE, text for TITLE/PRODUCT, a bool for DROPPED. A value equal to the parser's
    removes the correction.
    """
    row = await _pending(session, upload_id)
    if row is None:
        return texts.UPLOAD_DECIDED
    parsed = next((t for t in draft.tasks if t.ref == ref), None)
    if parsed is None:
        return texts.row_not_found(ref)
    review = stored(row)
    if field_ in (Field.LEAD, Field.SUPPORT):
        codes = list(dict.fromkeys(value))
        if set(codes) - agency_names(draft, review, catalog=catalog).keys():
            return texts.UNKNOWN_AGENCY
        if field_ is Field.LEAD and not codes:
            return texts.LEAD_REQUIRED
        value = codes
    elif field_ is Field.TITLE:
        value = clean(value or "")
        if not value:
            return texts.TITLE_REQUIRED
    elif field_ is Field.PRODUCT:
        value = clean(value or "") or None
    elif field_ is Field.DEADLINE and not value.get("dates"):
        return texts.NO_DATES
    fields = dict(review["tasks"].get(ref) or {})
    if value == _parsed_value(parsed, field_):
        fields.pop(str(field_), None)
    else:
        fields[str(field_)] = value
    if fields:
        review["tasks"][ref] = fields
    else:
        review["tasks"].pop(ref, None)
    _save(row, review)
    await session.flush()
    return None


async def add_agency(session: AsyncSession, *, upload_id: int, name: str) -> str | None:
    """A body the directory lacks, added for this plan; returns its code (None: decided)."""
    row = await _pending(session, upload_id)
    name = clean(name)
    if row is None or not name:
        return None
    review = stored(row)
    code = new_agency_code(name)
    if all(a["code"] != code for a in review["agencies"]):
        review["agencies"].append({"code": code, "name": name})
        _save(row, review)
        await session.flush()
    return code


def _parsed_value(task: TaskDraft, field_: Field) -> Any:
    if field_ is Field.LEAD:
        return list(task.lead)
    if field_ is Field.SUPPORT:
        return list(task.support)
    if field_ is Field.DEADLINE:
        return deadline_value(task.deadline.text, task.due_dates)
    if field_ is Field.TITLE:
        return task.title
    if field_ is Field.PRODUCT:
        return task.product
    return False


async def record_review(
    session: AsyncSession,
    *,
    draft: PlanDraft,
    review: Mapping[str, Any],
    province_id: int,
    now: datetime,
    actor_tg_id: int | None,
    actor_name: str | None,
) -> int:
    """Store the review's corrections as the plan's TaskCorrection rows (old: what the
    parser read); `import_plan` then applies them. Returns how many were recorded."""
    number = clean(draft.meta.number or "")
    count = 0
    for task in draft.tasks:
        for field_, value in _fields(review, task.ref).items():
            await record(
                session, province_id=province_id, plan_number=number, task_ref=task.ref, field_=field_,
                old=_parsed_value(task, field_), new=value, now=now, actor_tg_id=actor_tg_id,
                actor_name=actor_name, reason=texts.BEFORE_IMPORT,
            )
            count += 1
    return count
