"""Data functions: keyword-only, take the caller's session, flush at most, never commit.

Selection happens in SQL over indexed columns; nothing here loads a table to
filter it in Python.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import and_, exists, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Agency, Chat, DueItem, Plan, Province, StatusChange, Task, TaskAgency
from bot.domain.kinds import ChatRole, LinkRole
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
    return replace(TaskRow(*fields), needs_review=tuple(needs_review or ()))


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
    channel: str | None = None,
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
        channel=channel,
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


# --- the bot: scopes, due lines, flows (appended with migration 0002_bot) ----------------

from dataclasses import field as _field  # noqa: E402

from sqlalchemy import update  # noqa: E402
from sqlalchemy.orm import selectinload  # noqa: E402

from bot.db.models import BindRequest, InviteLink, PendingUpload  # noqa: E402
from bot.domain.digest import DueLine  # noqa: E402
from bot.domain.kinds import FlowState  # noqa: E402


async def list_provinces(session: AsyncSession) -> list[Province]:
    return list(await session.scalars(select(Province).order_by(Province.slug)))


async def get_agency(session: AsyncSession, *, agency_id: int) -> Agency | None:
    return await session.get(Agency, agency_id)


async def get_agency_by_code(session: AsyncSession, *, province_id: int, code: str) -> Agency | None:
    return await session.scalar(
        select(Agency).where(Agency.province_id == province_id, Agency.code == code)
    )


async def agency_family_ids(session: AsyncSession, *, agency_ids: Iterable[int]) -> list[int]:
    """The agencies and every agency merged into them, however many mergers back.

    An agency chat of Sở KH&CN thereby also covers what was assigned to Sở TT&TT.
    """
    family = list(dict.fromkeys(agency_ids))
    seen = set(family)
    frontier = set(family)
    for _ in range(10):  # succession chains are short; the bound guards against cycles
        if not frontier:
            break
        older = set(
            await session.scalars(
                select(Agency.id).where(Agency.successor_id.in_(frontier), Agency.id.not_in(seen))
            )
        )
        family.extend(sorted(older))
        seen |= older
        frontier = older
    return family


async def _current_agencies(session: AsyncSession, province_ids: list[int]) -> dict[int, tuple[str, str]]:
    """agency id → (code, name) of the agency doing its work today (follows successors)."""
    rows = (
        await session.execute(
            select(Agency.id, Agency.code, Agency.name, Agency.successor_id).where(
                Agency.province_id.in_(province_ids)
            )
        )
    ).all()
    by_id = {r.id: r for r in rows}
    current: dict[int, tuple[str, str]] = {}
    for row in rows:
        target, hops = row, 0
        while target.successor_id is not None and target.successor_id in by_id and hops < 10:
            target, hops = by_id[target.successor_id], hops + 1
        current[row.id] = (target.code, target.name)
    return current


async def due_lines(
    session: AsyncSession,
    *,
    province_ids: Iterable[int],
    agency_ids: Iterable[int] | None = None,
    include_undated: bool = True,
    as_successor: bool = True,
) -> list[DueLine]:
    """Due lines (bot.domain.digest) of the provinces, optionally of some agencies only.

    Cancelled items and removed tasks are left out. Undated tasks give one line per lead
    agency (due_on None). With `as_successor`, a merged agency's lines are shown under
    the agency that does its work today (Sở TT&TT → Sở KH&CN).
    """
    provinces = list(province_ids)
    if not provinces:
        return []
    wanted = list(agency_ids) if agency_ids is not None else None
    if wanted is not None and not wanted:
        return []
    current = await _current_agencies(session, provinces) if as_successor else {}

    dated = (
        select(
            Task.id,
            Task.ref,
            Plan.number,
            Task.title,
            Agency.id,
            Agency.code,
            Agency.name,
            DueItem.id,
            DueItem.due_on,
            DueItem.original_due_on,
            DueItem.status,
            DueItem.progress,
            DueItem.completed_on,
        )
        .select_from(DueItem)
        .join(Task, DueItem.task_id == Task.id)
        .join(Plan, Task.plan_id == Plan.id)
        .join(Agency, DueItem.agency_id == Agency.id)
        .where(
            Plan.province_id.in_(provinces), DueItem.cancelled == false(), Task.removed == false()
        )
        .order_by(DueItem.due_on, Plan.number, Task.position, Agency.code)
    )
    if wanted is not None:
        dated = dated.where(DueItem.agency_id.in_(wanted))
    lines: list[DueLine] = []
    for r in (await session.execute(dated)).all():
        code, name = current.get(r[4], (r[5], r[6]))
        lines.append(
            DueLine(
                task_id=r[0],
                task_ref=r[1],
                plan_number=r[2],
                title=r[3],
                agency_code=code,
                agency_name=name,
                due_on=r[8],
                original_due_on=r[9],
                status=r[10],
                progress=r[11] or 0,
                completed_on=r[12],
                due_item_id=r[7],
            )
        )
    if include_undated:
        has_due = exists().where(DueItem.task_id == Task.id, DueItem.cancelled == false())
        undated = (
            select(Task.id, Task.ref, Plan.number, Task.title, Agency.id, Agency.code, Agency.name)
            .select_from(Task)
            .join(Plan, Task.plan_id == Plan.id)
            .join(TaskAgency, and_(TaskAgency.task_id == Task.id, TaskAgency.role == LinkRole.LEAD))
            .join(Agency, TaskAgency.agency_id == Agency.id)
            .where(Plan.province_id.in_(provinces), Task.removed == false(), ~has_due)
            .order_by(Plan.number, Task.position, Agency.code)
        )
        if wanted is not None:
            undated = undated.where(TaskAgency.agency_id.in_(wanted))
        for r in (await session.execute(undated)).all():
            code, name = current.get(r[4], (r[5], r[6]))
            lines.append(
                DueLine(
                    task_id=r[0], task_ref=r[1], plan_number=r[2], title=r[3],
                    agency_code=code, agency_name=name, due_on=None,
                )
            )
    return lines


async def get_task(session: AsyncSession, *, task_id: int) -> Task | None:
    """A task with its plan and agency links loaded (removed tasks too)."""
    return await session.scalar(
        select(Task)
        .where(Task.id == task_id)
        .options(
            selectinload(Task.plan),
            selectinload(Task.links).selectinload(TaskAgency.agency).selectinload(Agency.successor),
        )
    )


async def task_due_items(
    session: AsyncSession, *, task_id: int, agency_ids: Iterable[int] | None = None
) -> list[DueItem]:
    """The task's due items that are not cancelled, agencies loaded, by date then agency."""
    query = (
        select(DueItem)
        .join(Agency, DueItem.agency_id == Agency.id)
        .where(DueItem.task_id == task_id, DueItem.cancelled == false())
        .options(selectinload(DueItem.agency))
        .order_by(DueItem.due_on, Agency.name)
    )
    if agency_ids is not None:
        query = query.where(DueItem.agency_id.in_(list(agency_ids)))
    return list(await session.scalars(query))


