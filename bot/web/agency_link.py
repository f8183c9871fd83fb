"""The signed link of an e-mailed reminder (bot/services/links.py): it opens the agency's
page without a password, with a session that sees that one agency as its focal point does.

GET shows a button and uses nothing (mail scanners and link previews fetch links); the
POST checks the token again and opens the session: grants {"agency": {province: [agency]}},
no Telegram user (id 0), named after the agency.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.db import agencies as agencies_repo
from bot.db.models import Agency
from bot.render import channels as channel_texts
from bot.services.links import link_key, read_token
from bot.web import auth

if TYPE_CHECKING:
    from bot.web.app import Kit

EMAIL_USER_ID = 0  # a session opened from an e-mail: nobody's Telegram account


def routes(kit: Kit) -> list[Route]:
    ctx, page = kit.ctx, kit.page

    async def agency_of(token: str) -> Agency | None:
        agency_id = read_token(token, key=link_key(ctx.bot_token), now=ctx.clock()) if ctx.bot_token else None
        if agency_id is None:
            return None
        async with ctx.sessionmaker() as session:
            agency = await agencies_repo.get_agency(session, agency_id=agency_id)
        return agency if agency is not None and agency.active else None

    async def show(request: Request) -> Response:
        token = request.path_params["token"]
        agency = await agency_of(token)
        if agency is None:
            return page(request, "agency_link.html", status=400, viewer=None, failed=True)
        return page(request, "agency_link.html", viewer=None, token=token, agency_name=agency.name)

    async def open_page(request: Request) -> Response:
        from bot.web.app import COOKIE

        agency = await agency_of(request.path_params["token"])
        if agency is None:
            return page(request, "agency_link.html", status=400, viewer=None, failed=True)
        async with ctx.sessionmaker() as session, session.begin():
            # The agency and those merged into it, as a member of its group sees them.
            family = await agencies_repo.agency_family_ids(session, agency_ids=[agency.id])
            grants = {"admin": [], "leader": [], "agency": {str(agency.province_id): sorted(family)}}
            cookie = await auth.open_session(
                session, tg_user_id=EMAIL_USER_ID, user_name=channel_texts.email_session_name(agency.name), grants=grants, now=ctx.clock()
            )
        response = RedirectResponse(f"/web/agencies/{agency.id}", status_code=303)
        response.set_cookie(
            COOKIE, cookie, max_age=int(auth.SESSION_TTL.total_seconds()), path="/web", httponly=True,
            secure=ctx.secure, samesite="lax",
        )
        return response

    return [
        Route("/web/a/{token}", show, methods=["GET"]),
        Route("/web/a/{token}", open_page, methods=["POST"]),
    ]
