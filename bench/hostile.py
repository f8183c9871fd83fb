"""Every file of the hostile corpus (tests/hostile.py, 209 files) through the parse worker
that `nhacviec import` and the bot's upload use: the outcome, wall time and the child's
peak memory per file, then per class (max and median), and the count of files that
ended otherwise than the corpus expects (tracebacks, hangs, wrong verdicts: must be 0).

Run: python bench/hostile.py [--light] [--kind KIND ...]
Times include the child's start (~0.3 s); the worker's limits are 30 s and 640 MB.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.domain.plans.document import PlanReadError
from bot.services import parse_worker
from tests.hostile import corpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--light", action="store_true", help="leave out the heavy files")
    parser.add_argument("--kind", nargs="*", help="only these classes")
    args = parser.parse_args()
    per_kind: dict[str, list[tuple[float, float]]] = defaultdict(list)
    wrong: list[str] = []
    total = 0
    print(f"{'class':16} {'file':28} {'expect':7} {'got':12} {'s':>6} {'MB':>6}")
    for f in corpus(heavy=not args.light):
        if args.kind and f.kind not in args.kind:
            continue
        total += 1
        data = f.data
        start = time.monotonic()
        try:
            draft, run = parse_worker.run(data, f.name, data_dir=ROOT / "data", province=None,
                                          max_bytes=20 * 2**20)
            got = f"ok:{len(draft.tasks)}"
        except PlanReadError as exc:
            run, got = parse_worker.last_run(), exc.code
            if "\n" in exc.message or exc.code in ("unreadable",):
                wrong.append(f"{f.name}: {exc.code} {exc.message}")
        except Exception as exc:  # noqa: BLE001 - the parser's own refusals (province)
            run, got = parse_worker.last_run(), type(exc).__name__
            if not hasattr(exc, "message"):
                wrong.append(f"{f.name}: {exc!r}")
        seconds = run.seconds if run else time.monotonic() - start
        rss = run.max_rss_mb if run else 0.0
        imported = got.startswith("ok")
        if (f.expect == "import" and not imported) or (f.expect == "refuse" and imported):
            wrong.append(f"{f.name}: expected {f.expect}, got {got}")
        per_kind[f.kind].append((seconds, rss))
        print(f"{f.kind:16} {f.name[:28]:28} {f.expect:7} {got[:12]:12} {seconds:6.2f} {rss:6.0f}", flush=True)
    print()
    print(f"{'class':16} {'files':>5} {'max s':>7} {'median s':>9} {'max MB':>7}")
    for kind, runs in per_kind.items():
        times = [t for t, _ in runs]
        print(f"{kind:16} {len(runs):5} {max(times):7.2f} {statistics.median(times):9.2f} "
              f"{max(m for _, m in runs):7.0f}")
    print(f"\n{total} files, {len(wrong)} wrong")
    for line in wrong:
        print("  WRONG", line)


if __name__ == "__main__":
    main()
