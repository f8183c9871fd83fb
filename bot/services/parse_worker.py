"""Read and parse a plan in a child process with a hard time and memory limit.

The readers cap what they know to be expensive (bot.domain.plans.readers.limits), but a
file is hostile input and the libraries under them (lxml, pdfminer) have their own slow
paths. So the CLI (`nhacviec parse`/`import`) and the bot's upload both read through
`read_and_parse` here: the work runs in `python -m bot.services.parse_worker` with

- an address-space limit (RLIMIT_AS, default 640 MB; the interpreter with the readers
  loaded takes ~100 MB of it, the rest is for the file), and a CPU-time limit;
- a wall-clock limit enforced by the parent, which kills the child when it is exceeded.

Either limit ends in a PlanReadError("too_complex") with one Vietnamese sentence, as
does a child that dies for any other reason; the parent (the bot's event loop, the
CLI) is never slowed or grown by the file. A child process rather than a thread: a
thread can be neither stopped nor limited in memory. At most `MAX_WORKERS` children
run at once, so a burst of uploads cannot take the machine's memory.

The child answers with a pickle on stdout: ("ok", draft) or ("error", exception) for
the refusals the readers and parser raise on purpose (Vietnamese `.message`); any other
exception is a bug, logged here with the child's traceback and refused as "unreadable".
"""

from __future__ import annotations

import logging
import os
import pickle
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.catalog import Catalog
from bot.domain.plans.document import PlanReadError
from bot.domain.plans.draft import PlanDraft
from bot.domain.plans.readers import errors
from bot.render import imports as import_texts

log = logging.getLogger("nhacviec.parse_worker")

MAX_WORKERS = 2
_slots = threading.BoundedSemaphore(MAX_WORKERS)


@dataclass(frozen=True)
class WorkerLimits:
    seconds: float = 30.0  # wall clock, start-up included
    memory_mb: int = 640  # address space of the child


DEFAULT_LIMITS = WorkerLimits()


@dataclass(frozen=True)
class WorkerRun:
    """What one child cost (bench/hostile.py prints these)."""

    seconds: float
    max_rss_mb: float  # the child's peak resident memory
    outcome: str  # "ok", the refusal code, "timeout", "memory", "crash"


def read_and_parse(
    data: bytes, filename: str, *, catalog: Catalog, limits: WorkerLimits = DEFAULT_LIMITS, **kwargs: Any
) -> PlanDraft:
    """bot.services.plans.read_and_parse, in a limited child process.

    Same arguments (`catalog` is rebuilt from its data folder in the child) and the same
    exceptions, plus PlanReadError("too_complex"/"unreadable") when the child is stopped.
    """
    draft, _run = run(data, filename, data_dir=catalog.data_dir, limits=limits, **kwargs)
    return draft


def run(
    data: bytes, filename: str, *, data_dir: Path, limits: WorkerLimits = DEFAULT_LIMITS, **kwargs: Any
) -> tuple[PlanDraft, WorkerRun]:
    request = pickle.dumps({"data": data, "filename": filename, "data_dir": str(data_dir), "kwargs": kwargs})
    with _slots:
        start = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.services.parse_worker", str(limits.memory_mb), str(int(limits.seconds) + 1)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        try:
            out, err = proc.communicate(request, timeout=limits.seconds)
            timed_out = False
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            timed_out = True
        seconds = time.monotonic() - start
    rss = _child_rss_mb(err)
    if timed_out:
        _record(filename, WorkerRun(seconds, rss, "timeout"))
        raise errors.too_complex(import_texts.read_too_long(limits.seconds))
    try:
        answer = pickle.loads(out) if out else None
    except Exception:  # noqa: BLE001 - a child killed mid-write leaves a torn pickle
        answer = None
    if not answer:
        if proc.returncode != 0 and (proc.returncode < 0 or b"MemoryError" in err):
            # Killed by a signal (the CPU limit's SIGXCPU/SIGKILL) or out of memory.
            outcome = "memory" if b"MemoryError" in err else "crash"
            _record(filename, WorkerRun(seconds, rss, outcome), err)
            if outcome == "memory":
                raise errors.too_complex(import_texts.needs_memory(limits.memory_mb))
            raise errors.too_complex(import_texts.read_too_long(limits.seconds))
        _record(filename, WorkerRun(seconds, rss, "crash"), err)
        raise errors.unreadable()
    kind, value = answer
    if kind == "ok":
        _record(filename, WorkerRun(seconds, rss, "ok"))
        return value, WorkerRun(seconds, rss, "ok")
    if kind == "error":
        _record(filename, WorkerRun(seconds, rss, getattr(value, "code", type(value).__name__)))
        raise value
    if kind == "memory":
        _record(filename, WorkerRun(seconds, rss, "memory"))
        raise errors.too_complex(import_texts.needs_memory(limits.memory_mb))
    _record(filename, WorkerRun(seconds, rss, "crash"), str(value).encode())
    raise errors.unreadable()


