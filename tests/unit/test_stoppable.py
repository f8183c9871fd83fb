"""scheduler.jobs.stoppable: a job the bot's stop cancels ends quietly; any other
cancellation (and any error) still propagates."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from scheduler.jobs import stoppable


def _context(running: bool) -> SimpleNamespace:
    return SimpleNamespace(application=SimpleNamespace(running=running), job=SimpleNamespace(name="demo"))


async def _cancelled_while(running: bool) -> asyncio.Task[None]:
    started = asyncio.Event()

    @stoppable
    async def job(context: object) -> None:
        started.set()
        await asyncio.Event().wait()

    task = asyncio.create_task(job(_context(running)))
    await started.wait()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return task


async def test_a_job_cancelled_by_the_stop_ends_quietly() -> None:
    task = await _cancelled_while(running=False)
    assert not task.cancelled() and task.exception() is None


async def test_a_job_cancelled_while_the_bot_runs_is_still_cancelled() -> None:
    task = await _cancelled_while(running=True)
    assert task.cancelled()


async def test_errors_still_propagate() -> None:
    @stoppable
    async def job(context: object) -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        await job(_context(running=False))
