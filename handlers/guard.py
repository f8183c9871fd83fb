"""Before every handler: flood throttle, then membership for changes from a group.
After every failure: a log line and an apology."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.context import Context
from bot.domain.callbacks import WRITE_KINDS, decode
from bot.domain.throttle import Verdict, check_flood
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
    """Stop a user who sends the bot too much (bot.domain.throttle.check_flood); tell them when to retry."""
    user, chat, svc = update.effective_user, update.effective_chat, services(context)
    if user is None or user.id in svc.settings.admins:  # binding a province is dozens of /dangky in a row
        return
    addressed, status_reply = _addressed(update, context.bot.id, context.bot.username)
    if not addressed:
        return
    in_group = chat is not None and chat.id != user.id and update.callback_query is None and not status_reply
    verdict, retry = check_flood(
        svc.user_throttle, svc.chat_throttle, user_id=user.id, group_id=chat.id if in_group and chat else None, now=svc.monotonic()
    )
    if verdict is not Verdict.ALLOW:
        await _refuse_flood(update, verdict, retry, status_reply=status_reply)
        raise ApplicationHandlerStop


async def _refuse_flood(update: Update, verdict: Verdict, retry: float, *, status_reply: bool) -> None:
    """Warn once (a log line, an alert or a reply), stay silent after; a status reply is always answered."""
    user, chat, message = update.effective_user, update.effective_chat, update.effective_message
    warn = verdict is Verdict.REFUSE_AND_WARN
    if warn and user is not None:
        log_event(
            log, "flood.throttled", f"Chặn gửi quá nhanh: người dùng {user.id}, nhóm {chat.id if chat else None}",
            level=logging.WARNING, user_id=user.id, chat_id=chat.id if chat else None,
        )
    try:
        if update.callback_query is not None:  # stop the button's spinner; the alert only when warning
            await (update.callback_query.answer(texts.throttled(retry), show_alert=True) if warn else update.callback_query.answer())
        elif status_reply and message is not None:
            await message.reply_text(texts.throttled_status(retry))
        elif warn and message is not None:
            await message.reply_text(texts.throttled(retry))
    except TelegramError:
        pass


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
    """A change from a group needs its sender to be a member of that group now (see `_still_member`)."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or not _group_write(update, context.bot.id):
        return
    if user.id in services(context).settings.admins or await _still_member(context, chat.id, user.id):
        return
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(texts.NOT_A_MEMBER, show_alert=True)
        elif update.effective_message is not None:
            await update.effective_message.reply_text(texts.NOT_A_MEMBER)
    except TelegramError:
        pass
    raise ApplicationHandlerStop


async def _still_member(context: Context, chat_id: int, user_id: int) -> bool:
    """Asked with getChatMember on every such write (never cached): writes are a few a day
    per group, and a member removed or gone loses the right at the very next update, with
    no membership table to keep in step. Province admins pass (they may act anywhere).
    If Telegram cannot answer, the write goes ahead: the bot's own group is the usual
    case, and refusing every reply during a Telegram hiccup would lose real reports."""
    try:
        member = await context.bot.get_chat_member(chat_id, user_id)
    except TelegramError as exc:
        log_event(
            log, "membership.unknown", f"Không kiểm tra được thành viên {user_id} của nhóm {chat_id}: {exc}",
            level=logging.WARNING, user_id=user_id, chat_id=chat_id,
        )
        return True
    if member.status not in _GONE and getattr(member, "is_member", True) is not False:
        return True
    log_event(
        log, "membership.refused", f"Từ chối cập nhật: người dùng {user_id} không còn trong nhóm {chat_id}",
        level=logging.WARNING, user_id=user_id, chat_id=chat_id,
    )
    return False


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
    if isinstance(update, Update):
        await _apologise(update, context)


async def _apologise(update: Update, context: Context) -> None:
    chat_id = update.effective_chat.id if update.effective_chat else None
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(texts.APOLOGY, show_alert=True)
        elif chat_id is not None and update.effective_message is not None:
            await context.bot.send_message(chat_id, texts.APOLOGY)
    except TelegramError:
        log_event(
            log, "handler.apology_failed", f"Không gửi được lời xin lỗi cho update {update.update_id}",
            level=logging.WARNING, update_id=update.update_id, chat_id=chat_id,
        )
