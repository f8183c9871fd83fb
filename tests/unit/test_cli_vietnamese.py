"""The command line speaks Vietnamese: help pages, "Usage", "[required]", the usage errors —
checked on the real `nhacviec` process, and the error translations table by table."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.render.cli_texts import error_message, usage

ROOT = Path(__file__).resolve().parents[2]
ENGLISH = ("Usage:", "Options", "Arguments", "Commands", "[required]", "Show this message", "Missing", "Try ", "Error")


def nhacviec(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "ADMIN_", "TELEGRAM_"))}
    env.update({"COLUMNS": "120", "PYTHONIOENCODING": "utf-8", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
    # The installed script, as operators type it (`python -m bot` names itself differently).
    script = Path(sys.executable).with_name("nhacviec")
    return subprocess.run([str(script), *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)


def test_help_pages_are_vietnamese(tmp_path: Path) -> None:
    top = nhacviec("--help", tmp_path=tmp_path)
    assert top.returncode == 0, top.stderr
    assert "Cách dùng: nhacviec [OPTIONS] COMMAND [ARGS]..." in top.stdout
    assert "─ Tùy chọn ─" in top.stdout and "─ Lệnh ─" in top.stdout
    assert "Hiện hướng dẫn này rồi thoát." in top.stdout
    assert "calendar" in top.stdout and "Đọc một kế hoạch" in top.stdout
    assert not [word for word in ENGLISH if word in top.stdout]

    sub = nhacviec("parse", "--help", tmp_path=tmp_path)
    assert sub.returncode == 0, sub.stderr
    assert "Cách dùng: nhacviec parse [OPTIONS] {file}" in sub.stdout
    assert "─ Tham số ─" in sub.stdout and "[bắt buộc]" in sub.stdout
    assert "Tệp kế hoạch (.docx, .pdf, .txt)" in sub.stdout
    assert not [word for word in ENGLISH if word in sub.stdout]

    preview = nhacviec("preview", "--help", tmp_path=tmp_path)
    assert "[mặc định: 7]" in preview.stdout


def test_usage_errors_are_vietnamese(tmp_path: Path) -> None:
    missing = nhacviec("parse", tmp_path=tmp_path)
    assert missing.returncode == 2
    assert "Cách dùng: nhacviec parse [OPTIONS] {file}" in missing.stderr
    assert "Xem 'nhacviec parse --help' để biết cách dùng." in missing.stderr
    assert "─ Lỗi ─" in missing.stderr and "Thiếu tham số 'file'." in missing.stderr
    assert not [word for word in ENGLISH if word in missing.stderr]

    unknown = nhacviec("digest", "--dat", "1/1/2026", tmp_path=tmp_path)
    assert unknown.returncode == 2 and "Không có tùy chọn --dat. Có phải ý bạn là --date" in unknown.stderr
    bad = nhacviec("preview", "--days", "abc", tmp_path=tmp_path)
    assert bad.returncode == 2 and "Giá trị không hợp lệ cho '--days': phải là số nguyên." in bad.stderr
    extra = nhacviec("parse", "a.txt", "b.txt", tmp_path=tmp_path)
    assert extra.returncode == 2 and "Thừa tham số: b.txt." in extra.stderr
    command = nhacviec("khongco", tmp_path=tmp_path)
    assert command.returncode == 2 and "Không có lệnh 'khongco'." in command.stderr


@pytest.mark.parametrize(
    ("english", "vietnamese"),
    [
        ("Missing argument 'FILE'.", "Thiếu tham số 'FILE'."),
        ("Missing option '--date'.", "Thiếu tùy chọn '--date'."),
        ("Missing command.", "Thiếu lệnh."),
        ("No such option: --dat Did you mean --date?", "Không có tùy chọn --dat. Có phải ý bạn là --date?"),
        ("No such option: --x", "Không có tùy chọn --x."),
        ("No such command 'khongco'.", "Không có lệnh 'khongco'."),
        ("Got unexpected extra argument (b.txt)", "Thừa tham số: b.txt."),
        ("Got unexpected extra arguments (a b)", "Thừa tham số: a b."),
        ("Got unexpected extra argument(s) (b)", "Thừa tham số: b."),
        ("Invalid value for '--days': Input should be a valid integer, unable to parse string as an integer",
         "Giá trị không hợp lệ cho '--days': phải là số nguyên."),
        ("Invalid value for '--days': Input should be greater than or equal to 1",
         "Giá trị không hợp lệ cho '--days': phải lớn hơn hoặc bằng 1."),
        ("Option '--date' requires an argument.", "Tùy chọn '--date' cần một giá trị."),
        ("Invalid value for '--days': 'abc' is not a valid integer.",
         "Giá trị không hợp lệ cho '--days': 'abc' không phải là số nguyên."),
        ("Invalid value for '--days': 0 is not in the range 1<=x<=366.",
         "Giá trị không hợp lệ cho '--days': 0 nằm ngoài khoảng 1<=x<=366."),
        ("Invalid value for 'FILE': File 'a.txt' does not exist.", "Giá trị không hợp lệ cho 'FILE': Không có 'a.txt'."),
        ("Something Click may say one day.", "Something Click may say one day."),  # unknown: unchanged
    ],
)
def test_error_messages(english: str, vietnamese: str) -> None:
    assert error_message(english) == vietnamese


def test_usage_prefix() -> None:
    assert usage("Usage: nhacviec parse [OPTIONS] {file}") == "Cách dùng: nhacviec parse [OPTIONS] {file}"
    assert usage("  Usage: x") == "  Cách dùng: x"
    assert usage("nothing to change") == "nothing to change"
