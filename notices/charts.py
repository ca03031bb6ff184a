"""Server-side SVG charts: bar charts and line charts drawn as inline ``<svg>`` markup.

Used by the web pages (dashboard, a unit's rank history) and by the PDF notice, so the output is
self-contained: no script, no external references (fonts, stylesheets, images), every piece of text
escaped, explicit ``width``/``height`` plus a ``viewBox`` (WeasyPrint sizes the image from them,
browsers scale it through CSS). The font family is passed in because the PDF must name a vendored
CJK font while the browser may use its own stack.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

# Room around the plot area, in SVG user units; the left margin holds the tick labels, the bottom
# one the category labels, the top one the title and the legend.
_LEFT, _RIGHT, _BOTTOM = 44, 12, 34
_TITLE_H, _LEGEND_H = 20, 18
_AXIS_COLOR = "#9e9e9e"
_GRID_COLOR = "#e0e0e0"
_TEXT_COLOR = "#424242"


@dataclass(frozen=True)
class Series:
    """One named row of values, one per category / x label; ``None`` is a missing value (no bar,
    a gap in the line)."""

    name: str
    values: Sequence[float | None]
    color: str


def bar_chart(
    *,
    categories: Sequence[str],
    series: Sequence[Series],
    stacked: bool = False,
    width: int = 640,
    height: int = 260,
    font_family: str = "sans-serif",
    title: str = "",
) -> SafeString:
    """Vertical bars, one group (or one stack, ``stacked=True``) per category, with a legend
    when there is more than one series. The value axis always includes zero."""
    frame = _Frame(width, height, title, [s for s in series if len(series) > 1])
    n = len(categories)
    lows, highs = [0.0], [0.0]
    for i in range(n):
        if stacked:
            column = [_at(s.values, i) for s in series]
            highs.append(sum(v for v in column if v is not None and v > 0))
            lows.append(sum(v for v in column if v is not None and v < 0))
        else:
            for s in series:
                v = _at(s.values, i)
                if v is not None:
                    highs.append(v)
                    lows.append(v)
    whole = _all_whole(lows + highs)
    scale = _Scale.nice(min(lows), max(highs), frame.plot_top, frame.plot_bottom, invert=False, whole=whole)

    parts = frame.open(font_family)
    parts += _value_axis(frame, scale)
    if n == 0:
        parts.append(frame.no_data())
    slot = frame.plot_width / max(n, 1)
    bar_area = slot * 0.7
    for i, category in enumerate(categories):
        x0 = frame.left + i * slot + (slot - bar_area) / 2
        if stacked:
            up = down = 0.0
            for s in series:
                v = _at(s.values, i)
                if v is None or v == 0:
                    continue
                base = up if v > 0 else down
                top = base + v
                if v > 0:
                    up = top
                else:
                    down = top
                parts.append(_bar(x0, bar_area, scale(base), scale(top), s, category, v))
        else:
            w = bar_area / max(len(series), 1)
            for k, s in enumerate(series):
                v = _at(s.values, i)
                if v is None:
                    continue
                parts.append(_bar(x0 + k * w, w, scale(0), scale(v), s, category, v))
        parts.append(frame.x_label(frame.left + (i + 0.5) * slot, category, i, n))
    parts.append(frame.baseline(scale(0)))
    parts.append("</svg>")
    return mark_safe("".join(parts))


def line_chart(
    *,
    x_labels: Sequence[str],
    series: Sequence[Series],
    invert: bool = False,
    width: int = 640,
    height: int = 260,
    font_family: str = "sans-serif",
    title: str = "",
    y_min: float | None = None,
    y_max: float | None = None,
) -> SafeString:
    """Lines with a dot per value; a ``None`` breaks the line. ``invert=True`` puts the smallest
    value on top (a rank chart: rank 1 at the top). ``y_min``/``y_max`` fix the value range
    (e.g. 1 to the group size); values outside it are drawn at the edge."""
    frame = _Frame(width, height, title, [s for s in series if len(series) > 1])
    values = [v for s in series for v in s.values if v is not None]
    low = y_min if y_min is not None else (min(values) if values else 0.0)
    high = y_max if y_max is not None else (max(values) if values else 1.0)
    # Counts and ranks: no tick between two whole numbers (no "rank 1.5").
    whole = _all_whole([*values, low, high])
    if y_min is None and y_max is None:
        scale = _Scale.nice(low, high, frame.plot_top, frame.plot_bottom, invert=invert, whole=whole)
    else:
        scale = _Scale.exact(low, high, frame.plot_top, frame.plot_bottom, invert=invert, whole=whole)

    parts = frame.open(font_family)
    parts += _value_axis(frame, scale)
    n = len(x_labels)
    if n == 0 or not values:
        parts.append(frame.no_data())
    slot = frame.plot_width / max(n, 1)

    def x_at(i: int) -> float:
        return frame.left + (i + 0.5) * slot

    for i, label in enumerate(x_labels):
        parts.append(frame.x_label(x_at(i), label, i, n))
    for s in series:
        color = escape(s.color)
        for run in _runs(s.values[:n]):
            if len(run) > 1:
                points = " ".join(f"{_n(x_at(i))},{_n(scale(v))}" for i, v in run)
                parts.append(
                    f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="2" '
                    f'stroke-linejoin="round" stroke-linecap="round"/>'
                )
        for i, v in enumerate(s.values[:n]):
            if v is None:
                continue
            parts.append(
                f'<circle cx="{_n(x_at(i))}" cy="{_n(scale(v))}" r="3" fill="{color}">'
                f"<title>{escape(s.name)} · {escape(x_labels[i])}: {escape(_fmt(v))}</title></circle>"
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))


# --- drawing helpers -------------------------------------------------------------------------


class _Frame:
    """The canvas: size, margins, title and legend; the plot area is what remains."""

    def __init__(self, width: int, height: int, title: str, legend: Sequence[Series]) -> None:
        self.width, self.height = max(int(width), 80), max(int(height), 60)
        self.title = title
        self.left = _LEFT
        self.plot_width = self.width - _LEFT - _RIGHT
        self.legend_rows = self._legend_rows(legend)
        # A legend that wraps makes the chart taller rather than its plot shorter.
        self.height += _LEGEND_H * max(len(self.legend_rows) - 1, 0)
        top = 8 + (_TITLE_H if title else 0) + _LEGEND_H * len(self.legend_rows)
        self.plot_top = top + 6
        self.plot_bottom = self.height - _BOTTOM

    def _legend_rows(self, legend: Sequence[Series]) -> list[list[tuple[float, Series, str]]]:
        """The legend's entries as (x, series, shown name), wrapped into rows that stay inside
        the chart: on one line, many states or long unit names ran past the right edge and were
        cut. A name too long for a whole row is shortened with an ellipsis (its full text stays in
        the chart's bars and dots)."""
        right = self.width - _RIGHT
        rows: list[list[tuple[float, Series, str]]] = []
        x = right  # forces a first row
        for s in legend:
            name = _fit(s.name, right - self.left - 14)
            needed = 14 + _text_width(name)
            if x + needed > right:
                rows.append([])
                x = float(self.left)
            rows[-1].append((x, s, name))
            # Advance by the name's rough width (CJK glyphs are about one em wide).
            x += needed + 14
        return rows

    def open(self, font_family: str) -> list[str]:
        label = escape(self.title) if self.title else ""
        parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" height="{self.height}" '
            f'viewBox="0 0 {self.width} {self.height}" role="img"'
            + (f' aria-label="{label}"' if label else "")
            + f' font-family="{escape(font_family)}" font-size="11" fill="{_TEXT_COLOR}">'
        ]
        if label:
            parts.append(f"<title>{label}</title>")
            parts.append(f'<text x="{self.width / 2:g}" y="20" text-anchor="middle" font-size="13">{label}</text>')
        for row, entries in enumerate(self.legend_rows):
            y = 8 + (_TITLE_H if self.title else 0) + 12 + row * _LEGEND_H
            for x, s, name in entries:
                parts.append(
                    f'<rect x="{_n(x)}" y="{y - 9}" width="10" height="10" fill="{escape(s.color)}"/>'
                    f'<text x="{_n(x + 14)}" y="{y}">{escape(name)}</text>'
                )
        return parts

    def x_label(self, x: float, text: str, index: int, count: int) -> str:
        # Long category lists: thin the labels out so they do not overlap.
        step = max(1, math.ceil(count * 40 / max(self.plot_width, 1)))
        if index % step:
            return ""
        shown = _fit(text, self.plot_width / max(count, 1) * step - 4)
        return (
            f'<text x="{_n(x)}" y="{self.plot_bottom + 16}" text-anchor="middle">'
            f"<title>{escape(text)}</title>{escape(shown)}</text>"
        )

    def baseline(self, y: float) -> str:
        return (
            f'<line x1="{self.left}" y1="{_n(y)}" x2="{self.left + self.plot_width}" y2="{_n(y)}" '
            f'stroke="{_AXIS_COLOR}"/>'
        )

    def no_data(self) -> str:
        mid = (self.plot_top + self.plot_bottom) / 2
        # Outside the f-string: gettext's extractor does not look inside one.
        label = escape(gettext("No data"))
        return (
            f'<text x="{_n(self.left + self.plot_width / 2)}" y="{_n(mid)}" text-anchor="middle" '
            f'fill="{_AXIS_COLOR}">{label}</text>'
        )