async def move_chat(session: AsyncSession, *, old_tg_chat_id: int, new_tg_chat_id: int) -> Chat | None:
    """A group became a supergroup (new id): its binding and pending requests follow it.

    Idempotent: Telegram reports the migration in both chats, the second call finds
    nothing left to move.
    """
    chat = await get_chat(session, tg_chat_id=old_tg_chat_id)
    if chat is None or await get_chat(session, tg_chat_id=new_tg_chat_id) is not None:
        return None
    chat.tg_chat_id = new_tg_chat_id
    await session.execute(
        update(BindRequest)
        .where(BindRequest.tg_chat_id == old_tg_chat_id, BindRequest.state == FlowState.PENDING)
        .values(tg_chat_id=new_tg_chat_id)
    )
    await session.flush()
    return chat


async def deactivate_chat(session: AsyncSession, *, tg_chat_id: int) -> Chat | None:
    chat = await get_chat(session, tg_chat_id=tg_chat_id)
    if chat is not None and chat.active:
        chat.active = False
        await session.flush()
    return chat


@dataclass
class AgencyOverview:
    """One line of /coquan."""

    agency: Agency
    chats: list[Chat] = _field(default_factory=list)
    tasks: int = 0  # tasks it leads (not removed)
    open_items: int = 0  # due items not done and not cancelled


