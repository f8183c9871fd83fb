"""Telegram behind the channel interface: one HTML message to one chat, PTB's exceptions
classified as the other channels' results.

The outbox's Telegram rows are still drained by bot/services/sender.py, which needs more
than this interface gives (Telegram's flood windows per chat, ChatMigrated moving a chat,
PTB's rate limiter); its error rules are the ones here (`classify`), so both say the same
about the same answer. This adapter is what other code uses to send one Telegram message
the way the channels do (and what a test of the interface runs against the fake Bot API).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

from bot.channels.base import Outgoing, Pacing, SendResult
from bot.domain.channels import Channel
from bot.render import channels as channel_texts

# BadRequest texts (lower case) meaning the chat itself is out of reach, not the message.
UNREACHABLE_BAD_REQUESTS = (
    "chat not found",
    "group chat was deactivated",
    "peer_id_invalid",
    "user not found",
    "not enough rights to send",
    "have no rights to send",
    "chat_write_forbidden",
    "chat_restricted",
)


def retry_seconds(exc: RetryAfter) -> float:
    """RetryAfter's wait in seconds, whether PTB gives an int or a timedelta (PTB_TIMEDELTA)."""
    value: Any = getattr(exc, "_retry_after", None)  # PTB ≥ 22.2: always a timedelta, no warning
    if value is None:  # pragma: no cover - older PTB
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def telegram_answered(exc: TelegramError) -> bool:
    """True when the error is Telegram's own JSON answer (a gateway's HTML page is not:
    PTB then chains the failed JSON decoding as the cause)."""
    return not isinstance(exc.__cause__, TelegramError)


def classify(exc: Exception) -> SendResult:
    """A PTB exception → the channel result (ChatMigrated is RETRY: the sender moves the chat)."""
    if isinstance(exc, RetryAfter):
        return SendResult.retry(f"429: {exc}", retry_after=retry_seconds(exc))
    if isinstance(exc, ChatMigrated):
        return SendResult.retry(channel_texts.chat_migrated(exc.new_chat_id), retry_after=0)
    if isinstance(exc, (Forbidden, BadRequest)):
        if not telegram_answered(exc):
            return SendResult.retry(f"{type(exc).__name__}: {exc}")
        if isinstance(exc, Forbidden) or any(t in exc.message.lower() for t in UNREACHABLE_BAD_REQUESTS):
            return SendResult.unreachable(exc.message)
        return SendResult.rejected(exc.message)
    return SendResult.retry(f"{type(exc).__name__}: {exc}")


class TelegramChannel:
    """One message to one chat through a PTB Bot (its rate limiter applies)."""

    channel = Channel.TELEGRAM
    pacing = Pacing(per_second=25, concurrency=8)

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, message: Outgoing) -> SendResult:
        try:
            sent = await self.bot.send_message(
                chat_id=int(message.address), text=message.body, parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        except Exception as exc:  # noqa: BLE001 - classified, never raised
            return classify(exc)
        return SendResult.sent(str(sent.message_id))

    async def aclose(self) -> None:
        """The Bot belongs to the application."""
