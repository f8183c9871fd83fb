"""Snooze, pause, "không thực hiện": the use cases that stop reminders, each recorded.

- "tạm dừng nhắc NV3 đến 15/1 vì …" (a reply to a reminder, or typed where the bot reads it):
  the agency's open items of that task are not reminded before 15/1 — a hold per item and a
  history row on each ("Tạm dừng nhắc đến 15/01/2027: …"). A new report on the item (any
  status change) does not end it; the date does.
- /tamdung [đến 15/1] [lý do] in an agency's group: the agency's reminders pause (an agency
  on leave) until the date or /tieptuc; the hold row is the record.
- /khongthuchien NV3 <lý do> (admins): the task's open items are dropped — never reminded nor
  escalated again — with the reason in each item's history ("Không thực hiện: …").
"""

from __future__ import annotations

from bot.db import followup as followup_repo
from bot.db import plans as plans_repo
from bot.db import status_changes as status_changes_repo
from bot.db.models import DueItem
from bot.db.session import AsyncSession
from bot.domain.codes import task_code
from bot.domain.kinds import HoldKind
from bot.domain.replies import Pause, Snooze
from bot.domain.status import ChangeSource, Right, Status
from bot.render import followup as texts
from bot.services import status as svc
from bot.services.chats import ScopeKind


async def snooze(session: AsyncSession, env: svc.Env, *, request: Snooze, replied_to: int | None) -> str:
    """One task's reminders stop until a date (see the module doc); returns the answer."""
    if request.bad_date:
        return texts.SNOOZE_BAD_DATE
    task_id = request.task_id
    if task_id is None and request.number is not None and replied_to is not None:
        items = await svc.context_items(session, tg_chat_id=env.tg_chat_id, message_id=replied_to) or []
        task_id = next((i.task_id for i in items if i.number == request.number), None)
    if task_id is None:
        return texts.SNOOZE_WHICH
    found = await svc.items_for_code(session, env, task_id=task_id)
    if found.refused is not None:
        return found.refused
    targets: list[DueItem] = []
    for candidate in found.items:
        item = await plans_repo.get_due_item(session, due_item_id=candidate.id, lock=True)  # with its task and plan
        if item is not None and item.status is not Status.DONE and await svc.access(session, env, item) is Right.CHANGE:
            targets.append(item)
    if not targets:
        return texts.NOT_YOURS
    for item in targets:
        await followup_repo.add_hold(
            session, kind=HoldKind.SNOOZE, now=env.now, due_item_id=item.id, until_on=request.until,
            reason=request.reason, actor_tg_id=env.actor.tg_id, actor_name=env.actor.name,
        )
        await status_changes_repo.change_status(
            session, item=item, status=item.status, source=env.source, now=env.now, today=env.today,
            actor_name=env.actor.name, actor_tg_id=env.actor.tg_id,
            note=texts.snooze_note(request.until, request.reason), chat_id=env.tg_chat_id, message_id=env.message_id,
        )
    return texts.snoozed([task_code(task_id)], request.until, request.reason)


async def pause(session: AsyncSession, env: svc.Env, *, request: Pause) -> str:
    """/tamdung in an agency's group: the agency's reminders pause."""
    agency = env.scope.agency
    if env.scope.kind is not ScopeKind.AGENCY or agency is None:
        return texts.PAUSE_WHERE
    if request.bad_date:
        return texts.PAUSE_BAD_DATE
    await followup_repo.end_pauses(session, agency_id=agency.id, today=env.today, now=env.now, by_tg_id=env.actor.tg_id)
    await followup_repo.add_hold(
        session, kind=HoldKind.PAUSE, now=env.now, agency_id=agency.id, until_on=request.until,
        reason=request.reason, actor_tg_id=env.actor.tg_id, actor_name=env.actor.name,
    )
    return texts.paused(agency.name, request.until, request.reason)


async def resume(session: AsyncSession, env: svc.Env) -> str:
    """/tieptuc: the agency's reminders go on from the next tick."""
    agency = env.scope.agency
    if env.scope.kind is not ScopeKind.AGENCY or agency is None:
        return texts.PAUSE_WHERE
    ended = await followup_repo.end_pauses(session, agency_id=agency.id, today=env.today, now=env.now, by_tg_id=env.actor.tg_id)
    return texts.resumed(agency.name, ended)


async def waive(session: AsyncSession, env: svc.Env, *, task_id: int | None, reason: str) -> str:
    """/khongthuchien NV3 <lý do>: an admin drops the task's open items (see the module doc)."""
    if task_id is None or not reason.strip():
        return texts.WAIVE_USAGE
    task = await plans_repo.get_task(session, task_id=task_id)
    if task is None or task.removed or not env.actor.administers(task.plan.province_id):
        return texts.WAIVE_USAGE if task is not None else texts.task_missing(task_code(task_id))
    items = [i for i in await plans_repo.task_due_items(session, task_id=task_id) if i.status is not Status.DONE and not i.cancelled]
    if not items:
        return texts.waive_nothing(task_code(task_id))
    for item in items:
        await followup_repo.add_hold(
            session, kind=HoldKind.WAIVE, now=env.now, due_item_id=item.id, reason=reason.strip(),
            actor_tg_id=env.actor.tg_id, actor_name=env.actor.name,
        )
        await status_changes_repo.change_status(
            session, item=item, status=item.status, source=ChangeSource.ADMIN, now=env.now, today=env.today,
            actor_name=env.actor.name, actor_tg_id=env.actor.tg_id, note=texts.waive_note(reason.strip()),
            chat_id=env.tg_chat_id, message_id=env.message_id,
        )
    return texts.waived(task_code(task_id), len(items), reason.strip())
