"""`nhacviec import --theo-doi-tu` and `nhacviec close-unknown`, as real processes on SQLite and
PostgreSQL: a plan already under way is followed from a chosen day, and an admin closes its
unknown items with the real completion date (on time or late against each due date)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

from sqlalchemy import select
from test_cli import PHU_THO, run

from bot.db.engine import make_engine, make_sessionmaker
from bot.db.models import Agency, DueItem, Plan, StatusChange
from bot.domain.status import ChangeSource, Status

FOLLOW = date(2026, 12, 1)


async def _items(db_url: str) -> list[tuple[str, DueItem]]:
    engine = make_engine(db_url)
    try:
        async with make_sessionmaker(engine)() as s:
            return list((await s.execute(select(Agency.code, DueItem).join(Agency, DueItem.agency_id == Agency.id))).tuples())
    finally:
        await engine.dispose()


async def test_import_followed_from_a_day_then_close_unknown(db_url: str, tmp_path: Path) -> None:
    done = run("import", str(PHU_THO), "--theo-doi-tu", "01/12/2026", db_url=db_url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    items = await _items(db_url)
    unknown = [i for _, i in items if i.status is Status.UNKNOWN]
    assert len(unknown) == len(items) and all(i.due_on < FOLLOW for i in unknown)
    agencies = len({i.agency_id for i in unknown})
    assert (
        f"{len(unknown)} mốc thời hạn đã qua trước ngày theo dõi 01/12/2026 ({agencies} cơ quan): "
        "sẽ hỏi các cơ quan xác nhận, không tính quá hạn." in done.stdout
    )
    engine = make_engine(db_url)
    try:
        async with make_sessionmaker(engine)() as s:
            plan = await s.scalar(select(Plan))
            assert plan is not None and plan.follow_from == FOLLOW
    finally:
        await engine.dispose()

    closing = date(2022, 6, 15)
    stp = [i for code, i in items if code == "so-tu-phap"]
    on_time = sum(i.due_on >= closing for i in stp)
    closed = run("close-unknown", "--agency", "so-tu-phap", "--ngay", "15/06/2022", db_url=db_url, cwd=tmp_path)
    assert closed.returncode == 0, closed.stderr
    assert (
        f"Phú Thọ: Đã đóng {len(stp)} việc chưa cập nhật của Sở Tư pháp: hoàn thành ngày 15/06/2022 — "
        f"{on_time} đúng hạn, {len(stp) - on_time} quá hạn." in closed.stdout
    ), closed.stdout
    after = {i.id: i for _, i in await _items(db_url)}
    assert Counter(after[i.id].status for i in stp) == {Status.DONE: len(stp)}
    assert {after[i.id].completed_on for i in stp} == {closing}
    assert sum(i.status is Status.UNKNOWN for i in after.values()) == len(items) - len(stp)

    engine = make_engine(db_url)
    try:
        async with make_sessionmaker(engine)() as s:
            rows = list(await s.scalars(select(StatusChange).where(StatusChange.source == ChangeSource.ADMIN)))
    finally:
        await engine.dispose()
    assert len(rows) == len(stp) and {r.actor_name for r in rows} == {"cli"}
    assert all(r.old_status is Status.UNKNOWN and r.completed_on == closing for r in rows)

    again = run("close-unknown", "--agency", "so-tu-phap", "--ngay", "15/06/2022", db_url=db_url, cwd=tmp_path)
    assert again.returncode == 0 and "Không còn việc chưa cập nhật nào của Sở Tư pháp." in again.stdout
    future = run("close-unknown", "--ngay", "01/01/2030", db_url=db_url, cwd=tmp_path)
    assert future.returncode == 1 and "chưa tới" in future.stderr
    nobody = run("close-unknown", "--agency", "không có cơ quan này", "--ngay", "01/01/2022", db_url=db_url, cwd=tmp_path)
    assert nobody.returncode == 1 and "Không tìm thấy cơ quan" in nobody.stderr
    bad = run("import", str(PHU_THO), "--theo-doi-tu", "31/02/2026", db_url=db_url, cwd=tmp_path)
    assert bad.returncode == 2 and "--theo-doi-tu" in bad.stderr


async def test_from_the_start_keeps_past_dates_overdue(db_url: str, tmp_path: Path) -> None:
    done = run("import", str(PHU_THO), "--theo-doi-tu", "dau-ky", db_url=db_url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "mốc thời hạn đã qua" not in done.stdout
    assert {i.status for _, i in await _items(db_url)} == {Status.PENDING}
