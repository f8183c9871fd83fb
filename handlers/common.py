"""Helpers shared by the handlers: the session per update, the chat's scope, paged answers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, TelegramError

from bot.context import AsyncSession, BotServices, Context
from bot.domain.callbacks import Callback, InviteAgency, LinkZalo, Page, PageKind, encode, parse
from bot.domain.status import ChangeSource
from bot.render import admin as admin_render
from bot.render import help as texts
from bot.services import chats as chat_service
from bot.services import status as status_service
from bot.services.chats import AgencyLookup, Scope, ScopeKind, resolve_scope
from bot.services.progress import local_today, province_tz

PAGE_FOOTER = texts.PAGE_FOOTER


def services(context: Context) -> BotServices:
    return context.bot_data


@asynccontextmanager
async def transaction(context: Context) -> AsyncIterator[AsyncSession]:
    """One session and transaction for the update (committed when the block ends)."""
    async with services(context).sessionmaker() as session, session.begin():
        yield session


def is_private(update: Update) -> bool:
    return update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE


def is_group(update: Update) -> bool:
    return update.effective_chat is not None and update.effective_chat.type in (
        ChatType.GROUP,
        ChatType.SUPERGROUP,
    )


def is_admin(update: Update, context: Context) -> bool:
    """An admin of at least one province: a first gate; which province is checked with the
    data (Scope.is_admin, Scope.admin_of)."""
    user = update.effective_user
    return user is not None and user.id in services(context).settings.admins


# What an admin does for the agency they chose (the row bot.services.chats.agency_in_provinces
# found): the answer's text (HTML), in the update's transaction.
AgencyAction = Callable[[AsyncSession, Any, Update, Context], Awaitable[str]]


async def admin_agency_button(
    update: Update, context: Context, *, button: type[InviteAgency | LinkZalo], act: AgencyAction
) -> None:
    """An admin pressed one of the agency buttons a command offered in a private chat (when
    several agencies matched the name typed): check, then `act` for it in place of the buttons."""
    query = update.callback_query
    assert query is not None and query.data is not None
    if not is_private(update) or not is_admin(update, context):
        await query.answer(texts.NOT_ALLOWED_BUTTON, show_alert=True)
        return
    await query.answer()
    await for_agency(update, context, parse(query.data, button).agency_id, act, edit=True)


async def for_agency(update: Update, context: Context, agency_id: int, act: AgencyAction, *, edit: bool) -> None:
    """`act` for the agency if it is in the chat's provinces (a stale or forged button is
    refused), answered by editing the pressed message (`edit`) or as a reply."""
    async with transaction(context) as session:
        scope = await scope_of(session, update, context)
        agency = await chat_service.agency_in_provinces(session, agency_id=agency_id, provinces=scope.provinces)
        text = texts.BAD_BUTTON if agency is None else await act(session, agency, update, context)
    if edit and update.callback_query is not None:
        await update.callback_query.edit_message_text(text)
    else:
        await reply(update, text)


async def scope_of(session: AsyncSession, update: Update, context: Context) -> Scope:
    chat = update.effective_chat
    user = update.effective_user
    assert chat is not None
    return await resolve_scope(
        session,
        settings=services(context).settings,
        tg_chat_id=chat.id,
        is_private=chat.type == ChatType.PRIVATE,
        user_id=user.id if user else None,
    )


async def open_env(
    session: AsyncSession, update: Update, context: Context, *, source: ChangeSource, message_id: int | None
) -> status_service.Env:
    """Who acts where, for a use case of the status family (SQLite's write lock taken first)."""
    app = services(context)
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None
    return await status_service.open_env(
        session, settings=app.settings, tg_chat_id=chat.id, is_private=chat.type == ChatType.PRIVATE,
        user_id=user.id, user_name=user.full_name, now=app.now(), source=source, message_id=message_id,
    )


async def edit_markup(message: Message, markup: InlineKeyboardMarkup | None) -> None:
    """Replace a message's buttons; a second press ("message is not modified") is no error."""
    try:
        await message.edit_reply_markup(markup)
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            raise


def today_for(scope: Scope, context: Context) -> date:
    svc = services(context)
    return local_today(svc.now(), province_tz(scope, svc.settings.timezone))


async def province_wide_scope(update: Update, context: Context) -> Scope | None:
    """The chat's scope when it sees the whole province (the leaders' chat, an admin's private
    chat); None once the user was told why not."""
    async with transaction(context) as session:
        scope = await scope_of(session, update, context)
    if scope.province_wide:
        return scope
    await reply(update, no_data_text(scope) if scope.kind is ScopeKind.NONE else texts.PROVINCE_WIDE_ONLY)
    return None


def no_data_text(scope: Scope) -> str:
    """What someone outside every scope gets instead of data."""
    if scope.is_private:
        return texts.stranger_text()
    return texts.NOT_REGISTERED_GROUP


async def reply(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> Message:
    message = update.effective_message
    assert message is not None
    return await message.reply_text(text, reply_markup=markup)


async def reply_all(update: Update, pages: Sequence[str]) -> None:
    """Several messages (each already under the limit), in order."""
    for page in pages:
        await reply(update, page)


# --- paged answers ---------------------------------------------------------------------
# A long list is one message with ◀ ▶ buttons rather than a burst of messages (groups get
# ~20 messages a minute). The button carries what to recompute ("pg:<kind>:<arg>:<page>"),
# never the data; the press is checked against the chat's scope like the command was.


def page_text(pages: Sequence[str], page: int) -> str:
    if len(pages) == 1:
        return pages[0]
    return pages[page] + PAGE_FOOTER.format(page=page + 1, total=len(pages))


def page_markup(kind: PageKind, arg: int, page: int, total: int) -> InlineKeyboardMarkup | None:
    if total <= 1:
        return None
    row = []
    if page > 0:
        row.append(InlineKeyboardButton(texts.BTN_PREVIOUS_PAGE, callback_data=encode(Page(kind, arg, page - 1))))
    if page < total - 1:
        row.append(InlineKeyboardButton(texts.BTN_NEXT_PAGE, callback_data=encode(Page(kind, arg, page + 1))))
    return InlineKeyboardMarkup([row])


async def send_pages(update: Update, pages: Sequence[str], *, kind: PageKind, arg: int = 0) -> None:
    await reply(update, page_text(pages, 0), page_markup(kind, arg, 0, len(pages)))


async def show_page(message: Message, pages: Sequence[str], *, kind: PageKind, arg: int, page: int) -> None:
    """Edit a paged message to `page` (clamped: the list may have shrunk since)."""
    page = max(0, min(page, len(pages) - 1))
    try:
        await message.edit_text(page_text(pages, page), reply_markup=page_markup(kind, arg, page, len(pages)))
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            raise


def choice_markup(button: Callable[[int], Callback], options: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    """One button per option: `button(id)` (ids are re-checked on press)."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label[:60], callback_data=encode(button(option_id)))] for option_id, label in options]
    )


def user_name(update: Update) -> str:
    user = update.effective_user
    return user.full_name if user else "?"


async def bot_reads_all(update: Update, context: Context) -> bool:
    """Whether the bot receives every message of this group: privacy mode is off for the bot,
    or it is an administrator of the group (Telegram then delivers everything)."""
    chat = update.effective_chat
    if chat is None or chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        return False
    if context.bot.can_read_all_group_messages:
        return True
    try:
        member = await context.bot.get_chat_member(chat.id, context.bot.id)
    except TelegramError:
        return False
    return member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


def lookup_reply(query: str, lookup: AgencyLookup, button: Callable[[int], Callback]) -> tuple[str, InlineKeyboardMarkup | None]:
    """The answer to an agency name that matched several agencies or none: the text, and one
    `button` per candidate (or per suggestion)."""
    options = lookup.options or lookup.suggestions
    markup = choice_markup(button, [(o.agency_id, o.label) for o in options]) if options else None
    if lookup.options:
        return admin_render.choose_agency(query), markup
    return admin_render.suggest_agency(query, any_suggestion=bool(lookup.suggestions)), markup
