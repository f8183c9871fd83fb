"""Status updates in Telegram: the reminder's task buttons, the task card, free-text replies,
/capnhat, evidence files, undo, and the leaders' decision on extension requests.

Every handler parses the update (buttons through bot.domain.callbacks), calls ONE use case of
bot.services.status in one transaction, then delivers its Result: edits, messages, the
button's answer. The use case holds every rule (permission, the item's version, prompts,
who hears of an extension request); the ids of the messages sent are queued and stored by the
next status transaction (bot/services/sent_ids.py), so replies to them find their items and a
reply is one write transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.context import AsyncSession, BotApp, Context
from bot.domain.callbacks import (
    CancelPrompt,
    CardChoice,
    ConfirmOption,
    DecideExtension,
    OpenCard,
    Undo,
    matches,
    parse,
)
from bot.domain.codes import parse_task_code
from bot.domain.status import ChangeSource
from bot.render import status as texts
from bot.services import status as svc
from handlers import uploads
from handlers.common import open_env, services

log = logging.getLogger("nhacviec.handlers.status")

UseCase = Callable[[AsyncSession, svc.Env], Awaitable[svc.Result]]


# --- running a use case and delivering its result -------------------------------------------------


async def _run(update: Update, context: Context, use_case: UseCase, *, source: ChangeSource, message_id: int | None) -> svc.Result:
    """One transaction: who acts where (`svc.open_env`), then the use case."""
    app, chat = services(context), update.effective_chat
    assert chat is not None
    batch = None
    try:
        async with app.sessionmaker() as session, session.begin():
            env = await open_env(session, update, context, source=source, message_id=message_id)
            batch = await app.sent_ids.write_pending(session, chat_id=chat.id)  # see bot/services/sent_ids.py
            result = await use_case(session, env)
    except BaseException:
        app.sent_ids.settle(batch, committed=False)
        raise
    app.sent_ids.settle(batch, committed=True)
    return result


def markup(rows: Sequence[Sequence[tuple[str, str]]] | None) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows if row]
    )


def _short(text: str) -> str:
    return text if len(text) <= texts.ALERT_LIMIT else text[: texts.ALERT_LIMIT - 1] + "…"


async def _deliver(update: Update, context: Context, result: svc.Result) -> None:
    """Edit and send what the result says, remember the ids sent, answer the button."""
    message = update.effective_message
    for edit in result.edits:
        await _edit(context, edit)
    sent = [s for s in [await _send(context, message, send) for send in result.sends] if s is not None]
    if result.wakes_sender:  # extension posts or their rewrites were queued with the change
        services(context).wake_senders()
    # No transaction here: the next status transaction stores the ids (one write per reply).
    follow_ups = services(context).sent_ids.add(result, sent, now=services(context).now())
    for text in follow_ups:
        assert message is not None
        await message.reply_text(text)
    if update.callback_query is not None:
        answer = _short(result.answer) if result.answer else None
        await update.callback_query.answer(answer, show_alert=result.alert)


async def _send(context: Context, message: Message | None, send: svc.Send) -> svc.Sent | None:
    """One message of a result: a reply in this chat, or a message elsewhere (None if that chat refused it)."""
    try:
        if send.chat_id is None:
            assert message is not None
            msg = await message.reply_text(send.text, reply_markup=markup(send.buttons), do_quote=True)
        else:
            msg = await context.bot.send_message(
                send.chat_id, send.text, reply_markup=markup(send.buttons),
                reply_to_message_id=send.reply_to, allow_sending_without_reply=True,
            )
    except (Forbidden, BadRequest) as exc:
        if send.chat_id is None:
            raise
        log.warning(
            "Không gửi được tới %s: %s", send.chat_id, exc.message,
            extra={"event": "reply.failed", "fields": {"chat_id": send.chat_id, "error": exc.message}},
        )
        return None
    return svc.Sent(send, msg.chat_id, msg.message_id)


async def _edit(context: Context, edit: svc.Edit) -> None:
    try:
        await context.bot.edit_message_text(
            edit.text, chat_id=edit.chat_id, message_id=edit.message_id, reply_markup=markup(edit.buttons)
        )
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            log.warning(
                "Không sửa được tin nhắn %s/%s: %s", edit.chat_id, edit.message_id, exc.message,
                extra={"event": "edit.failed",
                       "fields": {"chat_id": edit.chat_id, "message_id": edit.message_id, "error": exc.message}},
            )


def _pressed(update: Update) -> tuple[str, Message]:
    query = update.callback_query
    assert query is not None and query.data is not None and isinstance(query.message, Message)
    return query.data, query.message


# --- buttons --------------------------------------------------------------------------------------


async def task_button(update: Update, context: Context) -> None:
    """u:<item> under a reminder (tap 1): the task card with the four choices."""
    data, message = _pressed(update)
    press = parse(data, OpenCard)
    result = await _run(update, context, lambda s, env: svc.show_card(s, env, due_item_id=press.due_item_id),
                        source=ChangeSource.BUTTON, message_id=message.message_id)
    await _deliver(update, context, result)


async def card_button(update: Update, context: Context) -> None:
    """A choice on a task card (tap 2, or 3 for a progress figure)."""
    data, message = _pressed(update)
    press = parse(data, CardChoice)
    result = await _run(
        update, context,
        lambda s, env: svc.card_choice(s, env, due_item_id=press.due_item_id, version=press.version, action=press.action),
        source=ChangeSource.BUTTON, message_id=message.message_id,
    )
    await _deliver(update, context, result)


async def undo_button(update: Update, context: Context) -> None:
    """↩️ Hoàn tác: a new history row restores what the change replaced."""
    data, message = _pressed(update)
    press = parse(data, Undo)
    original = message.text_html if message.text else ""
    result = await _run(
        update, context,
        lambda s, env: svc.undo_change(s, env, change_id=press.change_id, message_html=original,
                                       other_buttons=_other_buttons(message, data)),
        source=ChangeSource.BUTTON, message_id=message.message_id,
    )
    await _deliver(update, context, result)


def _other_buttons(message: Message, data: str) -> list[list[tuple[str, str]]]:
    """The message's buttons but the one pressed (several undo buttons under one confirmation)."""
    if message.reply_markup is None:
        return []
    rows = [
        [(b.text, str(b.callback_data)) for b in row if b.callback_data and b.callback_data != data]
        for row in message.reply_markup.inline_keyboard
    ]
    return [row for row in rows if row]


