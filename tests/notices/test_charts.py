"""The SVG charts: well-formed, self-contained markup whose shapes follow the figures."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from django.utils.safestring import SafeString

from notices.charts import Series, bar_chart, line_chart

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # raises on malformed markup, e.g. unescaped text
    assert root.tag == SVG + "svg"
    return root


def rects(root: ET.Element, color: str) -> list[ET.Element]:
    return [r for r in root.iter(SVG + "rect") if r.get("fill") == color and r.find(SVG + "title") is not None]


def test_bar_chart_is_self_contained_and_sized():
    svg = bar_chart(
        categories=["甲县", "乙县"],
        series=[Series("open", [3, 1], "#c62828")],
        width=500,
        height=200,
        font_family="Noto Sans CJK SC",
        title="Open assignments",
    )
    assert isinstance(svg, SafeString)
    root = parse(svg)
    assert root.get("width") == "500" and root.get("height") == "200"
    assert root.get("viewBox") == "0 0 500 200"
    assert root.get("font-family") == "Noto Sans CJK SC"
    for banned in ("<script", "href", "url(", "@import", "<image", "<foreignObject"):
        assert banned not in svg
    assert not [a for el in root.iter() for a in el.attrib if a.startswith("on")]  # no event handlers
    assert "甲县" in svg and "Open assignments" in svg


def test_bar_heights_are_proportional_to_values():
    root = parse(bar_chart(categories=["a", "b", "c"], series=[Series("s", [4, 2, None], "#111111")]))
    bars = rects(root, "#111111")
    assert len(bars) == 2  # None draws nothing
    h4, h2 = (float(b.get("height")) for b in bars)
    assert abs(h4 - 2 * h2) < 0.05
    # The taller bar reaches higher (smaller y) from the same baseline.
    assert float(bars[0].get("y")) < float(bars[1].get("y"))
    assert abs(float(bars[0].get("y")) + h4 - (float(bars[1].get("y")) + h2)) < 0.05


def test_stacked_bars_sit_on_each_other():
    root = parse(
        bar_chart(
            categories=["county"],
            series=[Series("green", [2], "#2e7d32"), Series("red", [3], "#c62828")],
            stacked=True,
        )
    )
    (green,) = rects(root, "#2e7d32")
    (red,) = rects(root, "#c62828")
    assert abs(float(red.get("y")) + float(red.get("height")) - float(green.get("y"))) < 0.05
    assert abs(float(red.get("height")) / float(green.get("height")) - 1.5) < 0.01
    # Two series: a legend names both.
    texts = [t.text for t in root.iter(SVG + "text")]
    assert "green" in texts and "red" in texts


def test_text_is_escaped():
    nasty = '<script>alert("x")</script> & "quotes"'
    svg = bar_chart(categories=[nasty], series=[Series(nasty, [1], '"><script>')], title=nasty, font_family='x"y')
    parse(svg)
    assert "<script" not in svg


def test_line_chart_inverted_puts_rank_one_on_top():
    root = parse(
        line_chart(
            x_labels=["第1期", "第2期", "第3期"],
            series=[Series("甲县", [1, 3, 2], "#1565c0")],
            invert=True,
            y_min=1,
            y_max=3,
        )
    )
    ys = [float(c.get("cy")) for c in root.iter(SVG + "circle")]
    assert ys[0] < ys[2] < ys[1]  # rank 1 highest on the page, rank 3 lowest
    (line,) = root.iter(SVG + "polyline")
    assert len(line.get("points").split()) == 3


def test_line_chart_not_inverted_puts_large_values_on_top():
    root = parse(line_chart(x_labels=["a", "b"], series=[Series("s", [10, 20], "#000000")]))
    y10, y20 = (float(c.get("cy")) for c in root.iter(SVG + "circle"))
    assert y20 < y10


def test_missing_values_break_the_line():
    root = parse(line_chart(x_labels=list("abcde"), series=[Series("s", [1, 2, None, 3, 4], "#000000")]))
    lines = list(root.iter(SVG + "polyline"))
    assert len(lines) == 2
    assert len(list(root.iter(SVG + "circle"))) == 4


def test_empty_charts_still_render():
    parse(bar_chart(categories=[], series=[]))
    parse(line_chart(x_labels=[], series=[]))
    parse(line_chart(x_labels=["a"], series=[Series("s", [None], "#000")]))


def tick_labels(root: ET.Element) -> list[str]:
    # The value axis labels are the texts drawn right-aligned at the left margin.
    return [t.text for t in root.iter(SVG + "text") if t.get("text-anchor") == "end"]


def test_ranks_and_counts_get_whole_number_ticks():
    root = parse(line_chart(x_labels=["a", "b"], series=[Series("s", [1, 2], "#000")], invert=True, y_min=1, y_max=2))
    assert tick_labels(root) == ["1", "2"]
    root = parse(line_chart(x_labels=["a"], series=[Series("s", [3], "#000")], invert=True, y_min=1, y_max=7))
    labels = tick_labels(root)
    assert labels[0] == "1" and labels[-1] == "7" and all("." not in x for x in labels)
    root = parse(bar_chart(categories=["a"], series=[Series("s", [1], "#000")]))
    assert all("." not in x for x in tick_labels(root))
    # Fractions stay possible where the values have them.
    root = parse(bar_chart(categories=["a", "b"], series=[Series("s", [0.2, 0.4], "#000")]))
    assert any("." in x for x in tick_labels(root))


def test_long_labels_are_shortened_but_kept_in_full_as_a_tooltip():
    long = "市乡村振兴局驻村帮扶工作队第一分队"
    root = parse(bar_chart(categories=[long] * 8, series=[Series("s", [1] * 8, "#000")], width=400))
    labels = [t for t in root.iter(SVG + "text") if t.find(SVG + "title") is not None]
    assert labels and all(t.find(SVG + "title").text == long for t in labels)
    shown = [t.find(SVG + "title").tail for t in labels]
    assert all(x.endswith("…") and len(x) < len(long) for x in shown)


def test_a_fixed_range_has_no_tick_beyond_it():
    root = parse(line_chart(x_labels=["a"], series=[Series("s", [9], "#000")], y_min=0, y_max=9))
    labels = tick_labels(root)
    assert labels[0] == "0" and labels[-1] == "9" and "10" not in labels
