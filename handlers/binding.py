"""Binding chats: /dangky, /huydangky, /lanhdao, /moi, requests and their buttons, migration.

Buttons: "dk:<agency id>" (choose the agency for /dangky), "mo:<agency id>" (choose
for /moi), "rq:ok|no:<request id>" (an admin's decision). Every id is re-checked on
press: the agency must belong to the served province(s), the presser's rights are
checked again, and a decided request stays decided.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatMemberStatus
from telegram.error import BadRequest, Forbidden
from telegram.ext import (
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.context import AsyncSession, BotApp, Context
from bot.domain.callbacks import BindAgency, DecideBinding, InviteAgency, LinkZalo, encode, matches, parse
from bot.domain.kinds import BindDecision
from bot.render import admin as admin_render
from bot.render import help as texts
from bot.services import chats as chat_service
from bot.services.chats import AgencyLookup, BindKind, DecidedRequest
from handlers.common import (
    admin_agency_button,
    bot_reads_all,
    for_agency,
    is_admin,
    is_group,
    is_private,
    lookup_reply,
    reply,
    scope_of,
    services,
    transaction,
)

log = logging.getLogger("nhacviec.handlers")


async def dangky(update: Update, context: Context) -> None:
    """/dangky <cơ quan>: bind this group (admin) or ask the admins to (anyone else)."""
    if not is_group(update):
        await reply(update, texts.GROUP_ONLY)
        return
    agency_id = await agency_from_args(update, context, command="dangky", button=BindAgency)
    if agency_id is not None:
        await _bind_or_request(update, context, agency_id, edit=False)


async def agency_from_args(update: Update, context: Context, *, command: str, button: type[BindAgency | InviteAgency | LinkZalo]) -> int | None:
    """The agency named after a command, or None once the user was answered instead
    (usage, no province yet, or buttons to choose among candidates with `button`)."""
    query = " ".join(context.args or []).strip()
    if not query:
        await reply(update, texts.usage(command, texts.AGENCY_EXAMPLE))
        return None
    lookup = await _find(update, context, query)
    if lookup is None:
        await reply(update, texts.NO_PROVINCE)
        return None
    if lookup.found is None:
        await reply(update, *lookup_reply(query, lookup, button))
        return None
    return lookup.found.agency_id


async def _find(update: Update, context: Context, query: str) -> AgencyLookup | None:
    """The agency typed, in the province(s) served; None when no province is known yet."""
    async with transaction(context) as session:
        scope = await scope_of(session, update, context)
        if not scope.provinces:
            return None
        return await chat_service.find_agency(
            session, catalog=services(context).catalog, provinces=scope.provinces, query=query
        )


async def dangky_choice(update: Update, context: Context) -> None:
    """A press on one of /dangky's agency buttons."""
    query = update.callback_query
    assert query is not None and query.data is not None
    if not is_group(update):
        await query.answer(texts.BAD_BUTTON, show_alert=True)
        return
    await query.answer()
    await _bind_or_request(update, context, parse(query.data, BindAgency).agency_id, edit=True)


async def _bind_or_request(update: Update, context: Context, agency_id: int, *, edit: bool) -> None:
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None
    async with transaction(context) as session:
        scope = await scope_of(session, update, context)
        outcome = await chat_service.choose_agency(
            session, scope=scope, agency_id=agency_id, tg_chat_id=chat.id, title=chat.title,
            user_id=user.id, user_name=user.full_name, now=services(context).now(),
        )
    text = await _bind_text(update, context, outcome)
    if edit and update.callback_query is not None and update.callback_query.message is not None:
        await update.callback_query.edit_message_text(text)
    else:
        await reply(update, text)


async def _bind_text(update: Update, context: Context, outcome: chat_service.BindOutcome) -> str:
    """What the group is told: bound (and how to answer), or asked (the admins pinged first)."""
    if outcome.kind is BindKind.BAD:
        return texts.BAD_BUTTON
    if outcome.kind is BindKind.BOUND:
        hint = texts.answer_hint(reads_all=await bot_reads_all(update, context))
        return admin_render.bound_agency(outcome.agency_name) + "\n\n" + hint
    if outcome.request_id is None or outcome.province_slug is None:
        return admin_render.request_sent(outcome.agency_name, reached=True)
    return admin_render.request_sent(outcome.agency_name, reached=await _ask_admins(update, context, outcome))


