"""The console's routes (Starlette). Every page asks the session who is looking and shows
only their provinces/agencies; every change goes through bot/services (corrections.py),
the same code the bot's commands call."""

from __future__ import annotations

import hmac
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bot.catalog import Catalog
from bot.config import Settings
from bot.db import web_queries as q
from bot.db.session import AsyncSession, async_sessionmaker
from bot.domain.calendar import parse_day
from bot.domain.corrections import Field, dates_from_text
from bot.domain.kinds import LinkRole
from bot.domain.plans.draft import ReviewReason
from bot.domain.status import CATEGORY_LABELS, Category, category
from bot.domain.text import fold
from bot.render import console as console_texts
from bot.render.corrections import DEADLINE_UNREAD, FIELD_LABELS
from bot.render.format import short_date
from bot.render.history import STATUS_LABELS
from bot.render.labels import HOLD_FILTER_LABELS, hold_label, review_label
from bot.services import corrections
from bot.services.digests import day_end
from bot.web import agency_link, auth, bulk, evidence, follow, initdata, plans, report
from bot.web import settings as settings_page
from bot.web.access import Viewer, resolve_grants

HERE = Path(__file__).resolve().parent
COOKIE = "nv_session"
PAGE_SIZE = 50


@dataclass
class WebContext:
    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
    catalog: Catalog
    clock: Callable[[], datetime]
    bot: Any  # telegram.Bot: getChatMember at sign-in
    # Start the outbox senders (rows a page queued were just committed) rather than at their
    # next interval: the bot's BotServices.wake_senders; by default nothing (the interval).
    wake_senders: Callable[[], None] = field(default=lambda: None)

    @property
    def bot_token(self) -> str:
        return (self.settings.telegram_bot_token or "").strip()

    @property
    def secure(self) -> bool:
        return (self.settings.web_base_url or "").startswith("https://")

    def today(self) -> date:
        return self.clock().astimezone(self.settings.tz).date()


@dataclass(frozen=True)
class Kit:
    """What a page module needs from the app: the context and the page/refusal/guard helpers."""

    ctx: WebContext
    env: Environment
    page: Callable[..., HTMLResponse]
    refuse: Callable[..., HTMLResponse]
    signed_in: Callable[..., Callable[[Request], Awaitable[Response]]]
    task_page: Callable[..., Awaitable[Response]]


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))
    env.filters["d"] = lambda v: short_date(v) if v else ""
    env.filters["dt"] = lambda v, tz: v.astimezone(tz).strftime("%H:%M %d/%m/%Y") if v else ""
    def correction_value(value: Any, names: dict[str, str] | None = None) -> str:
        """A stored correction value as people read it (dates dd/MM/yyyy, lists joined, agency
        codes by name when `names` has them)."""
        if value is None:
            return "—"
        if isinstance(value, dict) and "dates" in value:
            dates = ", ".join(short_date(date.fromisoformat(d)) for d in value["dates"]) or console_texts.NO_DUE_DATE
            return f"{value['text']} ({dates})" if value.get("text") and value["text"] != dates else dates
        if isinstance(value, list):
            return ", ".join((names or {}).get(str(v), str(v)) for v in value) or "—"
        return str(value)

    env.filters["cval"] = correction_value
    env.filters["fold"] = fold
    env.filters["files"] = evidence.evidence_files
    env.globals.update(
        status_label=lambda s: STATUS_LABELS.get(str(s), str(s)),
        hold_label=lambda h: hold_label(h[0], short_date(h[1]) if h[1] else None),
        hold_filters=[(q.HELD, HOLD_FILTER_LABELS[q.HELD]), (q.WAIVED, HOLD_FILTER_LABELS[q.WAIVED])],
        review_label=lambda r: review_label(ReviewReason(r)) if r in ReviewReason._value2member_map_ else r,
        field_label=lambda f: FIELD_LABELS.get(f, f),
        category_labels=CATEGORY_LABELS,
        review_reasons=list(ReviewReason),
    )
    return env


