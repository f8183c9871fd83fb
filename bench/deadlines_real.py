"""The deadline grammar alone on the hand-checked deadlines of the real plans.

Run: python bench/deadlines_real.py [--plans DIR] [-q]
For every expected task with a compared due date and a deadline phrase, the phrase is read by
`parse_deadline` and expanded by `due_dates` over the plan's period, as the parser does; every
phrase read wrong is printed, then the totals. This measures the grammar apart from the parser
(which must also find the phrase and the period); `plans/real/check.py` measures both.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.domain.deadlines import DeadlineKind, due_dates, parse_deadline  # noqa: E402

DEFAULT_PLANS = ROOT.parent / "shared" / "plans" / "real"


def check(plans: Path, *, quiet: bool = False) -> tuple[int, int]:
    right = wrong = 0
    for path in sorted(plans.glob("*.expected.json")):
        expected = json.loads(path.read_text(encoding="utf-8"))
        plan = expected["plan"]
        issued = date.fromisoformat(plan["issued_on"])
        period = plan["period"]
        first, last = period or (issued.year, issued.year)
        plan_year = first if first == last else None
        for task in expected["tasks"]:
            want, phrase = task["due"], task["deadline_text"]
            if want is None or phrase is None:
                continue
            rule = parse_deadline(phrase, plan_year=plan_year)
            if rule.kind is DeadlineKind.RECURRING and period is None:
                got = None  # no period: a recurring rule has no fixed dates (only the kind counts)
            else:
                dates = due_dates(rule, first_year=first, last_year=last, not_before=issued)
                got = [d.isoformat() for d in dates]
            ok = rule.kind.value == want["kind"] and (want["dates"] is None or got == want["dates"])
            if ok:
                right += 1
                continue
            wrong += 1
            if not quiet:
                name = path.name.removesuffix(".expected.json")
                print(f"{name}: {phrase!r} -> {rule.kind.value} {got} want {want}")
    return right, wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=Path, default=DEFAULT_PLANS)
    parser.add_argument("-q", "--quiet", action="store_true", help="totals only")
    args = parser.parse_args()
    right, wrong = check(args.plans, quiet=args.quiet)
    print(f"deadlines read right: {right}/{right + wrong} (wrong: {wrong})")


if __name__ == "__main__":
    main()
