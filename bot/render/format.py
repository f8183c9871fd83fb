"""Vietnamese dates and day counts. Babel always with locale "vi"; day counts are
written by hand because Babel rounds 7 days to "1 tuần" and 30 days to "1 tháng"."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date

LOCALE = "vi"


def long_date(day: date) -> str:
    """'Thứ Hai, 30/06/2025'."""
    return format_date(day, "EEEE, dd/MM/yyyy", locale=LOCALE)


def short_date(day: date) -> str:
    """'30/06/2025'."""
    return format_date(day, "dd/MM/yyyy", locale=LOCALE)


def days_phrase(due_on: date, today: date) -> str:
    """'còn 7 ngày', 'hôm nay đến hạn', 'quá hạn 12 ngày'."""
    delta = (due_on - today).days
    if delta > 0:
        return f"còn {delta} ngày"
    if delta == 0:
        return "đến hạn hôm nay"
    return f"quá hạn {-delta} ngày"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)}%"


def plan_period(period: tuple[int, int] | None) -> str:
    """The years a plan covers as plans print them: 'năm 2024', 'giai đoạn 2021–2025';
    '?' when unknown (never '2024–2024')."""
    if period is None:
        return "?"
    first, last = period
    return f"năm {first}" if first == last else f"giai đoạn {first}–{last}"
