"""/zalo: a one-time code that links a focal point's Zalo account to an agency.

In an agency's bound group anyone in it (the group's membership is checked by the guard)
gets a code for that agency; an admin in a private chat names the agency (`/zalo Sở Tư
pháp`, buttons "zl:<agency id>" when several match). The person sends the code to the
Zalo bot (`/lienket ABCD-2345`); bot.services.zalo does the rest.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.context import BotApp, Context
from bot.domain.callbacks import LinkZalo, matches, parse
from bot.render import help as texts
from bot.render import zalo as ztexts
from bot.services import chats as chat_service
from bot.services import zalo as zalo_service
from bot.services.chats import ScopeKind
from handlers.binding import _agency_from_args
from handlers.common import is_admin, is_private, reply, scope_of, services, transaction

NOT_CONFIGURED = "Zalo chưa được cấu hình cho bot này (cần ZALO_BOT_TOKEN)."


async def zalo(update: Update, context: Context) -> None:
    """/zalo (agency group) or /zalo <cơ quan> (an admin, private): a one-time link code."""
    if not services(context).settings.zalo_bot_token:
        await reply(update, NOT_CONFIGURED)
        return
    if is_private(update):
        if not is_admin(update, context):
            await reply(update, ztexts.LINK_USAGE)
            return
        agency_id = await _agency_from_args(update, context, command="zalo", button=LinkZalo)
        if agency_id is not None:
            await _issue(update, context, agency_id, edit=False)
        return
    async with transaction(context) as session:
        scope = await scope_of(session, update, context)
        agency_id = scope.agency.id if scope.kind is ScopeKind.AGENCY and scope.agency is not None else None
    if agency_id is None:
        await reply(update, texts.NOT_REGISTERED_GROUP)
        return
    await _issue(update, context, agency_id, edit=False)


async def zalo_choice(update: Update, context: Context) -> None:
    """A press on one of /zalo's agency buttons (admins, private chat)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    if not is_private(update) or not is_admin(update, context):
        await query.answer(texts.NOT_ALLOWED_BUTTON, show_alert=True)
        return
    await query.answer()
    await _issue(update, context, parse(query.data, LinkZalo).agency_id, edit=True)


async def _issue(update: Update, context: Context, agency_id: int, *, edit: bool) -> None:
    user = update.effective_user
    now = services(context).now()
    settings = services(context).settings
    async with transaction(context) as session:
        scope = await scope_of(session, update, context)
        agency = await chat_service.agency_in_provinces(session, agency_id=agency_id, provinces=scope.provinces)
        if agency is None:
            text = texts.BAD_BUTTON
        else:
            code, expires = await zalo_service.issue_link_code(
                session, agency_id=agency.id, by_tg_id=user.id if user else None, now=now
            )
            text = ztexts.link_code_text(
                agency_name=agency.name, code=code, expires_at_local=expires.astimezone(settings.tz),
                bot_name=services(context).zalo_bot_name,
            )
    if edit and update.callback_query is not None:
        await update.callback_query.edit_message_text(text)
    else:
        await reply(update, text)


def register(app: BotApp) -> None:
    app.add_handler(CommandHandler("zalo", zalo))
    app.add_handler(CallbackQueryHandler(zalo_choice, pattern=matches(LinkZalo)))
