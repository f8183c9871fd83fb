"""`nhacviec …` run in the test's own process: bot.cli.main with its own error handling
(exit codes 1 and 2, one-line errors on stderr), stdout and stderr captured.

As observable as a real process for what the CLI prints and returns, without starting a
Python interpreter and importing the whole bot for each command (about a second each on a
busy machine). Tests of process behaviour (signals, kill, two processes) keep spawning.

`main` runs in a thread of its own because it calls asyncio.run, which refuses to run inside
the test's event loop; the caller waits for it. argv, the environment, the working
directory and sys.stdout/err are process-wide: one command at a time (a lock).
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from bot.cli import main

_ONE_AT_A_TIME = threading.Lock()
_CLEARED = ("DATABASE_", "ADMIN_", "TELEGRAM_")  # settings of the developer's shell


@dataclass(frozen=True)
class CliResult:
    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> CliResult:
    """`nhacviec *args` in `cwd` with `env` added to a cleaned environment."""
    out, err = io.StringIO(), io.StringIO()
    code: list[int] = []

    def target() -> None:
        try:
            main()
        except SystemExit as exc:
            code.append(exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1))
        else:
            code.append(0)

    with _ONE_AT_A_TIME:
        saved_env, saved_argv, saved_cwd = dict(os.environ), sys.argv, Path.cwd()
        try:
            for key in [k for k in os.environ if k.startswith(_CLEARED)]:
                del os.environ[key]
            os.environ.update({"COLUMNS": "200", **(env or {})})
            sys.argv = ["nhacviec", *args]
            os.chdir(cwd)
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                thread = threading.Thread(target=target, name="nhacviec-cli")
                thread.start()
                thread.join()
        finally:
            os.chdir(saved_cwd)
            sys.argv = saved_argv
            os.environ.clear()
            os.environ.update(saved_env)
    return CliResult(code[0] if code else 1, out.getvalue(), err.getvalue())
