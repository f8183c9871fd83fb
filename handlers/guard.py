"""Before every handler: flood throttle. After every failure: a log line and an apology."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.app import Context
from bot.domain.throttle import Verdict, combine
from bot.logs import log_event
from bot.render import help as texts
from handlers.common import services

log = logging.getLogger("nhacviec.handlers")


async def throttle(update: Update, context: Context) -> None:
    """Stop a user or chat that sends too much; tell them once per flood."""
    user = update.effective_user
    chat = update.effective_chat
    if user is None or (update.message is None and update.callback_query is None):
        return  # service updates (migration, membership) are never throttled
    message = update.message
    if message is not None and not (message.text or message.document or message.caption):
        return  # service messages: new members, migration
    svc = services(context)
    now = svc.monotonic()
    verdicts = [svc.user_throttle.check(user.id, now)]
    if chat is not None and chat.id != user.id:
        verdicts.append(svc.chat_throttle.check(chat.id, now))
    verdict = combine(*verdicts)
    if verdict is Verdict.ALLOW:
        return
    if verdict is Verdict.REFUSE_AND_WARN:
        log_event(
            log, "flood.throttled", f"Chặn gửi quá nhanh: người dùng {user.id}, nhóm {chat.id if chat else None}",
            level=logging.WARNING, user_id=user.id, chat_id=chat.id if chat else None,
        )
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(texts.THROTTLED, show_alert=True)
            elif message is not None:
                await message.reply_text(texts.THROTTLED)
        except TelegramError:
            pass
    elif update.callback_query is not None:
        try:
            await update.callback_query.answer()  # stop the button's spinner, silently
        except TelegramError:
            pass
    raise ApplicationHandlerStop


async def bad_button(update: Update, context: Context) -> None:
    """Callback data that no handler recognises (old versions, forged): refused."""
    query = update.callback_query
    assert query is not None
    await query.answer(texts.BAD_BUTTON, show_alert=True)


async def on_error(update: object, context: Context) -> None:
    """Log the failure with its update id; answer the user with a short apology."""
    update_id = update.update_id if isinstance(update, Update) else None
    chat = update.effective_chat if isinstance(update, Update) else None
    user = update.effective_user if isinstance(update, Update) else None
    log_event(
        log, "handler.error", f"Lỗi khi xử lý update {update_id}", level=logging.ERROR, exc_info=context.error,
        update_id=update_id, chat_id=chat.id if chat else None, user_id=user.id if user else None,
        error_type=type(context.error).__name__ if context.error else None,
    )
    if not isinstance(update, Update):
        return
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(texts.APOLOGY, show_alert=True)
        elif update.effective_chat is not None and update.effective_message is not None:
            await context.bot.send_message(update.effective_chat.id, texts.APOLOGY)
    except TelegramError:
        log_event(
            log, "handler.apology_failed", f"Không gửi được lời xin lỗi cho update {update_id}",
            level=logging.WARNING, update_id=update_id, chat_id=chat.id if chat else None,
        )
