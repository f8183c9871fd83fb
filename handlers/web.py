"""/web: a one-time sign-in link to the web console (private chats only)."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update, WebAppInfo
from telegram.ext import CommandHandler

from bot.context import BotApp, Context
from bot.render import web as texts
from bot.web.auth import LOGIN_TTL, create_login
from handlers.common import is_private, reply, services, transaction


async def web_link(update: Update, context: Context) -> None:
    """/web: answer a signed, single-use, 10-minute login link (and the Mini App button)."""
    svc, user = services(context), update.effective_user
    if not is_private(update) or user is None:
        await reply(update, texts.PRIVATE_ONLY)
        return
    if not svc.settings.web_port:
        await reply(update, texts.CONSOLE_OFF)
        return
    async with transaction(context) as session:
        token = await create_login(session, tg_user_id=user.id, bot_token=svc.settings.telegram_bot_token or "", now=svc.now())
    base = svc.settings.web_url
    await reply(update, texts.login_text(f"{base}/web/login?t={token}", int(LOGIN_TTL.total_seconds() // 60)), _app_button(base))


def _app_button(base: str) -> InlineKeyboardMarkup | None:
    """The Mini App button: Telegram opens Mini Apps over HTTPS only."""
    if not base.startswith("https://"):
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(texts.OPEN_BUTTON, web_app=WebAppInfo(f"{base}/web/app"))]])


def register(app: BotApp) -> None:
    app.add_handler(CommandHandler("web", web_link))
