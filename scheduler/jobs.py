"""Job callbacks that a stopping bot may interrupt without it being an error.

`Application.stop()` marks the application as no longer running, then stops the JobQueue;
APScheduler's asyncio executor cancels the jobs still running then and logs each one as
"Error running job" (the cancellation is not an Exception it expects). A tick or a catch-up
interrupted by a stop is not an error: its writes are transactional, and the next start
catches up. So the scheduled callbacks are wrapped: a cancellation while the application is
stopping ends the job quietly; any other cancellation still propagates.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from functools import wraps
from typing import Any

log = logging.getLogger("nhacviec.scheduler")


def stoppable(callback: Callable[[Any], Coroutine[Any, Any, None]]) -> Callable[[Any], Coroutine[Any, Any, None]]:
    """`callback` (a PTB job callback), ending quietly when the bot's stop cancels it."""

    @wraps(callback)
    async def run(context: Any) -> None:
        try:
            await callback(context)
        except asyncio.CancelledError:
            if context.application.running:
                raise
            log.info("Việc định kỳ %s dừng giữa chừng vì bot đang dừng; lần khởi động sau sẽ chạy bù", getattr(context.job, "name", "?"))

    return run
