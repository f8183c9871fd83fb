"""The composition root of the bot: builds the PTB Application with everything it needs.

`build_application` is what `nhacviec run` and the end-to-end tests call; tests pass
their own sessionmaker, catalog and clock. Handlers reach the services through the
typed `context.bot_data` (`BotServices`), never through module globals.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden
from telegram.ext import (
    AIORateLimiter,
    Application,
    BaseUpdateProcessor,
    ContextTypes,
    Defaults,
)

import scheduler
from bot.catalog import Catalog
from bot.config import Settings
from bot.context import BotApp, BotServices
from bot.db.engine import make_engine, make_sessionmaker
from bot.logs import log_event
from bot.render import settings as start_texts
from bot.render.help import MENU_ADMIN, MENU_GROUP, MENU_PRIVATE
from handlers.registry import register as register_handlers

log = logging.getLogger("nhacviec")

# Telegram: ~20 messages a minute into one group, ~30 a second overall; the limiter
# queues within those. A 429 anyway (another process on the same token) is waited out
# and retried a couple of times rather than lost.
RATE_LIMIT_RETRIES = 2


def utc_now() -> datetime:
    return datetime.now(UTC)


class MessageRateLimiter(AIORateLimiter):
    """AIORateLimiter for the requests Telegram's flood limits are about: those that post a
    message (send*, copy*, forward*).

    PTB's limiter counts every request that names a chat — getChatMember, edits, callback
    answers — against 30 a second overall and 20 a minute per group: a status reply (a
    membership check, the confirmation, the card's update) used three of a group's 20, and
    at 10 replies a second the lookups alone queued the confirmations behind each other.
    """

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        if not endpoint.lower().startswith(("send", "copy", "forward")) or endpoint == "sendChatAction":
            return await callback(*args, **kwargs)
        return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Updates of different chats processed concurrently; those of one chat one after the
    other, in the order they arrived.

    PTB's default processes one update at a time: a slow reply, or one group over its
    20-messages-a-minute limit (its confirmation waits in the rate limiter), held up every
    other chat. Per-chat order is kept because a chat's updates depend on each other
    ("1 xong" then "hoàn tác"). asyncio's semaphore and locks wake waiters first come,
    first served, and PTB starts the update tasks in arrival order.
    """

    def __init__(self, max_concurrent_updates: int = 256, *, workers: int = 16) -> None:
        super().__init__(max_concurrent_updates)
        # At most `workers` updates run their handlers at once, taken only once the chat's
        # turn has come (a chat's queued updates hold no worker). SQLite has one writer: a
        # few at once, or under overload they wait past the busy timeout and fail.
        self._workers = asyncio.Semaphore(workers)
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}  # updates holding or waiting for each lock

    @staticmethod
    def _key(update: object) -> int | None:
        if isinstance(update, Update):
            if update.effective_chat is not None:
                return update.effective_chat.id
            if update.effective_user is not None:
                return update.effective_user.id
        return None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = self._key(update)
        if key is None:
            async with self._workers:
                await coroutine
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock, self._workers:
                await coroutine
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key], self._locks[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""


class MissingTokenError(ValueError):
    """TELEGRAM_BOT_TOKEN is not set."""


def build_application(
    settings: Settings,
    *,
    sessionmaker: async_sessionmaker[AsyncSession] | None = None,
    catalog: Catalog | None = None,
    clock: Callable[[], datetime] | None = None,
    channel_adapters: Sequence[Any] | None = None,
) -> BotApp:
    """The bot, ready for run_polling/run_webhook (or initialize/start in tests).

    `channel_adapters`: the e-mail/Zalo adapters to run (bot/channels/); None builds them
    from the settings (bot.channels.registry)."""

    token = (settings.telegram_bot_token or "").strip()
    if not token:
        raise MissingTokenError("TELEGRAM_BOT_TOKEN")
    engine = None
    if sessionmaker is None:
        engine = make_engine(settings.database_url)
        sessionmaker = make_sessionmaker(engine)
    app = (
        Application.builder()
        .token(token)
        .base_url(settings.bot_base_url)
        .base_file_url(settings.bot_base_file_url)
        .context_types(ContextTypes(bot_data=BotServices))
        .rate_limiter(MessageRateLimiter(max_retries=RATE_LIMIT_RETRIES))
        .concurrent_updates(PerChatUpdateProcessor(workers=4 if settings.database_url.startswith("sqlite") else 16))
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                tzinfo=settings.tz,
            )
        )
        .post_init(startup)
        .post_shutdown(shutdown)
        .build()
    )
    services: BotServices = app.bot_data
    services.configure(
        settings=settings,
        sessionmaker=sessionmaker,
        catalog=catalog or Catalog(settings.data_dir),
        clock=clock or utc_now,
        engine=engine,
    )
    services.channel_adapters = list(channel_adapters) if channel_adapters is not None else None

    def wake_senders() -> None:
        from scheduler.reminders import engine_for

        engine = engine_for(app)
        if engine is not None:
            engine.kick(app)  # Telegram's sender and every other channel's

    services.wake_senders = wake_senders
    register_handlers(app)
    if settings.zalo_bot_token:
        attach_zalo(app)
    if hasattr(scheduler, "register"):  # the reminder engine, when present
        scheduler.register(app)
    elif getattr(scheduler, "__file__", None) is None:
        # An outdated editable install can expose the folder as a namespace package, whose
        # __init__ never runs: say so rather than silently running without reminders.
        log.warning("Gói scheduler nạp không đầy đủ (cài đặt lại: pip install -e .)")
    return app


