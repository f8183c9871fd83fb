"""The agency's answer to the "chưa cập nhật" section of its reminder (bot.render.confirm
lists the callback data), and /dongcu: an admin closes unknown items in bulk with the real
completion date. Thin: the use cases are in bot.services.confirming."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
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
from bot.services.progress import province_tz
from handlers.common import reply, scope_of, services

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
    assert query is not None and query.data is not None and query.from_user is not None
    message = query.message
    if not isinstance(message, Message):
        await query.answer(help_texts.BAD_BUTTON, show_alert=True)
        return
    press = parse(query.data, ConfirmUnknown)
    verb = press.action
    svcs = services(context)
    async with svcs.sessionmaker() as session, session.begin():
        await confirming.begin(session)
        scope = await scope_of(session, update, context)
        env = svc.Env(
            scope=scope,
            actor=svc.Actor(query.from_user.id, query.from_user.full_name or str(query.from_user.id), scope.admin_of),
            now=svcs.now(),
            tz=province_tz(scope, svcs.settings.timezone),
            tg_chat_id=message.chat.id,
            message_id=message.message_id,
            source=ChangeSource.BUTTON,
        )
        remaining = await confirming.still_unknown(session, tg_chat_id=message.chat.id, message_id=message.message_id)
        problem = None
        if remaining is None:
            problem = help_texts.BAD_BUTTON
        elif not await confirming.may_answer(session, env, remaining):
            problem = texts.NOT_ALLOWED
        result: confirming.Answered | None = None
        if problem is None and verb in _CHOICES:
            result = await confirming.answer(
                session, env, message_id=message.message_id, choice=_CHOICES[verb],
                due_item_id=press.due_item_id or None,
            )
            remaining = result.remaining
    if problem is not None:
        await query.answer(problem, show_alert=True)
        return
    assert remaining is not None
    if not remaining:
        extra: list[list[tuple[str, str]]] = []
    elif verb in (UnknownAction.PICK, UnknownAction.ONE_DONE):
        extra = texts.pick_rows(remaining)
    else:
        extra = [list(texts.choice_row())]
    try:
        await message.edit_reply_markup(_rows(message, extra))
    except BadRequest as exc:  # "message is not modified": a second press
        if "not modified" not in exc.message.lower():
            raise
    if result is None:
        await query.answer(texts.PICK_HINT if verb is UnknownAction.PICK and remaining else None)
        return
    text = texts.answered_text(
        done=result.done, not_done=result.not_done, refused=len(result.refused),
        actor=env.actor.name, at=when(env.local_now),
    )
    if verb is UnknownAction.ONE_DONE:
        await query.answer(text[:190])
        return
    await query.answer()
    await reply(update, text)


async def dongcu(update: Update, context: Context) -> None:
    """/dongcu <ngày> [cơ quan] — an admin closes the unknown items (of an agency) as done on
    that day; in an agency's group, that agency's."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    args = list(context.args or [])
    completed_on = parse_day(args[0]) if args else None
    if completed_on is None:
        await reply(update, texts.CLOSE_USAGE)
        return
    svcs = services(context)
    agency_query = " ".join(args[1:]).strip() or None
    async with svcs.sessionmaker() as session, session.begin():
        await confirming.begin(session)
        scope = await scope_of(session, update, context)
        if not scope.admin_of:
            await reply(update, texts.CLOSE_ADMIN_ONLY)
            return
        # In an agency's group without a name: that agency (and those merged into it).
        agency_ids = list(scope.agency_ids) if agency_query is None and scope.agency_ids else None
        tz = province_tz(scope, svcs.settings.timezone)
        today = svcs.now().astimezone(tz).date()
        results = [
            await confirming.close_unknown(
                session, province=province, plan_number=None, agency=agency_query, agency_ids=agency_ids,
                completed_on=completed_on, actor_name=user.full_name or str(user.id), actor_tg_id=user.id,
                now=svcs.now(), today=today, source=ChangeSource.COMMAND,
            )
            for province in scope.provinces
            if province.id in scope.admin_of
        ]
    await reply(update, texts.closed_text(results))


def register(app: BotApp) -> None:
    app.add_handler(CallbackQueryHandler(unknown_button, pattern=matches(ConfirmUnknown)))
    app.add_handler(CommandHandler("dongcu", dongcu))
