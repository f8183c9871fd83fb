"""Parse throughput on the sample plans, the twelve real plans of ../shared/plans/real and
generated 100- and 1,000-row task tables: plans/second and MB/second, read and parse split.

Run: python bench/parse.py [--rounds N]
Compare the ratios within one run; absolute times depend on the machine.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.catalog import Catalog  # noqa: E402
from bot.domain.plans.parser import parse_plan  # noqa: E402
from bot.domain.plans.readers import read_plan  # noqa: E402


def phu_tho_as_docx(text_plan: bytes) -> bytes:
    """The Phú Thọ appendix as a real Word table, to measure the .docx reader too."""
    from docx import Document

    document = read_plan(text_plan, "phu-tho.txt")
    out = Document()
    for block in document.blocks:
        rows = getattr(block, "rows", None)
        if rows is None:
            out.add_paragraph(block.text)
            continue
        width = max(len(r) for r in rows)
        table = out.add_table(rows=len(rows), cols=width)
        for r, row in enumerate(rows):
            for c, cell in enumerate(row):
                table.cell(r, c).text = cell
    buf = io.BytesIO()
    out.save(buf)
    return buf.getvalue()


def generated_table_plan(rows: int) -> bytes:
    """A plan whose appendix is a law-site table of `rows` tasks, leads and deadlines
    varying as in real plans."""
    leads = ("Sở Nội vụ", "Sở Tư pháp; Sở Tài chính", "Các sở, ban, ngành", "UBND các xã, phường",
             "Trung tâm Phục vụ hành chính công tỉnh", "Công an tỉnh")
    times = ("Quý IV/2026", "Trước ngày 15/12 hằng năm", "Năm 2027", "Tháng 11 - 12/2026", "Hằng quý")
    lines = ["ỦY BAN NHÂN DÂN", "TỈNH GIA LAI", "Số: 7/KH-UBND", "Gia Lai, ngày 05 tháng 01 năm 2026",
             "KẾ HOẠCH", "CẢI CÁCH HÀNH CHÍNH GIAI ĐOẠN 2026 - 2030", "I. MỤC ĐÍCH", "Nâng cao hiệu quả.",
             "Nơi nhận:", "- Lưu: VT.", "", "|", "TT", "|", "Nhiệm vụ", "|", "Cơ quan chủ trì", "|",
             "Cơ quan phối hợp", "|", "Thời gian hoàn thành", "|"]
    for n in range(1, rows + 1):
        lines += ["|", str(n), "|", f"Thực hiện nhiệm vụ cải cách hành chính số {n} theo kế hoạch", "|",
                  leads[n % len(leads)], "|", "Sở Nội vụ", "|", times[n % len(times)], "|"]
    return "\n".join(lines).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    catalog = Catalog(ROOT / "data")
    files = {p.name: p.read_bytes() for p in sorted((ROOT / "data" / "plans").glob("*.txt"))}
    files["phu-tho-1782-KH-UBND-2021.docx"] = phu_tho_as_docx(files["phu-tho-1782-KH-UBND-2021.txt"])
    real = ROOT.parent / "shared" / "plans" / "real"
    files.update({p.name: p.read_bytes() for p in sorted(real.glob("*.txt"))})
    for rows in (100, 1000):
        files[f"generated-{rows}-rows.txt"] = generated_table_plan(rows)
    for province in catalog.provinces:
        catalog.directory(province.slug)  # load directories once, as the running bot does

    print(f"{'file':36} {'KB':>7} {'tasks':>6} {'read ms':>8} {'parse ms':>9} {'plans/s':>8}")
    total_bytes = total_time = 0.0
    for name, data in files.items():
        read_time = parse_time = 0.0
        tasks = 0
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            document = read_plan(data, name)
            t1 = time.perf_counter()
            draft = parse_plan(document, provinces=catalog.provinces, load_directory=catalog.directory)
            t2 = time.perf_counter()
            read_time += t1 - t0
            parse_time += t2 - t1
            tasks = len(draft.tasks)
        per_plan = (read_time + parse_time) / args.rounds
        total_bytes += len(data) * args.rounds
        total_time += read_time + parse_time
        print(
            f"{name:36} {len(data) / 1024:7.1f} {tasks:6d} {1000 * read_time / args.rounds:8.1f} "
            f"{1000 * parse_time / args.rounds:9.1f} {1 / per_plan:8.1f}"
        )
    plans = len(files) * args.rounds
    print(
        f"\nall: {plans} plans in {total_time:.2f} s → {plans / total_time:.1f} plans/s, "
        f"{total_bytes / 1e6 / total_time:.2f} MB/s"
    )


if __name__ == "__main__":
    main()