async def confirm_button(update: Update, context: Context) -> None:
    """rc:<prompt>:<option>: record the option chosen (or nothing: "Không phải")."""
    data, message = _pressed(update)
    press = parse(data, ConfirmOption)
    result = await _run(
        update, context,
        lambda s, env: svc.confirm_option(s, env, at=message.message_id, prompt_id=press.prompt_id, option=press.option),
        source=ChangeSource.CHAT, message_id=None,
    )
    await _deliver(update, context, result)


async def prompt_cancel(update: Update, context: Context) -> None:
    """pc:<prompt>: stop waiting for a blocker's line or an extension date."""
    data, message = _pressed(update)
    press = parse(data, CancelPrompt)
    result = await _run(update, context, lambda s, env: svc.cancel_prompt(s, env, prompt_id=press.prompt_id),
                        source=ChangeSource.BUTTON, message_id=message.message_id)
    await _deliver(update, context, result)


async def extension_button(update: Update, context: Context) -> None:
    """gh:<request>:ok|no in the leaders' chat (or an admin's private chat)."""
    data, message = _pressed(update)
    press = parse(data, DecideExtension)
    result = await _run(
        update, context, lambda s, env: svc.answer_extension(s, env, request_id=press.request_id, approve=press.approve),
        source=ChangeSource.BUTTON, message_id=message.message_id,
    )
    await _deliver(update, context, result)


# --- commands ---------------------------------------------------------------------------------------


def _split_code(args: Sequence[str]) -> tuple[int | None, str]:
    """'NV12 xong' or 'NV 12 xong' → (12, 'xong')."""
    if not args:
        return None, ""
    code = parse_task_code(args[0])
    if code is not None:
        return code, " ".join(args[1:])
    if len(args) > 1:
        code = parse_task_code(args[0] + args[1])
        if code is not None:
            return code, " ".join(args[2:])
    return None, ""


async def capnhat(update: Update, context: Context) -> None:
    """/capnhat <mã> <trạng thái> [ghi chú]: the same words as a reply, for a task code."""
    message = update.effective_message
    assert message is not None
    task_id, words = _split_code(context.args or [])
    if task_id is None:
        await message.reply_text(texts.CAPNHAT_USAGE)
        return
    edited_at = message.date if update.edited_message is not None else None
    result = await _run(update, context,
                        lambda s, env: svc.report(s, env, task_id=task_id, words=words, edited_at=edited_at),
                        source=ChangeSource.COMMAND, message_id=message.message_id)
    await _deliver(update, context, result)


async def nhiemvu_buttons(update: Update, context: Context) -> None:
    """After /nhiemvu <mã> (handlers.progress answers first): the card with the four choices,
    when this chat may update the task."""
    message = update.effective_message
    assert message is not None
    task_id, _ = _split_code(context.args or [])
    if task_id is None:
        return
    result = await _run(update, context, lambda s, env: svc.card_for_code(s, env, task_id=task_id),
                        source=ChangeSource.COMMAND, message_id=message.message_id)
    await _deliver(update, context, result)


async def giahan(update: Update, context: Context) -> None:
    """/giahan: the extension requests waiting for a decision (leaders' chat, admins)."""
    message = update.effective_message
    assert message is not None
    result = await _run(update, context, svc.pending_extensions, source=ChangeSource.COMMAND, message_id=message.message_id)
    await _deliver(update, context, result)


