"""The parse worker: a real child process with real limits (no mocks)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.catalog import Catalog
from bot.domain.plans.document import PlanReadError
from bot.domain.plans.parser import PlanProvinceUnknown
from bot.services import parse_worker

ROOT = Path(__file__).resolve().parents[2]
CATALOG = Catalog(ROOT / "data")
PHU_THO = (ROOT / "data" / "plans" / "phu-tho-1782-KH-UBND-2021.txt").read_bytes()
MAX = 20 * 2**20


def test_a_plan_parsed_in_the_worker_equals_the_plan_parsed_in_process() -> None:
    from bot.services.plans import read_and_parse

    here = read_and_parse(PHU_THO, "pt.txt", catalog=CATALOG, province=None, max_bytes=MAX)
    there = parse_worker.read_and_parse(PHU_THO, "pt.txt", catalog=CATALOG, province=None, max_bytes=MAX)
    assert there == here
    run = parse_worker.last_run()
    assert run is not None and run.outcome == "ok" and run.max_rss_mb > 0


def test_refusals_cross_the_pipe_with_their_code_and_message() -> None:
    with pytest.raises(PlanReadError) as caught:
        parse_worker.read_and_parse(b"", "rong.txt", catalog=CATALOG, province=None, max_bytes=MAX)
    assert caught.value.code == "empty" and caught.value.message == "Tệp rỗng, không có nội dung để đọc."
    with pytest.raises(PlanProvinceUnknown):
        parse_worker.read_and_parse(
            "Ghi chú họp giao ban về cải cách hành chính.".encode(), "g.txt", catalog=CATALOG, province=None,
            max_bytes=MAX,
        )


def test_a_child_past_its_wall_clock_is_killed_and_refused_in_one_sentence() -> None:
    limits = parse_worker.WorkerLimits(seconds=0.05)  # not even enough to start Python
    with pytest.raises(PlanReadError) as caught:
        parse_worker.read_and_parse(PHU_THO, "pt.txt", catalog=CATALOG, province=None, max_bytes=MAX, limits=limits)
    assert caught.value.code == "too_complex" and "0.05 giây" in caught.value.message
    assert parse_worker.last_run().outcome == "timeout"


def test_a_child_past_its_memory_limit_is_refused_in_one_sentence() -> None:
    limits = parse_worker.WorkerLimits(memory_mb=60)  # below what the readers need
    with pytest.raises(PlanReadError) as caught:
        parse_worker.read_and_parse(PHU_THO * 60, "pt.txt", catalog=CATALOG, province=None, max_bytes=MAX,
                                    limits=limits)
    assert caught.value.code == "too_complex" and "60 MB" in caught.value.message
    assert "\n" not in caught.value.message
