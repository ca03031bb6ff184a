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


def _probe_html(font: Font, chars: list[str]) -> str:
    # One block per character: each becomes one text box, in document order. lang as in the
    # letters, since Pango chooses glyphs (and so widths) of shared characters by language.
    # The family list comes from fonts.css_family_list (names quoted, nothing that could leave the
    # string); anything else is refused rather than printed into the style sheet.
    family = font.family
    if any(c in family for c in "<>{};\\"):
        raise ValueError("not a font family list")
    rows = "".join(f"<div>{html.escape(char)}</div>" for char in chars)
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><style>'
        f"@page {{ size: 2000pt 200000pt; margin: 0 }} body {{ margin: 0 }}"
        f"div {{ font-family: {family}; font-weight: {font.weight}; font-size: {PROBE_PT}pt;"
        " letter-spacing: 0; word-spacing: 0; white-space: pre; line-height: 1 }"
        f"</style></head><body>{rows}</body></html>"
    )


def _no_fetch(url: str, *args, **kwargs):
    raise ValueError("the probe reads nothing")


def _text_boxes(box) -> Iterable:
    if type(box).__name__ == "TextBox":
        yield box
    for child in getattr(box, "children", None) or ():
        yield from _text_boxes(child)


def _probe(font: Font, chars: list[str]) -> dict[str, float]:
    """The widths in em of characters, laid out by weasyprint itself."""
    try:
        document = weasyprint.HTML(string=_probe_html(font, chars), url_fetcher=_no_fetch).render()
        found = [box for page in document.pages for box in _text_boxes(page._page_box)]
        if [box.text for box in found] != chars:
            raise ValueError("the probe's text boxes do not match its characters")
        return {char: box.width / PX_PER_PT / PROBE_PT for char, box in zip(chars, found, strict=True)}
    except Exception:  # noqa: BLE001 - a failed probe must not stop a document, only loosen it
        logger.warning("Could not measure characters with weasyprint; estimating their widths.", exc_info=True)
        return dict.fromkeys(chars, FALLBACK_NARROW_EM)


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


def width_pt(font: Font, text: str, *, size_pt: float, spacing_pt: float = 0.0) -> float:
    """The width of a run of text as weasyprint sets it: letter spacing follows every character,
    the last one included."""
    return sum(widths(font, text)) * size_pt + spacing_pt * len(text)
