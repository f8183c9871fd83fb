"""Before every handler: flood throttle, then membership for changes from a group.
After every failure: a log line and an apology."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.context import Context
from bot.domain.callbacks import WRITE_KINDS, decode
from bot.domain.throttle import Verdict, combine
from bot.logs import log_event
from bot.render import help as texts
from handlers.common import services

log = logging.getLogger("nhacviec.handlers")


def _addressed(update: Update, bot_id: int, bot_username: str | None) -> tuple[bool, bool]:
    """(addressed to the bot, a status reply) for an update.

    Addressed: a button press, anything in a private chat, a command, a reply to one of
    the bot's messages, a mention of the bot. Not addressed: the chatter of a group where
    the bot is admin and so receives every message — the bot answers none of it (it has
    no handler for plain group messages), so counting it would only lock out the people
    who then do write to it. A status reply is a reply to the bot's message in a chat.
    """
    if update.callback_query is not None:
        return True, False
    message = update.message or update.edited_message
    if message is None:
        return False, False  # service updates (membership, migration, my_chat_member)
    text = message.text or message.caption or ""
    if not (text or message.document or message.photo):
        return False, False  # service messages: new members, pinned, migration
    target = message.reply_to_message
    if target is not None and target.from_user is not None and target.from_user.id == bot_id:
        return True, True
    if message.chat.type == "private" or text.startswith("/"):
        return True, False
    if bot_username and f"@{bot_username}".lower() in text.lower():
        return True, False
    return False, False


async def throttle(update: Update, context: Context) -> None:
    """Stop a user who sends the bot too much; tell them when to retry.

    Counted per user, and only what is addressed to the bot (see `_addressed`). Commands
    also count per group (a group's own messages are limited to 20 a minute by Telegram).
    A throttled status reply is answered every time with "not recorded, resend in N s":
    it is never dropped in silence. The configured admins are never throttled: binding a
    province's groups is dozens of /dangky in a row (issue 18: 3 of 36 went unanswered),
    and their answers only wait on Telegram's own per-group pace (the rate limiter).
    """
    user = update.effective_user
    chat = update.effective_chat
    if user is None:
        return
    svc = services(context)
    if user.id in svc.settings.admins:
        return
    addressed, status_reply = _addressed(update, context.bot.id, context.bot.username)
    if not addressed:
        return
    now = svc.monotonic()
    verdicts = [svc.user_throttle.check(user.id, now)]
    retry = svc.user_throttle.retry_after(user.id, now)
    is_command = update.callback_query is None and not status_reply
    if is_command and chat is not None and chat.id != user.id:
        verdicts.append(svc.chat_throttle.check(chat.id, now))
        retry = max(retry, svc.chat_throttle.retry_after(chat.id, now))
    verdict = combine(*verdicts)
    if verdict is Verdict.ALLOW:
        return
    message = update.effective_message
    if verdict is Verdict.REFUSE_AND_WARN:
        log_event(
            log, "flood.throttled", f"Chặn gửi quá nhanh: người dùng {user.id}, nhóm {chat.id if chat else None}",
            level=logging.WARNING, user_id=user.id, chat_id=chat.id if chat else None,
        )
    try:
        if update.callback_query is not None:
            if verdict is Verdict.REFUSE_AND_WARN:
                await update.callback_query.answer(texts.throttled(retry), show_alert=True)
            else:
                await update.callback_query.answer()  # stop the button's spinner, silently
        elif status_reply and message is not None:
            await message.reply_text(texts.throttled_status(retry))
        elif verdict is Verdict.REFUSE_AND_WARN and message is not None:
            await message.reply_text(texts.throttled(retry))
    except TelegramError:
        pass
    raise ApplicationHandlerStop


# Callback data that changes something (status buttons, undo, questions, extension
# decisions, binding choices); reading buttons (/tiendo pages) need no membership check.
_WRITE_COMMANDS = ("/capnhat", "/giahan", "/dathan", "/dangky", "/huydangky", "/lanhdao")
_GONE = ("left", "kicked")


def _group_write(update: Update, bot_id: int) -> bool:
    """A change asked for from a group: a write button, a reply to the bot, a write command."""
    chat = update.effective_chat
    if chat is None or chat.type not in ("group", "supergroup"):
        return False
    query = update.callback_query
    if query is not None:
        return isinstance(decode(query.data), WRITE_KINDS)
    message = update.message or update.edited_message
    if message is None:
        return False
    target = message.reply_to_message
    if target is not None and target.from_user is not None and target.from_user.id == bot_id:
        return True
    text = (message.text or message.caption or "").split(maxsplit=1)
    return bool(text) and text[0].split("@", 1)[0].lower() in _WRITE_COMMANDS


async def membership(update: Update, context: Context) -> None:
    """A change from a group needs its sender to be a member of that group now.

    Checked with getChatMember on every such write (never cached): writes are a few a day
    per group, and a member removed or gone loses the right at the very next update, with
    no membership table to keep in step. Province admins pass (they may act anywhere).
    If Telegram cannot answer, the write goes ahead: the bot's own group is the usual
    case, and refusing every reply during a Telegram hiccup would lose real reports.
    """
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None or not _group_write(update, context.bot.id):
        return
    if user.id in services(context).settings.admins:
        return
    try:
        member = await context.bot.get_chat_member(chat.id, user.id)
    except TelegramError as exc:
        log_event(
            log, "membership.unknown", f"Không kiểm tra được thành viên {user.id} của nhóm {chat.id}: {exc}",
            level=logging.WARNING, user_id=user.id, chat_id=chat.id,
        )
        return
    if member.status not in _GONE and getattr(member, "is_member", True) is not False:
        return
    log_event(
        log, "membership.refused", f"Từ chối cập nhật: người dùng {user.id} không còn trong nhóm {chat.id}",
        level=logging.WARNING, user_id=user.id, chat_id=chat.id,
    )
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(texts.NOT_A_MEMBER, show_alert=True)
        elif update.effective_message is not None:
            await update.effective_message.reply_text(texts.NOT_A_MEMBER)
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
