"""Store a parsed plan, or bring a stored one up to date with an edited file.

Re-importing is a reconciliation, never a replacement: tasks are matched by
`ref`, due items by (task, lead agency, original due date), and whatever the
agencies reported (status, progress, history) survives. Nothing is deleted:
tasks that disappeared are marked removed, due items that are no longer due are
cancelled (unless already done), and each due item created, cancelled or
restored gets a history row with source "import".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any, Literal, NamedTuple

from bot.db import plan_import, unknown_items
from bot.db.agencies import DirectoryAgency, agencies_by_code, get_province, sync_agencies
from bot.db.codec import deadline_to_json
from bot.db.models import Agency, DueItem, Plan, Task, TaskAgency
from bot.db.plans import get_plan_by_number
from bot.db.session import AsyncSession
from bot.domain.corrections import apply_corrections
from bot.domain.imports import DueKey, ImportReport, TaskUpdate
from bot.domain.kinds import DueOrigin, LinkRole
from bot.domain.plans.draft import PlanDraft, TaskDraft
from bot.domain.status import Status
from bot.domain.text import clean
from bot.render import confirm as confirm_texts
from bot.render import imports as texts

PLAN_FIELDS = (
    "title",
    "issuer",
    "issued_on",
    "signer",
    "first_year",
    "last_year",
    "source_name",
    "source_sha256",
)
# Task columns compared on re-import; `position` is kept up to date but is not a change.
TASK_FIELDS = (
    "section",
    "title",
    "product",
    "lead_text",
    "support_text",
    "notes",
    "deadline_text",
    "deadline_rule",
    "deadline_kind",
    "assumed",
    "needs_review",
)


class PlanImportError(Exception):
    """A draft that cannot be imported; the message is Vietnamese and shown to the user."""


async def import_plan(
    session: AsyncSession,
    *,
    draft: PlanDraft,
    province_slug: str,
    agencies: Mapping[str, DirectoryAgency],
    actor: str = "cli",
    now: datetime | None = None,
    follow_from: date | Literal["start"] | None = None,
    default_follow_from: date | None = None,
) -> ImportReport:
    """Store `draft` as the plan (province, number), or reconcile the stored one with it.

    `follow_from`: the day the bot begins following the plan — items due before it are
    stored as "chưa cập nhật" (Status.UNKNOWN), asked once, never overdue until confirmed
    not done; "start": from the plan's start; None: as stored (a new plan: from its start).
    Moving the day on a re-import changes only items nobody has reported on.
    `default_follow_from`: the day for a NEW plan when `follow_from` is None (the CLI and
    the bot propose today for a plan already under way; a re-import keeps the stored day).

    `agencies` is the province's directory (code → agency); it is upserted first.
    The province must exist (`get_or_create_province`). Runs in the caller's
    transaction; raises PlanImportError for drafts that cannot be stored.
    """
    now = now or datetime.now(UTC)
    number = clean(draft.meta.number or "")
    if not number:
        raise PlanImportError(texts.no_plan_number(draft.source_name))
    duplicates = sorted(ref for ref, n in Counter(t.ref for t in draft.tasks).items() if n > 1)
    if duplicates:
        raise PlanImportError(texts.duplicate_refs(number, duplicates))
    province = await get_province(session, slug=province_slug)
    if province is None:
        raise PlanImportError(texts.province_missing(province_slug))
    # What people corrected in an earlier version (web console, /dathan) applies again.
    from bot.services.corrections import latest_corrections

    corrections = await latest_corrections(session, province_id=province.id, plan_number=number)
    if corrections:
        draft = replace(draft, tasks=apply_corrections(draft.tasks, corrections))

    warnings: list[str] = []
    if draft.meta.province and draft.meta.province != province_slug:
        warnings.append(texts.other_province(draft.meta.province, province_slug))

    await sync_agencies(session, province=province, directory_agencies=agencies.values())
    codes = {c for t in draft.tasks for c in (*t.lead, *t.support)}
    by_code = await agencies_by_code(session, province=province, codes=codes)
    unknown = sorted(codes - by_code.keys())
    if unknown:
        warnings.append(texts.unknown_agency_codes(unknown))

    plan = await get_plan_by_number(session, province=province, number=number)
    created = plan is None
    plan_values = _plan_values(draft)
    plan_changes: list[str] = []
    if plan is None:
        plan = Plan(
            province_id=province.id, number=number, imported_at=now, updated_at=now, **plan_values
        )
        session.add(plan)
        await session.flush()
    else:
        for key, value in plan_values.items():
            if getattr(plan, key) != value:
                setattr(plan, key, value)
                plan_changes.append(key)

    if follow_from is None and created:
        follow_from = default_follow_from
    if follow_from is not None:
        wanted_from = None if follow_from == "start" else follow_from
        if plan.follow_from != wanted_from:
            if not created:
                plan_changes.append("follow_from")
            plan.follow_from = wanted_from
    run = _Reconciler(session, plan=plan, by_code=by_code, actor=actor, now=now)
    await run.load()
    for position, task_draft in enumerate(draft.tasks):
        await run.apply(task_draft, position)
    await run.remove_missing({t.ref for t in draft.tasks})
    await run.write()
    unknown_dates = await unknown_items.apply_follow_from(
        session, plan_id=plan.id, follow_from=plan.follow_from, now=now, actor=actor,
        unknown_note=confirm_texts.unknown_since_note(plan.follow_from), followed_note=confirm_texts.FOLLOWED_AGAIN_NOTE,
    )

    report = ImportReport(
        province=province_slug,
        plan_number=number,
        plan_id=plan.id,
        created=created,
        plan_fields=tuple(plan_changes),
        tasks_added=tuple(run.tasks_added),
        tasks_updated=tuple(run.tasks_updated),
        tasks_removed=tuple(run.tasks_removed),
        tasks_restored=tuple(run.tasks_restored),
        due_added=tuple(run.due_added),
        due_cancelled=tuple(run.due_cancelled),
        due_restored=tuple(run.due_restored),
        due_kept_done=tuple(run.due_kept_done),
        task_count=len(draft.tasks),
        due_count=run.open_due_count(),
        warnings=tuple(warnings),
        follow_from=plan.follow_from,
        due_unknown=len(unknown_dates),
        agencies_unknown=len({agency_id for agency_id, _ in unknown_dates}),
    )
    if report.changed and not created:
        plan.updated_at = now
        await session.flush()
    return report


def _plan_values(draft: PlanDraft) -> dict[str, Any]:
    meta = draft.meta
    first, last = meta.period if meta.period else (None, None)
    return {
        "title": meta.title,
        "issuer": meta.issuer,
        "issued_on": meta.issued_on,
        "signer": meta.signer,
        "first_year": first,
        "last_year": last,
        "source_name": draft.source_name,
        "source_sha256": draft.source_sha256,
    }


def _task_values(draft: TaskDraft) -> dict[str, Any]:
    rule = draft.deadline
    return {
        "section": draft.section,
        "title": draft.title,
        "product": draft.product,
        "lead_text": draft.lead_text,
        "support_text": draft.support_text,
        "notes": draft.notes,
        "deadline_text": rule.text,
        "deadline_rule": deadline_to_json(rule),
        "deadline_kind": str(rule.kind),
        "assumed": draft.assumed,
        "needs_review": [str(r) for r in draft.needs_review],
    }


class _NewItem:
    """A due item this import creates: in the reconciler's maps until it is written."""

    __slots__ = ()
    cancelled = False
    status = Status.PENDING
    origin = DueOrigin.IMPORT


