"""Receiving Zalo messages in `nhacviec run`: long polling, or the webhook behind the web console.

One update at a time (the platform hands out one per getUpdates call), each in its own
transaction through bot.services.zalo; the answers go back to the person's Zalo, split
under 2,000 characters; what the Telegram side must see (a status recorded from Zalo, a
new Zalo link, an extension request for the leaders and the rewrites of its posts) was
queued in the outbox with the change, and the senders are woken once it is committed.

Polling: getUpdates is only answered while no webhook is set, so the poller deletes any
webhook first. Webhook mode (ZALO_WEBHOOK_URL): the console serves POST at that URL's path,
refuses any request without the right `X-Bot-Api-Secret-Token` (403), answers 200 at once
and handles the update in the background (the platform does not wait long).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from bot.channels.zalo import SECRET_HEADER, Failure, ZaloClient, ZaloError, parse_update, sleep_unless
from bot.config import Settings
from bot.db.session import AsyncSession, async_sessionmaker
from bot.logs import log_event
from bot.render import zalo as zalo_texts
from bot.render.zalo import split_plain
from bot.services import zalo as zalo_svc
from bot.services.links import AgencyLinks

log = logging.getLogger("nhacviec.zalo")

POLL_TIMEOUT = 30
MEDIA_EVENTS = ("message.image.received", "message.sticker.received")


class ZaloInbound:
    """The Zalo side of the running bot; `start()` after the Telegram bot is up, `stop()` before it stops."""

    def __init__(
        self,
        *,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime],
        client: ZaloClient | None = None,
        console_link: Callable[[int], str | None] | None = None,
        poll_timeout: int = POLL_TIMEOUT,
        on_queued: Callable[[], None] | None = None,
    ) -> None:
        assert settings.zalo_bot_token
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.client = client or ZaloClient(settings.zalo_bot_token, api_url=settings.zalo_api_url)
        self.console_link = console_link
        self.poll_timeout = poll_timeout
        self.on_queued = on_queued  # wake the outbox senders: notices were queued
        self.links = AgencyLinks.from_settings(settings)  # the console's signed links, if public
        self.secret = settings.zalo_webhook_secret or secrets.token_urlsafe(32)
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()

    @property
    def webhook_path(self) -> str | None:
        url = self.settings.zalo_webhook_url
        return (urlsplit(url).path or "/") if url else None

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        self._stop.clear()
        if self.settings.zalo_webhook_url:
            if not self.settings.web_port:
                log_event(
                    log, "zalo.webhook_unserved",
                    "Zalo: ZALO_WEBHOOK_URL cần bảng điều khiển web (WEB_PORT khác 0) để nhận tin",
                    level=logging.ERROR,
                )
            try:
                await self.client.set_webhook(url=self.settings.zalo_webhook_url, secret_token=self.secret)
                log_event(log, "zalo.webhook", f"Zalo: webhook {self.settings.zalo_webhook_url}")
            except ZaloError as exc:
                log_event(log, "zalo.webhook_failed", f"Zalo: không đặt được webhook: {exc}", level=logging.ERROR)
            return
        self._task = asyncio.create_task(self.poll(), name="zalo-poll")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            self._task.cancel()  # a long poll in flight: nothing is lost (the update stays queued there)
            try:
                await self._task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - stopping anyway
                pass
            self._task = None
        if self._background:
            await asyncio.wait(self._background, timeout=10)
        await self.client.close()

    # --- receiving -----------------------------------------------------------------------------

    async def poll(self) -> None:
        """getUpdates until stopped; errors wait (longer when the token is refused), never end it."""
        delay = 1.0
        try:
            await self.client.delete_webhook()
        except ZaloError as exc:
            log_event(log, "zalo.poll_error", f"Zalo: không xoá được webhook: {exc}", level=logging.WARNING)
        log_event(log, "zalo.polling", f"Zalo: nhận tin bằng long polling ({self.settings.zalo_api_url})")
        while not self._stop.is_set():
            try:
                update = await self.client.get_update(timeout=self.poll_timeout)
            except ZaloError as exc:
                wait = 300.0 if exc.failure is Failure.CHANNEL else delay
                log_event(
                    log, "zalo.poll_error", f"Zalo: lỗi nhận tin ({exc}); thử lại sau {wait:g} giây",
                    level=logging.ERROR if exc.failure is Failure.CHANNEL else logging.WARNING,
                )
                delay = min(delay * 2, 60.0)
                if await sleep_unless(self._stop, wait):
                    return
                continue
            delay = 1.0
            if update is not None:
                await self.handle(update)

    async def webhook(self, request: Any) -> Any:
        """Starlette endpoint: check the secret, answer at once, handle in the background."""
        from starlette.responses import JSONResponse

        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            log_event(log, "zalo.webhook_refused", "Zalo webhook: sai secret token", level=logging.WARNING)
            return JSONResponse({"ok": False, "description": "Forbidden"}, status_code=403)
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"ok": False, "description": "Bad request"}, status_code=400)
        task = asyncio.create_task(self.handle(body if isinstance(body, dict) else {}))
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return JSONResponse({"ok": True})

    def routes(self) -> list[Any]:
        """The webhook route for the console's Starlette app (none in polling mode)."""
        from starlette.routing import Route

        path = self.webhook_path
        return [Route(path, self.webhook, methods=["POST"])] if path else []

    # --- one update ------------------------------------------------------------------------

    async def handle(self, update: Mapping[str, Any]) -> None:
        """One update, start to end; an error is logged, never raised (the next one must come)."""
        try:
            await self._handle(update)
        except Exception:  # noqa: BLE001 - a bad update must not stop the channel
            log_event(log, "zalo.update_failed", "Zalo: lỗi khi xử lý tin nhắn", level=logging.ERROR, exc_info=True)

    async def _handle(self, update: Mapping[str, Any]) -> None:
        incoming = parse_update(update)
        if incoming is None:
            await self._not_text(update)
            return
        async with self.sessionmaker() as session:
            async with session.begin():
                result = await zalo_svc.handle_text(
                    session, incoming, now=self.clock(), default_tz=self.settings.tz, console_link=self.console_link,
                    admins=self.settings.admins, links=self.links,
                )
        if result.queued_anything and self.on_queued is not None:
            self.on_queued()
        for text in result.replies:
            await self.send(incoming.chat_id, text)

    async def _not_text(self, update: Mapping[str, Any]) -> None:
        body = update.get("result") if isinstance(update.get("result"), Mapping) else update
        assert isinstance(body, Mapping)
        message = body.get("message") if isinstance(body.get("message"), Mapping) else None
        chat = message.get("chat") if message and isinstance(message.get("chat"), Mapping) else None
        if body.get("event_name") in MEDIA_EVENTS and chat and chat.get("id"):
            await self.send(str(chat["id"]), zalo_texts.NO_MEDIA)

    async def send(self, chat_id: str, text: str) -> bool:
        """An answer, at once. Parts in order; if the platform cannot take it now (429,
        5xx, down, token refused), what is left goes into the outbox and is retried like a
        reminder (to a linked person; a stranger's answer is only logged)."""
        pieces = split_plain(text)
        for index, part in enumerate(pieces):
            try:
                await self.client.send_message(chat_id, part)
            except ZaloError as exc:
                queued = 0
                if exc.failure is not Failure.RECIPIENT:
                    now = self.clock()
                    async with self.sessionmaker() as session, session.begin():
                        queued = await zalo_svc.queue_answer(
                            session, chat_id=chat_id, text="\n\n".join(pieces[index:]),
                            on_date=now.astimezone(self.settings.tz).date(), now=now,
                        )
                log_event(
                    log, "zalo.reply_failed", f"Zalo: chưa trả lời được ({exc}); {queued} tin vào hàng đợi",
                    level=logging.WARNING, zalo_chat=chat_id, failure=exc.failure, queued=queued,
                )
                return False
        return True
