"""Provinces and agencies: the directory synced in, name search, successions (mergers), the /coquan overview.

Data functions: keyword-only, take the caller's session, flush at most, never commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import exists, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Agency, Chat, DueItem, Plan, Province, Task, TaskAgency
from bot.domain.kinds import LinkRole
from bot.domain.status import Status
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


async def get_province(session: AsyncSession, *, slug: str) -> Province | None:
    return await session.scalar(select(Province).where(Province.slug == slug))


async def get_province_by_id(session: AsyncSession, *, province_id: int) -> Province | None:
    return await session.get(Province, province_id)


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


async def list_provinces(session: AsyncSession) -> list[Province]:
    return list(await session.scalars(select(Province).order_by(Province.slug)))


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


@dataclass
class AgencyOverview:
    """One line of /coquan."""

    agency: Agency
    chats: list[Chat] = field(default_factory=list)
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


async def provinces_by_name(session: AsyncSession, *, slug: str | None = None) -> list[Province]:
    """Every province stored (or the one with `slug`), by name."""
    query = select(Province).order_by(Province.name)
    if slug:
        query = query.where(Province.slug == slug)
    return list(await session.scalars(query))