# The last run per thread, for the bench (one child per call, so no cross-talk).
_last = threading.local()


def last_run() -> WorkerRun | None:
    return getattr(_last, "run", None)


def _record(filename: str, outcome: WorkerRun, detail: bytes = b"") -> None:
    _last.run = outcome
    if outcome.outcome in ("timeout", "memory", "crash"):
        log.warning(
            "Đọc tệp %s dừng (%s) sau %.1f s, %.0f MB: %s",
            filename, outcome.outcome, outcome.seconds, outcome.max_rss_mb,
            detail.decode("utf-8", "replace")[-2000:],
            extra={"event": "plan.read_stopped", "fields": {
                "file_name": filename, "outcome": outcome.outcome,
                "seconds": round(outcome.seconds, 2), "max_rss_mb": round(outcome.max_rss_mb),
            }},
        )


def _child_rss_mb(err: bytes) -> float:
    """The child writes its peak RSS as the last stderr line ("rss_kb=N")."""
    for line in reversed(err.splitlines()):
        if line.startswith(b"rss_kb="):
            try:
                return int(line[7:]) / 1024
            except ValueError:
                break
    return 0.0


def _child(memory_mb: int, cpu_seconds: int) -> None:
    import resource
    import traceback

    resource.setrlimit(resource.RLIMIT_AS, (memory_mb * 2**20, memory_mb * 2**20))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    request = pickle.loads(sys.stdin.buffer.read())
    try:
        draft = _read_and_parse(request["data"], request["filename"], Path(request["data_dir"]), **request["kwargs"])
        answer: tuple[str, Any] = ("ok", draft)
    except MemoryError:
        answer = ("memory", None)
    except Exception as exc:  # noqa: BLE001 - sorted below: a refusal or a bug
        if isinstance(getattr(exc, "message", None), str) and _expected(exc):
            answer = ("error", exc)
        else:
            answer = ("crash", traceback.format_exc())
    try:
        payload = pickle.dumps(answer)
    except Exception:  # noqa: BLE001 - a value that does not pickle: the message still does
        message = getattr(answer[1], "message", None)
        payload = pickle.dumps(
            ("error", PlanReadError("unreadable", message)) if isinstance(message, str) else ("crash", repr(answer))
        )
    sys.stdout.buffer.write(payload)
    sys.stdout.buffer.flush()
    sys.stderr.write(f"rss_kb={_peak_rss_kb()}\n")


def _read_and_parse(data: bytes, filename: str, data_dir: Path, *, max_bytes: int, **kwargs: Any) -> PlanDraft:
    """bot.services.plans.read_and_parse without importing bot.services (SQLAlchemy and
    the models take ~1 s to import; the domain ~0.2 s): a child starts per file.
    tests/unit/test_parse_worker.py checks that both give the same draft."""
    from bot.domain.plans.parser import parse_plan
    from bot.domain.plans.readers import read_plan

    catalog = Catalog(data_dir)
    document = read_plan(data, filename, max_bytes=max_bytes)
    return parse_plan(
        document, provinces=catalog.provinces, load_directory=catalog.directory, **kwargs
    )


def _peak_rss_kb() -> int:
    """This process's own peak RSS. Not ru_maxrss: Linux keeps the parent's peak in it
    across fork and exec, so a child of a big parent would report the parent's size."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _expected(exc: Exception) -> bool:
    """Refusals raised on purpose: the readers' and the parser's Vietnamese errors."""
    from bot.domain.plans import parser

    return isinstance(exc, PlanReadError) or type(exc).__module__ == parser.__name__


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    _child(int(sys.argv[1]), int(sys.argv[2]))
