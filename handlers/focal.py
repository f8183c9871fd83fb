"""/daumoi: a person registers as a focal point of the group's agency (see bot/services/focal.py)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler

from bot.context import BotApp, Context
from bot.domain.focal import FocalAction, parse_action
from bot.render import focal as texts
from bot.render import help as help_texts
from bot.services import focal as focal_service
from handlers.common import is_group, reply, services, transaction


async def daumoi(update: Update, context: Context) -> None:
    """/daumoi [rieng|nhom|bo]: register, private copy on/off, or leave."""
    user, chat = update.effective_user, update.effective_chat
    action = parse_action(context.args or [])
    if not is_group(update) or user is None or chat is None or action is FocalAction.UNKNOWN:
        await reply(update, texts.USAGE if is_group(update) and user is not None else help_texts.GROUP_ONLY + "\n\n" + texts.USAGE)
        return
    async with transaction(context) as session:
        result = await focal_service.daumoi(
            session, tg_chat_id=chat.id, user_id=user.id, name=user.full_name, username=user.username,
            action=action, now=services(context).now(),
        )
    await reply(update, texts.daumoi_answer(
        result.outcome, agency=result.agency_name or "", name=user.full_name, people=result.people,
        bot_username=context.bot.username,
    ))


def register(app: BotApp) -> None:
    app.add_handler(CommandHandler("daumoi", daumoi))