async def _ask_admins(update: Update, context: Context, outcome: chat_service.BindOutcome) -> bool:
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None and outcome.request_id is not None and outcome.province_slug is not None
    return await _notify_admins(
        context,
        request_id=outcome.request_id,
        admin_ids=services(context).settings.admins.of(outcome.province_slug),
        text=admin_render.request_for_admin(
            agency_name=outcome.agency_name, chat_title=chat.title, chat_id=chat.id,
            user_name=user.full_name, user_id=user.id,
        ),
    )


async def _notify_admins(context: Context, *, request_id: int, admin_ids: frozenset[int], text: str) -> bool:
    """Send the request to the province's admins' private chats; True if at least one got it."""
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(admin_render.BTN_APPROVE, callback_data=encode(DecideBinding(True, request_id))),
                InlineKeyboardButton(admin_render.BTN_REJECT, callback_data=encode(DecideBinding(False, request_id))),
            ]
        ]
    )
    reached = False
    for admin_id in sorted(admin_ids):
        try:
            await context.bot.send_message(admin_id, text, reply_markup=markup)
            reached = True
        except (Forbidden, BadRequest) as exc:  # never opened the bot, or blocked it
            log.warning("Không gửi được đề nghị %s tới quản trị viên %s: %s", request_id, admin_id, exc.message)
    return reached


async def request_decision(update: Update, context: Context) -> None:
    """An admin presses Duyệt/Từ chối on a binding request."""
    query = update.callback_query
    assert query is not None and query.data is not None and query.from_user is not None
    if not is_admin(update, context) or not is_private(update):
        await query.answer(texts.NOT_ALLOWED_BUTTON, show_alert=True)
        return
    press = parse(query.data, DecideBinding)
    async with transaction(context) as session:
        scope = await scope_of(session, update, context)
        decided = await chat_service.decide_request(
            session, request_id=press.request_id, approve=press.approve, admin_id=query.from_user.id,
            now=services(context).now(), province_ids=scope.province_ids,
        )
    await _deliver_decision(update, context, decided)


async def _deliver_decision(update: Update, context: Context, decided: DecidedRequest) -> None:
    """Refused or stale: an alert (and the stale buttons dropped); decided: the request's
    message says what was recorded and by whom, and the group hears of it."""
    query = update.callback_query
    assert query is not None and query.from_user is not None
    if decided.decision in (BindDecision.FORBIDDEN, BindDecision.STALE):
        await _refuse_decision(query, decided.decision)
        return
    await query.answer()
    original = getattr(query.message, "text_html", None) or ""
    await query.edit_message_text(admin_render.request_decided(original, decided.decision, admin_name=query.from_user.full_name))
    if decided.group_id is not None:  # a decided request always has its group
        await _tell_group(context, decided.group_id, admin_render.decision_for_group(decided.decision, decided.agency_name))


async def _refuse_decision(query: CallbackQuery, decision: BindDecision) -> None:
    if decision is BindDecision.FORBIDDEN:
        await query.answer(texts.NOT_ALLOWED_BUTTON, show_alert=True)
        return
    await query.answer(texts.STALE, show_alert=True)
    try:
        await query.edit_message_reply_markup(None)
    except BadRequest:  # already without buttons, or too old to edit
        pass


async def _tell_group(context: Context, group_id: int, text: str) -> None:
    try:
        await context.bot.send_message(group_id, text)
    except (Forbidden, BadRequest) as exc:  # the bot left the group meanwhile
        log.warning("Không báo được nhóm %s: %s", group_id, exc.message)


async def huydangky(update: Update, context: Context) -> None:
    """/huydangky: an admin unbinds this group."""
    if not is_group(update) or not is_admin(update, context):
        await reply(update, texts.ADMIN_ONLY if is_group(update) else texts.GROUP_ONLY)
        return
    chat = update.effective_chat
    assert chat is not None
    async with transaction(context) as session:
        scope = await scope_of(session, update, context)  # an admin of this chat's province, not of another one
        removed = scope.is_admin and await chat_service.unbind(session, tg_chat_id=chat.id) is not None
    await reply(update, texts.ADMIN_ONLY if not scope.is_admin else admin_render.unbound() if removed else admin_render.NOT_BOUND)


