"""Time in tests: a running clock the test jumps forward, a stopped clock the test sets, and
polling for a condition (no blind sleeps). One copy for every test module (they each had
their own)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any


class Clock:
    """Aware UTC "now" that runs with real time from `start`; tests jump it forward."""

    def __init__(self, start: datetime) -> None:
        self.start, self.t0 = start, time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.t0)

    def jump(self, to: datetime) -> None:
        self.start, self.t0 = to, time.monotonic()


class StoppedClock:
    """Aware UTC "now" that stands still at `now` until the test sets it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def until(check: Callable[[], Awaitable[Any]], *, timeout: float = 15.0, what: str = "condition") -> Any:
    """Poll an async condition every 20 ms; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout} s")
        await asyncio.sleep(0.02)


def at_local(day: date, hour: int, minute: int = 0) -> datetime:
    """`hour:minute` of `day` in Vietnam (UTC+7), as an aware UTC datetime."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - timedelta(hours=7)
