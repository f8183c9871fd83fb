"""`nhacviec status`: the installation's health, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from test_db_backup import NOW, PHU_THO, populate

from bot.db.engine import head_revision, upgrade_database_async
from bot.services import health


async def test_fresh_database_is_healthy_and_empty(db_url, engine):
    report = await health.check(db_url)
    assert report.ok and report.reachable and report.revision == head_revision()
    assert report.last_tick_at is None and report.plans == 0 and report.due_items == 0
    assert report.outbox == {"pending": 0, "uncertain": 0, "failed": 0}
    assert report.unreachable_agencies == [] and report.inactive_chats == 0
    text = "\n".join(health.lines(report))
    assert f"phiên bản {head_revision()} (mới nhất)" in text
    assert "Lượt nhắc việc gần nhất: chưa có" in text
    assert "Kế hoạch: 0 · 0 nhiệm vụ (cần rà soát: 0; chưa giao cơ quan chủ trì: 0) · 0 mốc thời hạn" in text


async def test_after_an_import(db_url, sm):
    await populate(sm)
    report = await health.check(db_url)
    assert report.ok
    assert report.plans == 1 and report.due_items > 0 and report.open_due_items == report.due_items - 1
    assert report.last_tick_on == date(2021, 6, 21) and report.last_tick_at == NOW
    assert report.outbox == {"pending": 1, "uncertain": 1, "failed": 1}
    assert report.inactive_chats == 1 and len(report.unreachable_agencies) == 1
    text = "\n".join(health.lines(report))
    # Local time (the TIMEZONE setting), never UTC.
    assert "Lượt nhắc việc gần nhất: ngày 21/06/2021 (chạy lúc 10:04 ngày 20/06/2021, giờ Asia/Ho_Chi_Minh)" in text
    assert "UTC" not in text
    tokyo = "\n".join(health.lines(report, tz=ZoneInfo("Asia/Tokyo")))
    assert "chạy lúc 12:04 ngày 20/06/2021, giờ Asia/Tokyo" in tokyo
    assert "Tin chờ gửi: 1 · không rõ đã đến: 1 · lỗi: 1" in text
    assert f"Nhóm không liên lạc được: 1 nhóm; 1 cơ quan mất liên lạc: {report.unreachable_agencies[0]}" in text
    assert "Kế hoạch: 1 · 39 nhiệm vụ (cần rà soát: 6; chưa giao cơ quan chủ trì: 0) · 300 mốc thời hạn" in text
    assert report.tasks == 39 and report.flagged_tasks == 6


async def test_not_at_head_and_unreachable(db_url, tmp_path):
    await upgrade_database_async(db_url, "0004_replies")
    behind = await health.check(db_url)
    assert behind.reachable and not behind.ok and behind.revision == "0004_replies"
    assert "mới nhất là" in health.lines(behind)[0]

    down = await health.check("postgresql://postgres@127.0.0.1:1/khong_co")
    assert not down.reachable and not down.ok
    assert health.lines(down)[0].startswith("✗ Cơ sở dữ liệu: không kết nối được")


async def test_cli_status_exit_codes(db_url, tmp_path):
    from test_cli import run

    fresh = run("status", db_url=db_url, cwd=tmp_path)
    assert fresh.returncode == 1 and "chưa khởi tạo" in fresh.stdout
    assert run("import", str(PHU_THO), db_url=db_url, cwd=tmp_path).returncode == 0
    result = run("status", db_url=db_url, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "(mới nhất)" in result.stdout and "Kế hoạch: 1" in result.stdout
    down = run("status", db_url="postgresql://postgres@127.0.0.1:1/khong_co", cwd=tmp_path)
    assert down.returncode == 1 and "không kết nối được" in down.stdout


async def test_a_sqlite_file_not_created_yet_is_reported_without_creating_it(tmp_path) -> None:
    from bot.services import health

    missing = tmp_path / "not-yet.db"
    report = await health.check(f"sqlite+aiosqlite:///{missing}")
    assert report.reachable and report.revision is None and not report.ok
    assert not missing.exists()
    nowhere = await health.check(f"sqlite+aiosqlite:///{tmp_path / 'no-such-folder' / 'x.db'}")
    assert not nowhere.reachable and "no-such-folder" in (nowhere.error or "")
