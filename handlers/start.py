"""/start and /help: what the bot does and the commands this chat and user can use."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler, MessageHandler, filters

from bot.context import BotApp, Context
from bot.render import help as texts
from bot.services.chats import Scope, ScopeKind
from handlers.binding import start_with_invite
from handlers.common import bot_reads_all, is_group, reply, scope_of, transaction


def help_text(scope: Scope) -> str:
    if scope.kind is ScopeKind.ADMIN:
        return texts.admin_private_text()
    if scope.kind is ScopeKind.AGENCY and scope.agency is not None:
        return texts.agency_group_text(scope.agency.name, is_admin=scope.is_admin)
    if scope.kind is ScopeKind.LEADERS:
        return texts.leaders_group_text(scope.provinces[0].name, is_admin=scope.is_admin)
    if scope.is_private:
        return texts.stranger_text()
    return texts.unbound_group_text(is_admin=scope.is_admin)


async def start(update: Update, context: Context) -> None:
    """/start: a group opened through a /moi link binds itself; otherwise the help."""
    if is_group(update) and context.args:
        await start_with_invite(update, context, context.args[0])
        return
    await help_command(update, context)


async def help_command(update: Update, context: Context) -> None:
    """/help: the commands available in this chat for this user."""
    async with transaction(context) as session:
        scope = await scope_of(session, update, context)
    text = help_text(scope)
    if scope.kind is ScopeKind.AGENCY and is_group(update):
        text += "\n\n" + texts.answer_hint(reads_all=await bot_reads_all(update, context))
    await reply(update, text)


async def private_fallback(update: Update, context: Context) -> None:
    """Any other message in a private chat: the help, so nobody is left without an answer."""
    await help_command(update, context)


def register(app: BotApp) -> None:
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler(["help", "trogiup"], help_command))


def register_fallback(app: BotApp) -> None:
    # Last in group 0: only what no other handler took.
    app.add_handler(
        MessageHandler(filters.ChatType.PRIVATE & (filters.TEXT | filters.COMMAND), private_fallback)
    )
