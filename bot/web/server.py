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
            clock=services.clock, bot=ptb_app.bot,
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
