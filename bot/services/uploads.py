"""Plans sent to the bot: parsed and shown first, stored only when an admin confirms.

The pending upload (the file's bytes, its Telegram file_id and what the admin was
shown) is a database row, so a restart between upload and confirmation loses
nothing; confirming re-parses the stored bytes and imports them through
bot.services.plans.store_draft in the same transaction that marks the row done,
so a second or stale press finds it decided and imports nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from pathlib import PurePath
from typing import Literal

from bot.catalog import Catalog
from bot.config import Settings
from bot.db import agencies as agencies_repo
from bot.db import flows as flows_repo
from bot.db import plans as plans_repo
from bot.db import unknown_items
from bot.db.models import PendingUpload
from bot.db.session import AsyncSession
from bot.domain.follow import PastDates, default_follow_from, past_due
from bot.domain.imports import ImportReport
from bot.domain.kinds import FlowState
from bot.domain.plans.draft import PlanDraft
from bot.render import admin as admin_render
from bot.services import plan_review
from bot.services.parse_worker import read_and_parse
from bot.services.plans import ensure_province, store_draft


def max_bytes(settings: Settings) -> int:
    return settings.max_upload_mb * 1024 * 1024


def accepted_name(file_name: str) -> bool:
    return PurePath(file_name.lower()).suffix in admin_render.ALLOWED_SUFFIXES


async def parse(
    data: bytes,
    file_name: str,
    *,
    settings: Settings,
    catalog: Catalog,
    province: str | None = None,
    force_province: bool = False,
) -> PlanDraft:
    """Read and parse off the event loop, in a time- and memory-limited child process
    (bot.services.parse_worker): a hostile file cannot stall or grow the bot.

    The plan must belong to `province` (default: the installation's PROVINCE) unless
    `force_province` (an admin's caption, see `wants_force`). Raises PlanReadError or
    PlanProvinceUnknown / PlanProvinceMismatch (Vietnamese `.message`).
    """
    return await asyncio.to_thread(
        read_and_parse,
        data,
        file_name,
        catalog=catalog,
        province=province or settings.province,
        max_bytes=max_bytes(settings),
        force_province=force_province,
    )


def wants_force(caption: str | None) -> bool:
    """An admin forces a plan into the installation's province by sending it with the
    caption "buộc nhập" (any case, with or without diacritics)."""
    from bot.domain.text import fold

    return "buoc nhap" in fold(caption or "")


def summary_messages(
    draft: PlanDraft, *, catalog: Catalog, past: PastDates | None = None, today: date | None = None
) -> list[str]:
    slug = draft.meta.province
    names = draft.agency_names(catalog.names(slug) if slug else {})
    province_name = catalog.directory(slug).province.name if slug else None
    follow = (
        admin_render.follow_choice_text(past=past.items, agencies=past.agencies, today=today)
        if past is not None and today is not None
        else None
    )
    return admin_render.upload_summary_messages(draft, names=names, province_name=province_name, follow=follow)


async def follow_question(session: AsyncSession, *, draft: PlanDraft, today: date) -> PastDates | None:
    """The due dates already past of a NEW plan under way (the admin chooses from which day
    the bot follows it); None: a plan for years to come, or one stored before (it keeps its day)."""
    slug, number = draft.meta.province, draft.meta.number
    if slug and number:
        province = await agencies_repo.get_province(session, slug=slug)
        if province is not None and await plans_repo.get_plan_by_number(session, province=province, number=number.strip()):
            return None
    dates = [d for t in draft.tasks for d in t.due_dates]
    first_year = draft.meta.period[0] if draft.meta.period else None
    if default_follow_from(first_year=first_year, due_dates=dates, today=today) is None:
        return None
    past = past_due(((code, d) for t in draft.tasks for code in set(t.lead) for d in t.due_dates), today)
    return past if past.items else None


async def latest_pending(session: AsyncSession, *, chat_id: int) -> int | None:
    """The id of the newest plan file waiting for a decision in this private chat."""
    upload = await unknown_items.latest_pending_upload(session, tg_chat_id=chat_id)
    return upload.id if upload is not None else None


async def stage(
    session: AsyncSession,
    *,
    draft: PlanDraft,
    data: bytes,
    file_name: str,
    file_id: str | None,
    user_id: int,
    chat_id: int,
    now: datetime,
) -> PendingUpload:
    return await flows_repo.add_pending_upload(
        session,
        tg_user_id=user_id,
        tg_chat_id=chat_id,
        file_name=file_name[:255],
        file_id=file_id,
        content=data,
        sha256=hashlib.sha256(data).hexdigest(),
        province_slug=draft.meta.province,
        plan_number=draft.meta.number,
        summary=admin_render.upload_summary_line(draft),
        created_at=now,
    )


@dataclass(frozen=True)
class Confirmed:
    report: ImportReport | None  # None: the upload was already decided (stale press)


async def confirm(
    session: AsyncSession,
    *,
    upload_id: int,
    admin_name: str,
    settings: Settings,
    catalog: Catalog,
    now: datetime,
    actor_tg_id: int | None = None,
    follow_from: date | Literal["start"] | None = None,
) -> Confirmed:
    """Import a pending upload (raises PlanReadError/PlanProvinceUnknown/PlanImportError;
    the caller's transaction then rolls back and the upload stays pending)."""
    row = await flows_repo.get_pending_upload(session, upload_id=upload_id)
    if row is None or row.state is not FlowState.PENDING or row.content is None:
        return Confirmed(None)
    # The province was settled when the upload was staged (a forced one included).
    draft = await parse(
        row.content,
        row.file_name,
        settings=settings,
        catalog=catalog,
        province=row.province_slug,
        force_province=row.province_slug is not None,
    )
    if not await flows_repo.decide_flow(
        session, model=PendingUpload, row_id=row.id, state=FlowState.DONE, now=now
    ):
        return Confirmed(None)
    if row.review:
        # Corrections made in the console before importing: recorded as the plan's
        # corrections, which import_plan applies (bot.services.plan_review).
        draft = plan_review.with_review_agencies(draft, row.review)
        province = await ensure_province(session, draft=draft, catalog=catalog, timezone=settings.timezone)
        await plan_review.record_review(
            session, draft=draft, review=plan_review.stored(row), province_id=province.id, now=now,
            actor_tg_id=actor_tg_id, actor_name=admin_name,
        )
    report = await store_draft(
        session, draft=draft, catalog=catalog, timezone=settings.timezone, actor=admin_name,
        follow_from=follow_from,
    )
    return Confirmed(report)


async def cancel(session: AsyncSession, *, upload_id: int, now: datetime) -> bool:
    """Drop a pending upload (its bytes too); False if it was decided already."""
    return await flows_repo.decide_flow(
        session, model=PendingUpload, row_id=upload_id, state=FlowState.CANCELLED, now=now, content=None
    )


async def belongs_to(session: AsyncSession, *, upload_id: int, tg_chat_id: int) -> bool:
    """The upload exists and was sent in this chat (a button elsewhere is forged or stale)."""
    upload = await flows_repo.get_pending_upload(session, upload_id=upload_id)
    return upload is not None and upload.tg_chat_id == tg_chat_id


# --- a plan file received in a private chat ---------------------------------------------------


class FileProblem(StrEnum):
    BAD_TYPE = "bad_type"  # not a spreadsheet or document the reader knows
    TOO_BIG = "too_big"  # over MAX_UPLOAD_MB


def file_problem(settings: Settings, *, file_name: str, size: int | None) -> FileProblem | None:
    """Why a file is refused before it is downloaded, if it is."""
    if not accepted_name(file_name):
        return FileProblem.BAD_TYPE
    if size is not None and size > max_bytes(settings):
        return FileProblem.TOO_BIG
    return None


def foreign_province(draft: PlanDraft, *, settings: Settings, catalog: Catalog, user_id: int) -> str | None:
    """The name of the plan's province when the uploader does not administer it."""
    slug = draft.meta.province
    if slug is not None and not settings.admins.administers(user_id, slug):
        return catalog.directory(slug).province.name
    return None


@dataclass(frozen=True)
class Staged:
    """A plan read and kept pending: its summary pages, and whether the admin is asked from
    which day the bot follows it (a new plan under way) rather than simply to import it."""

    upload_id: int
    pages: list[str]
    ask_follow: bool


async def stage_summary(
    session: AsyncSession, *, draft: PlanDraft, data: bytes, file_name: str, file_id: str | None,
    user_id: int, chat_id: int, settings: Settings, catalog: Catalog, now: datetime,
) -> Staged:
    """Keep the read plan pending for the admin's confirmation and summarise it."""
    upload = await stage(
        session, draft=draft, data=data, file_name=file_name, file_id=file_id, user_id=user_id, chat_id=chat_id, now=now
    )
    today = now.astimezone(settings.tz).date()
    past = await follow_question(session, draft=draft, today=today)
    return Staged(upload.id, summary_messages(draft, catalog=catalog, past=past, today=today), past is not None)
