"""Following the agencies: the Agencies page (directory, chats, focal points, figures), the
Reports page (the digest's figures, chart, workbook and .docx for any week or month) and the
status history export.

Who sees what: admins and leaders the whole province; a focal point their own agencies on
the Agencies page and in the history export, and no province-wide report. Figures come from
bot.services.console (the digest service's counts), files from bot.services.digests.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.db import figures
from bot.db import web_queries as q
from bot.db.models import Province
from bot.db.session import AsyncSession
from bot.domain import trend
from bot.domain.calendar import parse_day
from bot.domain.digest import DigestKind, digest_period
from bot.domain.status import Category
from bot.render import console as console_texts
from bot.render import history as history_files
from bot.render import trend as trend_texts
from bot.services import console, digests
from bot.services.digests import day_end
from bot.web.access import Viewer

if TYPE_CHECKING:
    from bot.web.app import Kit

OVERDUE_SHOWN = 50
HISTORY_SHOWN = 100
HISTORY_EXPORT_MAX = 200_000
HISTORY_PAGE_ROWS = 200


def rate(value: float | None) -> str:
    return f"{value * 100:.0f}%" if value is not None else "—"


def routes(kit: Kit) -> list[Route]:
    ctx = kit.ctx
    page, refuse, signed_in = kit.page, kit.refuse, kit.signed_in
    kit.env.globals["rate"] = rate

    async def province_of(request: Request, session: AsyncSession, viewer: Viewer) -> tuple[Province | None, list[Province]]:
        provinces = await q.provinces_by_ids(session, viewer.province_ids)
        wanted = request.query_params.get("p")
        for province in provinces:
            if wanted is None or str(province.id) == wanted:
                return province, provinces
        return None, provinces

    def number(request: Request, name: str) -> int | None:
        value = request.query_params.get(name, "")
        return int(value) if value.isdigit() else None

    # --- agencies -------------------------------------------------------------------------

    async def agencies_page(request: Request, session: AsyncSession, viewer: Viewer, *, problem: str | None = None, status: int = 200) -> Response:
        province, provinces = await province_of(request, session, viewer)
        if province is None:
            return refuse(request, viewer, 404)
        rows = await console.agency_rows(
            session, province=province, today=ctx.today(), agency_ids=viewer.agency_ids(province.id)
        )
        return page(
            request, "agencies.html", status=status, viewer=viewer, province=province, provinces=provinces,
            rows=rows, can_edit=viewer.edits(province.id), problem=problem,
        )

    async def agencies(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
        return await agencies_page(request, session, viewer)

    async def add_agency(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
        form = await request.form()
        province, _ = await province_of(request, session, viewer)
        wanted = str(form.get("p") or "")
        if wanted:
            province = next((p for p in await q.provinces_by_ids(session, viewer.province_ids) if str(p.id) == wanted), None)
        if province is None:
            return refuse(request, viewer, 404)
        if not viewer.edits(province.id):
            return refuse(request, viewer, 403)
        agency = await console.add_agency(session, province=province, name=str(form.get("name") or ""))
        if agency is None:
            return await agencies_page(request, session, viewer, problem=console_texts.AGENCY_NAME_NEEDED, status=422)
        return RedirectResponse(f"/web/agencies/{agency.id}", status_code=303)

    async def agency_page(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
        agency = await q.agency_by_id(session, agency_id=int(request.path_params["agency_id"]))
        if agency is None or agency.province_id not in viewer.province_ids:
            return refuse(request, viewer, 404)
        allowed = viewer.agency_ids(agency.province_id)
        if allowed is not None and agency.id not in allowed:
            return refuse(request, viewer, 404)
        [province] = await q.provinces_by_ids(session, [agency.province_id])
        rows = await console.agency_rows(session, province=province, today=ctx.today(), agency_ids=frozenset({agency.id}))
        row = rows[0] if rows else console.AgencyRow(agency, console.Figures())
        recent = await q.history(
            session, q.HistoryFilter(province_id=province.id, agency_id=agency.id), limit=HISTORY_SHOWN,
            newest_first=True, details=True,
        )
        today = ctx.today()
        pause = await q.agency_pause(session, agency_id=agency.id, end=day_end(today, ZoneInfo(province.timezone)), today=today)
        return page(
            request, "agency.html", viewer=viewer, province=province, row=row, history=recent,
            status_label=history_files.status_label, pause=pause,
        )

    # --- reports --------------------------------------------------------------------------

    async def report_scope(request: Request, session: AsyncSession, viewer: Viewer) -> Any:
        province, provinces = await province_of(request, session, viewer)
        if province is None:
            return None, provinces, None, None, refuse(request, viewer, 404)
        if not viewer.sees_all_of(province.id):
            return None, provinces, None, None, refuse(request, viewer, 403)
        kind = DigestKind.MONTH if request.query_params.get("kind") == "month" else DigestKind.WEEK
        as_of = parse_day(request.query_params.get("date", "")) or ctx.today()
        return province, provinces, kind, as_of, None

    async def reports(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
        province, provinces, kind, as_of, refused = await report_scope(request, session, viewer)
        if refused is not None:
            return refused
        digest = await console.report_figures(session, province=province, kind=kind, as_of=as_of)
        # Overdue as the digest counts it: an item on hold then is not (it is counted apart).
        holds_at = await q.holds_at_end(session, end=day_end(as_of, ZoneInfo(province.timezone)))
        overdue_filter = q.TaskFilter(province_id=province.id, category=Category.OVERDUE, holds_at=holds_at)
        overdue = await q.list_tasks_page(session, overdue_filter, today=as_of, offset=0, limit=OVERDUE_SHOWN)
        overdue_total = await q.count_tasks(session, overdue_filter, today=as_of)
        query = urlencode({"p": province.id, "kind": kind.value, "date": as_of.strftime("%d/%m/%Y")})
        starts = trend.period_starts(kind, as_of)
        rows = await figures.trend_counts(
            session, province_id=province.id, since=starts[0], until=as_of + timedelta(days=31), today=ctx.today()
        )
        buckets = trend.trend_buckets(rows, kind=kind, last_day=as_of)
        return page(
            request, "reports.html", viewer=viewer, province=province, provinces=provinces, digest=digest,
            kind=kind, as_of=as_of, overdue=overdue, overdue_total=overdue_total, query=query,
            period=digest.period, today=ctx.today(), trend_svg=Markup(trend_texts.trend_svg(buckets, kind=kind)),
            trend_title=trend_texts.trend_title(kind), trend_note=trend_texts.TREND_NOTE, trend=buckets,
        )

    async def chart(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
        province, _, kind, as_of, refused = await report_scope(request, session, viewer)
        if refused is not None:
            return refused
        from bot.render import chart as charts
        from bot.render.digest import chart_title

        digest = await console.report_figures(session, province=province, kind=kind, as_of=as_of)
        data = charts.chart_data(digest, title=chart_title(digest.period))
        png = await asyncio.to_thread(charts.render_chart, data)
        return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})

    async def download(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
        province, _, kind, as_of, refused = await report_scope(request, session, viewer)
        if refused is not None:
            return refused
        fmt = request.query_params.get("fmt")
        if fmt not in ("xlsx", "docx"):
            return refuse(request, viewer, 404)
        output = await digests.make_output(
            session, province=province, period=digest_period(kind, as_of), with_report=fmt == "docx"
        )
        if output.workbook is None:  # a quiet period: the digest skips its files, the page asked for one
            output.workbook = await asyncio.to_thread(_workbook, output.digest)
            if fmt == "docx":
                output.report = await asyncio.to_thread(_report, output.digest)
        data = output.workbook if fmt == "xlsx" else output.report
        assert data is not None
        media = (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if fmt == "xlsx"
            else "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        )
        return Response(data, media_type=media, headers=_attachment(f"{output.stem}.{fmt}"))

    # --- history export -------------------------------------------------------------------

    def history_filter(request: Request, viewer: Viewer, province: Province) -> q.HistoryFilter:
        """The history the query asks for, within what the viewer sees (a focal point: their agencies)."""
        allowed = viewer.agency_ids(province.id)
        tz = ctx.settings.tz
        since = parse_day(request.query_params.get("from", ""))
        until = parse_day(request.query_params.get("to", ""))
        task = request.query_params.get("task", "").strip().upper().removeprefix("NV").strip()  # "12" or "NV12"
        return q.HistoryFilter(
            province_id=province.id, agency_ids=sorted(allowed) if allowed is not None else None,
            agency_id=number(request, "agency"), plan_id=number(request, "plan"), task_id=int(task) if task.isdigit() else None,
            since=datetime.combine(since, time(), tz) if since else None,
            until=datetime.combine(until + timedelta(days=1), time(), tz) if until else None,
        )

    async def history_page(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
        """The audit trail of a plan, an agency or a task (filters), newest first, with the
        holds each row recorded and its evidence files; the whole of it as Excel/CSV."""
        province, provinces = await province_of(request, session, viewer)
        if province is None:
            return refuse(request, viewer, 404)
        filt = history_filter(request, viewer, province)
        rows = await q.history(session, filt, limit=HISTORY_PAGE_ROWS + 1, newest_first=True, details=True)
        agencies = await q.agencies_of(session, province_id=province.id)
        if filt.agency_ids is not None:
            agencies = [a for a in agencies if a.id in filt.agency_ids]
        query = {k: v for k, v in request.query_params.items() if k in ("p", "plan", "agency", "task", "from", "to") and v}
        return page(
            request, "history.html", viewer=viewer, province=province, provinces=provinces, rows=rows[:HISTORY_PAGE_ROWS],
            more=len(rows) > HISTORY_PAGE_ROWS, params=request.query_params, status_label=history_files.status_label,
            plans=await q.plans_of(session, province_id=province.id), agencies=agencies,
            export="/web/history/export?" + urlencode({**query, "p": province.id}),
        )

    async def history_export(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
        province, _ = await province_of(request, session, viewer)
        if province is None:
            return refuse(request, viewer, 404)
        tz = ctx.settings.tz
        rows = await q.history(session, history_filter(request, viewer, province), limit=HISTORY_EXPORT_MAX)
        stem = f"lich-su-{province.slug}-{ctx.today().isoformat()}"
        if request.query_params.get("fmt") == "xlsx":
            title = history_files.history_title(province.name)
            data = await asyncio.to_thread(history_files.history_xlsx, rows, tz=tz, title=title)
            return Response(
                data, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                headers=_attachment(f"{stem}.xlsx"),
            )
        return Response(history_files.history_csv(rows, tz=tz), media_type="text/csv; charset=utf-8", headers=_attachment(f"{stem}.csv"))

    return [
        Route("/web/agencies", signed_in(agencies)),
        Route("/web/agencies", signed_in(add_agency, write=True), methods=["POST"]),
        Route("/web/agencies/{agency_id:int}", signed_in(agency_page)),
        Route("/web/reports", signed_in(reports)),
        Route("/web/reports/chart.png", signed_in(chart)),
        Route("/web/reports/download", signed_in(download)),
        Route("/web/history", signed_in(history_page)),
        Route("/web/history/export", signed_in(history_export)),
    ]


def _workbook(digest: Any) -> bytes:
    from bot.render.xlsx import build_workbook

    return build_workbook(digest)


def _report(digest: Any) -> bytes:
    from bot.render.report_docx import build_report_docx

    return build_report_docx(digest)


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}", "Cache-Control": "no-store"}

