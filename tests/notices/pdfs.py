"""Reading the PDFs back: text, fonts, and where each line of characters sits on the page."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import pdfplumber
from pypdf import PdfReader

PT_PER_MM = 72 / 25.4
SUBSET = re.compile(r"^/?[A-Z]{6}\+")


def mm(points: float) -> float:
    return points / PT_PER_MM


def text(pdf: bytes) -> str:
    """All the text, whitespace removed: layout spaces say nothing about the content."""
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return re.sub(r"\s", "", "".join(page.extract_text() or "" for page in doc.pages))


def page_sizes(pdf: bytes) -> list[tuple[float, float]]:
    reader = PdfReader(io.BytesIO(pdf))
    return [(float(p.mediabox.width), float(p.mediabox.height)) for p in reader.pages]


@dataclass(frozen=True)
class FontInfo:
    name: str
    embedded: bool


def fonts(pdf: bytes) -> list[FontInfo]:
    reader = PdfReader(io.BytesIO(pdf))
    found = {}
    for page in reader.pages:
        resources = page.get("/Resources") or {}
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            embedded = any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
            found[str(font["/BaseFont"])] = FontInfo(str(font["/BaseFont"]), embedded)
    return list(found.values())


@dataclass(frozen=True)
class Line:
    page: int
    top: float  # mm from the top of the page, of the characters' boxes
    bottom: float
    x0: float  # mm from the left edge
    x1: float
    size: float  # pt
    text: str
    color: tuple


def lines(pdf: bytes) -> list[Line]:
    """Runs of characters that share a baseline, page by page, top to bottom."""
    found = []
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        for page in doc.pages:
            rows: dict[tuple[float, float], list[dict]] = {}
            for char in page.chars:
                rows.setdefault((round(char["bottom"], 1), round(char["size"], 1)), []).append(char)
            for (_bottom, size), chars in sorted(rows.items()):
                chars.sort(key=lambda c: c["x0"])
                found.append(
                    Line(
                        page=page.page_number,
                        top=mm(min(c["top"] for c in chars)),
                        bottom=mm(max(c["bottom"] for c in chars)),
                        x0=mm(chars[0]["x0"]),
                        x1=mm(chars[-1]["x1"]),
                        size=size,
                        text="".join(c["text"] for c in chars),
                        color=tuple(chars[0].get("non_stroking_color") or ()),
                    )
                )
    return found


def boxes(pdf: bytes, page: int) -> list[tuple[float, float, float, float]]:
    """(top, bottom, x0, x1) in mm of the filled or bordered rectangles on a page (1-based)."""
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return [(mm(r["top"]), mm(r["bottom"]), mm(r["x0"]), mm(r["x1"])) for r in doc.pages[page - 1].rects]


def tables(pdf: bytes, page: int) -> list[list[list[str]]]:
    """The ruled tables of a page (1-based), each cell's text without whitespace."""
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        found = doc.pages[page - 1].extract_tables()
    return [[[re.sub(r"\s", "", cell or "") for cell in row] for row in table] for table in found]
