"""The Reports page's trend chart: one stacked bar per week or month (items falling due in
it, by outcome), drawn as an inline SVG — no image request, no JavaScript, crisp at any
width (the viewBox scales to a 360-px phone), text selectable and read by screen readers
(each bar carries a <title> with its figures).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from bot.domain.digest import DigestKind
from bot.domain.trend import TrendBucket

# Bottom to top: what is settled first, then what needs the leaders.
SERIES: tuple[tuple[str, str, str], ...] = (
    ("on_time", "Hoàn thành đúng hạn", "#2ca02c"),
    ("late", "Hoàn thành trễ hạn", "#ff9f1c"),
    ("overdue", "Quá hạn", "#d62728"),
    ("in_term", "Trong hạn / chưa đến hạn", "#a6c8e6"),
    ("unconfirmed", "Chưa cập nhật", "#c7c7c7"),
)
# A narrow drawing with large type: on a 360-px phone it is shown at about 0.65 scale, so
# 14-unit labels stay readable (≈ 9 px) and 12 bars keep room for their labels.
WIDTH, HEIGHT = 500, 330
LEFT, RIGHT, TOP, BOTTOM = 40, 6, 12, 118


def period_label(bucket: TrendBucket, kind: DigestKind) -> str:
    """'T6' for a month, '16/6' (its Monday) for a week; the year goes on a second line."""
    if kind is DigestKind.MONTH:
        return f"T{bucket.start.month}"
    return f"{bucket.start.day}/{bucket.start.month}"


def _period_name(bucket: TrendBucket, kind: DigestKind) -> str:
    if kind is DigestKind.MONTH:
        return f"Tháng {bucket.start.month}/{bucket.start.year}"
    return f"Tuần {bucket.start:%d/%m/%Y} – {bucket.end:%d/%m/%Y}"


def _nice_max(value: int) -> int:
    """The axis top: four equal whole steps of 1, 2, 5 × 10ⁿ covering `value`."""
    step = 1
    while step * 4 < value:
        for factor in (2, 2.5, 2):
            step = int(step * factor)
            if step * 4 >= value:
                break
    return step * 4


def trend_title(kind: DigestKind) -> str:
    unit = "tháng" if kind is DigestKind.MONTH else "tuần"
    return f"Tiến độ theo {unit} đến hạn (12 {unit} gần nhất)"


def trend_svg(buckets: Sequence[TrendBucket], *, kind: DigestKind) -> str:
    """The chart as an SVG element (already escaped; insert as is)."""
    title = trend_title(kind)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = _nice_max(max((b.total for b in buckets), default=0))
    slot = plot_w / max(1, len(buckets))
    bar = slot * 0.64
    parts = [
        f'<svg class="trend" id="trend-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="trend-title" xmlns="http://www.w3.org/2000/svg" font-family="DejaVu Sans, sans-serif">',
        f'<title id="trend-title">{escape(title)}</title>',
    ]
    for n in range(5):  # gridlines and their values
        value = top * n / 4
        y = TOP + plot_h - plot_h * n / 4
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(
            f'<text x="{LEFT - 5}" y="{y + 5:.1f}" font-size="13" text-anchor="end" fill="#555">{value:,.0f}</text>'
            .replace(",", ".")
        )
    for i, bucket in enumerate(buckets):
        x = LEFT + slot * i + (slot - bar) / 2
        y = TOP + plot_h
        figures = "; ".join(f"{label}: {getattr(bucket, key)}" for key, label, _ in SERIES if getattr(bucket, key))
        summary = f"{_period_name(bucket, kind)} — {bucket.total} mốc" + (f" ({figures})" if figures else "")
        parts.append(f'<g class="bar"><title>{escape(summary)}</title>')
        for key, _, color in SERIES:
            value = getattr(bucket, key)
            if not value:
                continue
            h = plot_h * value / top
            y -= h
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{color}"/>')
        parts.append("</g>")
        cx = x + bar / 2
        parts.append(
            f'<text x="{cx:.1f}" y="{TOP + plot_h + 17}" font-size="13" text-anchor="middle" fill="#333">'
            f"{escape(period_label(bucket, kind))}</text>"
        )
        if i == 0 or bucket.start.year != buckets[i - 1].start.year:
            parts.append(
                f'<text x="{cx:.1f}" y="{TOP + plot_h + 32}" font-size="12" text-anchor="middle" fill="#777">'
                f"{bucket.start.year}</text>"
            )
        if bucket.on_time_rate is not None:
            parts.append(
                f'<text x="{cx:.1f}" y="{TOP + plot_h + 48}" font-size="12" text-anchor="middle" fill="#2a7a2a">'
                f"{bucket.on_time_rate * 100:.0f}%</text>"
            )
    legend_y = TOP + plot_h + 72
    for n, (_, label, color) in enumerate(SERIES):  # two columns: the legend fits a phone
        x = LEFT + (n % 2) * 230
        y = legend_y + (n // 2) * 18
        parts.append(f'<rect x="{x}" y="{y - 11}" width="12" height="12" fill="{color}"/>')
        parts.append(f'<text x="{x + 17}" y="{y}" font-size="13" fill="#333">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


TREND_NOTE = (
    "Mỗi cột: các mốc thời hạn đến hạn trong kỳ, theo tình trạng hiện nay; "
    "số phần trăm dưới cột: tỷ lệ đúng hạn của các mốc đã hoàn thành hoặc quá hạn."
)
