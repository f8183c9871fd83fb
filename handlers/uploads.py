"""Plans sent as files in an admin's private chat: summary first, stored on confirmation.

Buttons: "up:ok:<upload id>" imports, "up:no:<upload id>" cancels; for a new plan already
under way, "uf:td:<id>" imports it followed from today (past due dates "chưa cập nhật") and
"uf:all:<id>" from the plan's start, and `/theodoitu 01/12/2026` from a typed day. Each
re-checks that the presser is an admin and that the upload belongs to this chat, and a
decided upload stays decided (bot.services.uploads).
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Literal

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatAction
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.context import BotApp, Context
from bot.domain.calendar import parse_day
from bot.domain.callbacks import DecideUpload, FollowUpload, decode, encode, matches
from bot.domain.plans.document import PlanReadError
from bot.domain.plans.parser import PlanProvinceMismatch, PlanProvinceUnknown
from bot.render import admin as admin_render
from bot.render import help as texts
from bot.render import provinces as province_texts
from bot.render.imports import import_summary, report_details
from bot.services import uploads as upload_service
from bot.services.importing import PlanImportError
from handlers.common import is_admin, reply, services, transaction, user_name

log = logging.getLogger("nhacviec.handlers")

PLAN_ERRORS = (PlanReadError, PlanProvinceUnknown, PlanImportError)


def _confirm_markup(upload_id: int, *, follow: bool = False) -> InlineKeyboardMarkup:
    if follow:
        return InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(admin_render.BTN_FOLLOW_TODAY, callback_data=encode(FollowUpload(False, upload_id))),
                    InlineKeyboardButton(admin_render.BTN_FOLLOW_START, callback_data=encode(FollowUpload(True, upload_id))),
                ],
                [InlineKeyboardButton("✖ Hủy", callback_data=encode(DecideUpload(False, upload_id)))],
            ]
        )
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("✅ Nhập kế hoạch", callback_data=encode(DecideUpload(True, upload_id))),
                InlineKeyboardButton("✖ Hủy", callback_data=encode(DecideUpload(False, upload_id))),
            ]
        ]
    )


def _error_text(exc: Exception) -> str:
    return admin_render.upload_error(getattr(exc, "message", None) or str(exc))


async def document(update: Update, context: Context) -> None:
    """A file in a private chat: an admin's plan is read and summarised, nothing stored yet."""
    message = update.effective_message
    chat = update.effective_chat
    user = update.effective_user
    assert message is not None and message.document is not None and chat is not None and user is not None
    if not is_admin(update, context):
        await reply(update, admin_render.UPLOAD_ADMIN_ONLY)
        return
    svc = services(context)
    doc = message.document
    name = doc.file_name or "kế hoạch"
    if not upload_service.accepted_name(name):
        await reply(update, admin_render.upload_bad_type(name))
        return
    if doc.file_size is not None and doc.file_size > upload_service.max_bytes(svc.settings):
        await reply(update, admin_render.upload_too_big(name, svc.settings.max_upload_mb))
        return

    status = await reply(update, admin_render.READING)
    await context.bot.send_chat_action(chat.id, ChatAction.TYPING)
    try:
        file = await doc.get_file()
        data = bytes(await file.download_as_bytearray())
        draft = await upload_service.parse(
            data,
            name,
            settings=svc.settings,
            catalog=svc.catalog,
            force_province=upload_service.wants_force(message.caption),
        )
    except PlanProvinceMismatch as exc:
        await status.edit_text(_error_text(exc) + province_texts.FORCE_HINT_BOT)
        return
    except (PlanReadError, PlanProvinceUnknown) as exc:
        await status.edit_text(_error_text(exc))
        return
    except BadRequest as exc:  # e.g. "file is too big": bots download at most 20 MB
        await status.edit_text(admin_render.upload_error(f"Không tải được tệp từ Telegram: {exc.message}"))
        return
    slug = draft.meta.province
    if slug is not None and not svc.settings.admins.administers(user.id, slug):
        await status.edit_text(admin_render.upload_other_province(svc.catalog.directory(slug).province.name))
        return
    async with transaction(context) as session:
        upload = await upload_service.stage(
            session, draft=draft, data=data, file_name=name, file_id=doc.file_id,
            user_id=user.id, chat_id=chat.id, now=svc.now(),
        )
        upload_id = upload.id
        today = svc.now().astimezone(svc.settings.tz).date()
        past = await upload_service.follow_question(session, draft=draft, today=today)
    pages = upload_service.summary_messages(draft, catalog=svc.catalog, past=past, today=today)
    markup = _confirm_markup(upload_id, follow=past is not None)
    # The "reading…" message becomes the summary; the buttons go under the last part.
    await status.edit_text(pages[0], reply_markup=markup if len(pages) == 1 else None)
    for number, page in enumerate(pages[1:], start=2):
        await reply(update, page, markup if number == len(pages) else None)


