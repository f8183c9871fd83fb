"""What the console's Agencies and Reports pages show, from the digest service's figures.

The figures are the digests' own (`figures_by_plan_and_agency`: counted in SQL as of a
date, merged agencies added to their successor, ranked worst first): the console, the
weekly digest and the workbook never disagree. The pages need only the counts, so they
skip the digest's per-item rows (the workbook and the .docx, downloaded from the page,
are built by `digests.make_output` in full).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from bot.db import agencies as agencies_repo
from bot.db import plans as plans_repo
from bot.db import reports
from bot.db import web_queries as q
from bot.db.digests import figures_by_plan_and_agency
from bot.db.models import Agency, Chat, Province
from bot.db.session import AsyncSession
from bot.domain.digest import (
    AgencyFigures,
    Digest,
    DigestKind,
    PlanFigures,
    digest_period,
    merge_agencies,
    rank_agencies,
)
from bot.domain.digest import (
    Figures as Figures,  # re-exported: the web pages build empty rows with it
)
from bot.domain.plans.leads import new_agency_code
from bot.domain.text import clean
from bot.services.digests import day_end

# "Who answered for it": the names from the last year's history (an older focal point has
# most likely moved on; and the page reads a year of history, not all of it).
PEOPLE_WINDOW = timedelta(days=365)


async def report_figures(session: AsyncSession, *, province: Province, kind: DigestKind, as_of: date) -> Digest:
    """The digest's figures for the period ending `as_of` (no item rows, no events)."""
    period = digest_period(kind, as_of)
    today = period.as_of
    end = day_end(today, ZoneInfo(province.timezone))
    current = await plans_repo._current_agencies(session, [province.id])  # noqa: SLF001 - the one succession map
    by_key = await figures_by_plan_and_agency(session, province_id=province.id, end=end, today=today)
    per_plan = _sum_by((plan_id, figures) for (plan_id, _), figures in by_key.items())
    per_agency = list(_sum_by((agency_id, figures) for (_, agency_id), figures in by_key.items()).items())
    # Tasks and those nobody leads (no due item, so no figures): counted apart (bot.db.reports);
    # the latter from their list, which the page shows anyway (one pass over the tasks, not two).
    unassigned = await reports.unassigned_tasks(session, province_ids=[province.id], today=today)
    unassigned_per_plan = Counter(t.plan_number for t in unassigned)
    counts = await reports.task_counts(session, province_ids=[province.id], today=today, flagged=False, leads=False)
    ids = set(per_plan) | set(counts)
    plans = await plans_repo.plans_by_ids(session, ids=ids)
    plan_rows = [
        PlanFigures(
            p.number, p.title, per_plan.get(p.id, Figures()),
            tasks=counts[p.id].tasks if p.id in counts else 0,
            unassigned=unassigned_per_plan.get(p.number, 0),
        )
        for p in plans
    ]
    return Digest(
        province_name=province.name, period=period, total=sum((p.figures for p in plan_rows), Figures()),
        plans=plan_rows, agencies=rank_agencies(merge_agencies(per_agency, current)),
        tasks=sum(c.tasks for c in counts.values()),
        unassigned=unassigned,
    )


_FIELDS = tuple(Figures.__dataclass_fields__)


def _sum_by(pairs: Iterable[tuple[int, Figures]]) -> dict[int, Figures]:
    """key → the sum of its Figures (a plan's or an agency's of its thousands of (plan,
    agency) pairs), added up as plain counts: one Figures per key, not one per addition."""
    totals: dict[int, list[int]] = {}
    for key, figures in pairs:
        total = totals.get(key)
        if total is None:
            total = totals[key] = [0] * len(_FIELDS)
        for i, name in enumerate(_FIELDS):
            total[i] += getattr(figures, name)
    return {key: Figures(**dict(zip(_FIELDS, total, strict=True))) for key, total in totals.items()}


@dataclass
class AgencyRow:
    agency: Agency
    figures: Figures
    chats: list[Chat] = field(default_factory=list)  # active first
    people: list[str] = field(default_factory=list)  # who answered for it (chat, Zalo, console)
    focal_points: list[str] = field(default_factory=list)  # registered with /daumoi

    @property
    def reachable(self) -> bool:
        return any(c.active for c in self.chats)


async def agency_rows(
    session: AsyncSession, *, province: Province, today: date, agency_ids: frozenset[int] | None = None
) -> list[AgencyRow]:
    """The province's agencies with work or a chat, worst first (the digest's ranking);
    `agency_ids`: only these (a focal point's own). The digest's per-agency figures as of
    today, without the per-plan task counts the Reports page adds."""
    end = day_end(today, ZoneInfo(province.timezone))
    current = await plans_repo._current_agencies(session, [province.id])  # noqa: SLF001 - the one succession map
    # Only the items of these agencies and of those merged into them (their work is theirs now).
    sources = None
    if agency_ids is not None:
        codes = {current[i][0] for i in agency_ids if i in current}
        sources = {i for i, (code, _) in current.items() if code in codes}
    by_key = await figures_by_plan_and_agency(session, province_id=province.id, end=end, today=today, agency_ids=sources)
    per_agency = _sum_by((agency_id, figures) for (_, agency_id), figures in by_key.items())
    ranked_agencies = rank_agencies(merge_agencies(per_agency.items(), current))
    agencies = {a.code: a for a in await q.agencies_of(session, province_id=province.id)}
    chats = await q.agency_chats(session, province_id=province.id)
    people = await q.agency_people(session, province_id=province.id, since=end - PEOPLE_WINDOW, agency_ids=agency_ids)
    focal = await q.agency_focal_points(session, province_id=province.id)
    rows: list[AgencyRow] = []
    seen: set[int] = set()
    for ranked in ranked_agencies:
        agency = agencies.get(ranked.agency_code)
        if agency is None:
            continue
        rows.append(AgencyRow(agency, ranked.figures, chats.get(agency.id, []), people.get(agency.id, []), focal.get(agency.id, [])))
        seen.add(agency.id)
    for agency in agencies.values():  # bound but without work
        if agency.id not in seen and agency.id in chats:
            rows.append(AgencyRow(agency, Figures(), chats[agency.id], people.get(agency.id, []), focal.get(agency.id, [])))
    if agency_ids is not None:
        rows = [r for r in rows if r.agency.id in agency_ids]
    return rows


def figures_of(digest: Digest, code: str) -> AgencyFigures | None:
    return next((a for a in digest.agencies if a.agency_code == code), None)


async def add_agency(session: AsyncSession, *, province: Province, name: str) -> Agency | None:
    """A body the directory lacks, added to the province (code `moi-…`, as the parser names
    the bodies it finds in a plan); the existing one when the name is already there."""
    name = clean(name)
    if not name:
        return None
    code = new_agency_code(name)
    existing = await agencies_repo.get_agency_by_code(session, province_id=province.id, code=code)
    if existing is not None:
        if not existing.active:
            existing.active = True
        return existing
    agency = Agency(
        province_id=province.id, code=code, name=name, kind="other", aliases=[],
        search_key=agencies_repo.agency_search_key(name, []), active=True,
    )
    session.add(agency)
    await session.flush()
    return agency
