"""Serving the console inside `nhacviec run`: uvicorn on WEB_LISTEN:WEB_PORT, started after
the bot's start-up and stopped before its shutdown, in the bot's own event loop.

Long polling and PTB's webhook server keep working beside it. The socket is bound before
uvicorn starts, so a busy port is one warning (the bot runs on without a console), never a
crash; uvicorn's own signal handling is off (PTB's run_* owns SIGINT/SIGTERM).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator
from typing import Any

import uvicorn

from bot.logs import log_event
from bot.web.app import WebContext, create_app

log = logging.getLogger("nhacviec.web")


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class Console:
    def __init__(self) -> None:
        self.server: _Server | None = None
        self.task: asyncio.Task[None] | None = None

    async def start(self, ptb_app: Any) -> None:
        services = ptb_app.bot_data
        settings = services.settings
        if not settings.web_port:
            return
        sock = socket.socket(socket.AF_INET6 if ":" in settings.web_listen else socket.AF_INET)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((settings.web_listen, settings.web_port))
        except OSError as exc:
            sock.close()
            log_event(
                log, "web.unavailable",
                f"Không mở được bảng điều khiển web trên {settings.web_listen}:{settings.web_port}: {exc.strerror}",
                level=logging.WARNING,
            )
            return
        ctx = WebContext(
            settings=settings, sessionmaker=services.sessionmaker, catalog=services.catalog,
            clock=services.clock, bot=ptb_app.bot, wake_senders=lambda: services.wake_senders(),
        )
        routes = list(getattr(services, "web_routes", None) or [])  # the Zalo webhook, when set
        config = uvicorn.Config(create_app(ctx, extra_routes=routes), log_level="warning", access_log=False, lifespan="off")
        self.server = _Server(config)
        self.task = asyncio.create_task(self.server.serve(sockets=[sock]))
        log_event(log, "web.started", f"Bảng điều khiển web: {settings.web_url}/web", url=settings.web_url)

    async def stop(self) -> None:
        if self.server is not None and self.task is not None:
            self.server.should_exit = True
            await self.task
            self.server = self.task = None


def attach(ptb_app: Any) -> Console:
    """Chain the console's start/stop to the Application's post_init/post_stop."""
    console = Console()
    post_init, post_stop = ptb_app.post_init, ptb_app.post_stop

    async def init(app: Any) -> None:
        if post_init is not None:
            await post_init(app)
        await console.start(app)

    async def stop(app: Any) -> None:
        await console.stop()
        if post_stop is not None:
            await post_stop(app)

    ptb_app.post_init = init
    ptb_app.post_stop = stop
    return console


# --- the Telegram webhook on the console's server ---------------------------------------------
#
# python-telegram-bot's documented "custom webhook" setup: the ASGI application receives
# Telegram's POSTs and puts each Update on the Application's update queue; PTB's own webhook
# server (tornado, another port) is not started. One port behind the reverse proxy serves
# the bot and the console.


def webhook_route(ptb_app: Any, *, path: str, secret: str) -> Any:
    """A Starlette route taking Telegram's updates at `path`; refuses a missing or wrong
    X-Telegram-Bot-Api-Secret-Token (403) and a body that is not an update (400)."""
    import hmac
    import json

    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route
    from telegram import Update

    async def receive(request: Request) -> Response:
        sent = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not hmac.compare_digest(sent.encode(), secret.encode()):
            return Response(status_code=403)
        try:
            data = json.loads(await request.body())
            update = Update.de_json(data, ptb_app.bot)
        except (ValueError, TypeError, KeyError):
            return Response(status_code=400)
        if update is None:
            return Response(status_code=400)
        await ptb_app.update_queue.put(update)
        return Response()

    return Route("/" + path.lstrip("/"), receive, methods=["POST"])


async def run_with_console_webhook(ptb_app: Any, *, url: str, secret: str, stop: asyncio.Event) -> None:
    """Run the bot with its webhook served by the console (WEBHOOK_ON_CONSOLE) until `stop`:
    what `Application.run_webhook` does, with the console's server in place of PTB's."""
    from urllib.parse import urlsplit

    from telegram import Update

    services = ptb_app.bot_data
    services.web_routes = [webhook_route(ptb_app, path=urlsplit(url).path or "/", secret=secret), *services.web_routes]
    await ptb_app.initialize()
    try:
        if ptb_app.post_init is not None:
            await ptb_app.post_init(ptb_app)  # migrations, directory, scheduler, the console
        await ptb_app.bot.set_webhook(url, secret_token=secret, allowed_updates=Update.ALL_TYPES)
        await ptb_app.start()
        try:
            await stop.wait()
        finally:
            await ptb_app.stop()
            if ptb_app.post_stop is not None:
                await ptb_app.post_stop(ptb_app)
    finally:
        await ptb_app.shutdown()
        if ptb_app.post_shutdown is not None:
            await ptb_app.post_shutdown(ptb_app)
