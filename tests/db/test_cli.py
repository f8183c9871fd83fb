"""The `nhacviec` command line against SQLite and PostgreSQL, run in-process (cli_inprocess:
bot.cli.main with its exit codes and streams); process behaviour is tested in tests/e2e."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from pathlib import Path

from cli_inprocess import CliResult, run_cli
from sqlalchemy import select

from bot.db.engine import make_engine, make_sessionmaker
from bot.db.models import DueItem, Plan, Task
from bot.db.status_changes import change_status
from bot.domain.status import ChangeSource, Status

ROOT = Path(__file__).resolve().parents[2]
PLANS = ROOT / "data" / "plans"
PHU_THO = PLANS / "phu-tho-1782-KH-UBND-2021.txt"


def run(*args: str, db_url: str, cwd: Path, extra_env: dict[str, str] | None = None) -> CliResult:
    return run_cli(*args, cwd=cwd, env={"DATABASE_URL": db_url, **(extra_env or {})})


async def count(db_url: str, model) -> int:  # noqa: ANN001
    engine = make_engine(db_url)
    try:
        async with make_sessionmaker(engine)() as session:
            return len((await session.execute(select(model))).scalars().all())
    finally:
        await engine.dispose()


async def test_import_all_samples_then_again_changes_nothing(db_url, tmp_path):
    files = sorted(str(p) for p in PLANS.glob("*.txt"))
    first = run("import", *files, db_url=db_url, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "Đã nhập Kế hoạch 1782/KH-UBND: 39 nhiệm vụ" in first.stdout
    assert first.stdout.count("✓") == 5
    assert await count(db_url, Plan) == 5
    items = await count(db_url, DueItem)

    again = run("import", *files, db_url=db_url, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("không thay đổi") == 5
    assert await count(db_url, DueItem) == items


async def test_edited_plan_updates_and_keeps_reported_status(db_url, tmp_path):
    assert run("import", str(PHU_THO), db_url=db_url, cwd=tmp_path).returncode == 0
    engine = make_engine(db_url)
    sessionmaker = make_sessionmaker(engine)
    try:
        async with sessionmaker() as session, session.begin():
            item = (
                await session.execute(
                    select(DueItem).join(Task).where(Task.ref == "2", DueItem.due_on == date(2021, 6, 30))
                )
            ).scalar_one()
            await change_status(
                session, item=item, status=Status.DONE, today=date(2021, 6, 20),
                now=datetime(2021, 6, 20, 3, tzinfo=UTC),
                actor_tg_id=1, actor_name="Nguyễn Văn A", source=ChangeSource.COMMAND,
            )
        edited = tmp_path / "phu-tho-sua.txt"
        edited.write_text(
            PHU_THO.read_text(encoding="utf-8").replace("Hoàn thành trong tháng\n11/2021", "Hoàn thành trong tháng\n12/2021"),
            encoding="utf-8",
        )
        result = run("import", str(edited), db_url=db_url, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert "Đã cập nhật Kế hoạch 1782/KH-UBND" in result.stdout
        assert "Nhiệm vụ 33 đổi: thời hạn" in result.stdout
        async with sessionmaker() as session:
            kept = (await session.execute(select(DueItem).where(DueItem.id == item.id))).scalar_one()
            assert kept.status is Status.DONE
            dates = (
                await session.execute(
                    select(DueItem.due_on, DueItem.cancelled).join(Task).where(Task.ref == "33")
                )
            ).all()
            assert sorted(dates) == [(date(2021, 11, 30), True), (date(2021, 12, 31), False)]
    finally:
        await engine.dispose()


async def test_tasks_table_filters(db_url, tmp_path):
    assert run("import", str(PHU_THO), db_url=db_url, cwd=tmp_path).returncode == 0
    result = run("tasks", "--agency", "so tu phap", "--due-before", "31/12/2021", db_url=db_url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Sở Tư pháp" in result.stdout and "Sở Nội vụ" not in result.stdout
    assert "31/12/2021" in result.stdout and "2022" not in result.stdout
    # Its 2021 items: task 11 (its own), 31 and 32 (led by every department).
    assert "3 dòng." in result.stdout
    refs = [line.split("│")[2].strip() for line in result.stdout.splitlines() if line.startswith("│") and "1782" in line]
    assert refs == ["11", "31", "32"]


async def test_bad_files_are_refused_and_nothing_is_stored(db_url, tmp_path):
    empty = tmp_path / "rong.txt"
    empty.write_bytes(b"")
    junk = tmp_path / "anh.docx"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(200))
    result = run("import", str(empty), str(junk), db_url=db_url, cwd=tmp_path)
    assert result.returncode == 1
    assert "rong.txt: Tệp rỗng" in result.stderr
    assert "anh.docx:" in result.stderr and "Traceback" not in result.stderr
    assert await count(db_url, Plan) == 0


def test_parse_json_is_the_stable_interface(tmp_path):
    result = run("parse", str(PHU_THO), "--json", db_url="sqlite+aiosqlite:///unused.db", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data["plan"]) >= {"number", "title", "issuer", "issued_on", "signer", "period"}
    assert data["plan"]["issued_on"] == "2021-05-05" and data["plan"]["period"] == [2021, 2025]
    task = data["tasks"][12]
    assert task["ref"] == "13"
    assert task["lead"] == ["Sở Tư pháp"]
    assert task["deadline"] == {
        "text": "Ban hành Kế hoạch trước ngày 30/01 của năm Kế hoạch",
        "kind": "recurring",
        "every": "year",
        "dates": ["2022-01-30", "2023-01-30", "2024-01-30", "2025-01-30"],
        "assumed": False,
    }
    assert data["tasks"][5]["needs_review"] == ["event_deadline"]
    assert not (tmp_path / "unused.db").exists(), "parse stores nothing"


def test_readable_parse_and_bad_settings_are_one_line(tmp_path):
    result = run("parse", str(PLANS / "vinh-long-18-KH-UBND-2025.txt"), db_url="sqlite:///x.db", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "18/KH-UBND" in result.stdout and "cần rà soát" in result.stdout
    bad = run("tasks", db_url="sqlite:///x.db", cwd=tmp_path, extra_env={"ADMIN_IDS": "abc"})
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0 and "ADMIN_IDS" in bad.stderr
    missing = run("parse", str(tmp_path / "khong-co.docx"), db_url="sqlite:///x.db", cwd=tmp_path)
    assert missing.returncode == 1 and "Không tìm thấy tệp" in missing.stderr
