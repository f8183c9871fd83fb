"""Correcting a stored task: lead agencies, deadline, title, product, "not a task".

One service for every caller — `/dathan` in Telegram and the web console — so a deadline is
set or *replaced* the same way everywhere (the bug of issue 14: `/dathan NV3 31/01/2027` on
a misread deadline added a second deadline beside the wrong one). Every correction is
stored as a `TaskCorrection` row (who, when, old → new, why): that is the task's correction
history, and `import_plan` applies the latest ones to an edited version of the plan.

Due items are never deleted: a replaced date's open items are cancelled with a history row,
finished ones stay on the record.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.db import corrections as db
from bot.db.models import DueItem, StatusChange, TaskAgency, TaskCorrection
from bot.db.session import AsyncSession
from bot.domain.corrections import Field, deadline_value, flags_after
from bot.domain.kinds import DueOrigin, LinkRole
from bot.domain.status import ChangeSource, Status
from bot.render import corrections as texts


@dataclass
class DeadlineResult:
    problem: str | None = None  # Vietnamese, shown to the person
    task_title: str | None = None
    plan_number: str | None = None
    created: list[str] = field(default_factory=list)  # agency names given a due item now
    existing: list[str] = field(default_factory=list)  # already had one for that date
    other_dates: list[date] = field(default_factory=list)  # kept for callers: always empty now
    replaced: list[date] = field(default_factory=list)  # open dates the new one replaced


@dataclass
class CorrectionResult:
    problem: str | None = None
    changed: bool = False


async def latest_corrections(
    session: AsyncSession, *, province_id: int, plan_number: str
) -> dict[str, dict[Field, Any]]:
    """task ref → {field: latest value} for a plan (what an import applies)."""
    latest: dict[str, dict[Field, Any]] = {}
    for row in await db.plan_corrections(session, province_id=province_id, plan_number=plan_number):
        latest.setdefault(row.task_ref, {})[Field(row.field)] = row.new_value
    return latest


async def task_corrections(session: AsyncSession, *, task_id: int) -> list[TaskCorrection]:
    """A task's correction history, oldest first."""
    return await db.task_corrections(session, task_id=task_id)


async def record(
    session: AsyncSession,
    *,
    province_id: int,
    plan_number: str,
    task_ref: str,
    field_: Field,
    old: Any,
    new: Any,
    now: datetime,
    actor_tg_id: int | None,
    actor_name: str | None,
    reason: str | None = None,
) -> TaskCorrection:
    return db.add_correction(
        session, province_id=province_id, plan_number=plan_number, task_ref=task_ref, field=str(field_),
        old=old, new=new, now=now, actor_tg_id=actor_tg_id, actor_name=actor_name, reason=reason,
    )


def _history(item: DueItem, *, now: datetime, actor_tg_id: int | None, actor_name: str | None, old: Status | None, note: str) -> StatusChange:
    return StatusChange(
        due_item=item, at=now, actor_tg_id=actor_tg_id, actor_name=actor_name, source=ChangeSource.ADMIN,
        old_status=old, new_status=item.status, progress=item.progress, note=note,
    )


async def set_deadline(
    session: AsyncSession,
    *,
    task_id: int,
    dates: Sequence[date],
    now: datetime,
    actor_tg_id: int | None,
    actor_name: str | None,
    province_ids: Iterable[int] | None = None,
    text: str | None = None,
    reason: str | None = None,
) -> DeadlineResult:
    """Set or replace a task's due dates for each of its lead agencies.

    Open items at other dates are cancelled (history: "Thay hạn … → …"), items already at a
    wanted date are kept, missing ones are created (origin admin). Finished items stay.
    """
    found = await db.task_with_plan(session, task_id=task_id, province_ids=province_ids)
    if found is None:
        return DeadlineResult(problem=texts.task_not_found(task_id))
    task, plan = found
    result = DeadlineResult(task_title=task.title, plan_number=plan.number)
    wanted = sorted(set(dates))
    if not wanted:
        result.problem = texts.NO_DATES
        return result
    leads = await db.linked_agencies(session, task_id=task.id, role=LinkRole.LEAD)
    if not leads:
        result.problem = texts.NO_LEAD
        return result
    items = await db.task_due_items(session, task_id=task.id)
    open_dates = sorted({i.due_on for i in items if not i.cancelled and i.status.is_open})
    result.replaced = [d for d in open_dates if d not in wanted]
    old = deadline_value(None, open_dates)
    note = texts.deadline_note(result.replaced, wanted)
    by_key = {(i.agency_id, i.original_due_on): i for i in items}
    for item in items:
        if item.cancelled or not item.status.is_open or item.original_due_on in wanted:
            continue
        item.cancelled = True  # whoever it belongs to: the task's date is replaced
        item.updated_at = now
        session.add(_history(item, now=now, actor_tg_id=actor_tg_id, actor_name=actor_name, old=item.status, note=note))
    for agency in leads:
        for due_on in wanted:
            due = by_key.get((agency.id, due_on))
            if due is not None and not due.cancelled:
                if agency.name not in result.existing:
                    result.existing.append(agency.name)
                continue
            if due is None:
                due = DueItem(
                    task_id=task.id, agency_id=agency.id, due_on=due_on, original_due_on=due_on,
                    status=Status.PENDING, progress=0, updated_at=now, origin=DueOrigin.ADMIN,
                )
                session.add(due)
                by_key[(agency.id, due_on)] = due
            else:
                due.cancelled = False
                due.updated_at = now
            session.add(_history(due, now=now, actor_tg_id=actor_tg_id, actor_name=actor_name, old=None, note=note))
            if agency.name not in result.created:
                result.created.append(agency.name)
    new = deadline_value(text, wanted)
    if result.created or result.replaced:
        task.needs_review = flags_after(task.needs_review, Field.DEADLINE)
        await record(
            session, province_id=plan.province_id, plan_number=plan.number, task_ref=task.ref,
            field_=Field.DEADLINE, old=old, new=new, now=now, actor_tg_id=actor_tg_id,
            actor_name=actor_name, reason=reason,
        )
    await session.flush()
    return result