class _Scale:
    """Maps a value to a y coordinate; ``ticks`` are the values labelled on the axis."""

    def __init__(self, low: float, high: float, top: float, bottom: float, invert: bool, ticks: list[float]):
        self.low, self.high, self.top, self.bottom, self.invert = low, high, top, bottom, invert
        self.ticks = ticks

    @classmethod
    def nice(cls, low: float, high: float, top: float, bottom: float, *, invert: bool, whole: bool) -> _Scale:
        if high <= low:
            high = low + 1
        step = _nice_step((high - low) / 4, whole)
        low, high = math.floor(low / step) * step, math.ceil(high / step) * step
        return cls(low, high, top, bottom, invert, _frange(low, high, step))

    @classmethod
    def exact(cls, low: float, high: float, top: float, bottom: float, *, invert: bool, whole: bool) -> _Scale:
        if high <= low:
            high = low + 1
        step = _nice_step((high - low) / 4, whole)
        first = math.ceil(low / step) * step
        ticks = _frange(first, high, step)
        if not ticks or ticks[0] != low:
            ticks.insert(0, low)
        # The fixed ends are meaningful (rank 1, the last place): label the top one too.
        if high - ticks[-1] >= step / 2:
            ticks.append(high)
        return cls(low, high, top, bottom, invert, ticks)

    def __call__(self, value: float) -> float:
        value = min(max(value, self.low), self.high)
        share = (value - self.low) / (self.high - self.low)
        if self.invert:
            return self.top + share * (self.bottom - self.top)
        return self.bottom - share * (self.bottom - self.top)


