"""Plan intake used by both the CLI and the bot: read → parse → (later) store."""

from __future__ import annotations

from datetime import date
from typing import Literal

from bot.catalog import Catalog
from bot.db.agencies import get_or_create_province, provinces_by_name
from bot.db.models import Province
from bot.db.plans import TaskRow, list_tasks
from bot.db.session import AsyncSession
from bot.domain.follow import default_follow_from
from bot.domain.imports import ImportReport
from bot.domain.plans.draft import PlanDraft
from bot.domain.plans.parser import parse_plan
from bot.domain.plans.readers import read_plan
from bot.services.importing import import_plan


def read_and_parse(
    data: bytes,
    filename: str,
    *,
    catalog: Catalog,
    province: str | None,
    max_bytes: int,
    force_province: bool = False,
) -> PlanDraft:
    """Raises PlanReadError or PlanProvinceUnknown (PlanProvinceMismatch: the plan names
    another province than `province`), all with a Vietnamese `message`."""
    document = read_plan(data, filename, max_bytes=max_bytes)
    return parse_plan(
        document,
        provinces=catalog.provinces,
        load_directory=catalog.directory,
        province=province,
        force_province=force_province,
    )


async def ensure_province(session: AsyncSession, *, draft: PlanDraft, catalog: Catalog, timezone: str) -> Province:
    """The plan's province row, created from the directory the first time."""
    directory = catalog.directory(draft.meta.province or "")
    return await get_or_create_province(
        session, slug=draft.meta.province or "", name=directory.province.name,
        timezone=directory.province.timezone or timezone,
    )


async def store_draft(
    session: AsyncSession,
    *,
    draft: PlanDraft,
    catalog: Catalog,
    timezone: str,
    actor: str,
    follow_from: date | Literal["start"] | None = None,
    today: date | None = None,
) -> ImportReport:
    """Store a parsed plan in the caller's transaction (raises PlanImportError).
    `follow_from`: see `bot.services.importing.import_plan`; with `today` and no
    `follow_from`, a new plan already under way is followed from today
    (`bot.domain.follow.default_follow_from`)."""
    slug = draft.meta.province or ""
    await ensure_province(session, draft=draft, catalog=catalog, timezone=timezone)
    agencies = {agency.code: agency for agency in (*draft.new_agencies, *catalog.recipients(slug))}
    proposed = (
        default_follow_from(
            first_year=draft.meta.period[0] if draft.meta.period else None,
            due_dates=(d for t in draft.tasks for d in t.due_dates),
            today=today,
        )
        if today is not None
        else None
    )
    return await import_plan(
        session, draft=draft, province_slug=slug, agencies=agencies, actor=actor, follow_from=follow_from,
        default_follow_from=proposed,
    )


async def task_rows(
    session: AsyncSession,
    *,
    province_slug: str | None,
    agency: str | None,
    due_before: date | None,
    plan_number: str | None,
) -> list[tuple[str, TaskRow]]:
    """(province name, row) for the tasks table: one province, or every province stored."""
    rows: list[tuple[str, TaskRow]] = []
    for province in await provinces_by_name(session, slug=province_slug):
        found = await list_tasks(
            session, province=province, agency=agency, due_before=due_before, plan_number=plan_number
        )
        rows.extend((province.name, row) for row in found)
    return rows
