"""/baocao [tuan|thang]: the weekly digest or the monthly report, now.

Only where the whole province may be seen: the leaders' chat and an admin's private chat.
"tuần" covers the seven days ending today, "tháng" the month so far; figures as of today.
"""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatAction
from telegram.ext import CommandHandler

from bot.context import BotApp, Context
from bot.domain.digest import DigestKind, DigestPeriod, digest_period
from bot.domain.text import fold
from bot.render import help as texts
from bot.render.digest import nothing_to_report
from bot.services.digest_worker import digest_parts
from bot.services.digests import Part, send_parts
from handlers.common import province_wide_scope, reply, services, today_for

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
        await reply(update, texts.BAOCAO_USAGE)
        return
    chat, scope = update.effective_chat, await province_wide_scope(update, context)
    if scope is None or chat is None:
        return
    today = today_for(scope, context)
    if not scope.provinces:
        await reply(update, nothing_to_report(today))
        return
    await context.bot.send_chat_action(chat.id, ChatAction.UPLOAD_DOCUMENT)
    for province in scope.provinces:
        await send_parts(context.bot, chat.id, await _parts(context, province.id, digest_period(kind, today), kind))


async def _parts(context: Context, province_id: int, period: DigestPeriod, kind: DigestKind) -> list[Part]:
    """Built in a child process: a province-wide report never holds up other chats' replies."""
    settings = services(context).settings
    parts, _run = await digest_parts(
        database_url=settings.database_url, province_id=province_id, period=period,
        with_report=kind is DigestKind.MONTH and settings.digest_docx,
    )
    return parts


def register(app: BotApp) -> None:
    app.add_handler(CommandHandler("baocao", baocao))
