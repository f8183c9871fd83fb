"""/dathan <mã> <ngày>: an admin gives an undated task (an event deadline, "ngay sau khi …")
a due date; the task's lead agencies are reminded from then on."""

from __future__ import annotations

import logging
from datetime import date

from telegram import Update
from telegram.ext import CommandHandler

from bot.context import BotApp, Context
from bot.domain.calendar import parse_day
from bot.domain.codes import parse_task_code
from bot.render import deadlines as texts
from bot.services.corrections import DeadlineResult
from bot.services.reminders import set_task_deadline
from handlers.common import is_admin, reply, scope_of, services, transaction, user_name

log = logging.getLogger("nhacviec.handlers")



def _args(args: list[str]) -> tuple[int, date] | None:
    """(task id, due date) of `/dathan <mã> <ngày>`, None when malformed."""
    task_id = parse_task_code(args[0]) if args else None
    due_on = parse_day(args[1]) if len(args) >= 2 else None
    return (task_id, due_on) if task_id is not None and due_on is not None and len(args) == 2 else None


async def set_deadline(update: Update, context: Context) -> None:
    """/dathan <mã> <ngày>: set or replace the task's due date for its lead agencies."""
    parsed = _args(list(context.args or []))
    if not is_admin(update, context) or parsed is None:
        await reply(update, texts.USAGE if is_admin(update, context) else texts.ADMINS_ONLY)
        return
    task_id, due_on = parsed
    svc, user = services(context), update.effective_user
    async with transaction(context) as session:
        scope = await scope_of(session, update, context)
        result = await set_task_deadline(  # only tasks of the provinces the user administers
            session, province_ids=scope.admin_of, task_id=task_id, due_on=due_on, now=svc.now(),
            actor_tg_id=user.id if user else None, actor_name=user_name(update),
        )
    if not result.problem:
        _log(update, task_id, due_on, result)
    await reply(update, result.problem or _done_text(task_id, due_on, result, today=svc.now().astimezone(svc.settings.tz).date()))


def _done_text(task_id: int, due_on: date, result: DeadlineResult, *, today: date) -> str:
    return texts.deadline_set(
        task_id=task_id, due_on=due_on, today=today, plan_number=result.plan_number, task_title=result.task_title,
        created=result.created, existing=result.existing, replaced=result.replaced,
    )


def _log(update: Update, task_id: int, due_on: date, result: DeadlineResult) -> None:
    user_id = update.effective_user.id if update.effective_user else None
    log.info(
        "Quản trị viên %s đặt hạn %s cho nhiệm vụ %s", user_id, due_on, task_id,
        extra={"event": "task.due_set", "fields": {
            "task_id": task_id, "due_on": due_on, "user_id": user_id,
            "chat_id": update.effective_chat.id if update.effective_chat else None,
            "agencies": len(result.created), "existing": len(result.existing),
        }},
    )


def register(app: BotApp) -> None:
    """/dathan (admins; any chat — the command itself checks who administers the task's province)."""
    app.add_handler(CommandHandler("dathan", set_deadline))