async def agency_overview(session: AsyncSession, *, province_id: int) -> list[AgencyOverview]:
    agencies = list(
        await session.scalars(
            select(Agency).where(Agency.province_id == province_id).order_by(Agency.name)
        )
    )
    rows = {a.id: AgencyOverview(a) for a in agencies}
    for chat in await session.scalars(
        select(Chat).where(Chat.province_id == province_id, Chat.active, Chat.agency_id.is_not(None))
        .order_by(Chat.id)
    ):
        if chat.agency_id in rows:
            rows[chat.agency_id].chats.append(chat)
    task_counts = await session.execute(
        select(TaskAgency.agency_id, func.count(func.distinct(Task.id)))
        .join(Task, TaskAgency.task_id == Task.id)
        .join(Plan, Task.plan_id == Plan.id)
        .where(Plan.province_id == province_id, TaskAgency.role == LinkRole.LEAD, Task.removed == false())
        .group_by(TaskAgency.agency_id)
    )
    for agency_id, count in task_counts.all():
        if agency_id in rows:
            rows[agency_id].tasks = count
    open_counts = await session.execute(
        select(DueItem.agency_id, func.count(DueItem.id))
        .join(Task, DueItem.task_id == Task.id)
        .where(
            DueItem.agency_id.in_(list(rows)),
            DueItem.cancelled == false(),
            Task.removed == false(),
            DueItem.status != Status.DONE,
        )
        .group_by(DueItem.agency_id)
    )
    for agency_id, count in open_counts.all():
        rows[agency_id].open_items = count
    return list(rows.values())


async def leaders_chats(session: AsyncSession, *, province_id: int) -> list[Chat]:
    return list(
        await session.scalars(
            select(Chat)
            .where(Chat.province_id == province_id, Chat.role == ChatRole.LEADERS, Chat.active)
            .order_by(Chat.id)
        )
    )


async def bound_agency_ids(session: AsyncSession, *, province_id: int) -> set[int]:
    """Agencies with at least one active chat."""
    return set(
        await session.scalars(
            select(Chat.agency_id).where(
                Chat.province_id == province_id, Chat.active, Chat.agency_id.is_not(None)
            )
        )
    )


# Flows: a decision is a conditional UPDATE ... WHERE state = 'pending', so a repeated or
# concurrent button press (two admins, two processes) decides at most once.


