"""Province data costs (issue 12): loading every unit's directory, detecting the province
of a header, and matching agency phrases cold (fresh directory) and warm (cached).

Run: python bench/provinces.py [--rounds N]
Absolute times depend on the machine; compare within one run (and see bench/parse.py for
whole-plan throughput).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.catalog import Catalog  # noqa: E402
from bot.domain.agencies import Directory, identify_province  # noqa: E402
from bot.domain.units import load_units  # noqa: E402

PHRASES = [
    "Sở Tài chính", "Sở KH&ĐT", "Công an Thành phố", "UBND các xã, phường, đặc khu",
    "Các sở, ban, ngành, đoàn thể cấp tỉnh", "Ngân hàng nhà nước khu vực XII", "Tỉnh đoàn",
    "Bộ Chỉ huy Quân sự tỉnh", "Sở Văn hóa, Thể thao và Du lịch", "UBND các huyện, thị xã, thành phố",
    "Hội Làm vườn tỉnh", "Sở Nông nghiệp", "Văn phòng UBND tỉnh", "cơ quan ngành dọc đóng trên địa bàn",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    t0 = time.perf_counter()
    units = load_units(ROOT / "data")
    print(f"units: {len(units.current)} current, {len(units.former)} former, "
          f"{sum(len(units.communes(s)) for s in units.current)} communes "
          f"in {1000 * (time.perf_counter() - t0):.0f} ms (first load, package data)")

    catalog = Catalog(ROOT / "data")
    t0 = time.perf_counter()
    for unit in units.current:
        catalog.directory(unit)
    print(f"directories: 34 loaded in {1000 * (time.perf_counter() - t0):.0f} ms")

    headers = [p.read_text(encoding="utf-8")[:3000] for p in sorted((ROOT / "data" / "plans").glob("*.txt"))]
    provinces = catalog.provinces
    identify_province(headers[0], provinces)  # build the pattern once
    t0 = time.perf_counter()
    n = 0
    for _ in range(args.rounds * 20):
        for header in headers:
            identify_province(header, provinces)
            n += 1
    print(f"detection: {1e6 * (time.perf_counter() - t0) / n:.0f} µs per header ({n} headers)")

    for slug in ("quang-ngai", "ho-chi-minh"):
        cold = warm = 0.0
        for _ in range(args.rounds):
            d = Directory.load(ROOT / "data", slug)
            t0 = time.perf_counter()
            for phrase in PHRASES:
                d.match(phrase)
            t1 = time.perf_counter()
            for phrase in PHRASES:
                d.match(phrase)
            cold += t1 - t0
            warm += time.perf_counter() - t1
        per = len(PHRASES) * args.rounds
        print(f"match {slug:12} keys {len(d._keys):4}  communes {len(d.communes):4}  "
              f"cold {1e6 * cold / per:6.0f} µs/phrase  warm {1e6 * warm / per:4.1f} µs/phrase")


if __name__ == "__main__":
    main()
