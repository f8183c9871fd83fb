"""Fixtures for end-to-end tests against the fake Telegram Bot API (tests/fakebot)."""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:  # `tests` is not an installed package
    sys.path.insert(0, str(_ROOT))

from telegram.ext import ApplicationBuilder  # noqa: E402

from tests.fakebot import FakeBotApi, application_builder  # noqa: E402


@pytest.fixture
async def fake_bot_api(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeBotApi]:
    """A started FakeBotApi (defaults: no rate limits, strict HTML, privacy mode on)."""
    # httpx honours HTTP(S)_PROXY; never send the fake server's traffic through a proxy.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    async with FakeBotApi() as server:
        yield server


@pytest.fixture
def ptb_builder(fake_bot_api: FakeBotApi) -> Callable[[], ApplicationBuilder]:
    """Factory of ApplicationBuilder wired to ``fake_bot_api``; add handlers, then ``.build()``.

    Run the built app with ``tests.fakebot.running_application(app)``.
    """
    return lambda: application_builder(fake_bot_api)


class _ErrorLogs(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def no_error_logs() -> Iterator[_ErrorLogs]:
    """Fail the test if PTB, asyncio or aiohttp log a warning or error (e.g. a polling error,
    an unhandled handler exception, a task destroyed while pending)."""
    handler = _ErrorLogs()
    loggers = [logging.getLogger(n) for n in ("telegram", "asyncio", "aiohttp")]
    for lg in loggers:
        lg.addHandler(handler)
    try:
        yield handler
    finally:
        for lg in loggers:
            lg.removeHandler(handler)
    problems = [f"{r.name}: {r.getMessage()}" for r in handler.records]
    assert not problems, "unexpected log records:\n" + "\n".join(problems)
