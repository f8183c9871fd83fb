"""Focal points report from the console; leaders decide extension requests.

The console is one more caller of bot.services.status: a report is `status.apply` with an
`Intent` (the same rules, refusals and history row as a reply or a button in the group,
channel "web"), a decision is `status.decide_extension`. Who acts where is the viewer's
grants turned into the bot's `Scope`: a focal point acts as their agency's chat would, a
leader as the leaders' chat, an admin as an admin. What the bot then posts in Telegram (a
request to the leaders, the rewrites of its posts, the outcome to the agency) goes through
the outbox, queued in the page's transaction with the change: sent once, retried, never lost.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from telegram import InputFile
from telegram.error import TelegramError

from bot.db import plans as plans_repo
from bot.db import status_changes as status_changes_repo
from bot.db import web_queries as q
from bot.db.models import DueItem
from bot.db.session import AsyncSession
from bot.domain.calendar import parse_day
from bot.domain.replies import ChangeKind, Intent
from bot.domain.status import ChangeSource
from bot.render import console as console_texts
from bot.services import status, uploads
from bot.services.chats import Scope, ScopeKind
from bot.services.links import AgencyLinks
from bot.web.access import Viewer

if TYPE_CHECKING:
    from bot.web.app import Kit, WebContext

log = logging.getLogger("nhacviec.web")
CHANNEL = "web"


async def env_for(session: AsyncSession, ctx: WebContext, viewer: Viewer, province_id: int) -> status.Env:
    """The viewer acting in the province as the bot knows such a person: an admin, the leaders'
    chat, or their agency's chat."""
    [province] = await q.provinces_by_ids(session, [province_id])
    if viewer.sees_all_of(province_id):
        kind = ScopeKind.ADMIN if viewer.edits(province_id) else ScopeKind.LEADERS
        agency_ids: tuple[int, ...] = ()
    else:
        kind, agency_ids = ScopeKind.AGENCY, tuple(sorted(viewer.agencies.get(province_id, ())))
    scope = Scope(
        kind=kind, provinces=(province,), is_admin=viewer.edits(province_id), is_private=True,
        agency_ids=agency_ids, admin_of=viewer.admin,
    )
    actor = status.Actor(tg_id=viewer.user_id, name=viewer.name, admin_of=viewer.admin)
    return status.Env(
        scope=scope, actor=actor, now=ctx.clock(), tz=ctx.settings.tz, tg_chat_id=viewer.user_id,
        source=ChangeSource.BUTTON, channel=CHANNEL, admins=ctx.settings.admins,
        links=AgencyLinks.from_settings(ctx.settings),
    )


async def reportable(
    session: AsyncSession, ctx: WebContext, viewer: Viewer, *, province_id: int, items: Sequence[DueItem]
) -> set[int]:
    """Ids of the open items the viewer may report on (the status service's `access`)."""
    env = await env_for(session, ctx, viewer, province_id)
    allowed: set[int] = set()
    for item in items:
        if item.cancelled:
            continue
        loaded = await plans_repo.get_due_item(session, due_item_id=item.id)
        if loaded is not None and await status.access(session, env, loaded) is status.Access.CHANGE:
            allowed.add(item.id)
    return allowed


