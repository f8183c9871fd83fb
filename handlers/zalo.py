"""/zalo: a one-time code that links a focal point's Zalo account to an agency.

In an agency's bound group anyone in it (the group's membership is checked by the guard)
gets a code for that agency; an admin in a private chat names the agency (`/zalo Sở Tư
pháp`, buttons "zl:<agency id>" when several match). The person sends the code to the
Zalo bot (`/lienket ABCD-2345`); bot.services.zalo does the rest.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.context import AsyncSession, BotApp, Context
from bot.domain.callbacks import LinkZalo, matches
from bot.render import help as texts
from bot.render import zalo as ztexts
from bot.services import zalo as zalo_service
from bot.services.chats import ScopeKind
from handlers.binding import agency_from_args
from handlers.common import (
    admin_agency_button,
    for_agency,
    is_admin,
    is_private,
    reply,
    scope_of,
    services,
    transaction,
)


async def zalo(update: Update, context: Context) -> None:
    """/zalo (agency group) or /zalo <cơ quan> (an admin, private): a one-time link code."""
    if not services(context).settings.zalo_bot_token:
        await reply(update, ztexts.NOT_CONFIGURED)
        return
    if is_private(update) and not is_admin(update, context):
        await reply(update, ztexts.LINK_USAGE)
        return
    agency_id = await (_named_agency(update, context) if is_private(update) else _group_agency(update, context))
    if agency_id is not None:
        await for_agency(update, context, agency_id, _link_code, edit=False)


async def _named_agency(update: Update, context: Context) -> int | None:
    """An admin's private chat: the agency typed after /zalo (None once answered instead)."""
    return await agency_from_args(update, context, command="zalo", button=LinkZalo)


async def _group_agency(update: Update, context: Context) -> int | None:
    """An agency's bound group: its agency (None once told the group is not bound)."""
    async with transaction(context) as session:
        scope = await scope_of(session, update, context)
    if scope.kind is ScopeKind.AGENCY and scope.agency is not None:
        return scope.agency.id
    await reply(update, texts.NOT_REGISTERED_GROUP)
    return None


async def zalo_choice(update: Update, context: Context) -> None:
    """A press on one of /zalo's agency buttons (admins, private chat)."""
    await admin_agency_button(update, context, button=LinkZalo, act=_link_code)


async def _link_code(session: AsyncSession, agency: Any, update: Update, context: Context) -> str:
    user = update.effective_user
    settings = services(context).settings
    code, expires = await zalo_service.issue_link_code(
        session, agency_id=agency.id, by_tg_id=user.id if user else None, now=services(context).now()
    )
    return ztexts.link_code_text(
        agency_name=agency.name, code=code, expires_at_local=expires.astimezone(settings.tz),
        bot_name=services(context).zalo_bot_name,
    )


def register(app: BotApp) -> None:
    app.add_handler(CommandHandler("zalo", zalo))
    app.add_handler(CallbackQueryHandler(zalo_choice, pattern=matches(LinkZalo)))
