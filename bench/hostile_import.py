"""Every file of the hostile corpus (tests/hostile.py) through the real `nhacviec import`,
one process per file, into one SQLite database: the outcome, the wall time per class, and
for every refused file whether the database is exactly as before (a full `nhacviec export`
before and after, compared table by table).

Checks that must all be 0: tracebacks, hangs (over 60 s), refusals longer than one line,
refused files that changed the database, files that ended otherwise than the corpus expects,
and files over the stated bound: 10 s of CPU time (the import process and its parse worker
together) or 300 MB peak resident memory (the largest process of the tree, from wait4's
rusage). Wall time is printed too; on an idle machine it is close to the CPU time, on a busy
one it is not, which is why the bound is checked on CPU time.

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


BOUND_CPU_S = 10.0
BOUND_MB = 300.0


# A fork of this process would carry its peak RSS (the corpus is held in memory) into the
# child's rusage, since exec records the old address space's high-water mark. So each import
# is started by a small launcher process, whose own fork is small, and which reports the
# import's rusage (the import and the parse worker it waited for) in a file.
_LAUNCHER = """
import json, os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as f:
    json.dump({"cpu": usage.ru_utime + usage.ru_stime, "kb": usage.ru_maxrss}, f)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def _timed_import(path: Path, env: dict[str, str]) -> tuple[int, str, str, float, float]:
    """Run `nhacviec import PATH`; return (rc, stdout, stderr, cpu seconds, peak MB)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile(suffix=".json") as usage_file:
        proc = subprocess.Popen(
            [sys.executable, "-c", _LAUNCHER, usage_file.name, sys.executable, "-m", "bot", "import", str(path)],
            stdout=out, stderr=err, env=env, cwd=ROOT, start_new_session=True,
        )
        try:
            rc = proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()
            raise
        usage = json.loads(Path(usage_file.name).read_text() or "{}")
        out.seek(0)
        err.seek(0)
        return (
            rc, out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"),
            float(usage.get("cpu", 0.0)), float(usage.get("kb", 0)) / 1024,
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
        per_kind: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
        problems: list[str] = []
        counts = {"imported": 0, "refused": 0}
        print(f"load average at start: {os.getloadavg()[0]:.2f}")
        print(f"{'class':16} {'file':30} {'expect':7} {'got':8} {'wall s':>6} {'cpu s':>6} {'MB':>6}")
        for f in corpus(heavy=not args.light):
            if args.kind and f.kind not in args.kind:
                continue
            path = folder / f.name
            path.write_bytes(f.data)
            start = time.monotonic()
            try:
                rc, stdout, stderr, cpu, megabytes = _timed_import(path, env)
            except subprocess.TimeoutExpired:
                problems.append(f"{f.name}: hang (> {TIMEOUT} s)")
                continue
            seconds = time.monotonic() - start
            path.unlink()
            output = (stdout + stderr).strip()
            if "Traceback" in output:
                problems.append(f"{f.name}: traceback")
            got = "import" if rc == 0 else "refuse"
            if cpu > BOUND_CPU_S or megabytes > BOUND_MB:
                problems.append(f"{f.name}: over the bound ({cpu:.1f} s CPU, {megabytes:.0f} MB)")
            counts["imported" if got == "import" else "refused"] += 1
            if f.expect != "either" and got != f.expect:
                problems.append(f"{f.name}: expected {f.expect}, got {got}: {output[:200]}")
            if got == "refuse":
                lines = [line for line in stderr.strip().splitlines() if line.strip()]
                if len(lines) != 1:
                    problems.append(f"{f.name}: refusal in {len(lines)} lines")
                after = _export(env, folder)
                if after != before:
                    problems.append(f"{f.name}: refused, but the database changed")
            else:
                before = _export(env, folder)  # the new baseline
            per_kind[f.kind].append((seconds, cpu, megabytes))
            print(f"{f.kind:16} {f.name[:30]:30} {f.expect:7} {got:8} {seconds:6.2f} {cpu:6.2f} {megabytes:6.0f}",
                  flush=True)
    print(f"\nload average at end: {os.getloadavg()[0]:.2f}")
    print(f"{'class':16} {'files':>5} {'max wall s':>10} {'median wall s':>13} {'max cpu s':>9} {'max MB':>6}")
    for kind, runs in sorted(per_kind.items()):
        walls = [r[0] for r in runs]
        print(f"{kind:16} {len(runs):5d} {max(walls):10.2f} {statistics.median(walls):13.2f} "
              f"{max(r[1] for r in runs):9.2f} {max(r[2] for r in runs):6.0f}")
    print(f"\nfiles: {sum(counts.values())} ({counts['imported']} imported, {counts['refused']} refused); "
          f"problems: {len(problems)}")
    for problem in problems:
        print(f"  ✗ {problem}")


if __name__ == "__main__":
    main()
