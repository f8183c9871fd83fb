"""/tamdung, /tieptuc (an agency's reminders paused and resumed), /khongthuchien (an admin
drops a task, with a reason): thin callers of bot/services/followup.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import CommandHandler

from bot.context import AsyncSession, BotApp, Context
from bot.domain.codes import parse_task_code
from bot.domain.replies import parse_pause
from bot.domain.status import ChangeSource
from bot.services import followup
from bot.services import status as svc
from handlers.common import reply, services


async def _run(update: Update, context: Context, use_case: Callable[[AsyncSession, svc.Env], Awaitable[str]]) -> None:
    app = services(context)
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    assert chat is not None and user is not None and message is not None
    async with app.sessionmaker() as session, session.begin():
        env = await svc.open_env(
            session, settings=app.settings, tg_chat_id=chat.id, is_private=chat.type == ChatType.PRIVATE,
            user_id=user.id, user_name=user.full_name, now=app.now(), source=ChangeSource.COMMAND,
            message_id=message.message_id,
        )
        text = await use_case(session, env)
    await reply(update, text)


async def tamdung(update: Update, context: Context) -> None:
    """/tamdung [đến 15/1] [lý do]: pause this agency's reminders."""
    words = " ".join(context.args or [])
    await _run(update, context, lambda s, env: followup.pause(s, env, request=parse_pause(words, today=env.today)))


async def tieptuc(update: Update, context: Context) -> None:
    """/tieptuc: resume this agency's reminders."""
    await _run(update, context, followup.resume)


async def khongthuchien(update: Update, context: Context) -> None:
    """/khongthuchien NV12 <lý do>: an admin drops a task (never reminded again)."""
    args = list(context.args or [])
    task_id = parse_task_code(args[0]) if args else None
    reason = " ".join(args[1:])
    await _run(update, context, lambda s, env: followup.waive(s, env, task_id=task_id, reason=reason))


def register(app: BotApp) -> None:
    app.add_handler(CommandHandler("tamdung", tamdung))
    app.add_handler(CommandHandler("tieptuc", tieptuc))
    app.add_handler(CommandHandler("khongthuchien", khongthuchien))
