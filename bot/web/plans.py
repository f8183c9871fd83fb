"""The Plans page: upload a plan, review its parse row by row, correct, then import.

Same services as the bot's upload (bot.services.uploads: bounded parse in a child process,
staged as a pending upload, imported by `confirm`), plus bot.services.plan_review for the
corrections made before importing. A parse runs as a background task of the console; the
page polls it with htmx (a plain refresh without JavaScript) and shows the elapsed time
against the parse limit. Only admins of the plan's province (the bot's rule:
`Admins.administers`) may upload, review, import or cancel.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from bot.db import web_queries as q
from bot.db.models import PendingUpload
from bot.db.session import AsyncSession
from bot.domain.corrections import Field, dates_from_text, deadline_value
from bot.domain.plans.document import PlanReadError
from bot.domain.plans.draft import PlanDraft
from bot.domain.plans.parser import PlanProvinceMismatch, PlanProvinceUnknown
from bot.render import console as console_texts
from bot.render import corrections as correction_texts
from bot.render.imports import import_summary, report_details
from bot.services import plan_review, uploads
from bot.services.importing import PlanImportError
from bot.services.parse_worker import DEFAULT_LIMITS
from bot.web.access import Viewer

if TYPE_CHECKING:
    from bot.web.app import Kit

log = logging.getLogger("nhacviec.web")
CACHED_DRAFTS = 8
FORCE_HINT = console_texts.FORCE_HINT


@dataclass
class ParseJob:
    id: str
    user_id: int
    file_name: str
    size: int
    started: float = field(default_factory=time.monotonic)
    upload_id: int | None = None
    error: str | None = None
    task: asyncio.Task[None] | None = None

    @property
    def done(self) -> bool:
        return self.upload_id is not None or self.error is not None

    @property
    def seconds(self) -> int:
        return int(time.monotonic() - self.started)


def routes(kit: Kit) -> list[Route]:
    ctx = kit.ctx
    page, refuse, signed_in = kit.page, kit.refuse, kit.signed_in
    jobs: dict[str, ParseJob] = {}
    drafts: OrderedDict[int, PlanDraft] = OrderedDict()  # upload id → its parse (re-read on a miss)

    def administers(viewer: Viewer, slug: str | None) -> bool:
        return slug is not None and ctx.settings.admins.administers(viewer.user_id, slug)

    async def plans_page(request: Request, session: AsyncSession, viewer: Viewer, *, problem: str | None = None, status: int = 200) -> Response:
        provinces = [p for p in await q.provinces_by_ids(session, viewer.province_ids) if viewer.sees_all_of(p.id)]
        if not provinces:
            return refuse(request, viewer, 403)
        slugs = [p.slug for p in provinces if administers(viewer, p.slug)]
        plans = {p.id: await q.plan_overview(session, province_id=p.id) for p in provinces}
        return page(
            request, "plans.html", status=status, viewer=viewer, provinces=provinces, plans=plans,
            pending=await q.pending_uploads(session, province_slugs=slugs) if slugs else [],
            can_upload=bool(slugs), problem=problem, max_mb=ctx.settings.max_upload_mb,
        )

    async def plans_list(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
        return await plans_page(request, session, viewer)

    async def run_job(job: ParseJob, data: bytes, force: bool) -> None:
        try:
            draft = await uploads.parse(
                data, job.file_name, settings=ctx.settings, catalog=ctx.catalog, force_province=force
            )
            slug = draft.meta.province
            if slug is not None and not ctx.settings.admins.administers(job.user_id, slug):
                name = ctx.catalog.directory(slug).province.name
                job.error = console_texts.upload_foreign_province(name)
                return
            async with ctx.sessionmaker() as session, session.begin():
                row = await uploads.stage(
                    session, draft=draft, data=data, file_name=job.file_name, file_id=None,
                    user_id=job.user_id, chat_id=job.user_id, now=ctx.clock(),
                )
                upload_id = row.id
            remember(upload_id, draft)
            job.upload_id = upload_id
        except PlanProvinceMismatch as exc:
            job.error = f"{exc.message} {FORCE_HINT}"
        except (PlanReadError, PlanProvinceUnknown) as exc:
            job.error = exc.message or str(exc)
        except Exception:  # noqa: BLE001 - a bug must still end the progress page
            log.exception("Console parse of %s failed", job.file_name)
            job.error = console_texts.UPLOAD_CRASHED

    def remember(upload_id: int, draft: PlanDraft) -> None:
        drafts[upload_id] = draft
        drafts.move_to_end(upload_id)
        while len(drafts) > CACHED_DRAFTS:
            drafts.popitem(last=False)

    async def upload(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
        if not any(viewer.edits(p) for p in viewer.province_ids):
            return refuse(request, viewer, 403)
        form = await request.form()
        file = form.get("file")
        if file is None or isinstance(file, str) or not file.filename:
            return await plans_page(request, session, viewer, problem=console_texts.UPLOAD_NO_FILE, status=422)
        name = file.filename
        if not uploads.accepted_name(name):
            return await plans_page(
                request, session, viewer, status=422,
                problem=console_texts.upload_wrong_type(name),
            )
        data = await file.read(uploads.max_bytes(ctx.settings) + 1)
        if len(data) > uploads.max_bytes(ctx.settings):
            return await plans_page(
                request, session, viewer, status=413,
                problem=console_texts.upload_too_big(name, ctx.settings.max_upload_mb),
            )
        job = ParseJob(id=secrets.token_urlsafe(12), user_id=viewer.user_id, file_name=name[:255], size=len(data))
        jobs[job.id] = job
        for old in [j for j in jobs.values() if j.done and j.seconds > 3600]:
            jobs.pop(old.id, None)
        job.task = asyncio.create_task(run_job(job, data, form.get("force") == "1"))
        return RedirectResponse(f"/web/plans/jobs/{job.id}", status_code=303)

    def job_of(request: Request, viewer: Viewer) -> ParseJob | None:
        job = jobs.get(request.path_params["job"])
        return job if job is not None and job.user_id == viewer.user_id else None

    async def job_page(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
        job = job_of(request, viewer)
        if job is None:
            return refuse(request, viewer, 404)
        if job.upload_id is not None:
            return RedirectResponse(f"/web/plans/uploads/{job.upload_id}", status_code=303)
        return page(request, "plan_job.html", viewer=viewer, job=job, limit=int(DEFAULT_LIMITS.seconds))

    async def job_progress(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
        job = job_of(request, viewer)
        if job is None:
            return refuse(request, viewer, 404)
        if job.upload_id is not None:
            return HTMLResponse("", headers={"HX-Redirect": f"/web/plans/uploads/{job.upload_id}"})
        return page(request, "_plan_progress.html", job=job, limit=int(DEFAULT_LIMITS.seconds))

    async def pending_of(request: Request, session: AsyncSession, viewer: Viewer) -> PendingUpload | None:
        row = await q.pending_upload(session, upload_id=int(request.path_params["upload_id"]))
        return row if row is not None and administers(viewer, row.province_slug) else None

    async def draft_of(row: PendingUpload) -> PlanDraft:
        draft = drafts.get(row.id)
        if draft is None:
            assert row.content is not None
            draft = await uploads.parse(
                row.content, row.file_name, settings=ctx.settings, catalog=ctx.catalog,
                province=row.province_slug, force_province=row.province_slug is not None,
            )
            remember(row.id, draft)
        return draft

    async def review_page(request: Request, session: AsyncSession, viewer: Viewer, *, problem: str | None = None, status: int = 200) -> Response:
        row = await pending_of(request, session, viewer)
        if row is None:
            return refuse(request, viewer, 404)
        draft = await draft_of(row)
        review = plan_review.stored(row)
        all_rows = plan_review.rows(draft, review)
        only = request.query_params.get("only") == "flagged"
        shown = [r for r in all_rows if r.task.needs_review or r.dropped] if only else all_rows
        slug = draft.meta.province
        return page(
            request, "plan_review.html", status=status, viewer=viewer, upload=row, draft=draft, rows=shown,
            all_rows=all_rows, only=only, names=plan_review.agency_names(draft, review, catalog=ctx.catalog),
            province_name=ctx.catalog.directory(slug).province.name if slug else "",
            added=plan_review.extra_agencies(review), problem=problem,
        )

    async def review(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
        return await review_page(request, session, viewer)

    async def row_page(request: Request, session: AsyncSession, viewer: Viewer, *, ref: str | None = None, problem: str | None = None) -> Response:
        upload_row = await pending_of(request, session, viewer)
        if upload_row is None:
            return refuse(request, viewer, 404)
        draft = await draft_of(upload_row)
        review = plan_review.stored(upload_row)
        ref = ref if ref is not None else request.query_params.get("ref", "")
        found = next((r for r in plan_review.rows(draft, review) if r.ref == ref), None)
        if found is None:
            return refuse(request, viewer, 404)
        names = plan_review.agency_names(draft, review, catalog=ctx.catalog)
        return page(
            request, "plan_row.html", status=422 if problem else 200, viewer=viewer, upload=upload_row,
            draft=draft, row=found, names=names, problem=problem,
            choices=sorted(names.items(), key=lambda kv: (kv[0] in commune_codes(draft), kv[1])),
        )

    def commune_codes(draft: PlanDraft) -> set[str]:
        slug = draft.meta.province
        return set(ctx.catalog.directory(slug).communes) if slug else set()

    async def row_form(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
        return await row_page(request, session, viewer)

    def plan_dates(draft: PlanDraft, text: str) -> list[Any] | None:
        period = draft.meta.period or (None, None)
        return dates_from_text(
            text, first_year=period[0], last_year=period[1], issued_on=draft.meta.issued_on, this_year=ctx.today().year
        )

    async def correct_row(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
        upload_row = await pending_of(request, session, viewer)
        if upload_row is None:
            return refuse(request, viewer, 404)
        draft = await draft_of(upload_row)
        form = await request.form()
        ref = str(form.get("ref") or "")
        kind = str(form.get("field") or "")
        value: Any
        if kind not in {str(f) for f in Field}:
            return refuse(request, viewer, 400)
        field_ = Field(kind)
        if field_ in (Field.LEAD, Field.SUPPORT):
            value = [str(v) for v in form.getlist("agency") if isinstance(v, str)]
        elif field_ is Field.DEADLINE:
            text = str(form.get("deadline") or "").strip()
            dates = plan_dates(draft, text) if text else None
            if dates is None:
                return await row_page(request, session, viewer, ref=ref, problem=correction_texts.DEADLINE_UNREAD if text else correction_texts.NO_DATES)
            value = deadline_value(text, dates)
        elif field_ is Field.DROPPED:
            value = form.get("value") == "1"
        else:
            value = str(form.get("value") or "")
        problem = await plan_review.correct(
            session, upload_id=upload_row.id, draft=draft, ref=ref, field_=field_, value=value, catalog=ctx.catalog
        )
        if problem:
            return await row_page(request, session, viewer, ref=ref, problem=problem)
        return RedirectResponse(f"/web/plans/uploads/{upload_row.id}#r-{ref}", status_code=303)

    async def add_agency(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
        upload_row = await pending_of(request, session, viewer)
        if upload_row is None:
            return refuse(request, viewer, 404)
        form = await request.form()
        code = await plan_review.add_agency(session, upload_id=upload_row.id, name=str(form.get("name") or ""))
        if code is None:
            return await review_page(request, session, viewer, problem=console_texts.AGENCY_NAME_NEEDED, status=422)
        back = str(form.get("ref") or "")
        if back:
            return RedirectResponse(f"/web/plans/uploads/{upload_row.id}/row?ref={back}", status_code=303)
        return RedirectResponse(f"/web/plans/uploads/{upload_row.id}", status_code=303)

    async def deadline_preview(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
        upload_row = await pending_of(request, session, viewer)
        if upload_row is None:
            return refuse(request, viewer, 404)
        text = request.query_params.get("deadline", "").strip()
        dates = plan_dates(await draft_of(upload_row), text) if text else []
        problem = correction_texts.DEADLINE_UNREAD if dates is None else None
        return page(request, "_deadline_preview.html", dates=dates or [], problem=problem, text=text)

    async def import_upload(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
        upload_row = await pending_of(request, session, viewer)
        if upload_row is None:
            return refuse(request, viewer, 404)
        file_name, upload_id = upload_row.file_name, upload_row.id
        try:
            # Its own transaction: a refused import rolls back alone and the upload stays pending.
            async with ctx.sessionmaker() as own, own.begin():
                result = await uploads.confirm(
                    own, upload_id=upload_id, admin_name=viewer.name, settings=ctx.settings,
                    catalog=ctx.catalog, now=ctx.clock(), actor_tg_id=viewer.user_id,
                )
        except (PlanReadError, PlanProvinceUnknown, PlanImportError) as exc:
            return await review_page(request, session, viewer, problem=getattr(exc, "message", None) or str(exc), status=422)
        if result.report is None:
            return await review_page(request, session, viewer, problem=correction_texts.UPLOAD_DECIDED, status=409)
        report = result.report
        drafts.pop(upload_id, None)
        log.info(
            "Đã nhập %s qua bảng điều khiển (quản trị viên %s): %s", report.plan_number, viewer.user_id, import_summary(report),
            extra={"event": "plan.imported", "fields": {
                "plan_id": report.plan_id, "plan_number": report.plan_number, "province": report.province,
                "created": report.created, "tasks": report.task_count, "due_items": report.due_count,
                "user_id": viewer.user_id, "source": "web",
            }},
        )
        return page(
            request, "plan_imported.html", viewer=viewer, report=report, summary=import_summary(report), details=report_details(report),
            file_name=file_name,
        )

    async def cancel_upload(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
        upload_row = await pending_of(request, session, viewer)
        if upload_row is None:
            return refuse(request, viewer, 404)
        await uploads.cancel(session, upload_id=upload_row.id, now=ctx.clock())
        drafts.pop(upload_row.id, None)
        return RedirectResponse("/web/plans", status_code=303)

    max_body = uploads.max_bytes(ctx.settings) + 256 * 1024
    guarded_upload = signed_in(upload, write=True)

    async def upload_endpoint(request: Request) -> Response:
        # Refuse an oversized body before it is read (the form parser would spool it).
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > max_body:
            return HTMLResponse(console_texts.body_too_big(ctx.settings.max_upload_mb), status_code=413)
        return await guarded_upload(request)

    return [
        Route("/web/plans", signed_in(plans_list)),
        Route("/web/plans/upload", upload_endpoint, methods=["POST"]),
        Route("/web/plans/jobs/{job}", signed_in(job_page)),
        Route("/web/plans/jobs/{job}/progress", signed_in(job_progress)),
        Route("/web/plans/uploads/{upload_id:int}", signed_in(review)),
        Route("/web/plans/uploads/{upload_id:int}/row", signed_in(row_form)),
        Route("/web/plans/uploads/{upload_id:int}/row", signed_in(correct_row, write=True), methods=["POST"]),
        Route("/web/plans/uploads/{upload_id:int}/agency", signed_in(add_agency, write=True), methods=["POST"]),
        Route("/web/plans/uploads/{upload_id:int}/deadline-preview", signed_in(deadline_preview)),
        Route("/web/plans/uploads/{upload_id:int}/import", signed_in(import_upload, write=True), methods=["POST"]),
        Route("/web/plans/uploads/{upload_id:int}/cancel", signed_in(cancel_upload, write=True), methods=["POST"]),
    ]
