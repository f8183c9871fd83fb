"""Issue 12 through the real `nhacviec` command: --province and PROVINCE by slug or name,
one Vietnamese line and exit code 2 for an unknown one, refusal of a plan from another
province (exit 1, both named), --force-province, and every sample plan filed under its
current unit with no --province."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLANS = ROOT / "data" / "plans"
QUANG_NGAI = (
    "ỦY BAN NHÂN DÂN\nTỈNH QUẢNG NGÃI\n-------\nSố: 77/KH-UBND\n"
    "Quảng Ngãi, ngày 21 tháng 11 năm 2025\nKẾ HOẠCH\nCải cách hành chính năm 2026\n"
    "I. NHIỆM VỤ\n1. Sở Nội vụ rà soát thủ tục hành chính trước ngày 30/6/2026.\n"
)


def nhacviec(*args: str, env: dict[str, str] | None = None, cwd: Path) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("PROVINCE", "DATABASE_URL")}
    base.update(env or {})
    return subprocess.run(
        [sys.executable, "-c", "from bot.cli import main; main()", *args],
        capture_output=True, text=True, env=base, cwd=cwd, timeout=120, check=False,
    )


@pytest.fixture
def plan(tmp_path: Path) -> Path:
    path = tmp_path / "quang-ngai-77.txt"
    path.write_text(QUANG_NGAI, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("binh-duong-6898-KH-UBND-2023.txt", "ho-chi-minh"),
        ("soc-trang-48-KH-UBND-2016.txt", "can-tho"),
        ("vinh-long-18-KH-UBND-2025.txt", "vinh-long"),
        ("tuyen-quang-232-KH-UBND-2022.txt", "tuyen-quang"),
        ("phu-tho-1782-KH-UBND-2021.txt", "phu-tho"),
    ],
)
def test_sample_plans_are_filed_under_their_current_unit(tmp_path, name, slug):
    done = nhacviec("parse", str(PLANS / name), "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)["plan"]
    assert plan["province"] == slug


@pytest.mark.parametrize("value", ["Quảng Ngãi", "quang ngai", "quang-ngai", "QUẢNG NGÃI"])
def test_province_by_name_in_any_spelling(tmp_path, plan, value):
    done = nhacviec("parse", str(plan), "--json", "--province", value, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["plan"]["province"] == "quang-ngai"


def test_unknown_province_option_is_one_line_exit_2(tmp_path, plan):
    done = nhacviec("parse", str(plan), "--province", "quang ngia", cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert "“quang ngia”" in lines[0] and "Quảng Ngãi (quang-ngai)" in lines[0]
    # the same for import, before any file is read
    done = nhacviec("import", str(plan), "--province", "standard", cwd=tmp_path)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1


def test_unknown_province_setting_is_one_line_exit_2(tmp_path, plan):
    done = nhacviec("parse", str(plan), env={"PROVINCE": "Hà Nọi Cũ"}, cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Cấu hình sai: PROVINCE")
    assert "Traceback" not in done.stderr


def test_province_setting_by_name(tmp_path, plan):
    done = nhacviec("parse", str(plan), "--json", env={"PROVINCE": "Quảng Ngãi"}, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["plan"]["province"] == "quang-ngai"


@pytest.mark.parametrize("how", ["option", "setting"])
def test_a_plan_of_another_province_is_refused_naming_both(tmp_path, plan, how):
    if how == "option":
        done = nhacviec("parse", str(plan), "--province", "phu-tho", cwd=tmp_path)
    else:
        done = nhacviec("parse", str(plan), env={"PROVINCE": "phu-tho"}, cwd=tmp_path)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert "tỉnh Quảng Ngãi" in lines[0] and "tỉnh Phú Thọ" in lines[0] and "--force-province" in lines[0]
    assert done.stdout == ""


def test_force_province(tmp_path, plan):
    done = nhacviec("parse", str(plan), "--json", "--province", "Phú Thọ", "--force-province", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)["plan"]
    assert data["province"] == "phu-tho" and "Quảng Ngãi" in (data["issuer"] or "")


def test_a_plan_naming_no_province_asks_for_one(tmp_path):
    path = tmp_path / "kh.txt"
    path.write_text("KẾ HOẠCH\nI. NHIỆM VỤ\n1. Làm việc A trước ngày 30/6/2026.\n", encoding="utf-8")
    done = nhacviec("parse", str(path), cwd=tmp_path)
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1 and "--province" in done.stderr