async def decide_flow(
    session: AsyncSession,
    *,
    model: type[PendingUpload] | type[BindRequest],
    row_id: int,
    state: FlowState,
    now: datetime,
    **values: Any,
) -> bool:
    """Move a pending row to `state`; False if it was not pending (already decided)."""
    result = await session.execute(
        update(model)
        .where(model.id == row_id, model.state == FlowState.PENDING)
        .values(state=state, decided_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def add_pending_upload(session: AsyncSession, **values: Any) -> PendingUpload:
    row = PendingUpload(state=FlowState.PENDING, **values)
    session.add(row)
    await session.flush()
    return row


async def get_pending_upload(session: AsyncSession, *, upload_id: int) -> PendingUpload | None:
    return await session.get(PendingUpload, upload_id)


async def add_bind_request(
    session: AsyncSession,
    *,
    province_id: int,
    agency_id: int,
    tg_chat_id: int,
    chat_title: str | None,
    requested_by_tg_id: int,
    requested_by_name: str | None,
    now: datetime,
) -> tuple[BindRequest, bool]:
    """A pending request for (chat, agency); returns (request, created). Asking twice reuses it."""
    existing = await session.scalar(
        select(BindRequest).where(
            BindRequest.tg_chat_id == tg_chat_id,
            BindRequest.agency_id == agency_id,
            BindRequest.state == FlowState.PENDING,
        )
    )
    if existing is not None:
        return existing, False
    row = BindRequest(
        province_id=province_id,
        agency_id=agency_id,
        tg_chat_id=tg_chat_id,
        chat_title=chat_title,
        requested_by_tg_id=requested_by_tg_id,
        requested_by_name=requested_by_name,
        state=FlowState.PENDING,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return row, True


async def get_bind_request(session: AsyncSession, *, request_id: int) -> BindRequest | None:
    return await session.scalar(
        select(BindRequest).where(BindRequest.id == request_id).options(selectinload(BindRequest.agency))
    )


async def add_invite(
    session: AsyncSession, *, token: str, agency_id: int, created_by_tg_id: int, now: datetime, expires_at: datetime
) -> InviteLink:
    row = InviteLink(
        token=token, agency_id=agency_id, created_by_tg_id=created_by_tg_id, created_at=now, expires_at=expires_at
    )
    session.add(row)
    await session.flush()
    return row


async def use_invite(
    session: AsyncSession, *, token: str, tg_chat_id: int, now: datetime
) -> InviteLink | None:
    """Spend a one-time invite; None if unknown, used or expired."""
    result = await session.execute(
        update(InviteLink)
        .where(InviteLink.token == token, InviteLink.used_at.is_(None), InviteLink.expires_at > now)
        .values(used_at=now, used_tg_chat_id=tg_chat_id)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return None
    return await session.scalar(
        select(InviteLink).where(InviteLink.token == token).options(selectinload(InviteLink.agency))
    )


# --- reminders: what digests and replies need from the outbox (migration 0003_reminders) ---

from bot.db.models import Escalation, OutboxMessage  # noqa: E402
from bot.domain.kinds import OutboxKind  # noqa: E402


async def unreachable_agencies(session: AsyncSession, *, province_id: int) -> list[Agency]:
    """Agencies the bot can no longer reach: every chat they had is inactive (bot removed,
    blocked, chat gone — see bot/services/outbox.chat_unreachable). For the digests'
    "Không liên lạc được" line. Agencies that never had a chat are not listed here."""
    has_active = exists().where(Chat.agency_id == Agency.id, Chat.active)
    had_one = exists().where(Chat.agency_id == Agency.id, ~Chat.active)
    return list(
        await session.scalars(
            select(Agency)
            .where(Agency.province_id == province_id, had_one, ~has_active)
            .order_by(Agency.name)
        )
    )


async def escalated_due_item_ids(session: AsyncSession, *, province_id: int) -> set[int]:
    """Open due items already brought to the leaders (overdue past the escalation limit)."""
    return set(
        await session.scalars(
            select(Escalation.due_item_id)
            .join(DueItem, and_(DueItem.id == Escalation.due_item_id, DueItem.due_on == Escalation.due_on))
            .join(Task, DueItem.task_id == Task.id)
            .join(Plan, Task.plan_id == Plan.id)
            .where(Plan.province_id == province_id, DueItem.status != Status.DONE, DueItem.cancelled == false())
        )
    )


async def reminder_numbers(session: AsyncSession, *, tg_chat_id: int, message_id: int) -> dict[int, int] | None:
    """{number shown: due item id} of the reminder message `message_id` in a chat, or None
    when that message is not a reminder (a reply "2 xong" to it means due item numbers[2])."""
    row = await session.scalar(
        select(OutboxMessage)
        .outerjoin(Chat, OutboxMessage.chat_id == Chat.id)
        .where(
            OutboxMessage.tg_message_id == message_id,
            or_(OutboxMessage.tg_chat_id == tg_chat_id, Chat.tg_chat_id == tg_chat_id),
            OutboxMessage.kind == OutboxKind.REMINDER,
        )
        .limit(1)
    )
    if row is None or not row.due_item_ids:
        return None
    return {row.first_number + index: item_id for index, item_id in enumerate(row.due_item_ids)}


# --- status replies: items, prompts, undo, extension requests (migration 0004_replies) -----

from bot.db.models import ExtensionRequest, ItemMessage, StatusPrompt, StatusUndo  # noqa: E402
from bot.domain.kinds import ExtensionState, PromptKind  # noqa: E402


def _item_options() -> list[Any]:
    return [
        selectinload(DueItem.task).selectinload(Task.plan),
        selectinload(DueItem.agency),
    ]


async def get_due_item(session: AsyncSession, *, due_item_id: int, lock: bool = False) -> DueItem | None:
    """A due item with its task, plan and agency; `lock`: FOR UPDATE (PostgreSQL) so that two
    presses on the same item are decided one after the other."""
    query = select(DueItem).where(DueItem.id == due_item_id).options(*_item_options())
    if lock:
        query = query.with_for_update(of=DueItem)
    return await session.scalar(query.execution_options(populate_existing=True))


async def due_items_by_ids(session: AsyncSession, *, ids: Sequence[int]) -> dict[int, DueItem]:
    if not ids:
        return {}
    rows = await session.scalars(select(DueItem).where(DueItem.id.in_(list(ids))).options(*_item_options()))
    return {row.id: row for row in rows}


async def latest_change_id(session: AsyncSession, *, due_item_id: int) -> int:
    """The id of the item's newest history row (0 if none): the version a button carries."""
    return int(
        await session.scalar(select(func.max(StatusChange.id)).where(StatusChange.due_item_id == due_item_id)) or 0
    )


async def said_later(
    session: AsyncSession, *, due_item_id: int, tg_chat_id: int, message_id: int, sent_at: datetime
) -> bool:
    """Whether the item has a later word than the message (chat, id) sent at `sent_at`:
    a change after the message's own newest change on the item, from anything else; or,
    if the message changed nothing on it, any change recorded after it was sent."""
    own = await session.scalar(
        select(func.max(StatusChange.id)).where(
            StatusChange.due_item_id == due_item_id,
            StatusChange.chat_id == tg_chat_id,
            StatusChange.message_id == message_id,  # ids are unique within a chat
        )
    )
    if own is not None:
        later = and_(
            StatusChange.id > own,
            or_(
                StatusChange.chat_id.is_(None), StatusChange.chat_id != tg_chat_id,
                StatusChange.message_id.is_(None), StatusChange.message_id != message_id,
            ),
        )
    else:
        later = StatusChange.at > sent_at
    return bool(
        await session.scalar(select(exists().where(StatusChange.due_item_id == due_item_id, later)))
    )


async def task_agency_roles(session: AsyncSession, *, task_id: int) -> dict[int, set[LinkRole]]:
    """agency id → its roles in the task (lead, support)."""
    roles: dict[int, set[LinkRole]] = {}
    for agency_id, role in (
        await session.execute(select(TaskAgency.agency_id, TaskAgency.role).where(TaskAgency.task_id == task_id))
    ).all():
        roles.setdefault(agency_id, set()).add(role)
    return roles


async def message_due_items(
    session: AsyncSession, *, tg_chat_id: int, tg_message_id: int, reminders: bool = True
) -> list[tuple[int, int]] | None:
    """(number, due item id) of the items a bot message numbers: a reminder (outbox; not with
    `reminders=False`) or a task card / confirmation (item_messages); None for any other."""
    if reminders:
        numbers = await reminder_numbers(session, tg_chat_id=tg_chat_id, message_id=tg_message_id)
        if numbers:
            return sorted((n, int(i)) for n, i in numbers.items())
    mine = (
        await session.execute(
            select(ItemMessage.due_item_ids, ItemMessage.numbers).where(
                ItemMessage.tg_chat_id == tg_chat_id, ItemMessage.tg_message_id == tg_message_id
            )
        )
    ).first()
    if mine is None or not mine[0]:
        return None
    return [(int(n), int(i)) for n, i in zip(mine[1], mine[0], strict=False)]


async def remember_item_message(
    session: AsyncSession,
    *,
    tg_chat_id: int,
    tg_message_id: int,
    items: Sequence[tuple[int, int]],
    now: datetime,
) -> None:
    """Record which items (number, due item id) a bot message numbers; an edited message
    keeps its row, renumbered."""
    existing = await session.scalar(
        select(ItemMessage).where(ItemMessage.tg_chat_id == tg_chat_id, ItemMessage.tg_message_id == tg_message_id)
    )
    ids = [i for _, i in items]
    numbers = [n for n, _ in items]
    if existing is None:
        session.add(
            ItemMessage(tg_chat_id=tg_chat_id, tg_message_id=tg_message_id, due_item_ids=ids, numbers=numbers, created_at=now)
        )
    else:
        existing.due_item_ids = ids
        existing.numbers = numbers
    await session.flush()


async def add_prompt(
    session: AsyncSession,
    *,
    kind: PromptKind,
    tg_chat_id: int,
    tg_user_id: int,
    actor_name: str | None,
    source: ChangeSource,
    payload: dict[str, Any],
    now: datetime,
    expires_at: datetime,
    source_message_id: int | None = None,
    prompt_message_id: int | None = None,
) -> StatusPrompt:
    row = StatusPrompt(
        kind=kind, state=FlowState.PENDING, tg_chat_id=tg_chat_id, tg_user_id=tg_user_id,
        actor_name=actor_name, source=source, payload=payload, created_at=now, expires_at=expires_at,
        source_message_id=source_message_id, prompt_message_id=prompt_message_id,
    )
    session.add(row)
    await session.flush()
    return row


async def get_prompt(session: AsyncSession, *, prompt_id: int) -> StatusPrompt | None:
    return await session.get(StatusPrompt, prompt_id, populate_existing=True)


async def prompt_for_message(
    session: AsyncSession, *, tg_chat_id: int, prompt_message_id: int, kinds: Iterable[PromptKind]
) -> StatusPrompt | None:
    """The newest prompt of those kinds asked in that message (pending or not)."""
    return await session.scalar(
        select(StatusPrompt)
        .where(
            StatusPrompt.tg_chat_id == tg_chat_id,
            StatusPrompt.prompt_message_id == prompt_message_id,
            StatusPrompt.kind.in_(list(kinds)),
        )
        .order_by(StatusPrompt.id.desc())
        .limit(1)
    )


async def set_prompt_message(session: AsyncSession, *, prompt_id: int, prompt_message_id: int) -> None:
    await session.execute(
        update(StatusPrompt)
        .where(StatusPrompt.id == prompt_id)
        .values(prompt_message_id=prompt_message_id)
        .execution_options(synchronize_session=False)
    )


async def close_prompt(session: AsyncSession, *, prompt_id: int, state: FlowState, now: datetime) -> bool:
    """pending → state; False if it was not pending any more (a repeated or racing answer)."""
    return await decide_flow(session, model=StatusPrompt, row_id=prompt_id, state=state, now=now)  # type: ignore[arg-type]


async def cancel_pending_prompts(
    session: AsyncSession, *, tg_chat_id: int, prompt_message_id: int, now: datetime
) -> None:
    """A message asking something new supersedes what it asked before."""
    await session.execute(
        update(StatusPrompt)
        .where(
            StatusPrompt.tg_chat_id == tg_chat_id,
            StatusPrompt.prompt_message_id == prompt_message_id,
            StatusPrompt.state == FlowState.PENDING,
        )
        .values(state=FlowState.CANCELLED, decided_at=now)
        .execution_options(synchronize_session=False)
    )


async def add_undo(session: AsyncSession, **values: Any) -> StatusUndo:
    row = StatusUndo(**values)
    session.add(row)
    await session.flush()
    return row


async def get_undo(session: AsyncSession, *, change_id: int) -> StatusUndo | None:
    return await session.get(StatusUndo, change_id, populate_existing=True)


async def claim_undo(session: AsyncSession, *, change_id: int, now: datetime) -> bool:
    """Mark a change as undone once (a repeated or racing "Hoàn tác" finds it taken)."""
    result = await session.execute(
        update(StatusUndo)
        .where(StatusUndo.change_id == change_id, StatusUndo.undone_at.is_(None))
        .values(undone_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def set_undone_by(session: AsyncSession, *, change_id: int, undone_by_change_id: int) -> None:
    await session.execute(
        update(StatusUndo)
        .where(StatusUndo.change_id == change_id)
        .values(undone_by_change_id=undone_by_change_id)
        .execution_options(synchronize_session=False)
    )


async def add_extension_request(session: AsyncSession, **values: Any) -> ExtensionRequest:
    row = ExtensionRequest(state=ExtensionState.PENDING, **values)
    session.add(row)
    await session.flush()
    return row


async def get_extension_request(session: AsyncSession, *, request_id: int) -> ExtensionRequest | None:
    return await session.get(ExtensionRequest, request_id, populate_existing=True)


async def pending_extension_request(session: AsyncSession, *, due_item_id: int) -> ExtensionRequest | None:
    return await session.scalar(
        select(ExtensionRequest).where(
            ExtensionRequest.due_item_id == due_item_id, ExtensionRequest.state == ExtensionState.PENDING
        )
    )


async def extension_request_for_change(session: AsyncSession, *, change_id: int) -> ExtensionRequest | None:
    return await session.scalar(select(ExtensionRequest).where(ExtensionRequest.request_change_id == change_id))


async def decide_extension_request(
    session: AsyncSession, *, request_id: int, state: ExtensionState, now: datetime, **values: Any
) -> bool:
    """pending → state; False if someone decided (or withdrew) it first."""
    result = await session.execute(
        update(ExtensionRequest)
        .where(ExtensionRequest.id == request_id, ExtensionRequest.state == ExtensionState.PENDING)
        .values(state=state, decided_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def pending_extension_requests(session: AsyncSession, *, province_ids: Iterable[int]) -> list[ExtensionRequest]:
    """Open requests of the provinces, oldest first (for /giahan)."""
    return list(
        await session.scalars(
            select(ExtensionRequest)
            .join(DueItem, ExtensionRequest.due_item_id == DueItem.id)
            .join(Task, DueItem.task_id == Task.id)
            .join(Plan, Task.plan_id == Plan.id)
            .where(ExtensionRequest.state == ExtensionState.PENDING, Plan.province_id.in_(list(province_ids)))
            .order_by(ExtensionRequest.created_at, ExtensionRequest.id)
        )
    )


async def begin_write(session: AsyncSession) -> None:
    """Take SQLite's write lock as the transaction's first statement.

    In WAL mode a transaction that has read and then writes after another connection
    committed fails at once ("database is locked", busy_timeout does not apply); the
    reminder sender writes concurrently with the handlers. A no-op UPDATE first makes the
    transaction wait its turn instead. PostgreSQL needs nothing (rows are locked as used).
    """
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(
            update(StatusPrompt).where(false()).values(state=StatusPrompt.state).execution_options(synchronize_session=False)
        )
