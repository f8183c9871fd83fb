"""/tiendo, /quahan, /sapden, /nhiemvu, /coquan and their page and choice buttons.

What a chat sees is decided by its scope (bot.services.chats): an agency chat its
agency, the leaders' chat and an admin's private chat the province. Buttons carry
only what to recompute ("pg:<kind>:<arg>:<page>", "td:<agency id>"), and the press
is checked against the scope of the chat it was pressed in.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.context import AsyncSession, BotApp, Context
from bot.domain.callbacks import AgencyProgress, Page, PageKind, matches, parse
from bot.domain.codes import parse_task_code
from bot.render import help as texts
from bot.render.task import task_not_found
from bot.services import progress as views
from bot.services.chats import Scope, ScopeKind
from bot.services.progress import province_tz
from handlers.common import (
    lookup_reply,
    no_data_text,
    reply,
    reply_all,
    scope_of,
    send_pages,
    services,
    show_page,
    today_for,
    transaction,
)

KIND_PROGRESS, KIND_OVERDUE, KIND_SOON = PageKind.TIENDO, PageKind.QUAHAN, PageKind.SAPDEN


async def _pages(
    session: AsyncSession, scope: Scope, context: Context, kind: PageKind, arg: int
) -> list[str] | None:
    """The pages of a paged answer, recomputed for the chat's scope (None: not allowed)."""
    today = today_for(scope, context)
    if kind == KIND_PROGRESS:
        return await views.progress_pages(session, scope=scope, today=today, agency_id=arg or None)
    if kind == KIND_OVERDUE:
        return await views.overdue_pages(session, scope=scope, today=today)
    if kind == KIND_SOON:
        days = arg if 1 <= arg <= views.MAX_SOON_DAYS else views.DEFAULT_SOON_DAYS
        return await views.upcoming_pages(session, scope=scope, today=today, days=days)
    return None


async def tiendo(update: Update, context: Context) -> None:
    """/tiendo [cơ quan]: progress of this chat's agency, or of the province / one agency."""
    query = " ".join(context.args or []).strip()
    async with transaction(context) as session:
        scope = await scope_of(session, update, context)
        answer = await views.progress_answer(
            session, scope=scope, catalog=services(context).catalog, query=query, today=today_for(scope, context)
        )
    if answer.lookup is not None:
        await reply(update, *lookup_reply(query, answer.lookup, AgencyProgress))
    elif answer.pages is None:
        await reply(update, no_data_text(scope))
    else:
        await send_pages(update, answer.pages, kind=KIND_PROGRESS, arg=answer.agency_id)


async def tiendo_choice(update: Update, context: Context) -> None:
    """A press on one of /tiendo's agency buttons (leaders' chat, admin's private chat)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    agency_id = parse(query.data, AgencyProgress).agency_id
    async with transaction(context) as session:
        scope = await scope_of(session, update, context)
        pages = (
            await _pages(session, scope, context, KIND_PROGRESS, agency_id) if scope.province_wide else None
        )
    if pages is None or query.message is None:
        await query.answer(texts.NOT_ALLOWED_BUTTON, show_alert=True)
        return
    await query.answer()
    await show_page(query.message, pages, kind=KIND_PROGRESS, arg=agency_id, page=0)  # type: ignore[arg-type]


async def quahan(update: Update, context: Context) -> None:
    """/quahan: overdue items in this chat's scope."""
    await _list(update, context, KIND_OVERDUE, 0)


async def sapden(update: Update, context: Context) -> None:
    """/sapden [số ngày]: items due within the next days (14 by default)."""
    days = views.DEFAULT_SOON_DAYS
    if context.args:
        raw = context.args[0]
        if not raw.isdigit() or not 1 <= int(raw) <= views.MAX_SOON_DAYS:
            await reply(update, texts.sapden_usage(views.MAX_SOON_DAYS))
            return
        days = int(raw)
    await _list(update, context, KIND_SOON, days)


async def _list(update: Update, context: Context, kind: PageKind, arg: int) -> None:
    async with transaction(context) as session:
        scope = await scope_of(session, update, context)
        pages = await _pages(session, scope, context, kind, arg)
    if pages is None:
        await reply(update, no_data_text(scope))
        return
    await send_pages(update, pages, kind=kind, arg=arg)


async def page_button(update: Update, context: Context) -> None:
    """◀ ▶ on a paged list: recompute for the chat's scope, show the page asked for."""
    query = update.callback_query
    assert query is not None and query.data is not None
    press = parse(query.data, Page)
    async with transaction(context) as session:
        scope = await scope_of(session, update, context)
        pages = await _pages(session, scope, context, press.kind, press.arg)
    if not pages or query.message is None:
        await query.answer(texts.NOT_ALLOWED_BUTTON, show_alert=True)
        return
    await query.answer()
    await show_page(query.message, pages, kind=press.kind, arg=press.arg, page=press.page)  # type: ignore[arg-type]


async def nhiemvu(update: Update, context: Context) -> None:
    """/nhiemvu <mã>: one task in full, if this chat may see it."""
    raw = " ".join(context.args or []).strip()
    if (task_id := parse_task_code(raw)) is None:
        await reply(update, texts.usage("nhiemvu", "NV12"))
        return
    async with transaction(context) as session:
        scope = await scope_of(session, update, context)
        tz = province_tz(scope, services(context).settings.timezone)
        pages = await views.task_pages(session, scope=scope, task_id=task_id, today=today_for(scope, context), tz=tz)
    if scope.kind is ScopeKind.NONE:
        await reply(update, no_data_text(scope))
    else:
        await (reply_all(update, pages) if pages is not None else reply(update, task_not_found(raw)))


async def coquan(update: Update, context: Context) -> None:
    """/coquan: agencies with their bound chats and task counts (admins, private chat)."""
    async with transaction(context) as session:
        scope = await scope_of(session, update, context)
        pages = await views.agencies_pages(session, scope=scope)
    if pages is None:
        await reply(update, texts.ADMIN_ONLY)
        return
    await reply_all(update, pages)


def register(app: BotApp) -> None:
    app.add_handler(CommandHandler("tiendo", tiendo))
    app.add_handler(CommandHandler("quahan", quahan))
    app.add_handler(CommandHandler("sapden", sapden))
    app.add_handler(CommandHandler("nhiemvu", nhiemvu))
    app.add_handler(CommandHandler("coquan", coquan))
    app.add_handler(CallbackQueryHandler(tiendo_choice, pattern=matches(AgencyProgress)))
    app.add_handler(CallbackQueryHandler(page_button, pattern=matches(Page)))