def routes(kit: Kit) -> list[Route]:
    ctx = kit.ctx
    page, refuse, signed_in = kit.page, kit.refuse, kit.signed_in
    async def wake_senders() -> None:  # async: run on the event loop, not in a thread
        ctx.wake_senders()

    # Run after the response, i.e. after the page's transaction has committed what it queued.
    wake = BackgroundTask(wake_senders)

    async def report_item(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
        item_id = int(request.path_params["item_id"])
        found = await q.item_province(session, due_item_id=item_id)
        if found is None or found[1] not in viewer.province_ids:
            return refuse(request, viewer, 404)
        task_id, province_id = found
        form = await request.form()
        kind = str(form.get("kind") or "")
        note = str(form.get("note") or "").strip() or None
        day = parse_day(str(form.get("date") or ""))
        raw_progress = str(form.get("progress") or "")
        progress = int(raw_progress) if raw_progress.isdigit() else None
        if kind == "done":
            # "xong từ dd/mm/yyyy" is how a reply gives the real completion date: the same rule reads it.
            intent = Intent(ChangeKind.DONE, note=console_texts.bulk_done_note(day, note) if day else note)
        elif kind == "progress":
            intent = Intent(ChangeKind.PROGRESS, progress=progress, note=note)
        elif kind == "blocked":
            intent = Intent(ChangeKind.BLOCKED, progress=progress, note=note)
        elif kind == "extension":
            intent = Intent(ChangeKind.EXTENSION, new_due_on=day, note=note, bad_date=None if day else str(form.get("date") or "") or None)
        elif kind == "note":
            intent = Intent(ChangeKind.NOTE, note=note)
        else:
            return refuse(request, viewer, 400)
        env = await env_for(session, ctx, viewer, province_id)
        outcome = await status.apply(session, env, due_item_id=item_id, intent=intent)
        problem = outcome.refused or outcome.problem
        if problem is None and outcome.needs is not None:
            problem = console_texts.NEEDS_BLOCKER if kind == "blocked" else console_texts.NEEDS_EXTENSION_DATE
        if problem:
            return await kit_task_page(request, session, viewer, task_id, problem)
        # A request's posts to the leaders were queued with it by the use case: the senders
        # are woken once the page's transaction has committed (after the response).
        return RedirectResponse(f"/web/tasks/{task_id}#item-{item_id}", status_code=303, background=wake)

    async def evidence(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
        """A file attached to one item by a focal point (or an admin): kept on Telegram (a copy
        in the uploader's private chat gives the file its id, as a file sent in the group has),
        recorded by the status service like a file answering a reminder."""
        item_id = int(request.path_params["item_id"])
        found = await q.item_province(session, due_item_id=item_id)
        if found is None or found[1] not in viewer.province_ids:
            return refuse(request, viewer, 404)
        task_id, province_id = found
        item = await plans_repo.get_due_item(session, due_item_id=item_id)
        if item is None or item.id not in await reportable(session, ctx, viewer, province_id=province_id, items=[item]):
            return refuse(request, viewer, 403)
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str) or not upload.filename:
            return await kit_task_page(request, session, viewer, task_id, console_texts.EVIDENCE_NONE)
        limit = uploads.max_bytes(ctx.settings)
        data = await upload.read(limit + 1)
        if len(data) > limit:
            return await kit_task_page(request, session, viewer, task_id, console_texts.evidence_too_big(ctx.settings.max_upload_mb), 413)
        name = upload.filename[:255]
        caption = console_texts.evidence_caption(task_id, item.due_on.strftime("%d/%m/%Y"), item.agency.name, viewer.name)
        try:
            sent = await ctx.bot.send_document(viewer.user_id, InputFile(data, filename=name), caption=caption)
        except TelegramError as exc:
            log.warning("Console: evidence upload for item %s failed: %s", item_id, exc)
            return await kit_task_page(request, session, viewer, task_id, console_texts.EVIDENCE_UPLOAD_FAILED, 502)
        document = sent.document
        file = {
            "kind": "document", "file_id": document.file_id if document else None,
            "file_unique_id": document.file_unique_id if document else None, "name": name,
            "mime_type": (document.mime_type if document else None) or upload.content_type, "size": len(data),
            "message_id": sent.message_id,
        }
        env = await env_for(session, ctx, viewer, province_id)
        note = str(form.get("note") or "").strip() or None
        outcome = await status.attach_evidence_to_item(session, env, due_item_id=item_id, note=note, file=file)
        if outcome.refused or outcome.problem:
            return await kit_task_page(request, session, viewer, task_id, outcome.refused or outcome.problem or "")
        return RedirectResponse(f"/web/tasks/{task_id}#item-{item_id}", status_code=303)

    max_body = uploads.max_bytes(ctx.settings) + 256 * 1024
    guarded_evidence = signed_in(evidence, write=True)

    async def evidence_endpoint(request: Request) -> Response:
        # Refuse an oversized body before it is read (the form parser would spool it).
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > max_body:
            return HTMLResponse(console_texts.evidence_too_big(ctx.settings.max_upload_mb), status_code=413)
        return await guarded_evidence(request)

    async def kit_task_page(
        request: Request, session: AsyncSession, viewer: Viewer, task_id: int, problem: str, code: int = 422
    ) -> Response:
        request.path_params["task_id"] = task_id
        return await kit.task_page(request, session, viewer, message=problem, status=code)

    async def extensions(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
        provinces = [p for p in await q.provinces_by_ids(session, viewer.province_ids) if viewer.sees_all_of(p.id)]
        if not provinces:
            return refuse(request, viewer, 403)
        views = []
        for row in await status_changes_repo.pending_extension_requests(session, province_ids=[p.id for p in provinces]):
            view = await status.extension_view(session, row, ctx.settings.tz)
            if view is not None:
                views.append(view)
        return page(request, "extensions.html", viewer=viewer, views=views, message=request.query_params.get("m"))

    async def decide(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
        request_id = int(request.path_params["request_id"])
        found = await q.extension_province(session, request_id=request_id)
        if found is None or not viewer.sees_all_of(found):
            return refuse(request, viewer, 404 if found is None or found not in viewer.province_ids else 403)
        form = await request.form()
        env = await env_for(session, ctx, viewer, found)
        decision = await status.decide_extension(session, env, request_id=request_id, approve=form.get("verb") == "ok")
        if decision.refused:
            return RedirectResponse("/web/extensions?" + _query(m=decision.refused), status_code=303)
        # The use case rewrote the leaders' copies and queued the outcome for the agency's chats.
        done = console_texts.EXTENSION_APPROVED if form.get("verb") == "ok" else console_texts.EXTENSION_REJECTED
        return RedirectResponse("/web/extensions?" + _query(m=done), status_code=303, background=wake)

    return [
        Route("/web/items/{item_id:int}/report", signed_in(report_item, write=True), methods=["POST"]),
        Route("/web/items/{item_id:int}/evidence", evidence_endpoint, methods=["POST"]),
        Route("/web/extensions", signed_in(extensions)),
        Route("/web/extensions/{request_id:int}/decide", signed_in(decide, write=True), methods=["POST"]),
    ]


def _query(**values: Any) -> str:
    from urllib.parse import urlencode

    return urlencode(values)
