"""Data functions: keyword-only, take the caller's session, flush at most, never commit.

Selection happens in SQL over indexed columns; nothing here loads a table to
filter it in Python.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import and_, exists, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    Agency,
    Chat,
    ChatRole,
    DueItem,
    LinkRole,
    Plan,
    Province,
    StatusChange,
    Task,
    TaskAgency,
)
from bot.domain.status import Category, ChangeSource, Status, category
from bot.domain.text import clean, fold


class DirectoryAgency(Protocol):
    """What the agency directory knows about one agency (bot.domain.agencies.Agency fits)."""

    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str | None: ...
    @property
    def aliases(self) -> Sequence[str]: ...
    @property
    def successor(self) -> str | None: ...


# --- provinces and agencies ------------------------------------------------------------


async def get_province(session: AsyncSession, *, slug: str) -> Province | None:
    return await session.scalar(select(Province).where(Province.slug == slug))


async def get_or_create_province(
    session: AsyncSession, *, slug: str, name: str, timezone: str
) -> Province:
    """The province with this slug; name and time zone follow the directory."""
    province = await get_province(session, slug=slug)
    if province is None:
        province = Province(slug=slug, name=name, timezone=timezone)
        session.add(province)
        await session.flush()
    else:
        if province.name != name:
            province.name = name
        if province.timezone != timezone:
            province.timezone = timezone
    return province


def agency_search_key(name: str, aliases: Iterable[str]) -> str:
    """Accent-insensitive text the name search matches against (see `find_agencies`)."""
    return "|".join(dict.fromkeys(fold(x) for x in (name, *aliases) if x.strip()))


async def sync_agencies(
    session: AsyncSession,
    *,
    province: Province,
    directory_agencies: Iterable[DirectoryAgency],
    deactivate_missing: bool = False,
) -> dict[str, Agency]:
    """Upsert the directory's agencies (by code) into the province; returns them by code.

    An agency with a successor is inactive (it was merged away); its tasks stay
    linked to it and are found under the successor (see `find_agencies`).
    Agencies absent from the directory are kept — tasks refer to them — and only
    marked inactive with `deactivate_missing` (pass the whole directory then).
    """
    wanted = {a.code: a for a in directory_agencies}
    rows = {
        a.code: a
        for a in await session.scalars(select(Agency).where(Agency.province_id == province.id))
    }
    for code, info in wanted.items():
        aliases = list(info.aliases)
        values: dict[str, Any] = {
            "name": info.name,
            "kind": info.kind,
            "aliases": aliases,
            "search_key": agency_search_key(info.name, aliases),
            "active": getattr(info, "active", info.successor is None),
        }
        row = rows.get(code)
        if row is None:
            row = Agency(province_id=province.id, code=code, **values)
            session.add(row)
            rows[code] = row
        else:
            for key, value in values.items():
                if getattr(row, key) != value:
                    setattr(row, key, value)
    if deactivate_missing:
        for code, row in rows.items():
            if code not in wanted and row.active:
                row.active = False
    await session.flush()
    for code, info in wanted.items():
        successor = rows.get(info.successor) if info.successor else None
        successor_id = successor.id if successor is not None and successor.code != code else None
        if rows[code].successor_id != successor_id:
            rows[code].successor_id = successor_id
    await session.flush()
    return {code: rows[code] for code in wanted}


async def agencies_by_code(
    session: AsyncSession, *, province: Province, codes: Iterable[str]
) -> dict[str, Agency]:
    codes = set(codes)
    if not codes:
        return {}
    result = await session.scalars(
        select(Agency).where(Agency.province_id == province.id, Agency.code.in_(codes))
    )
    return {a.code: a for a in result}


async def find_agencies(
    session: AsyncSession, *, province: Province, query: str, include_predecessors: bool = True
) -> list[Agency]:
    """Agencies whose code is `query` (any case) or whose name/alias contains it.

    Name matching ignores case and diacritics ("so tu phap" finds "Sở Tư pháp").
    With `include_predecessors`, agencies merged into a match come too: the tasks
    of the old Sở TT&TT are found when asking for Sở Khoa học và Công nghệ.
    """
    query = clean(query)
    if not query:
        return []
    key = fold(query)
    matches = list(
        await session.scalars(
            select(Agency)
            .where(
                Agency.province_id == province.id,
                or_(
                    func.upper(Agency.code) == query.upper(),
                    Agency.search_key.contains(key, autoescape=True),
                ),
            )
            .order_by(Agency.code)
        )
    )
    if include_predecessors and matches:
        seen = {a.id for a in matches}
        frontier = set(seen)
        for _ in range(10):  # succession chains are short; the bound guards against cycles
            older = list(
                await session.scalars(
                    select(Agency).where(Agency.successor_id.in_(frontier), Agency.id.not_in(seen))
                )
            )
            if not older:
                break
            matches.extend(older)
            frontier = {a.id for a in older}
            seen |= frontier
    return matches


# --- plans and tasks -------------------------------------------------------------------


async def get_plan_by_number(
    session: AsyncSession, *, province: Province, number: str
) -> Plan | None:
    return await session.scalar(
        select(Plan).where(Plan.province_id == province.id, Plan.number == number)
    )


async def list_plans(session: AsyncSession, *, province: Province) -> list[Plan]:
    return list(
        await session.scalars(
            select(Plan).where(Plan.province_id == province.id).order_by(Plan.issued_on, Plan.number)
        )
    )


@dataclass(frozen=True)
class TaskRow:
    """One line of the tasks table: a due item, or a task without any due date."""

    task_id: int
    ref: str
    plan_number: str
    title: str
    agency_code: str | None  # the lead agency (None: the plan names none)
    agency_name: str | None
    due_item_id: int | None  # None: no due date ("chưa xác định thời hạn")
    due_on: date | None
    status: Status | None
    progress: int | None
    completed_on: date | None
    needs_review: tuple[str, ...] = ()  # ReviewReason values: show a "cần rà soát" mark

    def category(self, today: date) -> Category:
        return category(self.status or Status.PENDING, self.due_on, self.completed_on, today)


async def list_tasks(
    session: AsyncSession,
    *,
    province: Province,
    agency: str | None = None,
    plan_number: str | None = None,
    due_before: date | None = None,
    due_after: date | None = None,
    statuses: Iterable[Status] | None = None,
    open_only: bool = False,
    include_undated: bool = True,
    limit: int | None = None,
) -> list[TaskRow]:
    """Rows for the CLI/admin tasks table, dated rows first (by due date), then undated.

    `agency` is a code or part of a name (see `find_agencies`); an agency that
    matches nothing gives no rows. Date bounds are inclusive. Removed tasks and
    cancelled due items are left out. Undated tasks are listed once per lead agency
    unless a date or status filter is given.
    """
    agency_ids: list[int] | None = None
    if agency is not None:
        agency_ids = [a.id for a in await find_agencies(session, province=province, query=agency)]
        if not agency_ids:
            return []

    dated = (
        select(
            Task.id,
            Task.ref,
            Plan.number,
            Task.title,
            Agency.code,
            Agency.name,
            DueItem.id,
            DueItem.due_on,
            DueItem.status,
            DueItem.progress,
            DueItem.completed_on,
            Task.needs_review,
        )
        .select_from(DueItem)
        .join(Task, DueItem.task_id == Task.id)
        .join(Plan, Task.plan_id == Plan.id)
        .join(Agency, DueItem.agency_id == Agency.id)
        .where(Plan.province_id == province.id, DueItem.cancelled == false(), Task.removed == false())
        .order_by(DueItem.due_on, Plan.number, Task.position, Agency.code)
    )
    if agency_ids is not None:
        dated = dated.where(DueItem.agency_id.in_(agency_ids))
    if plan_number is not None:
        dated = dated.where(Plan.number == plan_number)
    if due_before is not None:
        dated = dated.where(DueItem.due_on <= due_before)
    if due_after is not None:
        dated = dated.where(DueItem.due_on >= due_after)
    status_list = list(statuses) if statuses is not None else None
    if status_list is not None:
        dated = dated.where(DueItem.status.in_(status_list))
    if open_only:
        dated = dated.where(DueItem.status != Status.DONE)
    if limit is not None:
        dated = dated.limit(limit)
    rows = [_row(*r) for r in (await session.execute(dated)).all()]

    filtered_by_date_or_status = (
        due_before is not None or due_after is not None or status_list is not None
    )
    if include_undated and not filtered_by_date_or_status and (limit is None or len(rows) < limit):
        has_due = exists().where(DueItem.task_id == Task.id, DueItem.cancelled == false())
        undated = (
            select(
                Task.id, Task.ref, Plan.number, Task.title, Agency.code, Agency.name, Task.needs_review
            )
            .select_from(Task)
            .join(Plan, Task.plan_id == Plan.id)
            .outerjoin(
                TaskAgency, and_(TaskAgency.task_id == Task.id, TaskAgency.role == LinkRole.LEAD)
            )
            .outerjoin(Agency, TaskAgency.agency_id == Agency.id)
            .where(Plan.province_id == province.id, Task.removed == false(), ~has_due)
            .order_by(Plan.number, Task.position, Agency.code)
        )
        if agency_ids is not None:
            undated = undated.where(TaskAgency.agency_id.in_(agency_ids))
        if plan_number is not None:
            undated = undated.where(Plan.number == plan_number)
        if limit is not None:
            undated = undated.limit(limit - len(rows))
        rows += [
            _row(*r[:6], None, None, None, None, None, r[6])
            for r in (await session.execute(undated)).all()
        ]
    return rows


def _row(*values: Any) -> TaskRow:
    *fields, needs_review = values
    return TaskRow(*fields, needs_review=tuple(needs_review or ()))


# --- status changes --------------------------------------------------------------------


async def change_status(
    session: AsyncSession,
    *,
    item: DueItem,
    status: Status,
    source: ChangeSource,
    now: datetime,
    today: date,
    progress: int | None = None,
    new_due_on: date | None = None,
    actor_name: str | None = None,
    actor_tg_id: int | None = None,
    note: str | None = None,
    evidence: dict[str, Any] | None = None,
    chat_id: int | None = None,
    message_id: int | None = None,
) -> StatusChange:
    """Set a due item's status and append the history row (the only way statuses change).

    `today` is the province's local date (completion date of a "done"); `new_due_on`
    moves the due date (an extension granted), the original date stays the identity.
    """
    old = item.status
    item.status = status
    if status is Status.DONE:
        item.progress = 100
        item.completed_on = today
    else:
        item.completed_on = None
        if progress is not None:
            item.progress = max(0, min(100, progress))
    if new_due_on is not None:
        item.due_on = new_due_on
    item.updated_at = now
    change = StatusChange(
        due_item=item,
        at=now,
        actor_tg_id=actor_tg_id,
        actor_name=actor_name,
        source=source,
        old_status=old,
        new_status=status,
        progress=item.progress,
        note=note,
        evidence=evidence,
        chat_id=chat_id,
        message_id=message_id,
    )
    session.add(change)
    await session.flush()
    return change


async def history(session: AsyncSession, *, due_item_id: int) -> list[StatusChange]:
    return list(
        await session.scalars(
            select(StatusChange)
            .where(StatusChange.due_item_id == due_item_id)
            .order_by(StatusChange.at, StatusChange.id)
        )
    )


# --- chats -----------------------------------------------------------------------------


async def get_chat(session: AsyncSession, *, tg_chat_id: int) -> Chat | None:
    return await session.scalar(select(Chat).where(Chat.tg_chat_id == tg_chat_id))


async def bind_chat(
    session: AsyncSession,
    *,
    province: Province,
    tg_chat_id: int,
    role: ChatRole,
    now: datetime,
    agency: Agency | None = None,
    title: str | None = None,
    bound_by_tg_id: int | None = None,
) -> Chat:
    """Bind a Telegram chat to an agency (or the leaders); rebinding replaces the binding."""
    if role is ChatRole.AGENCY and agency is None:
        raise ValueError("an agency chat needs an agency")
    chat = await get_chat(session, tg_chat_id=tg_chat_id)
    if chat is None:
        chat = Chat(tg_chat_id=tg_chat_id)
        session.add(chat)
    chat.province_id = province.id
    chat.role = role
    chat.agency_id = agency.id if agency is not None else None
    chat.title = title
    chat.active = True
    chat.bound_by_tg_id = bound_by_tg_id
    chat.bound_at = now
    await session.flush()
    return chat


async def chats_for_agency(session: AsyncSession, *, agency_id: int) -> list[Chat]:
    return list(
        await session.scalars(
            select(Chat).where(Chat.agency_id == agency_id, Chat.active).order_by(Chat.id)
        )
    )