def attach_zalo(app: BotApp) -> Any:
    """The Zalo channel (bot/channels/zalo_inbound.py): started after the bot's start-up,
    stopped with it; its webhook route (ZALO_WEBHOOK_URL) served by the web console."""
    from bot.channels.zalo_inbound import ZaloInbound

    services: BotServices = app.bot_data
    zalo = ZaloInbound(
        settings=services.settings, sessionmaker=services.sessionmaker, clock=services.clock,
        on_queued=lambda: services.wake_senders(),
    )
    services.zalo = zalo
    services.web_routes = [*services.web_routes, *zalo.routes()]
    post_init, post_stop = app.post_init, app.post_stop

    async def init(application: BotApp) -> None:
        if post_init is not None:
            await post_init(application)
        from bot.channels.zalo import ZaloError

        try:
            me = await zalo.client.get_me()
            services.zalo_bot_name = str(me.get("account_name") or "") or None
        except ZaloError as exc:
            log_event(log, "zalo.get_me_failed", f"Zalo: getMe lỗi ({exc})", level=logging.WARNING)
        await zalo.start()

    async def stop(application: BotApp) -> None:
        await zalo.stop()
        if post_stop is not None:
            await post_stop(application)

    app.post_init = init
    app.post_stop = stop
    return zalo


def mask_url(url: str) -> str:
    """A database URL fit for logs: the password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a malformed URL is still better logged than not
        return start_texts.UNREADABLE_DATABASE_URL


async def startup(app: BotApp) -> None:
    """post_init: migrate, sync the agency directory, register menus, log one line."""
    from bot.db.engine import upgrade_database_async
    from bot.services.chats import sync_directory

    services: BotServices = app.bot_data
    settings = services.settings
    await upgrade_database_async(settings.database_url)
    async with services.sessionmaker() as session, session.begin():
        provinces = await sync_directory(session, settings=settings, catalog=services.catalog)
    await register_menus(app)
    log_event(
        log, "bot.started",
        f"Bot @{app.bot.username} đã kết nối tới {settings.telegram_api_url} ({services.mode}); "
        f"cơ sở dữ liệu: {mask_url(settings.database_url)}; "
        f"tỉnh: {', '.join(provinces) or 'chưa có (nhập kế hoạch trước)'}",
        bot_id=app.bot.id, provinces=provinces, log_format=settings.log_format,
    )


async def register_menus(app: BotApp) -> None:
    """Command menus: everyone's private chat, groups, and each admin's private chat."""

    def commands(menu: tuple[tuple[str, str], ...]) -> list[BotCommand]:
        return [BotCommand(name, description) for name, description in menu]

    bot = app.bot
    await bot.set_my_commands(commands(MENU_PRIVATE), scope=BotCommandScopeAllPrivateChats())
    await bot.set_my_commands(commands(MENU_GROUP), scope=BotCommandScopeAllGroupChats())
    services: BotServices = app.bot_data
    for admin_id in sorted(services.settings.admins.all):
        try:
            await bot.set_my_commands(commands(MENU_ADMIN), scope=BotCommandScopeChat(admin_id))
        except (BadRequest, Forbidden) as exc:
            # An admin who never opened the bot has no chat yet; /start later is enough.
            log.warning("Không đặt được menu quản trị cho %s: %s", admin_id, exc.message)


async def shutdown(app: BotApp) -> None:
    """post_shutdown: release the database connections this module opened."""
    services: BotServices = app.bot_data
    from scheduler.channels import senders_for

    senders = senders_for(app)
    if senders is not None:
        await senders.idle()
        await senders.aclose()
    await services.sent_ids.aclose()
    if services.engine is not None:
        await services.engine.dispose()


# --- `nhacviec run` ----------------------------------------------------------------------

class _StartupFailureFilter(logging.Filter):
    """PTB logs a failed start-up (bad token, server unreachable) with a traceback;
    `run` says it in one line instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.module == "networkloop" and "Bootstrap" in record.getMessage())


