"""/baocao [tuan|thang]: the weekly digest or the monthly report, now.

Only where the whole province may be seen: the leaders' chat and an admin's private chat.
"tuần" covers the seven days ending today, "tháng" the month so far; figures as of today.
"""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatAction
from telegram.ext import CommandHandler

from bot.context import BotApp, Context
from bot.domain.digest import DigestKind, digest_period
from bot.domain.text import fold
from bot.render import help as texts
from bot.render.digest import nothing_to_report
from bot.services.chats import ScopeKind
from bot.services.digest_worker import digest_parts
from bot.services.digests import send_parts
from handlers.common import no_data_text, reply, scope_of, services, today_for, transaction

KINDS = {"tuan": DigestKind.WEEK, "week": DigestKind.WEEK, "thang": DigestKind.MONTH, "month": DigestKind.MONTH}


def parse_kind(args: list[str]) -> DigestKind | None:
    """'' → week; 'tuần'/'tuan' → week; 'tháng'/'thang' → month; anything else None."""
    if not args:
        return DigestKind.WEEK
    return KINDS.get(fold(" ".join(args)))


async def baocao(update: Update, context: Context) -> None:
    """/baocao [tuan|thang]: send the digest for the province now."""
    kind = parse_kind(context.args or [])
    if kind is None:
        await reply(update, texts.usage("baocao", "tuan") + " hoặc <code>/baocao thang</code>")
        return
    chat = update.effective_chat
    assert chat is not None
    settings = services(context).settings
    async with transaction(context) as session:
        scope = await scope_of(session, update, context)
        if scope.kind is ScopeKind.NONE:
            await reply(update, no_data_text(scope))
            return
        if not scope.province_wide:
            await reply(update, texts.PROVINCE_WIDE_ONLY)
            return
        today = today_for(scope, context)
        provinces = list(scope.provinces)
    if not provinces:
        await reply(update, nothing_to_report(today))
        return
    await context.bot.send_chat_action(chat.id, ChatAction.UPLOAD_DOCUMENT)
    period = digest_period(kind, today)
    for province in provinces:
        # Built in a child process: a province-wide report never holds up other chats' replies.
        parts, _run = await digest_parts(
            database_url=settings.database_url, province_id=province.id, period=period,
            with_report=kind is DigestKind.MONTH and settings.digest_docx,
        )
        await send_parts(context.bot, chat.id, parts)


def register(app: BotApp) -> None:
    app.add_handler(CommandHandler("baocao", baocao))
