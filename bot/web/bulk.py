"""Bulk actions on the tasks page (admins of the province): close several items with their
real completion date, hand several items to another lead agency (a merged or wrongly named
one), give several tasks a deadline (the event tasks).

Each selected item goes through the one service that does it alone — `status.apply` (the
status rules and a history row per item), `corrections.set_agencies` / `set_deadline` (a
correction row per task) — so a bulk action is exactly the sum of the single ones; what an
item refuses is counted and said, the others go through.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.db import web_queries as q
from bot.db.session import AsyncSession
from bot.domain.calendar import parse_day
from bot.domain.corrections import dates_from_text
from bot.domain.kinds import LinkRole
from bot.domain.replies import ChangeKind, Intent
from bot.render import console as console_texts
from bot.services import corrections, status
from bot.web.access import Viewer
from bot.web.report import env_for

if TYPE_CHECKING:
    from bot.web.app import Kit

MAX_ITEMS = 500


def routes(kit: Kit) -> list[Route]:
    ctx = kit.ctx
    refuse, signed_in = kit.refuse, kit.signed_in

    async def bulk(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
        form = await request.form()
        ids = sorted({int(v) for v in form.getlist("item") if isinstance(v, str) and v.isdigit()})[:MAX_ITEMS]
        action = str(form.get("action") or "")
        back = str(form.get("back") or "/web/tasks")
        if not back.startswith("/web/tasks"):
            back = "/web/tasks"
        items = await q.items_with_province(session, due_item_ids=ids)
        if not items:
            return _back(back, console_texts.BULK_NOTHING_CHOSEN)
        if any(not viewer.edits(province_id) for _, _, _, province_id in items):
            return refuse(request, viewer, 403)
        reason = str(form.get("reason") or "").strip() or None
        done, problems = 0, []
        if action == "done":
            day = parse_day(str(form.get("date") or ""))
            if day is None:
                return _back(back, console_texts.BULK_NEEDS_DATE)
            for item_id, task_id, _, province_id in items:
                env = await env_for(session, ctx, viewer, province_id)
                intent = Intent(ChangeKind.DONE, note=console_texts.bulk_done_note(day, reason))
                outcome = await status.apply(session, env, due_item_id=item_id, intent=intent)
                if outcome.refused or outcome.needs is not None:
                    problems.append(f"NV{task_id}: {outcome.refused or outcome.problem or console_texts.BULK_NOT_RECORDED}")
                else:
                    done += 1
        elif action == "lead":
            raw = str(form.get("agency") or "")
            if not raw.isdigit():
                return _back(back, console_texts.BULK_NEEDS_LEAD)
            target = int(raw)
            by_task: dict[int, set[int]] = {}
            for _, task_id, agency_id, _ in items:
                by_task.setdefault(task_id, set()).add(agency_id)
            for task_id, replaced in by_task.items():
                leads = {a.id for a in (await q.task_links(session, task_id=task_id))[LinkRole.LEAD]}
                result = await corrections.set_agencies(
                    session, task_id=task_id, role=LinkRole.LEAD, agency_ids=sorted((leads - replaced) | {target}),
                    now=ctx.clock(), actor_tg_id=viewer.user_id, actor_name=viewer.name, province_ids=viewer.admin,
                    reason=reason,
                )
                if result.problem:
                    problems.append(f"NV{task_id}: {result.problem}")
                else:
                    done += 1
        elif action == "deadline":
            text = str(form.get("deadline") or "").strip()
            for task_id in sorted({task_id for _, task_id, _, _ in items}):
                found = await q.task_detail(session, task_id=task_id)
                assert found is not None
                plan = found[1]
                dates = dates_from_text(
                    text, first_year=plan.first_year, last_year=plan.last_year, issued_on=plan.issued_on,
                    this_year=ctx.today().year,
                ) if text else None
                if dates is None:
                    return _back(back, console_texts.BULK_BAD_DEADLINE)
                dated = await corrections.set_deadline(
                    session, task_id=task_id, dates=dates, now=ctx.clock(), actor_tg_id=viewer.user_id,
                    actor_name=viewer.name, province_ids=viewer.admin, text=text, reason=reason,
                )
                if dated.problem:
                    problems.append(f"NV{task_id}: {dated.problem}")
                else:
                    done += 1
        else:
            return refuse(request, viewer, 400)
        return _back(back, console_texts.bulk_result(done, action == "done", problems))

    async def undated_scope(request: Request, session: AsyncSession, viewer: Viewer) -> tuple[Any, Response | None]:
        provinces = await q.provinces_by_ids(session, viewer.province_ids)
        wanted = request.query_params.get("p")
        province = next((p for p in provinces if wanted is None or str(p.id) == wanted), None)
        if province is None:
            return None, kit.refuse(request, viewer, 404)
        if not viewer.sees_all_of(province.id):
            return None, kit.refuse(request, viewer, 403)
        return province, None

    async def undated(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
        """Tasks without a date (event deadlines): admins give several one date at once."""
        province, refused = await undated_scope(request, session, viewer)
        if refused is not None:
            return refused
        rows = await q.undated_tasks(session, province_id=province.id)
        return kit.page(
            request, "undated.html", viewer=viewer, province=province, rows=rows, can_edit=viewer.edits(province.id),
            message=request.query_params.get("m"),
        )

    async def date_undated(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
        province, refused = await undated_scope(request, session, viewer)
        if refused is not None:
            return refused
        if not viewer.edits(province.id):
            return refuse(request, viewer, 403)
        form = await request.form()
        back = f"/web/tasks/undated?p={province.id}"
        wanted = sorted({int(v) for v in form.getlist("task") if isinstance(v, str) and v.isdigit()})[:MAX_ITEMS]
        allowed = {r.task_id for r in await q.undated_tasks(session, province_id=province.id, limit=100_000)}
        ids = [t for t in wanted if t in allowed]
        if not ids:
            return _back(back, console_texts.UNDATED_NONE_SELECTED)
        text = str(form.get("deadline") or "").strip()
        reason = str(form.get("reason") or "").strip() or None
        done, problems = 0, []
        for task_id in ids:
            found = await q.task_detail(session, task_id=task_id)
            assert found is not None
            plan = found[1]
            dates = dates_from_text(
                text, first_year=plan.first_year, last_year=plan.last_year, issued_on=plan.issued_on,
                this_year=ctx.today().year,
            ) if text else None
            if not dates:
                return _back(back, console_texts.UNDATED_BAD_DATE)
            dated = await corrections.set_deadline(
                session, task_id=task_id, dates=dates, now=ctx.clock(), actor_tg_id=viewer.user_id,
                actor_name=viewer.name, province_ids=viewer.admin, text=text, reason=reason,
            )
            if dated.problem:
                problems.append(f"NV{task_id}: {dated.problem}")
            else:
                done += 1
        return _back(back, console_texts.undated_result(done, problems))

    return [
        Route("/web/tasks/bulk", signed_in(bulk, write=True), methods=["POST"]),
        Route("/web/tasks/undated", signed_in(undated)),
        Route("/web/tasks/undated", signed_in(date_undated, write=True), methods=["POST"]),
    ]


def _back(back: str, message: str) -> Response:
    separator = "&" if "?" in back else "?"
    return RedirectResponse(f"{back}{separator}{urlencode({'m': message})}", status_code=303)