def configure_logging(settings: Settings) -> None:
    """bot/logs.py: one line per event on stderr (LOG_FORMAT), token and password masked,
    libraries only warn; PTB's start-up failure is left to `run`'s one line."""
    from bot.logs import configure_logging as log_to_stderr

    log_to_stderr(settings)
    ptb = logging.getLogger("telegram.ext")
    if not any(isinstance(f, _StartupFailureFilter) for f in ptb.filters):
        ptb.addFilter(_StartupFailureFilter())


async def _run_on_console(app: Any, *, url: str, secret: str) -> None:
    """The webhook on the console's server until SIGINT/SIGTERM (bot.web.server)."""
    import signal

    from bot.web.server import run_with_console_webhook

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await run_with_console_webhook(app, url=url, secret=secret, stop=stop)


def run(settings: Settings, *, webhook_url: str | None = None, port: int | None = None) -> int:
    """Run the bot until Ctrl-C/SIGTERM; returns the process exit code.

    Long polling unless a webhook URL is given (flag or WEBHOOK_URL): then PTB's
    webhook server listens on WEBHOOK_LISTEN:port behind the reverse proxy and only
    accepts requests carrying the secret token (WEBHOOK_SECRET, or a random one
    registered with Telegram at each start).
    """
    import secrets
    import sys
    from urllib.parse import urlsplit

    from sqlalchemy.exc import SQLAlchemyError
    from telegram import Update
    from telegram.error import InvalidToken, NetworkError

    configure_logging(settings)

    def fail(line: str, code: int) -> int:
        if settings.log_format == "json":  # a log collector expects every stderr line in JSON
            log_event(log, "run.failed", line, level=logging.ERROR, exit_code=code)
        else:
            print(line, file=sys.stderr)
        return code

    catalog = Catalog(settings.data_dir)  # loaded once: checked here, then served by the bot
    by_slug, unknown = catalog.province_admins(settings.province_admins)
    if unknown:
        known = {p.slug for p in catalog.provinces}
        return fail(start_texts.unknown_admin_provinces(list(unknown), sorted(known)), 2)
    settings = settings.model_copy(update={"province_admins": by_slug})
    if not (settings.telegram_bot_token or "").strip():
        return fail(start_texts.NO_TOKEN, 2)
    app = build_application(settings, catalog=catalog)
    if settings.web_port:  # the web console (bot/web/) in the same process and event loop
        from bot.web.server import attach

        attach(app)
    url = webhook_url or settings.webhook_url
    try:
        if url:
            if not url.startswith("https://") and not url.startswith("http://"):
                return fail(start_texts.bad_webhook_url(url), 2)
            services: BotServices = app.bot_data
            services.mode = f"webhook {url}"
            if settings.webhook_on_console:
                if not settings.web_port:
                    return fail(start_texts.WEBHOOK_ON_CONSOLE_NEEDS_WEB, 2)
                services.mode = start_texts.webhook_on_console_mode(url)
                asyncio.run(_run_on_console(app, url=url, secret=settings.webhook_secret or secrets.token_urlsafe(32)))
                return 0
            app.run_webhook(
                listen=settings.webhook_listen,
                port=port or settings.webhook_port,
                url_path=urlsplit(url).path.lstrip("/"),
                webhook_url=url,
                secret_token=settings.webhook_secret or secrets.token_urlsafe(32),
                allowed_updates=Update.ALL_TYPES,
            )
        else:
            app.run_polling(allowed_updates=Update.ALL_TYPES)
    except InvalidToken:
        return fail(start_texts.token_refused(settings.telegram_api_url), 2)
    except NetworkError as exc:
        return fail(start_texts.telegram_unreachable(settings.telegram_api_url, exc.message), 1)
    except (SQLAlchemyError, OSError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return fail(start_texts.database_unusable(mask_url(settings.database_url), reason), 1)
    return 0
