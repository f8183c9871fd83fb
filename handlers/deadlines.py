"""/dathan <mã> <ngày>: an admin gives an undated task (an event deadline, "ngay sau khi …")
a due date; the task's lead agencies are reminded from then on."""

from __future__ import annotations

import logging
from html import escape

from telegram import Update
from telegram.ext import CommandHandler

from bot.context import BotApp, Context
from bot.domain.calendar import parse_day
from bot.domain.codes import parse_task_code, task_code
from bot.render.format import long_date, short_date
from bot.services.reminders import set_task_deadline
from handlers.common import is_admin, reply, scope_of, services, transaction, user_name

log = logging.getLogger("nhacviec.handlers")

USAGE = (
    "Cách dùng: <code>/dathan &lt;mã nhiệm vụ&gt; &lt;ngày&gt;</code>, "
    "ví dụ <code>/dathan NV123 30/09/2025</code>.\n"
    "Mã nhiệm vụ có trong /nhiemvu và /tiendo (NV…)."
)
ADMINS_ONLY = "Chỉ quản trị viên (Văn phòng UBND tỉnh / Sở Nội vụ) được đặt hạn nhiệm vụ."


async def set_deadline(update: Update, context: Context) -> None:
    """/dathan <mã> <ngày>: set or replace the task's due date for its lead agencies."""
    if not is_admin(update, context):
        await reply(update, ADMINS_ONLY)
        return
    args = context.args or []
    task_id = parse_task_code(args[0]) if args else None
    due_on = parse_day(args[1]) if len(args) >= 2 else None
    if task_id is None or due_on is None or len(args) != 2:
        await reply(update, USAGE)
        return
    svc = services(context)
    user = update.effective_user
    async with transaction(context) as session:
        scope = await scope_of(session, update, context)
        result = await set_task_deadline(
            session,
            province_ids=scope.admin_of,  # only tasks of the provinces the user administers
            task_id=task_id,
            due_on=due_on,
            now=svc.now(),
            actor_tg_id=user.id if user else None,
            actor_name=user_name(update),
        )
    if result.problem:
        await reply(update, result.problem)
        return
    lines = [
        f"🗓 <b>Đặt hạn {short_date(due_on)}</b> cho {task_code(task_id)} "
        f"(KH {escape(result.plan_number or '')}): {escape(result.task_title or '')}"
    ]
    if result.created:
        lines.append("Cơ quan chủ trì sẽ được nhắc theo hạn này: " + ", ".join(escape(n) for n in result.created) + ".")
    if result.existing:
        lines.append("Đã có hạn này từ trước: " + ", ".join(escape(n) for n in result.existing) + ".")
    if result.replaced:
        lines.append("Thay cho hạn cũ: " + ", ".join(short_date(d) for d in result.replaced) + ".")
    today = svc.now().astimezone(svc.settings.tz).date()
    if due_on < today:
        lines.append(f"Hạn này đã qua (hôm nay {long_date(today)}): nhiệm vụ được tính là quá hạn.")
    log.info(
        "Quản trị viên %s đặt hạn %s cho nhiệm vụ %s", user.id if user else None, due_on, task_id,
        extra={"event": "task.due_set", "fields": {
            "task_id": task_id, "due_on": due_on, "user_id": user.id if user else None,
            "chat_id": update.effective_chat.id if update.effective_chat else None,
            "agencies": len(result.created), "existing": len(result.existing),
        }},
    )
    await reply(update, "\n".join(lines))


def register(app: BotApp) -> None:
    """/dathan (admins; any chat — the command itself checks who administers the task's province)."""
    app.add_handler(CommandHandler("dathan", set_deadline))