def create_app(ctx: WebContext, *, extra_routes: list[Any] | None = None) -> Starlette:
    env = _env()

    def page(request: Request, name: str, status: int = 200, **values: Any) -> HTMLResponse:
        html = env.get_template(name).render(request=request, tz=ctx.settings.tz, **values)
        return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})

    def refuse(request: Request, viewer: Viewer | None, status: int = 403) -> HTMLResponse:
        return page(request, "error.html", status=status, viewer=viewer, code=status)

    async def current(request: Request, session: AsyncSession) -> Viewer | None:
        row = await auth.find_session(session, cookie=request.cookies.get(COOKIE), now=ctx.clock())
        return Viewer.of(row) if row is not None else None

    def signed_in(
        handler: Callable[[Request, AsyncSession, Viewer], Awaitable[Response]], *, write: bool = False
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            async with ctx.sessionmaker() as session, session.begin():
                viewer = await current(request, session)
                if viewer is None:
                    if request.method == "GET" and not request.headers.get("HX-Request"):
                        return RedirectResponse("/web/signin", status_code=303)
                    return refuse(request, None, 401)
                if write:
                    form = await request.form()
                    sent = str(form.get("csrf") or request.headers.get("X-CSRF-Token") or "")
                    if not hmac.compare_digest(sent, viewer.csrf):
                        return refuse(request, viewer, 403)
                if viewer.is_stranger and request.url.path != "/web/logout":
                    return refuse(request, viewer, 403)
                return await handler(request, session, viewer)

        return endpoint

    # --- sign-in ------------------------------------------------------------------------

    async def home(request: Request) -> Response:
        return RedirectResponse("/web/tasks", status_code=303)

    async def signin(request: Request) -> Response:
        return page(request, "signin.html", viewer=None)

    async def login_form(request: Request) -> Response:
        token = request.query_params.get("t", "")
        if auth.well_signed(token, bot_token=ctx.bot_token) is None:
            return page(request, "signin.html", status=400, viewer=None, failed=True)
        # A GET never uses the link up (link previews and scanners fetch it): the button does.
        return page(request, "login.html", viewer=None, token=token)

    async def start_session(session: AsyncSession, user_id: int, name: str | None) -> Response:
        grants = await resolve_grants(session, bot=ctx.bot, settings=ctx.settings, user_id=user_id)
        cookie = await auth.open_session(session, tg_user_id=user_id, user_name=name, grants=grants, now=ctx.clock())
        response = RedirectResponse("/web/tasks", status_code=303)
        response.set_cookie(
            COOKIE, cookie, max_age=int(auth.SESSION_TTL.total_seconds()), path="/web", httponly=True,
            secure=ctx.secure, samesite="lax",
        )
        return response

    async def login(request: Request) -> Response:
        form = await request.form()
        async with ctx.sessionmaker() as session, session.begin():
            user_id = await auth.use_login(session, token=str(form.get("t") or ""), bot_token=ctx.bot_token, now=ctx.clock())
            if user_id is None:
                return page(request, "signin.html", status=400, viewer=None, failed=True)
            name = await _user_name(user_id)
            return await start_session(session, user_id, name)

    async def _user_name(user_id: int) -> str | None:
        try:
            chat = await ctx.bot.get_chat(user_id)
        except Exception:  # noqa: BLE001 - the name is a nicety; the id is what counts
            return None
        return getattr(chat, "full_name", None) or getattr(chat, "first_name", None)

    async def miniapp(request: Request) -> Response:
        return page(request, "miniapp.html", viewer=None)

    async def miniapp_login(request: Request) -> Response:
        form = await request.form()
        try:
            user = initdata.validate(str(form.get("init_data") or ""), bot_token=ctx.bot_token, now=ctx.clock())
        except initdata.InitDataError:
            return page(request, "signin.html", status=400, viewer=None, failed=True)
        async with ctx.sessionmaker() as session, session.begin():
            return await start_session(session, user.id, user.name)

    async def logout(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
        await auth.close_session(session, cookie=request.cookies.get(COOKIE), now=ctx.clock())
        response = RedirectResponse("/web/signin", status_code=303)
        response.delete_cookie(COOKIE, path="/web")
        return response

    # --- tasks --------------------------------------------------------------------------

    async def province_of(request: Request, session: AsyncSession, viewer: Viewer) -> Any:
        provinces = await q.provinces_by_ids(session, viewer.province_ids)
        wanted = request.query_params.get("p")
        for province in provinces:
            if wanted is None or str(province.id) == wanted:
                return province, provinces
        return None, provinces

    # Folded task texts per province, rebuilt when an import or a correction may have changed
    # them (folding 100,000 titles takes seconds; the key is two cheap aggregates).
    search_cache: dict[int, tuple[tuple[Any, ...], list[tuple[int, str, str]]]] = {}

    async def search_index(session: AsyncSession, province_id: int) -> list[tuple[int, str, str]]:
        key = await q.text_index_key(session, province_id=province_id)
        cached = search_cache.get(province_id)
        if cached is None or cached[0] != key:
            rows = await q.task_texts(session, province_id=province_id)
            cached = (key, [(tid, fold(f"{title} {product or ''}"), fold(ref or "")) for tid, title, product, ref in rows])
            search_cache[province_id] = cached
        return cached[1]

    async def tasks(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
        province, provinces = await province_of(request, session, viewer)
        if province is None:
            return refuse(request, viewer, 404)
        params = request.query_params
        today = ctx.today()

        def number(name: str) -> int | None:
            value = params.get(name, "")
            return int(value) if value.isdigit() else None

        cat = params.get("cat") or None
        flag = params.get("flag") or None
        text = (params.get("q") or "").strip()
        text_ids: list[int] | None = None
        if text:
            key = fold(text)
            text_ids = [
                tid for tid, words, ref in await search_index(session, province.id)
                if key in words or key == ref
            ]
        end = day_end(today, ZoneInfo(province.timezone))
        holds_at = await q.holds_at_end(session, end=end)
        filt = q.TaskFilter(
            province_id=province.id, holds_at=holds_at, hold=cat if cat in q.HOLD_FILTERS else None,
            agency_ids=sorted(a) if (a := viewer.agency_ids(province.id)) is not None else None,
            plan_id=number("plan"), agency_id=number("agency"),
            category=Category(cat) if cat is not None and cat in Category._value2member_map_ else None,
            due_from=parse_day(params.get("from", "")), due_to=parse_day(params.get("to", "")),
            flag=flag if flag == "any" or flag in ReviewReason._value2member_map_ else None,
            text_task_ids=text_ids,
        )
        total = await q.count_tasks(session, filt, today=today)
        pages = max(1, math.ceil(total / PAGE_SIZE))
        current_page = min(max(number("page") or 1, 1), pages)
        rows = await q.list_tasks_page(session, filt, today=today, offset=(current_page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
        holds = (
            await q.current_holds(session, due_item_ids=[r.due_item_id for r in rows], end=end, today=today)
            if holds_at is not None else {}
        )
        agencies = await q.agencies_of(session, province_id=province.id)
        if filt.agency_ids is not None:
            agencies = [a for a in agencies if a.id in filt.agency_ids]
        query = {k: v for k, v in params.items() if k not in ("page", "m") and v}
        return page(
            request, "tasks.html", viewer=viewer, province=province, provinces=provinces, rows=rows, total=total,
            page=current_page, pages=pages, params=params, plans=await q.plans_of(session, province_id=province.id),
            agencies=agencies, today=today, category=lambda r: category(r.status, r.due_on, r.completed_on, today),
            page_url=lambda n: "/web/tasks?" + urlencode({**query, "page": n}),
            here="/web/tasks?" + urlencode({**query, "page": current_page}), message=params.get("m"),
            can_edit=viewer.edits(province.id), holds=holds,
        )

    async def visible_task(session: AsyncSession, viewer: Viewer, task_id: int) -> Any:
        found = await q.task_detail(session, task_id=task_id)
        if found is None:
            return None
        task, plan = found
        if plan.province_id not in viewer.province_ids:
            return None
        allowed = viewer.agency_ids(plan.province_id)
        if allowed is not None:
            items = await q.task_items(session, task_id=task.id)
            links = await q.task_links(session, task_id=task.id)
            mine = {i.agency_id for i, _ in items} | {a.id for a in links[LinkRole.LEAD]} | {a.id for a in links[LinkRole.SUPPORT]}
            if not mine & allowed:
                return None
        return task, plan

    async def task_page(request: Request, session: AsyncSession, viewer: Viewer, *, message: str | None = None, status: int = 200) -> Response:
        task_id = int(request.path_params["task_id"])
        found = await visible_task(session, viewer, task_id)
        if found is None:
            return refuse(request, viewer, 404)
        task, plan = found
        items = await q.task_items(session, task_id=task.id)
        allowed = viewer.agency_ids(plan.province_id)
        downloadable = {i.id for i, _ in items if allowed is None or i.agency_id in allowed}
        reportable = await report.reportable(session, ctx, viewer, province_id=plan.province_id, items=[i for i, _ in items])
        today = ctx.today()
        [province] = await q.provinces_by_ids(session, [plan.province_id])
        holds = await q.current_holds(
            session, due_item_ids=[i.id for i, _ in items], end=day_end(today, ZoneInfo(province.timezone)), today=today
        )
        return page(
            request, "task.html", status=status, viewer=viewer, task=task, plan=plan, reportable=reportable,
            links=await q.task_links(session, task_id=task.id), items=items, today=today, holds=holds,
            history=await q.task_history(session, task_id=task.id), downloadable=downloadable,
            corrections=await corrections.task_corrections(session, task_id=task.id),
            agency_names=await q.agency_names_by_code(session, province_id=plan.province_id),
            can_edit=viewer.edits(plan.province_id), message=message, max_mb=ctx.settings.max_upload_mb,
            agencies=await q.agencies_of(session, province_id=plan.province_id) if viewer.edits(plan.province_id) else [],
        )

    async def editable(request: Request, session: AsyncSession, viewer: Viewer) -> Any:
        found = await visible_task(session, viewer, int(request.path_params["task_id"]))
        if found is None:
            return None, refuse(request, viewer, 404)
        if not viewer.edits(found[1].province_id):
            return None, refuse(request, viewer, 403)
        return found, None

    async def after_change(request: Request, session: AsyncSession, viewer: Viewer, problem: str | None) -> Response:
        if problem:
            return await task_page(request, session, viewer, message=problem, status=422)
        return RedirectResponse(f"/web/tasks/{request.path_params['task_id']}", status_code=303)

    async def set_lead(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
        found, refused = await editable(request, session, viewer)
        if refused:
            return refused
        form = await request.form()
        role = LinkRole.SUPPORT if form.get("role") == "support" else LinkRole.LEAD
        ids = [int(v) for v in form.getlist("agency") if isinstance(v, str) and v.isdigit()]
        result = await corrections.set_agencies(
            session, task_id=found[0].id, role=role, agency_ids=ids, now=ctx.clock(), actor_tg_id=viewer.user_id,
            actor_name=viewer.name, province_ids=viewer.admin, reason=str(form.get("reason") or "") or None,
        )
        return await after_change(request, session, viewer, result.problem)

    def dates_for(text: str, plan: Any) -> tuple[list[date], str | None]:
        dates = dates_from_text(
            text, first_year=plan.first_year, last_year=plan.last_year, issued_on=plan.issued_on,
            this_year=ctx.today().year,
        )
        return (dates, None) if dates is not None else ([], DEADLINE_UNREAD)

    async def set_deadline(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
        found, refused = await editable(request, session, viewer)
        if refused:
            return refused
        form = await request.form()
        text = str(form.get("deadline") or "").strip()
        dates, problem = dates_for(text, found[1])
        if problem:
            return await after_change(request, session, viewer, problem)
        result = await corrections.set_deadline(
            session, task_id=found[0].id, dates=dates, now=ctx.clock(), actor_tg_id=viewer.user_id,
            actor_name=viewer.name, province_ids=viewer.admin, text=text, reason=str(form.get("reason") or "") or None,
        )
        return await after_change(request, session, viewer, result.problem)

    async def set_text(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
        found, refused = await editable(request, session, viewer)
        if refused:
            return refused
        form = await request.form()
        field_ = Field.PRODUCT if form.get("field") == "product" else Field.TITLE
        result = await corrections.set_text(
            session, task_id=found[0].id, field_=field_, value=str(form.get("value") or ""), now=ctx.clock(),
            actor_tg_id=viewer.user_id, actor_name=viewer.name, province_ids=viewer.admin,
            reason=str(form.get("reason") or "") or None,
        )
        return await after_change(request, session, viewer, result.problem)

    async def deadline_preview(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
        found = await visible_task(session, viewer, int(request.query_params.get("task", "0") or 0))
        if found is None:
            return refuse(request, viewer, 404)
        text = request.query_params.get("deadline", "").strip()
        dates, problem = dates_for(text, found[1]) if text else ([], None)
        return page(request, "_deadline_preview.html", dates=dates, problem=problem, text=text)

    kit = Kit(ctx=ctx, env=env, page=page, refuse=refuse, signed_in=signed_in, task_page=task_page)
    routes = [
        Route("/web", home),
        Route("/web/", home),
        Route("/web/signin", signin),
        Route("/web/login", login_form, methods=["GET"]),
        Route("/web/login", login, methods=["POST"]),
        Route("/web/app", miniapp, methods=["GET"]),
        Route("/web/app", miniapp_login, methods=["POST"]),
        Route("/web/logout", signed_in(logout, write=True), methods=["POST"]),
        Route("/web/tasks", signed_in(tasks)),
        Route("/web/tasks/{task_id:int}", signed_in(task_page)),
        Route("/web/tasks/{task_id:int}/lead", signed_in(set_lead, write=True), methods=["POST"]),
        Route("/web/tasks/{task_id:int}/deadline", signed_in(set_deadline, write=True), methods=["POST"]),
        Route("/web/tasks/{task_id:int}/text", signed_in(set_text, write=True), methods=["POST"]),
        Route("/web/deadline-preview", signed_in(deadline_preview)),
        *plans.routes(kit),
        *follow.routes(kit),
        *report.routes(kit),
        *evidence.routes(kit),
        *bulk.routes(kit),
        *settings_page.routes(kit),
        *agency_link.routes(kit),  # the signed link of an e-mailed reminder
        Mount("/web/static", StaticFiles(directory=HERE / "static"), name="static"),
        *(extra_routes or []),
    ]
    return Starlette(routes=routes)
