"""/email: admins set the e-mail addresses of agencies (reminders) and leaders (digests)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler

from bot.context import BotApp, Context
from bot.domain.commands import EMAIL_ALWAYS_WORDS as ALWAYS_WORDS
from bot.domain.commands import EMAIL_LEADER_WORDS as LEADER_WORDS
from bot.domain.commands import EMAIL_REMOVE_WORDS
from bot.render import channels as texts
from bot.services import recipients
from bot.services.recipients import EmailAction, EmailCommand
from handlers.common import is_admin, reply, scope_of, services, transaction


def _parse(args: list[str]) -> EmailCommand | None:
    """The form of /email typed; None when it matches none (the usage is shown)."""
    first = args[0].casefold() if args else ""
    if not args:
        return EmailCommand(EmailAction.LIST)
    if first in EMAIL_REMOVE_WORDS and len(args) == 2:
        return EmailCommand(EmailAction.REMOVE, address=args[1])
    if first in LEADER_WORDS and len(args) >= 2:
        return EmailCommand(EmailAction.LEADER, address=args[1], name=" ".join(args[2:]) or None)
    if len(args) >= 2 and ("@" in args[-1] or (len(args) >= 3 and args[-1].casefold() in ALWAYS_WORDS and "@" in args[-2])):
        always = "@" not in args[-1]
        words = args[:-1] if always else args
        return EmailCommand(EmailAction.AGENCY, address=words[-1], agency_query=" ".join(words[:-1]), always=always)
    return None


async def email_command(update: Update, context: Context) -> None:
    """/email [<cơ quan> <địa chỉ> [luon] | lanhdao <địa chỉ> [tên] | xoa <địa chỉ>]."""
    if not is_admin(update, context):
        await reply(update, texts.EMAIL_ADMINS_ONLY)
        return
    svc, user = services(context), update.effective_user
    async with transaction(context) as session:
        scope = await scope_of(session, update, context)
        if (command := _parse(list(context.args or []))) is None:
            await reply(update, texts.EMAIL_USAGE)
            return
        result = await recipients.email_command(
            session, command, province_ids=scope.admin_of, actor_tg_id=user.id if user else None, now=svc.now()
        )
    await reply(update, _text(command, result, mail_on=bool(svc.settings.smtp_url)))


def _text(command: EmailCommand, result: recipients.EmailResult | list[recipients.EmailLine], *, mail_on: bool) -> str:
    if isinstance(result, list):
        return texts.email_list([(e.address, e.agency_name, e.person_name, e.active, e.unreachable_reason, e.always) for e in result])
    if result.problem:
        return texts.email_problem(result.problem, result.detail, result.candidates)
    if command.action is EmailAction.REMOVE:
        return texts.email_removed(result.address or "")
    text = texts.email_set(
        address=result.address or "", agency_name=result.agency_name, person_name=result.person_name,
        created=result.created, moved_from=result.moved_from, always=result.always, moved=result.moved,
    )
    return text + ("" if mail_on else texts.EMAIL_OFF)


def register(app: BotApp) -> None:
    app.add_handler(CommandHandler("email", email_command))
