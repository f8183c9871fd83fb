"""The read side of the bot: /tiendo, /quahan, /sapden, /nhiemvu, /coquan.

Each function takes the chat's `Scope` (bot.services.chats) and returns the
messages to send (HTML, each under Telegram's limit), or None when the scope may
not see what was asked — callers answer that the same way as "not found", so an
agency chat cannot even learn that another agency's task exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.catalog import Catalog
from bot.db import agencies as agencies_repo
from bot.db import chats as chats_repo
from bot.db import followup as followup_repo
from bot.db import plans as plans_repo
from bot.db import reports
from bot.db import status_changes as status_changes_repo
from bot.db.models import Agency, Province
from bot.db.session import AsyncSession
from bot.domain.digest import DueLine, Figures, agency_progress, overdue, province_summary, upcoming, with_holds
from bot.domain.kinds import LinkRole
from bot.domain.status import ChangeSource
from bot.render import admin as admin_render
from bot.render import progress as progress_texts
from bot.render.progress import agency_progress_messages, list_messages, province_summary_messages
from bot.render.task import HistoryView, ItemView, TaskView, task_messages
from bot.services.chats import AgencyLookup, Scope, ScopeKind, find_agency

DEFAULT_SOON_DAYS = 14
MAX_SOON_DAYS = 366


def province_tz(scope: Scope, fallback: str) -> ZoneInfo:
    return ZoneInfo(scope.provinces[0].timezone if scope.provinces else fallback)


def local_today(now: datetime, tz: ZoneInfo) -> date:
    return now.astimezone(tz).date()


async def agency_pages(
    session: AsyncSession, *, agency: Agency, today: date
) -> list[str]:
    family = await agencies_repo.agency_family_ids(session, agency_ids=[agency.id])
    lines = await plans_repo.due_lines(session, province_ids=[agency.province_id], agency_ids=family)
    lines = await _held(session, lines, today)
    return agency_progress_messages(
        agency.name, agency_progress(lines, today=today, soon_days=DEFAULT_SOON_DAYS), today
    )


async def progress_pages(
    session: AsyncSession, *, scope: Scope, today: date, agency_id: int | None = None
) -> list[str] | None:
    """/tiendo: an agency chat sees its agency; leaders and admins the province, or one agency."""
    if scope.kind is ScopeKind.AGENCY:
        assert scope.agency is not None
        if agency_id is not None and agency_id != scope.agency.id:
            return None
        return await agency_pages(session, agency=scope.agency, today=today)
    if not scope.province_wide:
        return None
    if agency_id is not None:
        agency = await agencies_repo.get_agency(session, agency_id=agency_id)
        if agency is None or agency.province_id not in scope.province_ids:
            return None
        return await agency_pages(session, agency=agency, today=today)
    pages: list[str] = []
    for province in scope.provinces:
        pages += await _province_pages(
            session, province=province, today=today, admin=scope.kind is ScopeKind.ADMIN
        )
    if not pages:
        pages = province_summary_messages(progress_texts.PROVINCE_WIDE_TITLE, [], today)
    return pages


@dataclass(frozen=True)
class ProgressAnswer:
    """What /tiendo shows: `pages` (None: this chat sees no data), or, when the agency typed
    was not found exactly, `lookup` (the candidates to choose from)."""

    pages: list[str] | None = None
    agency_id: int = 0  # the one agency shown province-wide (0: the chat's own scope)
    lookup: AgencyLookup | None = None


async def progress_answer(
    session: AsyncSession, *, scope: Scope, catalog: Catalog, query: str, today: date
) -> ProgressAnswer:
    """/tiendo [cơ quan]: an agency chat's argument is ignored (it only ever sees its own
    agency); the leaders' chat and an admin's private chat may name one agency."""
    agency_id = 0
    if query and scope.province_wide:
        lookup = await find_agency(session, catalog=catalog, provinces=scope.provinces, query=query)
        if lookup.found is None:
            return ProgressAnswer(lookup=lookup)
        agency_id = lookup.found.agency_id
    return ProgressAnswer(await progress_pages(session, scope=scope, today=today, agency_id=agency_id or None), agency_id)


async def _province_pages(session: AsyncSession, *, province: Province, today: date, admin: bool) -> list[str]:
    lines = await _held(session, await plans_repo.due_lines(session, province_ids=[province.id]), today)
    rows = province_summary(lines, today=today)
    bound_codes = {
        agency.code
        for agency_id in await chats_repo.bound_agency_ids(session, province_id=province.id)
        if (agency := await agencies_repo.get_agency(session, agency_id=agency_id)) is not None
    }
    lost_codes = {agency.code for agency in await agencies_repo.unreachable_agencies(session, province_id=province.id)}
    # Agencies with open items and no chat to remind: the leaders should know, and whether
    # the chat was lost (bot removed, blocked) or never registered.
    waiting = [r for r in rows if r.agency_code not in bound_codes and r.total > r.done]
    figures = sum(
        (Figures.of(line.category(today), line.due_on, today, line.hold) for line in lines), Figures()
    )
    counts = await reports.task_counts(session, province_ids=[province.id])
    unassigned = await reports.unassigned_tasks(session, province_ids=[province.id])
    return province_summary_messages(
        progress_texts.province_title(province.name),
        rows,
        today,
        unreachable=[r.agency_name for r in waiting if r.agency_code in lost_codes],
        unbound=[r.agency_name for r in waiting if r.agency_code not in lost_codes],
        figures=figures,
        tasks=sum(c.tasks for c in counts.values()),
        unassigned=unassigned,
        list_unassigned=admin,
    )


async def _held(session: AsyncSession, lines: list[DueLine], today: date) -> list[DueLine]:
    """Lines with the holds in force today: shown as such, never as overdue."""
    items, agencies = await followup_repo.holds_in_force(session, today=today)
    return with_holds(lines, items, agencies) if items or agencies else lines


async def _scope_lines(session: AsyncSession, scope: Scope, today: date) -> list[DueLine] | None:
    if scope.kind is ScopeKind.AGENCY:
        lines = await plans_repo.due_lines(
            session, province_ids=scope.province_ids, agency_ids=scope.agency_ids, include_undated=False
        )
    elif scope.province_wide:
        lines = await plans_repo.due_lines(session, province_ids=scope.province_ids, include_undated=False)
    else:
        return None
    return await _held(session, lines, today)


def _who(scope: Scope) -> str:
    agency = scope.agency.name if scope.kind is ScopeKind.AGENCY and scope.agency is not None else None
    return progress_texts.scope_name(agency, [p.name for p in scope.provinces])


async def overdue_pages(session: AsyncSession, *, scope: Scope, today: date) -> list[str] | None:
    lines = await _scope_lines(session, scope, today)
    if lines is None:
        return None
    return list_messages(
        progress_texts.overdue_title(_who(scope)),
        overdue(lines, today=today),
        today,
        empty=progress_texts.NO_OVERDUE,
        show_agency=scope.province_wide,
    )


async def upcoming_pages(
    session: AsyncSession, *, scope: Scope, today: date, days: int
) -> list[str] | None:
    lines = await _scope_lines(session, scope, today)
    if lines is None:
        return None
    return list_messages(
        progress_texts.upcoming_title(days, _who(scope)),
        upcoming(lines, today=today, days=days),
        today,
        empty=progress_texts.nothing_upcoming(days),
        show_agency=scope.province_wide,
    )


def _agency_name(agency: Agency) -> str:
    if agency.successor is not None and not agency.active:
        return f"{agency.name} (nay: {agency.successor.name})"
    return agency.name


async def task_pages(
    session: AsyncSession, *, scope: Scope, task_id: int, today: date, tz: ZoneInfo
) -> list[str] | None:
    """/nhiemvu: None when the task does not exist or the chat may not see it."""
    if scope.kind is ScopeKind.NONE:
        return None
    task = await plans_repo.get_task(session, task_id=task_id)
    if task is None or task.plan.province_id not in scope.province_ids:
        return None
    own_only = scope.kind is ScopeKind.AGENCY
    if own_only:
        family = set(scope.agency_ids)
        linked = {link.agency_id for link in task.links}
        items = await plans_repo.task_due_items(session, task_id=task.id, agency_ids=family)
        if not (linked & family) and not items:
            return None
    else:
        items = await plans_repo.task_due_items(session, task_id=task.id)
    history: list[HistoryView] = []
    for item in items:
        for change in await status_changes_repo.history(session, due_item_id=item.id):
            if change.source is ChangeSource.IMPORT and change.old_status is None:
                continue  # "created from the plan" for every item: noise
            history.append(
                HistoryView(
                    at=change.at,
                    due_on=item.due_on,
                    agency_name=item.agency.name,
                    source=change.source,
                    new_status=change.new_status,
                    progress=change.progress,
                    actor=change.actor_name,
                    note=change.note,
                )
            )
    history.sort(key=lambda h: h.at)
    links = sorted(task.links, key=lambda link: link.agency.name)
    view = TaskView(
        task_id=task.id,
        ref=task.ref,
        plan_number=task.plan.number,
        plan_title=task.plan.title,
        section=task.section,
        title=task.title,
        product=task.product,
        lead=tuple(_agency_name(link.agency) for link in links if link.role is LinkRole.LEAD),
        support=tuple(_agency_name(link.agency) for link in links if link.role is LinkRole.SUPPORT),
        lead_text=task.lead_text,
        support_text=task.support_text,
        deadline_text=task.deadline_text,
        needs_review=tuple(task.needs_review or ()),
        removed=task.removed,
        items=tuple(
            ItemView(
                due_on=i.due_on,
                original_due_on=i.original_due_on,
                agency_name=i.agency.name,
                status=i.status,
                progress=i.progress,
                completed_on=i.completed_on,
            )
            for i in items
        ),
        history=tuple(history),
        own_items_only=own_only,
    )
    return task_messages(view, today, tz)


async def agencies_pages(session: AsyncSession, *, scope: Scope) -> list[str] | None:
    """/coquan, admins only."""
    if scope.kind is not ScopeKind.ADMIN:
        return None
    pages: list[str] = []
    for province in scope.provinces:
        overview = await agencies_repo.agency_overview(session, province_id=province.id)
        names = {row.agency.id: row.agency.name for row in overview}
        rows = [
            admin_render.AgencyRow(
                name=row.agency.name,
                active=row.agency.active,
                successor_name=names.get(row.agency.successor_id) if row.agency.successor_id else None,
                tasks=row.tasks,
                open_items=row.open_items,
                chats=tuple(chat.title or str(chat.tg_chat_id) for chat in row.chats),
            )
            for row in overview
        ]
        pages += admin_render.agencies_messages(province.name, rows)
    return pages or admin_render.agencies_messages("—", [])