_NEW_ITEM = _NewItem()
_Item = DueItem | _NewItem


class _History(NamedTuple):
    item: DueItem | int  # an existing item, or the index of a new one in `new_items`
    old_status: Status | None
    new_status: Status
    progress: int
    note: str
    due_on: date
    completed_on: date | None


class _Reconciler:
    """The per-task work of one import, with the plan's current rows loaded once.

    Existing rows are ORM objects changed in place; new tasks, links, due items and history
    rows are collected (keyed by task ref) and written in bulk by `write` (bot.db.plan_import):
    a 2,000-row plan costs a few INSERT statements per table, not a round trip per task.
    """

    def __init__(
        self,
        session: AsyncSession,
        *,
        plan: Plan,
        by_code: Mapping[str, Agency],
        actor: str,
        now: datetime,
    ) -> None:
        self.session = session
        self.plan = plan
        self.by_code = by_code
        self.code_of = {a.id: a.code for a in by_code.values()}
        self.actor = actor
        self.now = now
        self.tasks: dict[str, Task] = {}  # existing tasks by ref
        self.links: dict[str, dict[tuple[int, LinkRole], TaskAgency | None]] = {}  # None: new
        # task ref → (agency id, original due date) → item
        self.items: dict[str, dict[tuple[int, date], _Item]] = {}
        self.new_tasks: list[dict[str, Any]] = []
        self.new_links: list[tuple[str, int, LinkRole]] = []
        self.new_items: list[tuple[str, int, date]] = []
        self.history: list[_History] = []
        self.tasks_added: list[str] = []
        self.tasks_updated: list[TaskUpdate] = []
        self.tasks_removed: list[str] = []
        self.tasks_restored: list[str] = []
        self.due_added: list[DueKey] = []
        self.due_cancelled: list[DueKey] = []
        self.due_restored: list[DueKey] = []
        self.due_kept_done: list[DueKey] = []

    async def load(self) -> None:
        plan_id = self.plan.id
        ref_of: dict[int, str] = {}
        for task in await plan_import.plan_tasks(self.session, plan_id=plan_id):
            self.tasks[task.ref] = task
            ref_of[task.id] = task.ref
            self.links[task.ref] = {}
            self.items[task.ref] = {}
        for link in await plan_import.plan_links(self.session, plan_id=plan_id):
            self.links[ref_of[link.task_id]][(link.agency_id, link.role)] = link
        for item in await plan_import.plan_due_items(self.session, plan_id=plan_id):
            self.items[ref_of[item.task_id]][(item.agency_id, item.original_due_on)] = item
        # Agencies the plan used before but the new version does not name: for report keys.
        used = {agency_id for per_task in self.items.values() for agency_id, _ in per_task}
        missing = used - self.code_of.keys()
        if missing:
            self.code_of.update(await plan_import.agency_codes(self.session, agency_ids=missing))

    async def apply(self, draft: TaskDraft, position: int) -> None:
        values = _task_values(draft)
        ref = draft.ref
        task = self.tasks.get(ref)
        changed: list[str] = []
        if task is None:
            self.new_tasks.append({"plan_id": self.plan.id, "ref": ref, "position": position, "removed": False, **values})
            self.links[ref] = {}
            self.items[ref] = {}
            self.tasks_added.append(ref)
        else:
            for key, value in values.items():
                if getattr(task, key) != value:
                    setattr(task, key, value)
                    changed.append(key)
            if task.position != position:
                task.position = position
            if task.removed:
                task.removed = False
                self.tasks_restored.append(ref)

        changed += await self._sync_links(ref, draft)
        if changed and ref not in self.tasks_added and ref not in self.tasks_restored:
            self.tasks_updated.append(TaskUpdate(ref, tuple(changed)))

        leads = [self.by_code[c].id for c in dict.fromkeys(draft.lead) if c in self.by_code]
        wanted = {(agency_id, d) for agency_id in leads for d in draft.due_dates}
        self._sync_due_items(ref, wanted)

    async def _sync_links(self, ref: str, draft: TaskDraft) -> list[str]:
        """Make the task's agency links match the draft; returns the roles that changed."""
        wanted = {(self.by_code[c].id, LinkRole.LEAD) for c in draft.lead if c in self.by_code}
        wanted |= {(self.by_code[c].id, LinkRole.SUPPORT) for c in draft.support if c in self.by_code}
        current = self.links[ref]
        if wanted == current.keys():
            return []
        changed_roles = {role for _, role in wanted ^ current.keys()}
        for key in current.keys() - wanted:
            link = current.pop(key)
            if link is not None:
                await plan_import.delete_link(self.session, link)  # links mirror the plan text: no history
        for agency_id, role in sorted(wanted - current.keys()):
            self.new_links.append((ref, agency_id, role))
            current[(agency_id, role)] = None
        return [str(role) for role in (LinkRole.LEAD, LinkRole.SUPPORT) if role in changed_roles]

    def _sync_due_items(self, ref: str, wanted: set[tuple[int, date]]) -> None:
        items = self.items[ref]
        for agency_id, due_on in sorted(wanted, key=lambda k: (k[1], self._code(k[0]))):
            item = items.get((agency_id, due_on))
            key = DueKey(ref, self._code(agency_id), due_on)
            if item is None:
                items[(agency_id, due_on)] = _NEW_ITEM
                self.history.append(
                    _History(
                        len(self.new_items), None, Status.PENDING, 0, texts.created_note(self.plan.number), due_on, None
                    )
                )
                self.new_items.append((ref, agency_id, due_on))
                self.due_added.append(key)
            elif isinstance(item, DueItem) and item.cancelled:
                item.cancelled = False
                item.updated_at = self.now
                self._history(item, item.status, texts.restored_note(self.plan.number))
                self.due_restored.append(key)
        for (agency_id, due_on), item in items.items():
            if (agency_id, due_on) in wanted or not isinstance(item, DueItem):
                continue
            if item.origin is not DueOrigin.IMPORT or item.cancelled:
                continue  # dates set by an admin are not the plan's to take away
            self._retire(item, DueKey(ref, self._code(agency_id), due_on), texts.RETIRED_NOT_IN_PLAN)

    async def remove_missing(self, refs: set[str]) -> None:
        for ref, task in self.tasks.items():
            if ref in refs or task.removed:
                continue
            task.removed = True
            self.tasks_removed.append(ref)
            for (agency_id, due_on), item in self.items[ref].items():
                if isinstance(item, DueItem) and not item.cancelled:
                    key = DueKey(ref, self._code(agency_id), due_on)
                    self._retire(item, key, texts.RETIRED_TASK_REMOVED)

    def _retire(self, item: DueItem, key: DueKey, why: str) -> None:
        if item.status is Status.DONE:
            self.due_kept_done.append(key)  # finished work stays on the record
            return
        item.cancelled = True
        item.updated_at = self.now
        self._history(item, item.status, texts.retired_note(why, self.plan.number))
        self.due_cancelled.append(key)

    def _history(self, item: DueItem, old: Status | None, note: str) -> None:
        # The item's dates after the change, as StatusChange's before_insert event records them.
        completed = item.completed_on if item.status is Status.DONE else None
        self.history.append(_History(item, old, item.status, item.progress, note, item.due_on, completed))

    async def write(self) -> None:
        """Flush the changes to existing rows, then insert the new ones in bulk."""
        await self.session.flush()
        task_ids = {ref: task.id for ref, task in self.tasks.items()}
        task_ids.update(await plan_import.insert_tasks(self.session, self.new_tasks))
        await plan_import.insert_links(
            self.session, [plan_import.NewLink(task_ids[ref], agency_id, role) for ref, agency_id, role in self.new_links]
        )
        new_items = [plan_import.NewItem(task_ids[ref], agency_id, due_on) for ref, agency_id, due_on in self.new_items]
        item_ids = await plan_import.insert_due_items(self.session, new_items, now=self.now)
        await plan_import.insert_history(
            self.session,
            [
                plan_import.NewHistory(
                    item_ids[new_items[h.item]] if isinstance(h.item, int) else h.item.id,
                    h.old_status, h.new_status, h.progress, h.note, h.due_on, h.completed_on,
                )
                for h in self.history
            ],
            at=self.now,
            actor=self.actor,
        )

    def open_due_count(self) -> int:
        return sum(not i.cancelled for per_task in self.items.values() for i in per_task.values())

    def _code(self, agency_id: int) -> str:
        return self.code_of.get(agency_id, str(agency_id))