def _value_axis(frame: _Frame, scale: _Scale) -> list[str]:
    parts = []
    right = frame.left + frame.plot_width
    for tick in scale.ticks:
        y = _n(scale(tick))
        parts.append(
            f'<line x1="{frame.left}" y1="{y}" x2="{right}" y2="{y}" stroke="{_GRID_COLOR}"/>'
            f'<text x="{frame.left - 6}" y="{y}" dy="4" text-anchor="end">{escape(_fmt(tick))}</text>'
        )
    parts.append(
        f'<line x1="{frame.left}" y1="{frame.plot_top}" x2="{frame.left}" y2="{frame.plot_bottom}" '
        f'stroke="{_AXIS_COLOR}"/>'
    )
    return parts


def _bar(x: float, w: float, y_a: float, y_b: float, s: Series, category: str, value: float) -> str:
    y, h = min(y_a, y_b), abs(y_b - y_a)
    return (
        f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(max(w - 1, 1))}" height="{_n(h)}" fill="{escape(s.color)}">'
        f"<title>{escape(s.name)} · {escape(category)}: {escape(_fmt(value))}</title></rect>"
    )


def _runs(values: Sequence[float | None]) -> Iterable[list[tuple[int, float]]]:
    """The unbroken stretches of a series (``None`` splits them)."""
    run: list[tuple[int, float]] = []
    for i, v in enumerate(values):
        if v is None:
            if run:
                yield run
            run = []
        else:
            run.append((i, float(v)))
    if run:
        yield run


def _at(values: Sequence[float | None], i: int) -> float | None:
    v = values[i] if i < len(values) else None
    return None if v is None else float(v)


def _nice_step(raw: float, whole: bool = False) -> float:
    if raw <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * magnitude:
            return max(m * magnitude, 1.0) if whole else m * magnitude
    return 10 * magnitude


def _all_whole(values: Iterable[float]) -> bool:
    return all(float(v).is_integer() for v in values)


def _frange(start: float, stop: float, step: float) -> list[float]:
    # Never past ``stop``: a tick beyond a fixed range would be drawn at its edge, mislabelled.
    count = math.floor((stop - start) / step + 1e-9)
    return [round(start + k * step, 10) for k in range(count + 1)]


def _fit(text: str, room: float) -> str:
    """The text, cut short with an ellipsis when it is wider than ``room`` (estimated)."""
    if _text_width(text) <= room:
        return text
    while text and _text_width(text) + 11 > room:
        text = text[:-1]
    return text + "…"


def _text_width(text: str) -> float:
    return sum(11 if ord(ch) > 0x2E80 else 6.5 for ch in text)


def _fmt(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _n(value: float) -> str:
    """Coordinates to two decimals: stable output, short markup."""
    return f"{value:.2f}".rstrip("0").rstrip(".")
