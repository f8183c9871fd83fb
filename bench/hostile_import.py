"""Every file of the hostile corpus (tests/hostile.py) through the real `nhacviec import`,
one process per file, into one SQLite database: the outcome, the wall time per class, and
for every refused file whether the database is exactly as before (a full `nhacviec export`
before and after, compared table by table).

Checks that must all be 0: tracebacks, hangs (over 60 s), refusals longer than one line,
refused files that changed the database, files that ended otherwise than the corpus expects.

Run: python bench/hostile_import.py [--light] [--kind KIND ...]   (about 5–10 minutes)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.hostile import corpus

TIMEOUT = 60


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=env, timeout=TIMEOUT,
        cwd=ROOT, check=False,
    )


def _export(env: dict[str, str], folder: Path) -> dict[str, object]:
    out = folder / "export.json"
    done = _cli(["export", str(out)], env)
    if done.returncode != 0:
        raise SystemExit(f"export failed: {done.stderr}")
    data = json.loads(out.read_text(encoding="utf-8"))
    data.pop("exported_at", None)
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--light", action="store_true", help="leave out the heavy files")
    parser.add_argument("--kind", nargs="*", help="only these classes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'bench.db'}",
            "DATA_DIR": str(ROOT / "data"),
            "LOG_FORMAT": "text",
        }
        env.pop("PROVINCE", None)
        _cli(["db", "upgrade"], env)
        before = _export(env, folder)
        per_kind: dict[str, list[float]] = defaultdict(list)
        problems: list[str] = []
        counts = {"imported": 0, "refused": 0}
        print(f"{'class':16} {'file':30} {'expect':7} {'got':8} {'s':>6}")
        for f in corpus(heavy=not args.light):
            if args.kind and f.kind not in args.kind:
                continue
            path = folder / f.name
            path.write_bytes(f.data)
            start = time.monotonic()
            try:
                done = _cli(["import", str(path)], env)
            except subprocess.TimeoutExpired:
                problems.append(f"{f.name}: hang (> {TIMEOUT} s)")
                continue
            seconds = time.monotonic() - start
            path.unlink()
            output = (done.stdout + done.stderr).strip()
            if "Traceback" in output:
                problems.append(f"{f.name}: traceback")
            got = "import" if done.returncode == 0 else "refuse"
            counts["imported" if got == "import" else "refused"] += 1
            if f.expect != "either" and got != f.expect:
                problems.append(f"{f.name}: expected {f.expect}, got {got}: {output[:200]}")
            if got == "refuse":
                lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
                if len(lines) != 1:
                    problems.append(f"{f.name}: refusal in {len(lines)} lines")
                after = _export(env, folder)
                if after != before:
                    problems.append(f"{f.name}: refused, but the database changed")
            else:
                before = _export(env, folder)  # the new baseline
            per_kind[f.kind].append(seconds)
            print(f"{f.kind:16} {f.name[:30]:30} {f.expect:7} {got:8} {seconds:6.2f}", flush=True)
    print(f"\n{'class':16} {'files':>5} {'max s':>7} {'median s':>9}")
    for kind, times in sorted(per_kind.items()):
        print(f"{kind:16} {len(times):5d} {max(times):7.2f} {statistics.median(times):9.2f}")
    print(f"\nfiles: {sum(counts.values())} ({counts['imported']} imported, {counts['refused']} refused); "
          f"problems: {len(problems)}")
    for problem in problems:
        print(f"  ✗ {problem}")


if __name__ == "__main__":
    main()
