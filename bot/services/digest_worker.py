"""Build a digest (figures, texts, chart, workbook, report draft) in a child process.

For a whole province the digest reads every due item and writes a workbook: seconds of
CPU and a few hundred MB at 100,000 tasks. Done in the bot's process it would hold the
event loop (the row handling between SQL awaits) or the GIL (rendering in a thread), and
every reply of every group would wait behind it; and Python rarely gives the memory back.
So `/baocao` and the scheduled digests call `digest_parts`, which runs
`python -m bot.services.digest_worker` with its own engine on the same database: the bot
only awaits a pipe. The child answers with a pickle on stdout (the parts to send, or the
exception) and its peak RSS as the last stderr line.

The CLI (`nhacviec digest`) builds in its own process already and does not use this.
"""

from __future__ import annotations

import asyncio
import logging
import pickle
import sys
import time
from dataclasses import dataclass
from typing import Any

from bot.domain.digest import DigestPeriod
from bot.services.digests import Part

log = logging.getLogger("nhacviec.digest_worker")


class DigestBuildError(RuntimeError):
    """The child failed: its traceback is the message."""


@dataclass(frozen=True)
class DigestRun:
    """What one build cost (bench/digest.py and bench/replies.py print these)."""

    seconds: float  # wall clock, the child's start-up included
    cpu_seconds: float  # the child's CPU time (its threads included)
    max_rss_mb: float  # the child's peak resident memory


_gate: dict[int, asyncio.Semaphore] = {}  # per event loop: one build at a time


async def digest_parts(
    *, database_url: str, province_id: int, period: DigestPeriod, with_report: bool
) -> tuple[list[Part], DigestRun]:
    """The parts of `period`'s digest for the province, built in a child process."""
    gate = _gate.setdefault(id(asyncio.get_running_loop()), asyncio.Semaphore(1))
    request = pickle.dumps(
        {"database_url": database_url, "province_id": province_id, "period": period, "with_report": with_report}
    )
    async with gate:  # several at once would only share the same two cores, and add up in memory
        start = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.services.digest_worker",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        out, err = await proc.communicate(request)
        run = DigestRun(time.monotonic() - start, *_usage(err))
    try:
        kind, value = pickle.loads(out)
    except Exception as exc:  # noqa: BLE001 - a child that died leaves no (or a torn) answer
        raise DigestBuildError(err.decode("utf-8", "replace")[-4000:] or f"exit code {proc.returncode}") from exc
    if kind != "ok":
        raise DigestBuildError(str(value))
    return value, run


def _usage(err: bytes) -> tuple[float, float]:
    """(CPU seconds, peak RSS MB) from the child's last stderr line "usage cpu=… rss_kb=…"."""
    for line in reversed(err.splitlines()):
        if line.startswith(b"usage "):
            fields = dict(part.split(b"=", 1) for part in line.split()[1:])
            return float(fields[b"cpu"]), int(fields[b"rss_kb"]) / 1024
    return 0.0, 0.0


async def _build(request: dict[str, Any]) -> list[Part]:
    from bot.db.agencies import get_province_by_id
    from bot.db.engine import make_engine, make_sessionmaker
    from bot.services.digests import build_digest, render_digest

    # No memory map: the mapped database's pages would count in this process's peak memory
    # (≈ +10 MB at 100,000 tasks) for no gain in a process that reads the data once or twice.
    engine = make_engine(request["database_url"], sqlite_mmap=False)
    try:
        async with make_sessionmaker(engine)() as session:
            province = await get_province_by_id(session, province_id=request["province_id"])
            if province is None:
                raise DigestBuildError(f"no province {request['province_id']}")
            digest = await build_digest(session, province=province, period=request["period"])
    finally:
        await engine.dispose()
    return render_digest(digest, province_slug=province.slug, with_report=request["with_report"]).parts


def _peak_rss_kb() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


CHILD_NICENESS = 10


def _child() -> None:
    import os
    import traceback

    # Below the bot in the CPU scheduler: on a busy machine (two cores) the replies, not the
    # report, get the core first — a report may take seconds more, a confirmation may not.
    # Not SCHED_IDLE: on a machine kept busy by other work it barely runs at all (the 100k
    # report came 210 s after /baocao against 117 s at niceness 10, load 12, bench/replies.py
    # --report-tasks 100000), and the replies' latency was the same with either.
    os.nice(CHILD_NICENESS)
    request = pickle.loads(sys.stdin.buffer.read())
    try:
        answer: tuple[str, Any] = ("ok", asyncio.run(_build(request)))
    except Exception:  # noqa: BLE001 - reported to the parent, which logs it and retries later
        answer = ("error", traceback.format_exc())
    sys.stdout.buffer.write(pickle.dumps(answer))
    sys.stdout.buffer.flush()
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    sys.stderr.write(f"usage cpu={usage.ru_utime + usage.ru_stime:.2f} rss_kb={_peak_rss_kb()}\n")


if __name__ == "__main__":
    _child()
