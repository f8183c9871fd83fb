"""Figures of issue 16 (the status use case and the layering), printed for a before/after note.

    python bench/layering.py            # from the repository root
    python bench/layering.py --list     # only the handler callbacks over 15 lines, longest first
    python bench/layering.py --literals # only the Vietnamese literals outside bot/render, by place

- lines of handlers/status.py;
- handler callbacks (``async def f(update, context)`` in handlers/): how many are over 15
  lines, and the median length;
- ``repo.`` calls and ``bot.db`` imports in handlers/;
- user-facing Vietnamese string literals: the share that lives in bot/render/. A literal
  counts when it holds a Vietnamese letter with a diacritic and is neither a docstring nor an
  argument of a logging call; bot/domain/ is left out (its Vietnamese literals are the reply
  and deadline grammars, never shown);
- ``type: ignore`` comments in bot/, handlers/, scheduler/;
- mypy --strict errors on bot/domain and bot/services (and on everything mypy checks).
"""

from __future__ import annotations

import ast
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "scheduler")
VIETNAMESE = re.compile(r"[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]", re.I)
LOG_CALLS = {"debug", "info", "warning", "error", "exception", "critical", "log_event"}


def files(*roots: str) -> list[Path]:
    return sorted(p for r in roots for p in (ROOT / r).rglob("*.py"))


def callbacks() -> list[tuple[str, int]]:
    found = []
    for path in files("handlers"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.AsyncFunctionDef):
                args = [a.arg for a in node.args.args]
                if args[:2] == ["update", "context"]:
                    assert node.end_lineno is not None
                    found.append((f"{path.relative_to(ROOT)}:{node.name}", node.end_lineno - node.lineno + 1))
    return found


def docstring_nodes(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def log_nodes(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in LOG_CALLS:
                for arg in [*node.args, *(k.value for k in node.keywords)]:
                    ids.update(id(n) for n in ast.walk(arg))
    return ids


def vietnamese_literals(outside: list[str] | None = None) -> tuple[int, int]:
    """(in bot/render, total); `outside` collects "path:line: text" of the others."""
    in_render = total = 0
    for path in files(*PACKAGES):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("bot/domain/"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = docstring_nodes(tree) | log_nodes(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
                if VIETNAMESE.search(node.value):
                    total += 1
                    in_render += rel.startswith("bot/render/")
                    if outside is not None and not rel.startswith("bot/render/"):
                        outside.append(f"{rel}:{node.lineno}: {node.value[:60]!r}")
    return in_render, total


def mypy_strict(*targets: str) -> int:
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", *targets],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    match = re.search(r"Found (\d+) errors?", run.stdout)
    return int(match.group(1)) if match else 0


def list_long() -> None:
    for name, n in sorted(callbacks(), key=lambda c: (-c[1], c[0])):
        if n > 15:
            print(f"{n:4d}  {name}")


def main() -> None:
    if "--list" in sys.argv[1:]:
        list_long()
        return
    if "--literals" in sys.argv[1:]:
        outside: list[str] = []
        vietnamese_literals(outside)
        print("\n".join(outside))
        return
    status_lines = len((ROOT / "handlers/status.py").read_text(encoding="utf-8").splitlines())
    lengths = callbacks()
    over = [name for name, n in lengths if n > 15]
    handler_src = "\n".join(p.read_text(encoding="utf-8") for p in files("handlers"))
    repo_calls = len(re.findall(r"\brepo\.\w+\(", handler_src))
    db_imports = len(re.findall(r"^\s*(?:from bot\.db\b|import bot\.db\b)", handler_src, re.M))
    ignores = sum(p.read_text(encoding="utf-8").count("type: ignore") for p in files(*PACKAGES))
    in_render, total = vietnamese_literals()
    print(f"handlers/status.py lines: {status_lines}")
    print(f"handler callbacks: {len(lengths)}, over 15 lines: {len(over)}, "
          f"median {statistics.median(n for _, n in lengths):g} lines, longest {max(n for _, n in lengths)}")
    print(f"repo.* calls in handlers/: {repo_calls}; bot.db imports in handlers/: {db_imports}")
    print(f"user-facing Vietnamese literals in bot/render/: {in_render}/{total} = {100 * in_render / total:.0f}%")
    print(f"type: ignore in bot/, handlers/, scheduler/: {ignores}")
    print(f"mypy --strict errors, bot/domain + bot/services: {mypy_strict('bot/domain', 'bot/services')}")
    print(f"mypy --strict errors, bot handlers scheduler: {mypy_strict('bot', 'handlers', 'scheduler')}")


if __name__ == "__main__":
    main()
