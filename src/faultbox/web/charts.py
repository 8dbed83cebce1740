"""Charts drawn on the server as inline SVG: no JavaScript, nothing to load, nothing for a
hostile label to execute in.

Every function returns one ``<svg>`` element as :class:`markupsafe.Markup`, ready to drop
into a template.  Every piece of text that comes from outside (a release name in a deploy
marker, a service name in a legend) is escaped here and stripped of the characters XML
does not allow, so the output is always well-formed XML as well as safe HTML.

CSS hooks (static/app.css): ``svg.spark`` with ``rect`` bars; ``svg.chart`` with
``.bar-rect`` bars and ``.deploy`` marker lines.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from markupsafe import Markup, escape

SVG_NS = "http://www.w3.org/2000/svg"
# Series colours for line charts, distinguishable and readable on white.
PALETTE = (
    "#3b5bdb",
    "#e8590c",
    "#2b8a3e",
    "#c92a2a",
    "#7048e8",
    "#0c8599",
    "#d6336c",
    "#5c940d",
    "#868e96",
    "#f59f00",
)
TEXT_FILL = "#5b6478"
GRID_STROKE = "#dde1e8"
LEGEND_LABEL_MAX = 32
# Characters XML 1.0 forbids (and lone surrogates): removed from any label.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")

Point = tuple[float, float]


def clean_text(value: object, *, limit: int | None = None) -> str:
    """A label as text XML can hold: forbidden characters gone, optionally shortened."""
    text = _NOT_XML.sub("", str(value))
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def _esc(value: object, *, limit: int | None = None) -> str:
    return str(escape(clean_text(value, limit=limit)))


def _num(value: float) -> str:
    """A coordinate: short, no exponent, no '-0'."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def compact(value: float) -> str:
    """12, 1.5k, 3.2M, 7.1G: axis and title numbers."""
    if not math.isfinite(value):
        return "0"
    for suffix, size in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= size:
            return f"{value / size:.1f}".rstrip("0").rstrip(".") + suffix
    if value == int(value):
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _count(value: object) -> int:
    try:
        number = int(value)  # type: ignore[call-overload]
        assert isinstance(number, int)
    except (TypeError, ValueError, OverflowError):
        return 0
    return max(0, number)


def _value(value: object) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return 0.0
    return number if math.isfinite(number) else 0.0


def _open(css_class: str, width: float, height: float, label: str, *, fixed: bool) -> str:
    # A chart fills its container's width and keeps its proportions; a sparkline is fixed.
    size = f' width="{_num(width)}" height="{_num(height)}"' if fixed else ' width="100%"'
    return (
        f'<svg xmlns="{SVG_NS}" class="{css_class}" viewBox="0 0 {_num(width)} {_num(height)}"'
        f'{size} role="img" aria-label="{_esc(label)}">'
        f"<title>{_esc(label)}</title>"
    )