async def set_agencies(
    session: AsyncSession,
    *,
    task_id: int,
    role: LinkRole,
    agency_ids: Sequence[int],
    now: datetime,
    actor_tg_id: int | None,
    actor_name: str | None,
    province_ids: Iterable[int] | None = None,
    reason: str | None = None,
) -> CorrectionResult:
    """Replace a task's lead (or supporting) agencies.

    A new lead gets due items at the task's open dates; a removed lead's open items are
    cancelled (its finished ones stay): the reminders follow the correction.
    """
    found = await db.task_with_plan(session, task_id=task_id, province_ids=province_ids)
    if found is None:
        return CorrectionResult(problem=texts.task_not_found(task_id))
    task, plan = found
    chosen = await db.province_agencies(session, province_id=plan.province_id, agency_ids=agency_ids)
    if len(chosen) != len(set(agency_ids)):
        return CorrectionResult(problem=texts.UNKNOWN_AGENCY)
    if role is LinkRole.LEAD and not chosen:
        return CorrectionResult(problem=texts.LEAD_REQUIRED)
    current = await db.linked_agencies(session, task_id=task.id, role=role)
    old_ids = {a.id for a in current}
    new_ids = {a.id for a in chosen}
    if old_ids == new_ids:
        return CorrectionResult()
    links = await db.task_links(session, task_id=task.id, role=role)
    await db.remove_links(session, [links[agency_id] for agency_id in old_ids - new_ids])
    for agency_id in new_ids - old_ids:
        session.add(TaskAgency(task_id=task.id, agency_id=agency_id, role=role))
    field_ = Field.LEAD if role is LinkRole.LEAD else Field.SUPPORT
    names = {a.id: a.name for a in (*current, *chosen)}
    if role is LinkRole.LEAD:
        items = await db.task_due_items(session, task_id=task.id)
        dates = sorted({i.original_due_on for i in items if not i.cancelled})
        note = texts.lead_note([names[i] for i in sorted(old_ids)], [names[i] for i in sorted(new_ids)])
        by_key = {(i.agency_id, i.original_due_on): i for i in items}
        for item in items:
            if item.agency_id in old_ids - new_ids and not item.cancelled and item.status.is_open:
                item.cancelled = True
                item.updated_at = now
                session.add(_history(item, now=now, actor_tg_id=actor_tg_id, actor_name=actor_name, old=item.status, note=note))
        for agency_id in new_ids - old_ids:
            for due_on in dates:
                due = by_key.get((agency_id, due_on))
                if due is None:
                    origin = next(
                        (i.origin for i in items if i.original_due_on == due_on), DueOrigin.IMPORT
                    )
                    due = DueItem(
                        task_id=task.id, agency_id=agency_id, due_on=due_on, original_due_on=due_on,
                        status=Status.PENDING, progress=0, updated_at=now, origin=origin,
                    )
                    session.add(due)
                elif due.cancelled:
                    due.cancelled = False
                    due.updated_at = now
                else:
                    continue
                session.add(_history(due, now=now, actor_tg_id=actor_tg_id, actor_name=actor_name, old=None, note=note))
        task.needs_review = flags_after(task.needs_review, Field.LEAD)
    codes = {a.id: a.code for a in (*current, *chosen)}
    await record(
        session, province_id=plan.province_id, plan_number=plan.number, task_ref=task.ref, field_=field_,
        old=sorted(codes[i] for i in old_ids), new=sorted(codes[i] for i in new_ids), now=now,
        actor_tg_id=actor_tg_id, actor_name=actor_name, reason=reason,
    )
    await session.flush()
    return CorrectionResult(changed=True)


async def set_text(
    session: AsyncSession,
    *,
    task_id: int,
    field_: Field,
    value: str | None,
    now: datetime,
    actor_tg_id: int | None,
    actor_name: str | None,
    province_ids: Iterable[int] | None = None,
    reason: str | None = None,
) -> CorrectionResult:
    """Correct a task's title or product."""
    assert field_ in (Field.TITLE, Field.PRODUCT)
    found = await db.task_with_plan(session, task_id=task_id, province_ids=province_ids)
    if found is None:
        return CorrectionResult(problem=texts.task_not_found(task_id))
    task, plan = found
    value = (value or "").strip() or None
    if field_ is Field.TITLE and not value:
        return CorrectionResult(problem=texts.TITLE_REQUIRED)
    old = getattr(task, str(field_))
    if old == value:
        return CorrectionResult()
    setattr(task, str(field_), value)
    await record(
        session, province_id=plan.province_id, plan_number=plan.number, task_ref=task.ref, field_=field_,
        old=old, new=value, now=now, actor_tg_id=actor_tg_id, actor_name=actor_name, reason=reason,
    )
    await session.flush()
    return CorrectionResult(changed=True)
