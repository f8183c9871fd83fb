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

from telegram import Document, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatAction
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.context import BotApp, Context
from bot.domain.calendar import parse_day
from bot.domain.callbacks import DecideUpload, FollowUpload, decode, encode, matches
from bot.domain.imports import ImportReport
from bot.domain.plans.document import PlanReadError
from bot.domain.plans.draft import PlanDraft
from bot.domain.plans.parser import PlanProvinceMismatch, PlanProvinceUnknown
from bot.render import admin as admin_render
from bot.render import help as texts
from bot.render import provinces as province_texts
from bot.render.imports import import_summary, report_details
from bot.services import uploads as upload_service
from bot.services.importing import PlanImportError
from handlers.common import is_admin, reply, reply_all, services, transaction, user_name

log = logging.getLogger("nhacviec.handlers")

PLAN_ERRORS = (PlanReadError, PlanProvinceUnknown, PlanImportError)
FollowFrom = date | Literal["start"] | None  # a day, the plan's start, or as stored with the upload


def _confirm_markup(upload_id: int, *, follow: bool = False) -> InlineKeyboardMarkup:
    if follow:
        return InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(admin_render.BTN_FOLLOW_TODAY, callback_data=encode(FollowUpload(False, upload_id))),
                    InlineKeyboardButton(admin_render.BTN_FOLLOW_START, callback_data=encode(FollowUpload(True, upload_id))),
                ],
                [InlineKeyboardButton(admin_render.BTN_CANCEL_UPLOAD, callback_data=encode(DecideUpload(False, upload_id)))],
            ]
        )
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(admin_render.BTN_IMPORT, callback_data=encode(DecideUpload(True, upload_id))),
                InlineKeyboardButton(admin_render.BTN_CANCEL_UPLOAD, callback_data=encode(DecideUpload(False, upload_id))),
            ]
        ]
    )


def _error_text(exc: Exception) -> str:
    return admin_render.upload_error(getattr(exc, "message", None) or str(exc))


async def document(update: Update, context: Context) -> None:
    """A file in a private chat: an admin's plan is read and summarised, nothing stored yet."""
    message = update.effective_message
    assert message is not None and message.document is not None
    doc = message.document
    name = doc.file_name or admin_render.DEFAULT_PLAN_NAME
    if (refusal := _refusal(update, context, name, doc.file_size)) is not None:
        await reply(update, refusal)
        return
    status = await reply(update, admin_render.READING)
    if (read := await _read(context, status, doc, name, message.caption)) is not None:
        await _stage(update, context, status, doc, read)


async def _stage(update: Update, context: Context, status: Message, doc: Document, read: tuple[PlanDraft, bytes]) -> None:
    """Keep the plan read (not one of another province) until an admin decides; show its summary."""
    chat, user, svc = update.effective_chat, update.effective_user, services(context)
    assert chat is not None and user is not None
    draft, data = read
    if (other := upload_service.foreign_province(draft, settings=svc.settings, catalog=svc.catalog, user_id=user.id)) is not None:
        await status.edit_text(admin_render.upload_other_province(other))
        return
    async with transaction(context) as session:
        staged = await upload_service.stage_summary(
            session, draft=draft, data=data, file_name=doc.file_name or admin_render.DEFAULT_PLAN_NAME, file_id=doc.file_id,
            user_id=user.id, chat_id=chat.id, settings=svc.settings, catalog=svc.catalog, now=svc.now(),
        )
    await _send_summary(update, status, staged)


def _refusal(update: Update, context: Context, name: str, size: int | None) -> str | None:
    """Why the file is not read at all (not an admin, not a plan file, too big)."""
    if not is_admin(update, context):
        return admin_render.UPLOAD_ADMIN_ONLY
    settings = services(context).settings
    problem = upload_service.file_problem(settings, file_name=name, size=size)
    if problem is upload_service.FileProblem.BAD_TYPE:
        return admin_render.upload_bad_type(name)
    if problem is upload_service.FileProblem.TOO_BIG:
        return admin_render.upload_too_big(name, settings.max_upload_mb)
    return None


async def _read(
    context: Context, status: Message, doc: Document, name: str, caption: str | None
) -> tuple[PlanDraft, bytes] | None:
    """Download and read the plan ("typing…" meanwhile); None once `status` tells why not."""
    svc = services(context)
    await context.bot.send_chat_action(status.chat_id, ChatAction.TYPING)
    try:
        data = bytes(await (await doc.get_file()).download_as_bytearray())
        draft = await upload_service.parse(
            data, name, settings=svc.settings, catalog=svc.catalog, force_province=upload_service.wants_force(caption)
        )
    except PlanProvinceMismatch as exc:
        await status.edit_text(_error_text(exc) + province_texts.FORCE_HINT_BOT)
        return None
    except (PlanReadError, PlanProvinceUnknown) as exc:
        await status.edit_text(_error_text(exc))
        return None
    except BadRequest as exc:  # e.g. "file is too big": bots download at most 20 MB
        await status.edit_text(admin_render.download_failed(exc.message))
        return None
    return draft, data


