"""The console's settings page (province admins): what only the bot's commands and the CLI
could set — agencies' and leaders' e-mail addresses (`/email`), an agency's Zalo link code
for its focal point (`/zalo`), the holiday calendar's days off and make-up working days
(`/ngaynghi`, `/ngaylambu`). Each form calls the same service as the command and shows the
same Vietnamese answer (bot/render, already escaped HTML)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.db import web_queries as q
from bot.db.models import Province
from bot.db.session import AsyncSession
from bot.domain.calendar import DayKind, parse_day
from bot.render import calendar as calendar_texts
from bot.render import channels as channel_texts
from bot.render import console as console_texts
from bot.render import zalo as zalo_texts
from bot.services import calendar as calendar_service
from bot.services import recipients
from bot.services import zalo as zalo_service
from bot.services.reminders import calendar_from_settings
from bot.web.access import Viewer

if TYPE_CHECKING:
    from bot.web.app import Kit


def routes(kit: Kit) -> list[Route]:
    ctx = kit.ctx

    async def scope(request: Request, session: AsyncSession, viewer: Viewer) -> tuple[Province | None, Response | None]:
        """The province asked for (`p`, else the first) if the viewer administers it."""
        provinces = await q.provinces_by_ids(session, viewer.province_ids)
        wanted = request.query_params.get("p")
        province = next((p for p in provinces if wanted is None or str(p.id) == wanted), None)
        if province is None:
            return None, kit.refuse(request, viewer, 404 if viewer.province_ids else 403)
        if not viewer.edits(province.id):
            return None, kit.refuse(request, viewer, 403)
        return province, None

    async def render(
        request: Request, session: AsyncSession, viewer: Viewer, province: Province, *,
        message: Any = None, problem: Any = None, code: Any = None, status: int = 200,
    ) -> Response:
        provinces = await q.provinces_by_ids(session, viewer.admin)
        return kit.page(
            request, "settings.html", status=status, viewer=viewer, province=province, provinces=provinces,
            agencies=await q.agencies_of(session, province_id=province.id),
            emails=await recipients.list_emails(session, province_ids=[province.id]),
            days=await calendar_service.list_days(session), smtp=bool(ctx.settings.smtp_url),
            zalo=bool(getattr(ctx.settings, "zalo_bot_token", None)), kind_label=calendar_texts.kind_label,
            message=message if message is not None else request.query_params.get("m"), problem=problem, code=code,
        )

    def done(province: Province, message: str, anchor: str) -> Response:
        return RedirectResponse(f"/web/settings?{urlencode({'p': province.id, 'm': message})}#{anchor}", status_code=303)

    async def settings_page(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
        province, refused = await scope(request, session, viewer)
        if refused is not None:
            return refused
        assert province is not None
        return await render(request, session, viewer, province)

    async def email(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
        province, refused = await scope(request, session, viewer)
        if refused is not None:
            return refused
        assert province is not None
        form = await request.form()
        action = str(form.get("action") or "")
        address = str(form.get("address") or "").strip()
        now = ctx.clock()
        if action == "agency":
            raw = str(form.get("agency") or "")
            agency = await q.agency_by_id(session, agency_id=int(raw)) if raw.isdigit() else None
            if agency is None or agency.province_id != province.id:
                return await render(request, session, viewer, province, problem=console_texts.AGENCY_MISSING, status=422)
            result = await recipients.set_agency_email(
                session, province_ids=[province.id], agency_query=agency.code, address=address,
                actor_tg_id=viewer.user_id, now=now, always=form.get("always") == "1",
            )
        elif action == "leader":
            result = await recipients.set_leader_email(
                session, province_ids=[province.id], address=address, name=str(form.get("name") or "") or None,
                actor_tg_id=viewer.user_id, now=now,
            )
        elif action == "remove":
            result = await recipients.remove_email(session, province_ids=[province.id], address=address)
        else:
            return kit.refuse(request, viewer, 400)
        if result.problem:
            problem = Markup(channel_texts.email_problem(result.problem, result.detail, result.candidates))  # noqa: S704 - escaped by bot/render
            return await render(request, session, viewer, province, problem=problem, status=422)
        if action == "remove":
            return done(province, console_texts.EMAIL_REMOVED, "emails")
        return done(province, console_texts.EMAIL_SAVED, "emails")

    async def zalo(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
        province, refused = await scope(request, session, viewer)
        if refused is not None:
            return refused
        assert province is not None
        form = await request.form()
        raw = str(form.get("agency") or "")
        agency = await q.agency_by_id(session, agency_id=int(raw)) if raw.isdigit() else None
        if agency is None or agency.province_id != province.id or not agency.active:
            return await render(request, session, viewer, province, problem=console_texts.AGENCY_MISSING, status=422)
        code, expires = await zalo_service.issue_link_code(session, agency_id=agency.id, by_tg_id=viewer.user_id, now=ctx.clock())
        text = zalo_texts.link_code_text(
            agency_name=agency.name, code=code, expires_at_local=expires.astimezone(ctx.settings.tz), bot_name=None,
        )
        # Shown once, on this answer (not a redirect: the code must not sit in a URL or the history).
        return await render(request, session, viewer, province, code=Markup(text.replace("\n", "<br>")))  # noqa: S704

    async def calendar(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
        province, refused = await scope(request, session, viewer)
        if refused is not None:
            return refused
        assert province is not None
        form = await request.form()
        action = str(form.get("action") or "")
        day = parse_day(str(form.get("day") or ""))
        if day is None:
            return await render(request, session, viewer, province, problem=calendar_texts.BAD_DATE, status=422)
        if action == "remove":
            found = await calendar_service.remove_day(session, day=day)
            return done(province, calendar_texts.removed(day, found), "calendar")
        if action not in ("off", "workday"):
            return kit.refuse(request, viewer, 400)
        kind = DayKind.DAY_OFF if action == "off" else DayKind.WORKING_DAY
        change = await calendar_service.set_day(
            session, base=calendar_from_settings(ctx.settings), day=day, kind=kind,
            note=str(form.get("note") or "") or None, actor_tg_id=viewer.user_id, actor_name=viewer.name,
            now=ctx.clock(),
        )
        if change.problem:
            return await render(request, session, viewer, province, problem=change.problem, status=422)
        return done(province, console_texts.calendar_saved(day, kind is DayKind.DAY_OFF), "calendar")

    signed_in = kit.signed_in
    return [
        Route("/web/settings", signed_in(settings_page)),
        Route("/web/settings/email", signed_in(email, write=True), methods=["POST"]),
        Route("/web/settings/zalo", signed_in(zalo, write=True), methods=["POST"]),
        Route("/web/settings/calendar", signed_in(calendar, write=True), methods=["POST"]),
    ]
