"""Storing a large plan: a generated N-row plan (default 2,000) parsed once, then stored the
way `nhacviec import` stores it (`store_draft` in one transaction, committed) three times:

1. first import (a new plan: every task, link, due item and history row is new);
2. the same file again (nothing changes: the reconciliation reads and compares);
3. an edited version: 10 % of titles changed, 5 % of rows gone, 5 % new rows, 5 % of
   deadlines moved (due items cancelled and added), so every kind of write happens.

The plan mixes what real plans have: one or two lead agencies, supporting agencies, dated
("Quý IV/2025"), yearly ("Quý II hằng năm": one item per plan year) and undated deadlines.
Prints tasks / due items / history rows written and seconds per step; parsing is timed
apart (it is the same for every database).

Run: python bench/import_scale.py [--rows N] [--db URL]
Default: a temporary SQLite file. With --db postgresql://…, a schema of its own is created
and dropped afterwards (bench/reminders.py's scratch databases).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from reminders import database  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bot.catalog import Catalog  # noqa: E402
from bot.db.engine import make_engine, make_sessionmaker, upgrade_database_async  # noqa: E402
from bot.db.models import DueItem, StatusChange, Task, TaskAgency  # noqa: E402
from bot.domain.plans.draft import PlanDraft  # noqa: E402
from bot.render.imports import import_summary  # noqa: E402
from bot.services.plans import read_and_parse, store_draft  # noqa: E402

HEADER = (
    "ỦY BAN NHÂN DÂN\nTỈNH PHÚ THỌ\nSố: 2000/KH-UBND\nPhú Thọ, ngày 10 tháng 01 năm 2021\n\n"
    "KẾ HOẠCH\nCải cách hành chính tỉnh Phú Thọ giai đoạn 2021 - 2025\n\n"
)
AGENCIES = (
    "Sở Nội vụ", "Sở Tư pháp", "Sở Tài chính", "Sở Y tế", "Sở Xây dựng", "Sở Công Thương",
    "Sở Giáo dục và Đào tạo", "Sở Khoa học và Công nghệ", "Sở Nông nghiệp và Môi trường", "Thanh tra tỉnh",
)
DEADLINES = ("Quý IV/2025", "Quý II hằng năm", "Trước ngày 30/6/2024", "Thường xuyên", "Tháng 11/2023")
TOPICS = (
    "Rà soát, đơn giản hóa thủ tục hành chính lĩnh vực", "Số hóa hồ sơ, kết quả giải quyết thủ tục",
    "Nâng cao chỉ số hài lòng của người dân về", "Kiểm tra công tác cải cách hành chính tại",
)


def plan_text(rows: int, *, edited: bool = False) -> str:
    """The plan as a pipe table; `edited`: the changed version described in the docstring."""
    lines = [HEADER, "| STT | Nội dung/ Nhiệm vụ | Sản phẩm | Cơ quan chủ trì | Cơ quan phối hợp | Thời gian hoàn thành |",
             "|---|---|---|---|---|---|"]
    numbers = [i for i in range(1, rows + 1) if not (edited and i % 20 == 7)]
    if edited:
        numbers += range(rows + 1, rows + 1 + rows // 20)
    for i in numbers:
        title = f"{TOPICS[i % len(TOPICS)]} {i} năm {2021 + i % 5}"
        if edited and i % 10 == 3:
            title += " (sửa đổi)"
        lead = AGENCIES[i % len(AGENCIES)]
        if i % 4 == 0:
            lead += ", " + AGENCIES[(i + 3) % len(AGENCIES)]
        support = AGENCIES[(i + 5) % len(AGENCIES)]
        deadline = DEADLINES[(i + (1 if edited and i % 20 == 11 else 0)) % len(DEADLINES)]
        lines.append(f"| {i} | {title} | Báo cáo | {lead} | {support} | {deadline} |")
    lines.append("\nTM. ỦY BAN NHÂN DÂN\nChủ tịch\nNguyễn Văn A\n")
    return "\n".join(lines)


def parse(text: str, catalog: Catalog) -> tuple[PlanDraft, float]:
    start = time.perf_counter()
    draft = read_and_parse(text.encode(), "ke-hoach.txt", catalog=catalog, province=None, max_bytes=20 << 20)
    return draft, time.perf_counter() - start


async def counts(sm) -> tuple[int, int, int, int]:  # noqa: ANN001
    async with sm() as s:
        return (
            await s.scalar(select(func.count()).select_from(Task)) or 0,
            await s.scalar(select(func.count()).select_from(TaskAgency)) or 0,
            await s.scalar(select(func.count()).select_from(DueItem)) or 0,
            await s.scalar(select(func.count()).select_from(StatusChange)) or 0,
        )


async def run(args: argparse.Namespace) -> None:
    catalog = Catalog(ROOT / "data")
    first, seconds = parse(plan_text(args.rows), catalog)
    edited, _ = parse(plan_text(args.rows, edited=True), catalog)
    print(f"plan: {len(first.tasks)} tasks, {sum(len(t.due_dates) * max(len(t.lead), 1) for t in first.tasks)} "
          f"due dates × leads; parsed in {seconds:.2f} s (not part of the store times)")
    url, cleanup = await database(args.db)
    try:
        await upgrade_database_async(url)
        engine = make_engine(url)
        sm = make_sessionmaker(engine)
        print(f"\n{make_url(url).get_backend_name()}:")
        print(f"{'step':22} {'s':>7}  {'tasks':>6} {'links':>6} {'items':>6} {'history':>7}  summary")
        for step, draft in (("first import", first), ("same file again", first), ("edited version", edited)):
            start = time.perf_counter()
            async with sm() as s, s.begin():
                report = await store_draft(s, draft=draft, catalog=catalog, timezone="Asia/Ho_Chi_Minh", actor="bench")
            seconds = time.perf_counter() - start
            tasks, links, items, history = await counts(sm)
            print(f"{step:22} {seconds:7.2f}  {tasks:6d} {links:6d} {items:6d} {history:7d}  {import_summary(report)}")
        await engine.dispose()
    finally:
        await cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