async def _send_summary(update: Update, status: Message, staged: upload_service.Staged) -> None:
    """The "reading…" message becomes the summary; the buttons go under the last part."""
    markup = _confirm_markup(staged.upload_id, follow=staged.ask_follow)
    pages = staged.pages
    await status.edit_text(pages[0], reply_markup=markup if len(pages) == 1 else None)
    for number, page in enumerate(pages[1:], start=2):
        await reply(update, page, markup if number == len(pages) else None)


async def upload_button(update: Update, context: Context) -> None:
    """Nhập kế hoạch / Hủy (or Theo dõi từ hôm nay / Từ đầu kế hoạch) under an upload summary."""
    query = update.callback_query
    assert query is not None and query.data is not None and query.from_user is not None
    press = decode(query.data)
    assert isinstance(press, (DecideUpload, FollowUpload))
    if (refusal := await _button_refusal(update, context, press.upload_id)) is not None:
        await query.answer(refusal, show_alert=True)
        return
    if isinstance(press, DecideUpload) and not press.approve:
        await _cancel(update, context, press.upload_id)
        return
    await query.answer(admin_render.UPLOAD_IMPORTING)
    await _import(update, context, press.upload_id, _follow_from(context, press), query.message)


async def _button_refusal(update: Update, context: Context, upload_id: int) -> str | None:
    """Only an admin, and only for an upload of this chat (a stale or forged button)."""
    chat = update.effective_chat
    if not is_admin(update, context) or chat is None:
        return texts.NOT_ALLOWED_BUTTON
    async with transaction(context) as session:
        owned = await upload_service.belongs_to(session, upload_id=upload_id, tg_chat_id=chat.id)
    return None if owned else texts.BAD_BUTTON


async def _cancel(update: Update, context: Context, upload_id: int) -> None:
    query = update.callback_query
    assert query is not None
    async with transaction(context) as session:
        cancelled = await upload_service.cancel(session, upload_id=upload_id, now=services(context).now())
    await query.answer()
    await _drop_buttons(query.message)
    await reply(update, admin_render.UPLOAD_CANCELLED if cancelled else admin_render.UPLOAD_STALE)


def _follow_from(context: Context, press: DecideUpload | FollowUpload) -> FollowFrom:
    """From which day the bot follows the plan: as stored (an approval), its start, or today."""
    if not isinstance(press, FollowUpload):
        return None
    svc = services(context)
    return "start" if press.from_start else svc.now().astimezone(svc.settings.tz).date()


async def theodoitu(update: Update, context: Context) -> None:
    """/theodoitu 01/12/2026 — import the plan file waiting in this chat, followed from that day."""
    chat = update.effective_chat
    if chat is None or not is_admin(update, context):
        await reply(update, admin_render.UPLOAD_ADMIN_ONLY)
        return
    if (day := parse_day(" ".join(context.args or []))) is None:
        await reply(update, admin_render.FOLLOW_USAGE)
        return
    async with transaction(context) as session:
        upload_id = await upload_service.latest_pending(session, chat_id=chat.id)
    if upload_id is None:
        await reply(update, admin_render.UPLOAD_STALE)
        return
    await _import(update, context, upload_id, day, None)


async def _import(update: Update, context: Context, upload_id: int, follow_from: FollowFrom, summary: object) -> None:
    """Import the upload (followed from `follow_from`), drop the summary's buttons, tell what changed."""
    chat, user, svc = update.effective_chat, update.effective_user, services(context)
    assert chat is not None and user is not None
    await context.bot.send_chat_action(chat.id, ChatAction.TYPING)
    try:
        async with transaction(context) as session:
            result = await upload_service.confirm(
                session, upload_id=upload_id, admin_name=user_name(update), settings=svc.settings, catalog=svc.catalog,
                now=svc.now(), actor_tg_id=user.id, follow_from=follow_from,
            )
    except PLAN_ERRORS as exc:  # rolled back: the upload stays pending
        await reply(update, _error_text(exc))
        return
    await _drop_buttons(summary)
    await _tell_imported(update, result.report, user.id)


async def _tell_imported(update: Update, report: ImportReport | None, user_id: int) -> None:
    if report is None:  # decided meanwhile
        await reply(update, admin_render.UPLOAD_STALE)
        return
    _log_import(report, user_id)
    await reply_all(update, admin_render.import_result_messages(import_summary(report), report_details(report)))


def _log_import(report: ImportReport, user_id: int) -> None:
    log.info(
        "Đã nhập %s qua bot (quản trị viên %s): %s", report.plan_number, user_id, import_summary(report),
        extra={"event": "plan.imported", "fields": {
            "plan_id": report.plan_id, "plan_number": report.plan_number,
            "province": report.province, "created": report.created,
            "tasks": report.task_count, "due_items": report.due_count,
            "tasks_added": len(report.tasks_added), "tasks_updated": len(report.tasks_updated),
            "tasks_removed": len(report.tasks_removed), "due_added": len(report.due_added),
            "due_cancelled": len(report.due_cancelled), "user_id": user_id, "source": "bot",
            "follow_from": str(report.follow_from or ""), "due_unknown": report.due_unknown,
        }},
    )


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
