"""Which streaming writer for the province-scale workbook: openpyxl's write-only mode or
XlsxWriter's constant_memory mode (what bot/render/xlsx.py uses since) — measured, not assumed.

Both write the same sheet a plan sheet of the digest has: 100,000 rows of 10 columns
(task code, long Vietnamese title, product, lead and supporting agencies, a real date with
dd/mm/yyyy format, status text, a percentage, days overdue, a note), a bold frozen header
with an autofilter, column widths. Each writer runs in its own child process so that its
peak memory (ru_maxrss) is its own. Prints seconds, µs per row, peak RSS and file size.

Run: python bench/xlsx_writers.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta

WORDS = ["xây", "dựng", "kế", "hoạch", "rà", "soát", "văn", "bản", "quy", "phạm", "pháp", "luật", "số", "hoá", "hồ", "sơ", "thủ", "tục", "hành", "chính", "dịch", "vụ", "công", "trực", "tuyến", "cải", "cách", "tổ", "chức", "bộ", "máy", "nâng", "cao", "chất", "lượng", "công", "chức"]
HEADER = ["Mã", "Nội dung / Nhiệm vụ", "Sản phẩm", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời hạn",
          "Trạng thái", "Tiến độ", "Quá hạn (ngày)", "Ghi chú"]
WIDTHS = [10, 60, 30, 28, 36, 12, 22, 9, 9, 30]
STATES = ["Chưa đến hạn", "Đang thực hiện", "Quá hạn", "Hoàn thành đúng hạn", "Hoàn thành quá hạn"]


def rows(n: int):
    rng = random.Random(18)
    start = date(2021, 6, 30)
    for i in range(n):
        yield (
            f"NV{i + 1}",
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 20))).capitalize(),
            "Kế hoạch của UBND tỉnh",
            f"Sở thử nghiệm số {rng.randrange(40)}",
            ", ".join(f"Sở {rng.randrange(40)}" for _ in range(rng.randint(0, 3))),
            start + timedelta(days=rng.randrange(2000)),
            rng.choice(STATES),
            rng.randrange(101) / 100,
            rng.randrange(400),
            "" if rng.random() < 0.8 else "Đang chờ ý kiến của Bộ",
        )


def write_openpyxl(path: str, n: int) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Kế hoạch")
    for i, width in enumerate(WIDTHS):
        ws.column_dimensions[chr(65 + i)].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:J{n + 1}"
    bold = Font(bold=True)
    header = []
    for title in HEADER:
        cell = WriteOnlyCell(ws, value=title)
        cell.font = bold
        header.append(cell)
    ws.append(header)
    for row in rows(n):
        due, pct = WriteOnlyCell(ws, value=row[5]), WriteOnlyCell(ws, value=row[7])
        due.number_format, pct.number_format = "DD/MM/YYYY", "0%"
        ws.append([*row[:5], due, row[6], pct, *row[8:]])
    wb.save(path)


def write_xlsxwriter(path: str, n: int) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(path, {"constant_memory": True})
    ws = wb.add_worksheet("Kế hoạch")
    bold, date_fmt, pct_fmt = wb.add_format({"bold": True}), wb.add_format({"num_format": "dd/mm/yyyy"}), wb.add_format({"num_format": "0%"})
    for i, width in enumerate(WIDTHS):
        ws.set_column(i, i, width)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, n, len(HEADER) - 1)
    ws.write_row(0, 0, HEADER, bold)
    for r, row in enumerate(rows(n), start=1):
        ws.write_row(r, 0, row[:5])
        ws.write_datetime(r, 5, row[5], date_fmt)
        ws.write_string(r, 6, row[6])
        ws.write_number(r, 7, row[7], pct_fmt)
        ws.write_number(r, 8, row[8])
        ws.write_string(r, 9, row[9])
    wb.close()


def child(writer: str, n: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "digest.xlsx")
        t0, c0 = time.perf_counter(), time.process_time()
        {"openpyxl": write_openpyxl, "xlsxwriter": write_xlsxwriter}[writer](path, n)
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        size = os.path.getsize(path)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{elapsed:.3f} {peak_mb:.1f} {size} {cpu:.3f}")


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    print(f"workbook writers — {args.rows:,} rows × {len(HEADER)} columns, each in its own process; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for writer in ("openpyxl", "xlsxwriter"):
        done = subprocess.run([sys.executable, __file__, "--child", writer, str(args.rows)], capture_output=True, text=True)
        if done.returncode:
            print(f"  {writer:<11} failed: {done.stderr.strip().splitlines()[-1]}")
            continue
        seconds, peak, size, cpu = done.stdout.split()
        label = "write-only" if writer == "openpyxl" else "constant_memory"
        print(
            f"  {writer} {label:<16} {float(seconds):6.2f} s wall, {float(cpu):6.2f} s CPU — "
            f"{float(cpu) / args.rows * 1e6:5.1f} µs CPU/row, "
            f"peak RSS {float(peak):5.0f} MB, file {int(size) / 1e6:.1f} MB"
        )


if __name__ == "__main__":
    main()
