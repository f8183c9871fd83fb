"""Wiring the real PTB Application to a FakeBotApi."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from telegram.ext import Application, ApplicationBuilder

from .server import FakeBotApi

__all__ = ["application_builder", "running_application"]


def application_builder(server: FakeBotApi, *, token: str | None = None) -> ApplicationBuilder:
    """An ApplicationBuilder pointed at ``server`` (PTB appends the token to both URLs)."""
    return (
        Application.builder()
        .token(token or server.token)
        .base_url(server.base_url)
        .base_file_url(server.base_file_url)
    )


@asynccontextmanager
async def running_application(
    app: Application,
    *,
    poll_timeout: int = 1,
    allowed_updates: Sequence[str] | None = None,
    drop_pending_updates: bool = False,
) -> AsyncIterator[Application]:
    """initialize → start → start_polling; on exit updater.stop → stop → shutdown.

    ``poll_timeout`` is the getUpdates long-poll timeout in seconds; keep it short so stopping
    never waits for a long poll.
    """
    await app.initialize()
    try:
        await app.start()
        await app.updater.start_polling(
            poll_interval=0,
            timeout=poll_timeout,
            allowed_updates=allowed_updates,
            drop_pending_updates=drop_pending_updates,
        )
        yield app
    finally:
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