# --- replies to the bot's messages -------------------------------------------------------------------


class _ReplyToBot(filters.MessageFilter):
    """A message answering a bot's message (the handler checks it is this bot)."""

    def filter(self, message: Message) -> bool:
        target = message.reply_to_message
        return bool(target is not None and target.from_user is not None and target.from_user.is_bot)


REPLY_TO_BOT = _ReplyToBot(name="reply_to_bot")


def _replied(update: Update, context: Context) -> tuple[Message, Message] | None:
    """The message and the message of this bot it answers (None: another bot's)."""
    message = update.effective_message
    assert message is not None and message.reply_to_message is not None
    target = message.reply_to_message
    if target.from_user is None or target.from_user.id != context.bot.id:
        return None
    return message, target


async def text_reply(update: Update, context: Context) -> None:
    """A text answering one of the bot's messages: a prompt's answer or a status reply."""
    replied = _replied(update, context)
    if replied is None:
        return
    message, target = replied
    assert message.text is not None
    edited_at = message.date if update.edited_message is not None else None
    result = await _run(
        update, context,
        lambda s, env: svc.reply(s, env, replied_to=target.message_id, text=message.text or "", edited_at=edited_at),
        source=ChangeSource.CHAT, message_id=message.message_id,
    )
    if result.handled:
        await _deliver(update, context, result)


async def plain_text(update: Update, context: Context) -> None:
    """A group message that replies to nobody's message of the bot: "5 xong" typed straight.
    The bot only receives it when it is an admin of the group (privacy mode); see
    `svc.plain_message` for when it is a report (otherwise: silence)."""
    message = update.effective_message
    assert message is not None and message.text is not None
    edited_at = message.date if update.edited_message is not None else None
    result = await _run(
        update, context,
        lambda s, env: svc.plain_message(s, env, text=message.text or "", edited_at=edited_at),
        source=ChangeSource.CHAT, message_id=message.message_id,
    )
    if result.handled:
        await _deliver(update, context, result)


async def file_reply(update: Update, context: Context) -> None:
    """A document or photo answering a task's message: evidence (the caption may set a status)."""
    replied = _replied(update, context)
    if replied is None:
        return
    message, target = replied
    evidence = partial(
        svc.attach_evidence, replied_to=target.message_id, caption=message.caption or "", file=_file_of(message),
        edited_at=message.date if update.edited_message is not None else None,
    )
    result = await _run(update, context, evidence, source=ChangeSource.CHAT, message_id=message.message_id)
    if result.handled:
        await _deliver(update, context, result)
    elif message.document is not None and message.chat.type == ChatType.PRIVATE:  # a plan file sent as a reply
        await uploads.document(update, context)


def _file_of(message: Message) -> dict[str, Any]:
    """The document, or the largest size of the photo (a photo has no name)."""
    if message.document is not None:
        doc = message.document
        return {
            "kind": "document", "file_id": doc.file_id, "file_unique_id": doc.file_unique_id,
            "name": doc.file_name, "mime_type": doc.mime_type, "size": doc.file_size, "message_id": message.message_id,
        }
    photo = max(message.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
    return {
        "kind": "photo", "file_id": photo.file_id, "file_unique_id": photo.file_unique_id,
        "name": None, "mime_type": "image/jpeg", "size": photo.file_size, "message_id": message.message_id,
    }


def register(app: BotApp) -> None:
    """Status handlers. In group 0 they must come before uploads.register (a document
    answering a task's message is evidence, not a plan) and before the private-chat fallback;
    the /nhiemvu card goes in group 1, after handlers.progress has answered the command."""
    app.add_handler(CallbackQueryHandler(task_button, pattern=matches(OpenCard)))
    app.add_handler(CallbackQueryHandler(card_button, pattern=matches(CardChoice)))
    app.add_handler(CallbackQueryHandler(undo_button, pattern=matches(Undo)))
    app.add_handler(CallbackQueryHandler(confirm_button, pattern=matches(ConfirmOption)))
    app.add_handler(CallbackQueryHandler(prompt_cancel, pattern=matches(CancelPrompt)))
    app.add_handler(CallbackQueryHandler(extension_button, pattern=matches(DecideExtension)))
    app.add_handler(CommandHandler("capnhat", capnhat))
    app.add_handler(CommandHandler("giahan", giahan))
    app.add_handler(MessageHandler(REPLY_TO_BOT & (filters.Document.ALL | filters.PHOTO), file_reply))
    app.add_handler(MessageHandler(REPLY_TO_BOT & filters.TEXT & ~filters.COMMAND, text_reply))
    # After the replies: plain group text reaches the bot only when it is a group admin.
    app.add_handler(
        MessageHandler(filters.ChatType.GROUPS & filters.TEXT & ~filters.COMMAND & ~REPLY_TO_BOT, plain_text)
    )
    app.add_handler(CommandHandler("nhiemvu", nhiemvu_buttons), group=1)
