"""GB/T 9704-2012 page geometry, in one place, and what follows from it.

The standard fixes the text block (版心) at 156 × 225 mm with a 37 mm top margin and a 28 mm
binding-side margin, and the body at 3号 (16 pt) with 22 lines of 28 characters. A 16 pt
character is 5.64 mm wide, so 28 of them (158 mm) do not fit 156 mm as they are: the letter
spacing is tightened a little, as word processors do with their "characters per line" grid,
and the line pitch is the block height divided by 22.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

MM = 72 / 25.4  # points per millimetre

PAGE_WIDTH_MM, PAGE_HEIGHT_MM = 210, 297
TOP_MM = 37
INNER_MM = 28  # 订口: left on odd (right-hand) pages, right on even ones
BLOCK_WIDTH_MM, BLOCK_HEIGHT_MM = 156, 225
OUTER_MM = PAGE_WIDTH_MM - INNER_MM - BLOCK_WIDTH_MM  # 26
BOTTOM_MM = PAGE_HEIGHT_MM - TOP_MM - BLOCK_HEIGHT_MM  # 35

BODY_PT = 16  # 3号
TITLE_PT = 22  # 2号
FOLIO_PT = 14  # 4号: page numbers, 版记
LINES_PER_PAGE = 22
CHARS_PER_LINE = 28
# The page number's dash (一字线) sits this far below the text block.
FOLIO_GAP_MM = 7


def _round_down(value: float, places: int = 3) -> float:
    factor = 10**places
    return int(value * factor) / factor


@dataclass(frozen=True)
class Grid:
    line_pt: float  # line pitch
    letter_spacing_pt: float
    folio_padding_mm: float  # from the text block's bottom edge to the top of the page number's em box

    @property
    def two_lines_pt(self) -> float:
        return round(self.line_pt * 2, 3)

    @property
    def cell_pt(self) -> float:
        """One character of the body with its spacing: 28 of them fill the block's width."""
        return BODY_PT + self.letter_spacing_pt


def grid() -> Grid:
    # Rounded down: a hair under the exact pitch keeps the 22nd line from spilling over by a
    # rounding error, and 23 lines still do not fit.
    line = _round_down(BLOCK_HEIGHT_MM * MM / LINES_PER_PAGE)
    # 28 characters must fit with their spacing counted 27 or 28 times (engines differ on the
    # last one) and 29 must not. Just inside the loose end of that window the 28 fill the
    # block to within a point, as the standard's "撑满版心" asks.
    width = BLOCK_WIDTH_MM * MM
    tightest = (width - 29 * BODY_PT) / 28  # below this, 29 characters would fit
    loosest = min((width - CHARS_PER_LINE * BODY_PT) / CHARS_PER_LINE, (width - CHARS_PER_LINE * BODY_PT) / 27)
    spacing = round(loosest - (loosest - tightest) * 0.05, 3)
    folio_half_em_mm = FOLIO_PT / 2 / MM
    return Grid(line_pt=line, letter_spacing_pt=spacing, folio_padding_mm=round(FOLIO_GAP_MM - folio_half_em_mm, 2))


@dataclass(frozen=True)
class Mark:
    """The red issuing-office mark (发文机关标志): one line across the text block, as large as fits.

    Long names are first narrowed (character scaling, as offices do in their templates), then,
    past 60 %, set smaller.
    """

    text: str
    size_pt: float
    scale: float
    natural_width_pt: float
    offset_pt: float  # left margin that centres the unscaled box on the block


MARK_MAX_PT = 36.0
MARK_MIN_SCALE = 0.6


def mark(text: str, *, max_pt: float = MARK_MAX_PT) -> Mark:
    width = BLOCK_WIDTH_MM * MM
    chars = max(len(text), 1)
    size = max_pt
    natural = chars * size
    scale = min(1.0, width / natural)
    if scale < MARK_MIN_SCALE:
        scale = MARK_MIN_SCALE
        size = width / (chars * scale)
        natural = chars * size
    return Mark(
        text=text,
        size_pt=round(size, 2),
        scale=round(scale, 4),
        natural_width_pt=round(natural, 2),
        offset_pt=round((width - natural) / 2, 2),
    )


# --- 标题 (7.3.1) -------------------------------------------------------------------------------

# The title is set without letter spacing: a line holds 20 characters of 2号 across the block.
TITLE_LINE_PT = BLOCK_WIDTH_MM * MM


# --- 发文机关署名 and 成文日期 (7.3.5.2) -------------------------------------------------------------


@dataclass(frozen=True)
class Signature:
    """Where the issuing body's name (one line or, if nothing shorter fits, several) and the date
    sit, as left offsets in points from the text block's left edge."""

    lines: tuple[str, ...]
    date: str
    name_left_pt: float
    date_left_pt: float
    date_longer: bool


def signature(
    names: Sequence[str],
    date: str,
    *,
    width: Callable[[str], float],
    cell_pt: float,
    wrap: Callable[[str, float], list[str]],
) -> Signature:
    """GB/T 9704-2012 7.3.5.2 (不加盖印章的公文), for a letter issued by one body:

    "在正文（或附件说明）下空一行右空二字编排发文机关署名，在发文机关署名下一行编排成文日期，首字比
    发文机关署名首字右移二字，如成文日期长于发文机关署名，应当使成文日期右空二字编排，并相应增加发文
    机关署名右空字数。"

    So the name ends two characters from the right edge and the date starts two characters right
    of the name's first character; only when the date is the longer does the date end two
    characters from the edge, the name moving left to keep the two characters between their first
    characters. ``names`` are the forms of the name, longest first (the full name, then the
    规范化简称): the first that fits the line (block less two characters) is used; if none does,
    the last is wrapped (``wrap(text, limit)``) so that nothing runs past the block. ``width``
    gives a string's printed width in points, ``cell_pt`` is one character of the grid.
    """
    right = BLOCK_WIDTH_MM * MM - 2 * cell_pt
    candidates = [n for n in (" ".join(n.split()) for n in names) if n]
    fitting = next((n for n in candidates if width(n) <= right), None)
    lines = [fitting] if fitting else wrap(candidates[-1], right)
    name_width = max(width(line) for line in lines)
    date_width = width(date)
    if date_width > name_width:
        date_left = right - date_width
        name_left = date_left - 2 * cell_pt
    else:
        name_left = right - name_width
        date_left = name_left + 2 * cell_pt
    return Signature(
        lines=tuple(lines),
        date=date,
        name_left_pt=round(max(name_left, 0.0), 3),
        date_left_pt=round(date_left, 3),
        date_longer=date_width > name_width,
    )
