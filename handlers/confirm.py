"""The agency's answer to the "chưa cập nhật" section of its reminder (bot.render.confirm
lists the callback data), and /dongcu: an admin closes unknown items in bulk with the real
completion date. Thin: the use cases are in bot.services.confirming."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.context import BotApp, Context
from bot.domain.calendar import parse_day
from bot.domain.callbacks import ConfirmUnknown, UnknownAction, decode, matches, parse
from bot.domain.status import ChangeSource
from bot.render import confirm as texts
from bot.render import help as help_texts
from bot.render.status import when
from bot.services import confirming
from bot.services import status as svc
from handlers.common import edit_markup, open_env, reply, scope_of, services, today_for, transaction

log = logging.getLogger("nhacviec.handlers.confirm")

_CHOICES = {
    UnknownAction.ALL_DONE: confirming.Choice.ALL_DONE,
    UnknownAction.NOT_DONE: confirming.Choice.NOT_DONE,
    UnknownAction.ONE_DONE: confirming.Choice.ONE_DONE,
}


def _rows(message: Message, extra: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup | None:
    """The message's own buttons (the reminder's) without the confirmation ones, then `extra`."""
    rows: list[list[InlineKeyboardButton]] = []
    for row in (message.reply_markup.inline_keyboard if message.reply_markup else ()):
        kept = [b for b in row if not isinstance(decode(b.callback_data), ConfirmUnknown)]
        if kept:
            rows.append(kept)
    rows += [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in extra]
    return InlineKeyboardMarkup(rows) if rows else None


async def unknown_button(update: Update, context: Context) -> None:
    """Đã xong cả / Chọn từng việc / Chưa xong (and, while choosing, one item or back)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    if not isinstance(message := query.message, Message):
        await query.answer(help_texts.BAD_BUTTON, show_alert=True)
        return
    press = parse(query.data, ConfirmUnknown)
    async with transaction(context) as session:
        env = await open_env(session, update, context, source=ChangeSource.BUTTON, message_id=message.message_id)
        pressed = await confirming.press(
            session, env, choice=_CHOICES.get(press.action), due_item_id=press.due_item_id or None
        )
    await _deliver(update, message, press.action, pressed, env)


async def _deliver(update: Update, message: Message, action: UnknownAction, pressed: confirming.Pressed, env: svc.Env) -> None:
    """The refusal's alert, or the new buttons, then the answer: on the button or in the chat."""
    query = update.callback_query
    assert query is not None
    if pressed.problem is not None:
        await query.answer(texts.problem_text(pressed.problem), show_alert=True)
        return
    await edit_markup(message, _rows(message, texts.rows_after(action, pressed.remaining)))
    done = pressed.answered
    counts = None if done is None else (done.done, done.not_done, len(done.refused))
    alert, text = texts.pressed_texts(
        action, remaining=bool(pressed.remaining), counts=counts, actor=env.actor.name, at=when(env.local_now)
    )
    await query.answer(alert)
    if text is not None:
        await reply(update, text)


async def dongcu(update: Update, context: Context) -> None:
    """/dongcu <ngày> [cơ quan]: an admin closes the unknown items as done that day (a group: its agency's)."""
    user = update.effective_user
    assert user is not None
    args = list(context.args or [])
    if (completed_on := parse_day(args[0]) if args else None) is None:
        await reply(update, texts.CLOSE_USAGE)
        return
    async with transaction(context) as session:
        await confirming.begin(session)
        scope = await scope_of(session, update, context)
        results = await confirming.close_for_admin(
            session, scope=scope, agency=" ".join(args[1:]).strip() or None, completed_on=completed_on,
            actor_name=user.full_name or str(user.id), actor_tg_id=user.id,
            now=services(context).now(), today=today_for(scope, context),
        )
    await reply(update, texts.CLOSE_ADMIN_ONLY if results is None else texts.closed_text(results))


def register(app: BotApp) -> None:
    app.add_handler(CallbackQueryHandler(unknown_button, pattern=matches(ConfirmUnknown)))
    app.add_handler(CommandHandler("dongcu", dongcu))
