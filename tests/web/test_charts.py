"""Server-side SVG charts: always well-formed, labels escaped, odd inputs survive."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from faultbox.web.charts import bar_chart, clean_text, compact, multi_line_chart, sparkline

NS = "{http://www.w3.org/2000/svg}"
HOSTILE = "<script>alert('x')</script>&\"v1/\x00\x1b"
DAY = 86400.0
T0 = 1_700_000_000.0


def parse(svg: Markup) -> ET.Element:
    assert isinstance(svg, Markup)
    root = ET.fromstring(str(svg))
    assert root.tag == NS + "svg"
    return root


def rects(root: ET.Element, css: str | None = None) -> list[ET.Element]:
    return [r for r in root.iter(NS + "rect") if css is None or r.get("class") == css]


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(NS + "text")]


def titles(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(NS + "title")]


# -- sparkline ---------------------------------------------------------------------------


def test_sparkline_bars_and_total_title() -> None:
    root = parse(sparkline([1, 0, 4, 2]))
    assert root.get("class") == "spark"
    assert titles(root)[0] == "7 events"
    bars = rects(root)
    assert len(bars) == 3  # the zero bucket draws nothing
    heights = [float(r.get("height", "0")) for r in bars]
    assert max(heights) == 24.0
    assert heights[0] * 4 == heights[1]


def test_sparkline_empty_and_zero_everywhere() -> None:
    for counts in ([], [0, 0, 0]):
        root = parse(sparkline(counts))
        assert rects(root) == []
        assert titles(root) == ["0 events"]


def test_sparkline_one_point_and_huge_counts() -> None:
    root = parse(sparkline([5]))
    assert titles(root) == ["5 events"]
    assert len(rects(root)) == 1
    huge = parse(sparkline([10**18, 1, 10**18 // 2]))
    assert titles(huge)[0] == f"{10**18 + 1 + 10**18 // 2:,} events"
    heights = [float(r.get("height", "0")) for r in rects(huge)]
    assert heights[0] == 24.0 and heights[-1] == 12.0


def test_sparkline_size() -> None:
    root = parse(sparkline([1, 2], width=50, height=10))
    assert root.get("width") == "50" and root.get("height") == "10"
    assert root.get("viewBox") == "0 0 50 10"


# -- bar chart ---------------------------------------------------------------------------


def test_bar_chart_axes_dates_and_titles() -> None:
    points = [(T0 + i * DAY, c) for i, c in enumerate([3, 0, 10, 5])]
    root = parse(bar_chart(points, bucket_seconds=DAY))
    assert root.get("class") == "chart"
    bars = rects(root, "bar-rect")
    assert len(bars) == 3
    assert [b.get("data-count") for b in bars] == ["3", "10", "5"]
    labels = texts(root)
    assert "10" in labels and "0" in labels  # y axis: a nice top and zero
    assert "Nov 14" in labels  # x axis: dates
    assert any(t.endswith(": 10") for t in titles(root))
    assert "18 events" in titles(root)[0]


def test_bar_chart_markers_escaped_and_out_of_range_dropped() -> None:
    points = [(T0, 1), (T0 + 3600, 2)]
    svg = bar_chart(
        points,
        bucket_seconds=3600,
        markers=[(T0 + 1800, HOSTILE), (T0 - 10 * DAY, "too early")],
    )
    assert "<script>" not in str(svg)
    root = parse(svg)
    deploys = [e for e in root.iter() if e.get("class") == "deploy"]
    assert len(deploys) == 1
    title = "".join(deploys[0].itertext())
    assert title.startswith("<script>alert('x')</script>&\"v1/")  # text, after unescaping
    assert "\x00" not in title and "\x1b" not in title


def test_bar_chart_empty_one_point_zero_everywhere_huge() -> None:
    empty = parse(bar_chart([], bucket_seconds=3600))
    assert "No events in this period" in texts(empty)
    one = parse(bar_chart([(T0, 7)], bucket_seconds=3600))
    assert len(rects(one, "bar-rect")) == 1
    zeros = parse(bar_chart([(T0 + i * 3600, 0) for i in range(24)], bucket_seconds=3600))
    assert rects(zeros, "bar-rect") == []
    huge = parse(bar_chart([(T0, 10**15), (T0 + 3600, 1)], bucket_seconds=3600))
    assert "1P" not in texts(huge) and "1000T" in texts(huge)


def test_bar_chart_hostile_label() -> None:
    svg = bar_chart([(T0, 1)], bucket_seconds=60, label=HOSTILE)
    assert "<script>" not in str(svg)
    parse(svg)


# -- multi-line chart --------------------------------------------------------------------


def test_multi_line_chart_legend_escaped() -> None:
    series = {
        HOSTILE: [(T0, 1.0), (T0 + 3600, 3.0)],
        "api": [(T0, 2.0), (T0 + 3600, 0.5)],
    }
    svg = multi_line_chart(series, markers=[(T0 + 60, "<b>1.0</b>")])
    text = str(svg)
    assert "<script>" not in text and "<b>" not in text
    root = parse(svg)
    assert len(list(root.iter(NS + "polyline"))) == 2
    legend = texts(root)
    assert any(t.startswith("<script>") for t in legend)
    assert any(t.startswith("api") for t in legend)
    assert len([e for e in root.iter() if e.get("class") == "deploy"]) == 1


def test_multi_line_chart_edge_cases() -> None:
    assert "No events in this period" in texts(parse(multi_line_chart({})))
    assert "No events in this period" in texts(parse(multi_line_chart({"a": []})))
    one = parse(multi_line_chart({"a": [(T0, 4.0)]}))
    assert len(list(one.iter(NS + "circle"))) == 1
    nan = parse(multi_line_chart({"a": [(T0, float("nan")), (T0 + 60, float("inf"))]}))
    assert len(list(nan.iter(NS + "polyline"))) == 1
    many = parse(multi_line_chart({f"s{i}" * 30: [(T0, i), (T0 + 1, i)] for i in range(15)}))
    assert len(list(many.iter(NS + "polyline"))) == 15
    legend = [t.text or "" for t in many.iter(NS + "text") if (t.text or "").startswith("s")]
    assert len(legend) == 15 and all(len(t) <= 32 for t in legend)


def test_helpers() -> None:
    assert clean_text("a\x00b\x1fc\ttab") == "abc\ttab"
    assert clean_text("x" * 50, limit=10) == "x" * 9 + "…"
    assert compact(1500) == "1.5k" and compact(2_000_000) == "2M" and compact(3) == "3"
    assert compact(float("nan")) == "0"


# -- properties --------------------------------------------------------------------------

counts_strategy = st.lists(st.integers(min_value=0, max_value=10**12), max_size=60)


@settings(max_examples=150, deadline=None)
@given(counts=counts_strategy)
def test_sparkline_property(counts: list[int]) -> None:
    root = parse(sparkline(counts, width=120, height=30))
    bars = rects(root)
    assert len(bars) == sum(1 for c in counts if c > 0)
    peak = max(counts, default=0)
    nonzero = [c for c in counts if c > 0]
    for count, bar in zip(nonzero, bars, strict=True):
        expected = 30 * count / peak
        assert abs(float(bar.get("height", "-1")) - expected) <= 0.01


@settings(max_examples=100, deadline=None)
@given(
    counts=counts_strategy,
    bucket=st.sampled_from([60, 3600, 86400]),
    names=st.lists(st.text(max_size=40), max_size=3),
)
def test_bar_chart_property(counts: list[int], bucket: int, names: list[str]) -> None:
    points = [(T0 + i * bucket, c) for i, c in enumerate(counts)]
    markers = [(T0 + i * bucket, name) for i, name in enumerate(names)]
    root = parse(bar_chart(points, bucket_seconds=bucket, markers=markers))
    bars = rects(root, "bar-rect")
    assert len(bars) == sum(1 for c in counts if c > 0)
    by_count = [(int(b.get("data-count", "0")), float(b.get("height", "0"))) for b in bars]
    # Heights proportional to counts: one ratio (pixels per event) for every bar.
    ratios = {round(h / c, 6) for c, h in by_count if c and h > 0.5}
    if len(ratios) > 1:
        assert max(ratios) / min(ratios) < 1.05


@settings(max_examples=60, deadline=None)
@given(
    series=st.dictionaries(
        st.text(max_size=20),
        st.lists(
            st.tuples(
                st.floats(min_value=0, max_value=4e9),
                st.floats(allow_nan=True, allow_infinity=True),
            ),
            max_size=10,
        ),
        max_size=5,
    )
)
def test_multi_line_chart_property(series: dict[str, list[tuple[float, float]]]) -> None:
    parse(multi_line_chart(series))
