"""The digest's chart: one stacked horizontal bar per agency, by reporting category (PNG).

Matplotlib is used through its object API with the Agg canvas — no pyplot, no GUI backend,
no global state — so charts can be drawn in a worker thread while the bot keeps running.

The font is chosen explicitly and checked: Vietnamese needs precomposed letters such as
"ệ", "ữ", "ặ" that many fonts lack (matplotlib would draw empty boxes and only warn).
DejaVu Sans has them all and ships inside matplotlib itself (mpl-data/fonts/ttf), so it
is there wherever matplotlib is; a system copy is the fallback for distributions that
strip the bundled fonts. `chart_font()` fails loudly if neither is found or a label
character is missing, rather than sending a chart with boxes.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ft2font import FT2Font
from matplotlib.ticker import MaxNLocator

from bot.domain.digest import Digest
from bot.domain.status import Category

CHART_AGENCIES = 20  # the worst ones; more bars are unreadable on a phone
NAME_LIMIT = 42
METADATA_KEY = "nhacviec"  # the PNG text chunk carrying the plotted numbers (JSON)
SYSTEM_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/TTF/DejaVuSans.ttf"),
)

# Left to right: what needs the leaders first (late), then the rest.
SERIES: tuple[tuple[Category, str], ...] = (
    (Category.OVERDUE, "#d62728"),
    (Category.DONE_LATE, "#ff9f1c"),
    (Category.ON_TRACK, "#1f77b4"),
    (Category.NOT_DUE, "#a6c8e6"),
    (Category.DONE_ON_TIME, "#2ca02c"),
    (Category.NO_DEADLINE, "#c7c7c7"),
)


class ChartFontError(RuntimeError):
    """No font with Vietnamese letters was found."""


def font_candidates() -> list[Path]:
    return [Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf", *SYSTEM_FONTS]


@lru_cache(maxsize=1)
def _font_file() -> tuple[str, frozenset[int]]:
    for path in font_candidates():
        if path.is_file():
            return str(path), frozenset(FT2Font(str(path)).get_charmap())
    raise ChartFontError("Không tìm thấy phông DejaVu Sans (cần cho chữ tiếng Việt trên biểu đồ)")


def missing_glyphs(text: str) -> set[str]:
    """Characters of `text` the chart font cannot draw (whitespace aside)."""
    _, charmap = _font_file()
    return {c for c in text if not c.isspace() and ord(c) not in charmap}


def chart_font(texts: tuple[str, ...] = ()) -> FontProperties:
    """The chart's font; raises if it cannot draw one of `texts`."""
    path, _ = _font_file()
    missing = set().union(*(missing_glyphs(t) for t in texts)) if texts else set()
    if missing:
        raise ChartFontError(f"Phông {path} thiếu ký tự: {''.join(sorted(missing))}")
    return FontProperties(fname=path)


@dataclass(frozen=True)
class ChartData:
    """What the chart shows, top bar first: the numbers come from the digest's figures."""

    title: str
    agencies: tuple[str, ...]
    series: tuple[tuple[Category, tuple[int, ...]], ...]
    total_agencies: int

    def as_json(self) -> str:
        # ASCII-only JSON: PNG text chunks are Latin-1.
        return json.dumps(
            {
                "title": self.title,
                "agencies": list(self.agencies),
                "series": {category.value: list(values) for category, values in self.series},
                "total_agencies": self.total_agencies,
            },
            ensure_ascii=True,
        )


def chart_data(digest: Digest, *, limit: int = CHART_AGENCIES, title: str = "") -> ChartData:
    rows = digest.agencies[:limit]
    return ChartData(
        title=title,
        agencies=tuple(row.agency_name for row in rows),
        series=tuple(
            (category, tuple(row.figures.counts()[category] for row in rows)) for category, _ in SERIES
        ),
        total_agencies=len(digest.agencies),
    )


def _short(name: str) -> str:
    return name if len(name) <= NAME_LIMIT else name[: NAME_LIMIT - 1].rstrip() + "…"


def render_chart(data: ChartData, *, dpi: int = 110) -> bytes:
    """The PNG; the plotted numbers are also stored in its `nhacviec` text chunk."""
    labels = tuple(_short(name) for name in data.agencies)
    legend = tuple(category.label for category, _ in data.series)
    font = chart_font((data.title, *labels, *legend))
    small = font.copy()
    small.set_size(9)
    count = max(1, len(labels))
    figure = Figure(figsize=(10, 1.9 + 0.42 * count), dpi=dpi)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(count))
    left = [0] * count
    colors = dict(SERIES)
    for category, values in data.series:
        if not any(values):
            continue
        axes.barh(
            positions[: len(values)], values, left=left[: len(values)], color=colors[category],
            label=category.label, height=0.7,
        )
        left = [a + b for a, b in zip(left, values, strict=False)] + left[len(values):]
    for y, total in enumerate(left[: len(labels)]):
        axes.text(total, y, f" {total}", va="center", fontproperties=small)
    axes.set_yticks(positions[: len(labels)], labels=list(labels))
    for tick in axes.get_yticklabels() + axes.get_xticklabels():
        tick.set_fontproperties(small)
    axes.invert_yaxis()  # worst agency on top
    axes.set_xlim(0, max(left, default=0) * 1.1 + 1)
    axes.set_xlabel("Số hạn nhiệm vụ", fontproperties=small)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))  # counts, not 2.5 tasks
    axes.grid(axis="x", alpha=0.3)
    axes.spines[["top", "right"]].set_visible(False)
    if data.title:
        axes.set_title(data.title, fontproperties=font, loc="left")
    if not labels:
        axes.text(0.5, 0.5, "Chưa có số liệu", ha="center", va="center", transform=axes.transAxes, fontproperties=font)
    height = figure.get_figheight()
    handles, names = axes.get_legend_handles_labels()
    if handles:
        figure.legend(handles, names, prop=small, loc="lower center", ncol=3, frameon=False)
    # Room below the axes for the legend (two rows of ~0.25 in), whatever the bar count.
    figure.tight_layout(rect=(0, 0.7 / height, 1, 1))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={METADATA_KEY: data.as_json()})
    return buffer.getvalue()


def read_chart_data(png: bytes) -> dict[str, object]:
    """The numbers stored in a chart's PNG (tests, diagnostics)."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        return json.loads(image.info[METADATA_KEY])  # type: ignore[no-any-return]
