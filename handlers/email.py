"""/email: admins set the e-mail addresses of agencies (reminders) and leaders (digests)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler

from bot.context import BotApp, Context
from bot.render import channels as texts
from bot.services import recipients
from handlers.common import is_admin, reply, scope_of, services, transaction

LEADER_WORDS = {"lanhdao", "lãnhđạo", "lanh-dao", "leader"}
REMOVE_WORDS = {"xoa", "xoá", "xóa", "remove"}
ALWAYS_WORDS = {"luon", "luôn", "always"}  # after an agency's address: reminders even with a Telegram group


async def email_command(update: Update, context: Context) -> None:
    """/email [<cơ quan> <địa chỉ> [luon] | lanhdao <địa chỉ> [tên] | xoa <địa chỉ>]."""
    if not is_admin(update, context):
        await reply(update, texts.EMAIL_ADMINS_ONLY)
        return
    args = list(context.args or [])
    svc = services(context)
    user = update.effective_user
    now = svc.now()
    async with transaction(context) as session:
        scope = await scope_of(session, update, context)
        provinces = scope.admin_of
        first = args[0].casefold() if args else ""
        if not args:
            found = await recipients.list_emails(session, province_ids=provinces)
            await reply(update, texts.email_list(
                [(e.address, e.agency_name, e.person_name, e.active, e.unreachable_reason, e.always) for e in found]
            ))
            return
        if first in REMOVE_WORDS and len(args) == 2:
            result = await recipients.remove_email(session, province_ids=provinces, address=args[1])
        elif first in LEADER_WORDS and len(args) >= 2:
            result = await recipients.set_leader_email(
                session, province_ids=provinces, address=args[1], name=" ".join(args[2:]) or None,
                actor_tg_id=user.id if user else None, now=now,
            )
        elif len(args) >= 2 and ("@" in args[-1] or (len(args) >= 3 and args[-1].casefold() in ALWAYS_WORDS and "@" in args[-2])):
            always = "@" not in args[-1]
            words = args[:-1] if always else args
            result = await recipients.set_agency_email(
                session, province_ids=provinces, agency_query=" ".join(words[:-1]), address=words[-1],
                actor_tg_id=user.id if user else None, now=now, always=always,
            )
        else:
            await reply(update, texts.EMAIL_USAGE)
            return
    if result.problem:
        await reply(update, texts.email_problem(result.problem, result.candidates))
        return
    if first in REMOVE_WORDS:
        await reply(update, texts.email_removed(result.address or ""))
        return
    text = texts.email_set(
        address=result.address or "", agency_name=result.agency_name, person_name=result.person_name,
        created=result.created, moved_from=result.moved_from, always=result.always,
    )
    await reply(update, text + ("" if svc.settings.smtp_url else texts.EMAIL_OFF))


def register(app: BotApp) -> None:
    app.add_handler(CommandHandler("email", email_command))