def sparkline(counts: Sequence[int], *, width: int = 100, height: int = 24) -> Markup:
    """Small bars, one per bucket, heights proportional to the counts; the title says
    the total.  No axes: it sits in a table row next to a number."""
    values = [_count(c) for c in counts]
    total = sum(values)
    label = f"{total:,} event{'s' if total != 1 else ''}"
    parts = [_open("spark", width, height, label, fixed=True)]
    peak = max(values, default=0)
    if values and peak > 0:
        slot = width / len(values)
        gap = min(1.0, slot * 0.2)
        for i, value in enumerate(values):
            if value <= 0:
                continue
            bar = height * (value / peak)
            parts.append(
                f'<rect x="{_num(i * slot)}" y="{_num(height - bar)}" '
                f'width="{_num(max(slot - gap, 0.1))}" height="{_num(bar)}"/>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def _time_format(span_seconds: float, bucket_seconds: float) -> str:
    if bucket_seconds >= 86400 or span_seconds > 3 * 86400:
        return "%b %d"
    return "%b %d %H:%M"


def _stamp(ts: float, fmt: str) -> str:
    try:
        return datetime.fromtimestamp(ts, UTC).strftime(fmt)
    except (OverflowError, OSError, ValueError):
        return ""


class _Frame:
    """The plotting area inside the margins, and the mapping from data to pixels."""

    def __init__(
        self, width: float, height: float, *, start: float, end: float, top: float, legend: float
    ) -> None:
        self.left, self.right = 44.0, 8.0
        self.top_margin, self.bottom = 8.0 + legend, 20.0
        self.width, self.height = float(width), float(height)
        self.plot_w = max(1.0, self.width - self.left - self.right)
        self.plot_h = max(1.0, self.height - self.top_margin - self.bottom)
        self.start, self.end = start, max(end, start + 1.0)
        self.top = top if top > 0 else 1.0

    def x(self, ts: float) -> float:
        return self.left + self.plot_w * (ts - self.start) / (self.end - self.start)

    def y(self, value: float) -> float:
        return self.top_margin + self.plot_h * (1.0 - min(value, self.top) / self.top)

    @property
    def base(self) -> float:
        return self.top_margin + self.plot_h

    def axes(self, *, fmt: str, ticks: int = 5) -> str:
        parts = [
            f'<g class="axis" font-size="10" fill="{TEXT_FILL}">',
            f'<line x1="{_num(self.left)}" y1="{_num(self.base)}" '
            f'x2="{_num(self.left + self.plot_w)}" y2="{_num(self.base)}" '
            f'stroke="{GRID_STROKE}"/>',
            f'<line x1="{_num(self.left)}" y1="{_num(self.top_margin)}" '
            f'x2="{_num(self.left + self.plot_w)}" y2="{_num(self.top_margin)}" '
            f'stroke="{GRID_STROKE}" stroke-dasharray="2 2"/>',
            f'<text x="{_num(self.left - 4)}" y="{_num(self.top_margin + 4)}" '
            f'text-anchor="end">{_esc(compact(self.top))}</text>',
            f'<text x="{_num(self.left - 4)}" y="{_num(self.base)}" text-anchor="end">0</text>',
        ]
        count = max(2, ticks)
        for i in range(count):
            ts = self.start + (self.end - self.start) * i / (count - 1)
            anchor = "start" if i == 0 else "end" if i == count - 1 else "middle"
            parts.append(
                f'<text x="{_num(self.x(ts))}" y="{_num(self.base + 14)}" '
                f'text-anchor="{anchor}">{_esc(_stamp(ts, fmt))}</text>'
            )
        parts.append("</g>")
        return "".join(parts)

    def markers(self, markers: Sequence[tuple[float, str]], *, fmt: str) -> str:
        parts = []
        for ts, label in markers:
            at = _value(ts)
            if not self.start <= at <= self.end:
                continue
            x = _num(self.x(at))
            title = f"{clean_text(label, limit=200)} · {_stamp(at, fmt)}"
            parts.append(
                f'<line class="deploy" x1="{x}" y1="{_num(self.top_margin)}" x2="{x}" '
                f'y2="{_num(self.base)}" stroke="#2b8a3e" stroke-dasharray="3 2" '
                f'stroke-width="1.5"><title>{_esc(title)}</title></line>'
            )
        return "".join(parts)


def _nice_top(peak: float) -> float:
    """Round the y-axis maximum up to 1, 2 or 5 times a power of ten."""
    if peak <= 0 or not math.isfinite(peak):
        return 1.0
    try:
        power = 10.0 ** math.floor(math.log10(peak))
    except OverflowError:
        return peak
    for step in (1.0, 2.0, 5.0, 10.0):
        if peak <= step * power:
            return step * power
    return peak


def _empty(css_class: str, width: int, height: int, label: str, message: str) -> Markup:
    return Markup(
        _open(css_class, width, height, label, fixed=False)
        + f'<text x="{_num(width / 2)}" y="{_num(height / 2)}" text-anchor="middle" '
        f'font-size="12" fill="{TEXT_FILL}">{_esc(message)}</text></svg>'
    )


def bar_chart(
    points: Sequence[tuple[float, int]],
    *,
    bucket_seconds: float,
    markers: Sequence[tuple[float, str]] = (),
    width: int = 600,
    height: int = 160,
    label: str = "Events over time",
) -> Markup:
    """Events per bucket (``(bucket start epoch, count)``) with date labels on the x axis
    and deploy markers (``(epoch, release)``) as dashed vertical lines."""
    bucket = max(1.0, _value(bucket_seconds))
    data = sorted((_value(ts), _count(c)) for ts, c in points)
    if not data:
        return _empty("chart", width, height, label, "No events in this period")
    start, end = data[0][0], data[-1][0] + bucket
    peak = max(c for _, c in data)
    frame = _Frame(width, height, start=start, end=end, top=_nice_top(float(peak)), legend=0)
    fmt = _time_format(end - start, bucket)
    total = sum(c for _, c in data)
    parts = [
        _open("chart", width, height, f"{label}: {total:,} events", fixed=False),
        frame.axes(fmt=fmt),
    ]
    slot = frame.plot_w * bucket / (frame.end - frame.start)
    gap = min(1.0, slot * 0.2)
    parts.append('<g class="bars">')
    for ts, count in data:
        if count <= 0:
            continue
        y = frame.y(float(count))
        parts.append(
            f'<rect class="bar-rect" x="{_num(frame.x(ts))}" y="{_num(y)}" '
            f'width="{_num(max(slot - gap, 0.5))}" height="{_num(frame.base - y)}" '
            f'fill="#9fb1e8" data-count="{count}">'
            f"<title>{_esc(_stamp(ts, fmt))}: {count:,}</title></rect>"
        )
    parts.append("</g>")
    parts.append(frame.markers(markers, fmt=fmt))
    parts.append("</svg>")
    return Markup("".join(parts))


def multi_line_chart(
    series: Mapping[str, Sequence[tuple[float, float]]],
    *,
    markers: Sequence[tuple[float, str]] = (),
    width: int = 600,
    height: int = 180,
    label: str = "Over time",
) -> Markup:
    """One line per named series (``{name: [(epoch, value), …]}``), a legend on top, and
    deploy markers.  A series with one point is drawn as a dot."""
    cleaned: list[tuple[str, list[Point]]] = []
    for name, values in series.items():
        pts = sorted((_value(ts), _value(v)) for ts, v in values)
        cleaned.append((str(name), pts))
    all_points = [p for _, pts in cleaned for p in pts]
    if not all_points:
        return _empty("chart", width, height, label, "No events in this period")
    start = min(ts for ts, _ in all_points)
    end = max(ts for ts, _ in all_points)
    peak = max(max(v for _, v in all_points), 0.0)
    legend_rows = _legend_rows(len(cleaned), width)
    frame = _Frame(
        width, height, start=start, end=end, top=_nice_top(peak), legend=legend_rows * 16.0
    )
    fmt = _time_format(frame.end - frame.start, (frame.end - frame.start) / 24)
    parts = [_open("chart", width, height, label, fixed=False), frame.axes(fmt=fmt)]
    legend = ['<g class="legend" font-size="11">']
    per_row = _legend_per_row(width)
    for index, (name, pts) in enumerate(cleaned):
        colour = PALETTE[index % len(PALETTE)]
        title = f"<title>{_esc(name, limit=200)}</title>"
        if len(pts) == 1:
            ts, v = pts[0]
            parts.append(
                f'<circle class="series" cx="{_num(frame.x(ts))}" cy="{_num(frame.y(v))}" '
                f'r="3" fill="{colour}">{title}</circle>'
            )
        elif pts:
            coords = " ".join(f"{_num(frame.x(ts))},{_num(frame.y(v))}" for ts, v in pts)
            parts.append(
                f'<polyline class="series" points="{coords}" fill="none" stroke="{colour}" '
                f'stroke-width="1.5" stroke-linejoin="round">{title}</polyline>'
            )
        row, col = divmod(index, per_row)
        lx = frame.left + col * (frame.plot_w / per_row)
        ly = 4.0 + row * 16.0
        legend.append(
            f'<g class="legend-item"><rect x="{_num(lx)}" y="{_num(ly + 2)}" width="10" '
            f'height="10" fill="{colour}"/><text x="{_num(lx + 14)}" y="{_num(ly + 11)}" '
            f'fill="{TEXT_FILL}">{_esc(name, limit=LEGEND_LABEL_MAX)}{title}</text></g>'
        )
    legend.append("</g>")
    parts.extend(legend)
    parts.append(frame.markers(markers, fmt=fmt))
    parts.append("</svg>")
    return Markup("".join(parts))


def _legend_per_row(width: float) -> int:
    return max(1, int((width - 52) // 140))


def _legend_rows(count: int, width: float) -> int:
    return max(1, math.ceil(count / _legend_per_row(width)))
