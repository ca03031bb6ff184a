"""How wide each character of a document is, as weasyprint (Pango) sets it.

GB/T 9704 lays the text on a grid of full-width characters, and every Chinese font gives those
exactly one em. Digits, Latin letters and some punctuation (quotes, dashes, the ellipsis) are
another matter: a licensed 仿宋_GB2312 sets digits half an em wide, the free Noto Serif CJK SC
0.47–0.56 em. The letters break and justify their lines in Python (notices/typeset.py) and place
the signature to the point (notices/layout.py), so those widths must be the ones weasyprint will
use: they are read from a small weasyprint layout of the characters with the documents' own font
stack, once per process and font, and remembered.
"""

from __future__ import annotations

import html
import logging
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import weasyprint

logger = logging.getLogger(__name__)

# Measured large so that rounding inside the layout does not show in the widths.
PROBE_PT = 100
PX_PER_PT = 4 / 3
# Should the probe ever fail (a weasyprint release that lays its boxes out differently), narrow
# characters are taken a little wider than any common font sets them: lines then come out a hair
# short, never past the text block.
FALLBACK_NARROW_EM = 0.62
CONTEXT = "中"
# Marks a font may draw as one glyph (Noto CJK's 'ccmp' joins the two dashes of a 破折号 into one
# line): letter spacing then follows the pair once, not twice.
COMPOSED = ("——", "……")
PROBE_SPACING_PT = 10


@dataclass(frozen=True)
class Font:
    """A CSS font stack as printed in the documents' style sheet, and a weight."""

    family: str
    weight: int = 400


def is_wide(char: str) -> bool:
    """Full-width (Chinese characters, full-width punctuation): one em in every CJK font."""
    return unicodedata.east_asian_width(char) in ("W", "F")


_lock = threading.Lock()
_known: dict[Font, dict[str, float]] = {}
_glyphs: dict[Font, dict[str, int]] = {}  # COMPOSED → how many glyphs the font draws it with


def _probe_html(font: Font, chars: list[str], *, spacing_pt: float = 0) -> str:
    # One block per character: each becomes one text box, in document order. lang as in the
    # letters, since Pango chooses glyphs (and so widths) of shared characters by language.
    # The family list comes from fonts.css_family_list (names quoted, nothing that could leave the
    # string); anything else is refused rather than printed into the style sheet.
    family = font.family
    if any(c in family for c in "<>{};\\"):
        raise ValueError("not a font family list")
    # Each after a Chinese character, as in the letters: Pango gives a character of no script of its
    # own (a dash, a quote, a digit) the script of its neighbours, and in Chinese a dash is a full
    # em where alone it is narrower. The Chinese character's em is taken off again.
    rows = "".join(f"<div>{CONTEXT}{html.escape(char)}</div>" for char in chars)
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><style>'
        f"@page {{ size: 2000pt 200000pt; margin: 0 }} body {{ margin: 0 }}"
        f"div {{ font-family: {family}; font-weight: {font.weight}; font-size: {PROBE_PT}pt;"
        f" letter-spacing: {spacing_pt}pt; word-spacing: 0; white-space: pre; line-height: 1 }}"
        f"</style></head><body>{rows}</body></html>"
    )


def _no_fetch(url: str, *args, **kwargs):
    raise ValueError("the probe reads nothing")


def _text_boxes(box) -> Iterable:
    if type(box).__name__ == "TextBox":
        yield box
    for child in getattr(box, "children", None) or ():
        yield from _text_boxes(child)


def _layout(font: Font, texts: list[str], *, spacing_pt: float = 0) -> list[float]:
    """The widths in em of texts (each after CONTEXT, taken off again), laid out by weasyprint."""
    html_ = _probe_html(font, texts, spacing_pt=spacing_pt)
    document = weasyprint.HTML(string=html_, url_fetcher=_no_fetch).render()
    found = [box for page in document.pages for box in _text_boxes(page._page_box)]
    if [box.text for box in found] != [CONTEXT + text for text in texts]:
        raise ValueError("the probe's text boxes do not match its characters")
    return [box.width / PX_PER_PT / PROBE_PT - 1.0 for box in found]


def _probe(font: Font, chars: list[str]) -> dict[str, float]:
    """The widths in em of characters, laid out by weasyprint itself."""
    try:
        return dict(zip(chars, _layout(font, chars), strict=True))
    except Exception:  # noqa: BLE001 - a failed probe must not stop a document, only loosen it
        logger.warning("Could not measure characters with weasyprint; estimating their widths.", exc_info=True)
        return dict.fromkeys(chars, FALLBACK_NARROW_EM)


def _probe_glyphs(font: Font) -> dict[str, int]:
    """How many glyphs each COMPOSED pair is drawn with: letter spacing follows each glyph."""
    try:
        plain = _layout(font, list(COMPOSED))
        spaced = _layout(font, list(COMPOSED), spacing_pt=PROBE_SPACING_PT)
        em = PROBE_SPACING_PT / PROBE_PT
        # The spaced width holds one spacing per glyph, CONTEXT's included.
        return {seq: round((s - p) / em) - 1 for seq, s, p in zip(COMPOSED, spaced, plain, strict=True)}
    except Exception:  # noqa: BLE001
        logger.warning("Could not measure composed marks with weasyprint.", exc_info=True)
        return {seq: len(seq) for seq in COMPOSED}


def widths(font: Font, text: str) -> list[float]:
    """Each character's advance in em (without letter spacing)."""
    known = _known.get(font) or {}
    missing = sorted({c for c in text if not is_wide(c) and c not in known})
    if missing:
        with _lock:
            known = dict(_known.get(font) or {})
            still = [c for c in missing if c not in known]
            if still:
                known.update(_probe(font, still))
                _known[font] = known
    return [1.0 if is_wide(c) else known[c] for c in text]


def spacings(font: Font, text: str) -> int:
    """How many times letter spacing is added to a run of text: after every glyph, the last one
    included — one glyph a character, but for the pairs a font draws as one."""
    count = len(text)
    if any(seq in text for seq in COMPOSED):
        glyphs = _glyphs.get(font)
        if glyphs is None:
            with _lock:
                glyphs = _glyphs.get(font) or _probe_glyphs(font)
                _glyphs[font] = glyphs
        count -= sum(text.count(seq) * (len(seq) - glyphs[seq]) for seq in COMPOSED)
    return count


def width_pt(font: Font, text: str, *, size_pt: float, spacing_pt: float = 0.0) -> float:
    """The width of a run of text as weasyprint sets it."""
    return sum(widths(font, text)) * size_pt + (spacing_pt * spacings(font, text) if spacing_pt else 0.0)