async def upload_button(update: Update, context: Context) -> None:
    """Nhập kế hoạch / Hủy (or Theo dõi từ hôm nay / Từ đầu kế hoạch) under an upload summary."""
    query = update.callback_query
    assert query is not None and query.data is not None and query.from_user is not None
    chat = update.effective_chat
    press = decode(query.data)
    assert isinstance(press, (DecideUpload, FollowUpload))
    upload_id = press.upload_id
    svc = services(context)
    if not is_admin(update, context) or chat is None:
        await query.answer(texts.NOT_ALLOWED_BUTTON, show_alert=True)
        return
    async with transaction(context) as session:
        owned = await upload_service.belongs_to(session, upload_id=upload_id, tg_chat_id=chat.id)
    if not owned:
        await query.answer(texts.BAD_BUTTON, show_alert=True)
        return

    if isinstance(press, DecideUpload) and not press.approve:
        async with transaction(context) as session:
            cancelled = await upload_service.cancel(session, upload_id=upload_id, now=svc.now())
        await query.answer()
        await _drop_buttons(query.message)
        await reply(update, admin_render.UPLOAD_CANCELLED if cancelled else admin_render.UPLOAD_STALE)
        return

    await query.answer(admin_render.UPLOAD_IMPORTING)
    follow_from: date | Literal["start"] | None = None
    if isinstance(press, FollowUpload):
        follow_from = "start" if press.from_start else svc.now().astimezone(svc.settings.tz).date()
    await _import(update, context, upload_id, follow_from, query.message)


async def theodoitu(update: Update, context: Context) -> None:
    """/theodoitu 01/12/2026 — import the plan file waiting in this chat, followed from that day."""
    chat = update.effective_chat
    if chat is None or not is_admin(update, context):
        await reply(update, admin_render.UPLOAD_ADMIN_ONLY)
        return
    day = parse_day(" ".join(context.args or []))
    if day is None:
        await reply(update, admin_render.FOLLOW_USAGE)
        return
    async with transaction(context) as session:
        upload = await upload_service.latest_pending(session, chat_id=chat.id)
        upload_id = upload.id if upload is not None else None
    if upload_id is None:
        await reply(update, admin_render.UPLOAD_STALE)
        return
    await _import(update, context, upload_id, day, None)


async def _import(
    update: Update, context: Context, upload_id: int, follow_from: date | Literal["start"] | None, summary: object
) -> None:
    chat = update.effective_chat
    user = update.effective_user
    assert chat is not None and user is not None
    svc = services(context)
    await context.bot.send_chat_action(chat.id, ChatAction.TYPING)
    try:
        async with transaction(context) as session:
            result = await upload_service.confirm(
                session, upload_id=upload_id, admin_name=user_name(update),
                settings=svc.settings, catalog=svc.catalog, now=svc.now(), actor_tg_id=user.id,
                follow_from=follow_from,
            )
    except PLAN_ERRORS as exc:  # rolled back: the upload stays pending
        await reply(update, _error_text(exc))
        return
    await _drop_buttons(summary)
    if result.report is None:
        await reply(update, admin_render.UPLOAD_STALE)
        return
    log.info(
        "Đã nhập %s qua bot (quản trị viên %s): %s", result.report.plan_number, user.id,
        import_summary(result.report),
        extra={"event": "plan.imported", "fields": {
            "plan_id": result.report.plan_id, "plan_number": result.report.plan_number,
            "province": result.report.province, "created": result.report.created,
            "tasks": result.report.task_count, "due_items": result.report.due_count,
            "tasks_added": len(result.report.tasks_added), "tasks_updated": len(result.report.tasks_updated),
            "tasks_removed": len(result.report.tasks_removed), "due_added": len(result.report.due_added),
            "due_cancelled": len(result.report.due_cancelled), "user_id": user.id, "source": "bot",
            "follow_from": str(result.report.follow_from or ""), "due_unknown": result.report.due_unknown,
        }},
    )
    for page in admin_render.import_result_messages(import_summary(result.report), report_details(result.report)):
        await reply(update, page)


async def _drop_buttons(message: object) -> None:
    if isinstance(message, Message) and message.reply_markup is not None:
        try:
            await message.edit_reply_markup(None)
        except BadRequest:  # already gone
            pass


def register(app: BotApp) -> None:
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & filters.Document.ALL, document))
    app.add_handler(CallbackQueryHandler(upload_button, pattern=matches(DecideUpload)))
    app.add_handler(CallbackQueryHandler(upload_button, pattern=matches(FollowUpload)))
    app.add_handler(CommandHandler("theodoitu", theodoitu, filters=filters.ChatType.PRIVATE))