async def lanhdao(update: Update, context: Context) -> None:
    """/lanhdao [tỉnh]: an admin makes this group the leaders' chat."""
    if not is_group(update) or not is_admin(update, context):
        await reply(update, texts.ADMIN_ONLY if is_group(update) else texts.GROUP_ONLY)
        return
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None
    async with transaction(context) as session:
        outcome = await chat_service.make_leaders_chat(
            session, scope=await scope_of(session, update, context), wanted=" ".join(context.args or []),
            tg_chat_id=chat.id, title=chat.title, by_tg_id=user.id, now=services(context).now(),
        )
    await reply(update, admin_render.leaders_answer(outcome.refusal, province_name=outcome.province_name, slugs=outcome.slugs))


async def moi(update: Update, context: Context) -> None:
    """/moi <cơ quan>: a one-time link that adds the bot to a group and binds it."""
    if not is_private(update) or not is_admin(update, context):
        await reply(update, texts.ADMIN_ONLY if is_private(update) else texts.PRIVATE_ONLY)
        return
    agency_id = await agency_from_args(update, context, command="moi", button=InviteAgency)
    if agency_id is not None:
        await for_agency(update, context, agency_id, _invite_link, edit=False)


async def moi_choice(update: Update, context: Context) -> None:
    """A press on one of /moi's agency buttons."""
    await admin_agency_button(update, context, button=InviteAgency, act=_invite_link)


async def _invite_link(session: AsyncSession, agency: Any, update: Update, context: Context) -> str:
    user = update.effective_user
    assert user is not None
    token = await chat_service.create_invite(session, agency=agency, admin_id=user.id, now=services(context).now())
    link = f"https://t.me/{context.bot.username}?startgroup={token}"
    return admin_render.invite_link(agency.name, link, chat_service.INVITE_DAYS)


async def start_with_invite(update: Update, context: Context, token: str) -> None:
    """`/start <token>` in a group: the client sends it after a /moi link added the bot."""
    chat = update.effective_chat
    assert chat is not None
    async with transaction(context) as session:
        agency = await chat_service.use_invite(
            session, token=token[:64], tg_chat_id=chat.id, title=chat.title, now=services(context).now()
        )
        agency_name = agency.name if agency is not None else None
    await reply(update, admin_render.bound_agency(agency_name) if agency_name else admin_render.INVITE_INVALID)


async def migrated(update: Update, context: Context) -> None:
    """A group became a supergroup (new chat id): the binding follows it."""
    message = update.effective_message
    assert message is not None
    if (move := _migration(message)) is None:
        return
    old, new = move
    async with transaction(context) as session:
        moved = await chat_service.migrate(session, old_tg_chat_id=old, new_tg_chat_id=new)
    if moved is not None:
        log.info(
            "Nhóm %s đã chuyển thành siêu nhóm %s; đăng ký được giữ nguyên.", old, new,
            extra={"event": "chat.migrated", "fields": {"chat_id": new, "old_chat_id": old, "agency_id": moved.agency_id}},
        )


def _migration(message: Message) -> tuple[int, int] | None:
    """(old chat id, new chat id) from either of the two service messages of a migration."""
    if message.migrate_to_chat_id:
        return message.chat.id, message.migrate_to_chat_id
    if message.migrate_from_chat_id:
        return message.migrate_from_chat_id, message.chat.id
    return None


async def membership(update: Update, context: Context) -> None:
    """The bot was removed from a group: the group no longer counts as bound."""
    change = update.my_chat_member
    assert change is not None
    gone = change.new_chat_member.status in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED)
    if change.chat.type not in ("group", "supergroup") or not gone:
        return
    svc = services(context)
    now = svc.now()
    async with transaction(context) as session:
        await chat_service.bot_removed(
            session, tg_chat_id=change.chat.id, now=now, today=now.astimezone(svc.settings.tz).date(), admins=svc.settings.admins,
        )


def register(app: BotApp) -> None:
    app.add_handler(CommandHandler("dangky", dangky))
    app.add_handler(CommandHandler("huydangky", huydangky))
    app.add_handler(CommandHandler("lanhdao", lanhdao))
    app.add_handler(CommandHandler("moi", moi))
    app.add_handler(CallbackQueryHandler(dangky_choice, pattern=matches(BindAgency)))
    app.add_handler(CallbackQueryHandler(moi_choice, pattern=matches(InviteAgency)))
    app.add_handler(CallbackQueryHandler(request_decision, pattern=matches(DecideBinding)))
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, migrated))
    app.add_handler(ChatMemberHandler(membership, ChatMemberHandler.MY_CHAT_MEMBER))
