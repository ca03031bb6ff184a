"""Reading the PDFs back: text, fonts, and where each line of characters sits on the page."""

from __future__ import annotations

import functools
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
    font: str = ""  # of the first character, subset prefix removed
    advances: tuple[float, ...] = ()  # each character's advance, mm (its box width)


def lines(pdf: bytes) -> list[Line]:
    """Runs of characters that share a baseline, page by page, top to bottom."""
    return list(_lines(pdf))


@functools.lru_cache(maxsize=128)
def _lines(pdf: bytes) -> tuple[Line, ...]:
    # Parsed once for the several measurements taken of one document.
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
                        font=SUBSET.sub("", chars[0]["fontname"]),
                        advances=tuple(mm(c["x1"] - c["x0"]) for c in chars),
                    )
                )
    return tuple(found)


def boxes(pdf: bytes, page: int) -> list[tuple[float, float, float, float]]:
    """(top, bottom, x0, x1) in mm of the filled or bordered rectangles on a page (1-based)."""
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return [(mm(r["top"]), mm(r["bottom"]), mm(r["x0"]), mm(r["x1"])) for r in doc.pages[page - 1].rects]


def tables(pdf: bytes, page: int) -> list[list[list[str]]]:
    """The ruled tables of a page (1-based), each cell's text without whitespace."""
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        found = doc.pages[page - 1].extract_tables()
    return [[[re.sub(r"\s", "", cell or "") for cell in row] for row in table] for table in found]


# --- GB/T 9704-2012 measured on the page --------------------------------------------------------
# Every figure here comes from the standard (or notices/layout.py, which holds the standard's
# figures), every position from the PDF: nothing is read back from the HTML.

BLOCK_MM = (156.0, 225.0)
TOP_MM, INNER_MM = 37.0, 28.0
PAGE_WIDTH_MM = 210.0
# Points that may not start a line, openings that may not end one (GB/T 15834).
NO_START = frozenset("，。、；：？！）》」』】〕〉”’·%‰℃,.;:?!)]}")
NO_END = frozenset("（《「『【〔〈“‘([{")


@dataclass(frozen=True)
class Block:
    left: float
    right: float
    top: float
    bottom: float

    @property
    def centre(self) -> float:
        return (self.left + self.right) / 2


def block(page: int) -> Block:
    """The text block (版心) of a page: the binding side (订口, 28 mm) is the left of an odd page and
    the right of an even one."""
    left = INNER_MM if page % 2 else PAGE_WIDTH_MM - INNER_MM - BLOCK_MM[0]
    return Block(left, left + BLOCK_MM[0], TOP_MM, TOP_MM + BLOCK_MM[1])


def is_folio(line: Line) -> bool:
    return line.size == 14 and line.top > block(line.page).bottom and line.text.replace(" ", "").startswith("—")


def is_stamp(line: Line) -> bool:
    return line.size > 50  # the slanted 草稿 / 未印发 across a page


def outside_block(pdf: bytes, *, tolerance: float = 0.3) -> list[str]:
    """Every character (the page numbers and the draft stamp aside), rule and table border that
    leaves its page's text block."""
    found = []
    for line in lines(pdf):
        if is_folio(line) or is_stamp(line):
            continue
        b = block(line.page)
        where = f"page {line.page}: {line.text!r}"
        if line.x0 < b.left - tolerance or line.x1 > b.right + tolerance:
            found.append(f"{where} spans {line.x0:.1f}–{line.x1:.1f} mm across, the block {b.left}–{b.right}")
        # pdfminer's boxes of CJK glyphs reach a little beyond the em box (ascent 1.15 em).
        if line.top < b.top - 1.0 or line.bottom > b.bottom + 1.0:
            found.append(f"{where} spans {line.top:.1f}–{line.bottom:.1f} mm down, the block {b.top}–{b.bottom}")
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        for page in doc.pages:
            b = block(page.page_number)
            for shape in (*page.rects, *page.lines, *page.curves):
                x0, x1, top, bottom = mm(shape["x0"]), mm(shape["x1"]), mm(shape["top"]), mm(shape["bottom"])
                inside = b.left - tolerance <= x0 and x1 <= b.right + tolerance
                if not inside or top < b.top - tolerance or bottom > b.bottom + tolerance:
                    found.append(f"page {page.page_number}: a rule at {x0:.1f}–{x1:.1f} × {top:.1f}–{bottom:.1f} mm")
    return found


def folio_problems(pdf: bytes) -> list[str]:
    """7 mm below the block, 4号, "— n —", a character in from the outer edge: right on odd pages,
    left on even ones; every page numbered in order."""
    folios = [line for line in lines(pdf) if is_folio(line)]
    pages = len(page_sizes(pdf))
    found = []
    if [f.text.replace(" ", "") for f in folios] != [f"—{n}—" for n in range(1, pages + 1)]:
        found.append(f"page numbers {[f.text for f in folios]} for {pages} pages")
    em = 14 / PT_PER_MM
    for folio in folios:
        b = block(folio.page)
        middle = (folio.top + folio.bottom) / 2  # the dash sits mid-height; boxes run ~1 mm low
        if abs(middle - b.bottom - 7) > 1.5:
            found.append(f"page {folio.page}: page number {middle - b.bottom:.1f} mm below the block")
        if folio.page % 2 and abs(folio.x1 - (b.right - em)) > 1:
            found.append(f"page {folio.page}: page number ends at {folio.x1:.1f} mm, not 1 character in")
        if not folio.page % 2 and abs(folio.x0 - (b.left + em)) > 1:
            found.append(f"page {folio.page}: page number starts at {folio.x0:.1f} mm, not 1 character in")
    return found


def _runs(pdf_lines: list[Line], pitch: float) -> list[list[Line]]:
    """Lines of body text (16 pt) that follow each other at one line pitch in one font: a
    paragraph, or paragraphs without a blank line between them. A run goes on over a page break
    when it fills its page to the bottom and the next page starts at the top."""
    runs: list[list[Line]] = []
    for line in pdf_lines:
        if line.size != 16 or is_stamp(line):
            continue
        if runs:
            last = runs[-1][-1]
            same_page = last.page == line.page and abs(line.top - last.top - pitch) < 0.5
            turned = (
                line.page == last.page + 1
                and last.bottom > block(last.page).bottom - pitch
                and line.top < block(line.page).top + pitch
            )
            if (same_page or turned) and line.font == last.font:
                runs[-1].append(line)
                continue
        runs.append([line])
    return runs


@dataclass(frozen=True)
class FullLine:
    line: Line
    next: Line
    indent: int  # characters
    cells: int | None  # how many grid characters it holds, if all its characters are full-width


def full_lines(pdf: bytes) -> list[FullLine]:
    """Body lines that are not the last of their paragraph: the next line of the same run starts
    at the block's left edge (a new paragraph starts two characters in)."""
    pitch = BLOCK_MM[1] / 22
    cell = BLOCK_MM[0] / 28
    found = []
    for run in _runs(lines(pdf), pitch):
        for line, following in zip(run, run[1:], strict=False):
            if abs(following.x0 - block(following.page).left) > 0.3:
                continue
            indent = round((line.x0 - block(line.page).left) / cell)
            # Full-width: an em of 3号 (5.64 mm) each, as pdfminer reads the glyph's advance.
            wide = all(advance > 5.0 for advance in line.advances)
            found.append(FullLine(line, following, indent, len(line.text) + indent if wide else None))
    return found


def _first_group(text: str) -> str:
    """What must move up with the first character of a line: a Latin word or number, a point after
    it, the character after an opening bracket."""
    match = re.match(r"[A-Za-z0-9]+(?:[.,:/\-'][A-Za-z0-9]+)*%?|——|……|.", text)
    group = match.group(0) if match else text[:1]
    rest = text[len(group) :]
    while rest and (group[-1] in NO_END or rest[0] in NO_START):
        group, rest = group + rest[0], rest[1:]
    return group


def full_line_problems(pdf: bytes, *, spacing_pt: float, tolerance: float = 0.3) -> list[str]:
    """GB/T 9704: 28 characters a line, filling the block (撑满版心). Each full line must start on the
    block's left edge (or two characters in), end on its right edge, and hold all that fits: the
    next line's first character (with what may not be parted from it) must not have fitted."""
    found = []
    for full in full_lines(pdf):
        line, b = full.line, block(full.line.page)
        where = f"page {line.page} {line.text!r}"
        if abs(line.x1 - b.right) > tolerance:
            found.append(f"{where} ends {b.right - line.x1:+.2f} mm from the right edge")
        cell = BLOCK_MM[0] / 28
        if abs(line.x0 - (b.left + full.indent * cell)) > tolerance:
            found.append(f"{where} starts {line.x0 - b.left:.2f} mm in")
        # Holds all that fits: the next line's first character, with what may not be parted from it
        # (a point after it, the character after an opening bracket, the rest of a number), would
        # not have fitted. A line of full-width characters then holds 28 — fewer only when the
        # line-breaking rules carried characters down (推出).
        group = _first_group(full.next.text)
        spacing = mm(spacing_pt)
        natural = sum(line.advances) + len(line.text) * spacing + full.indent * cell
        more = sum(full.next.advances[: len(group)]) + len(group) * spacing
        if natural + more <= BLOCK_MM[0] + 0.05:
            found.append(f"{where}: {group!r} from the next line would have fitted")
        if full.cells is not None and (full.cells > 28 or (full.cells < 28 and len(group) < 2)):
            found.append(f"{where} holds {full.cells} characters (with its indent)")
    return found


_DATE = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日$")


def signature_problems(pdf: bytes) -> list[str]:
    """7.3.5.2 (no seal): the issuing body's name one blank line below the text above it, ending
    two characters from the right edge; the date on the next line, its first character two
    characters right of the name's first; a date longer than the name ends two characters from
    the edge instead. A name on several lines: they start together, the widest one counts."""
    pitch, cell = BLOCK_MM[1] / 22, BLOCK_MM[0] / 28
    body = [line for line in lines(pdf) if line.size == 16 and not is_stamp(line)]
    at = next((n for n, line in enumerate(body) if _DATE.match(line.text)), None)
    if at is None:
        return ["no 成文日期 on a line of its own"]
    date, b = body[at], block(body[at].page)
    name: list[Line] = []
    n = at - 1
    while n >= 0 and body[n].page == date.page and abs(body[n + 1].top - body[n].top - pitch) < 0.5:
        name.insert(0, body[n])
        n -= 1
    if not name:
        return [f"no 发文机关署名 above {date.text!r}"]
    found = []
    start = name[0].x0
    if any(abs(line.x0 - start) > 0.1 for line in name):
        found.append(f"the name's lines start at {[round(line.x0, 2) for line in name]} mm")
    widest = max(line.x1 for line in name)
    if abs(date.x0 - start - 2 * cell) > 0.3:
        found.append(f"the date starts {date.x0 - start:.2f} mm right of the name, not two characters")
    if date.x1 - date.x0 > widest - start + 0.05:  # the date is the longer
        if abs(b.right - date.x1 - 2 * cell) > 0.3:
            found.append(f"the longer date ends {b.right - date.x1:.2f} mm from the edge, not two characters")
    elif abs(b.right - widest - 2 * cell) > 0.3:
        found.append(f"the name ends {b.right - widest:.2f} mm from the edge, not two characters")
    if date.x1 > b.right + 0.3 or start < b.left - 0.3:
        found.append("the signature leaves the block")
    above = body[n] if n >= 0 else None
    if above is not None and above.page == date.page and abs(name[0].top - above.top - 2 * pitch) > 0.3:
        found.append(f"{name[0].top - above.top:.2f} mm from the line above to the name, not two lines")
    return found


def title_lines(pdf: bytes) -> list[Line]:
    """The title's lines (2号) on the first page."""
    return [line for line in lines(pdf) if line.page == 1 and line.size == 22]


def title_problems(pdf: bytes) -> list[str]:
    """7.3.1: every line of the title centred in the block and inside it, at the line pitch."""
    found = []
    b = block(1)
    found_lines = title_lines(pdf)
    for line in found_lines:
        if abs((line.x0 + line.x1) / 2 - b.centre) > 0.5:
            found.append(f"title line {line.text!r} is off centre by {(line.x0 + line.x1) / 2 - b.centre:.2f} mm")
        if line.x0 < b.left - 0.3 or line.x1 > b.right + 0.3:
            found.append(f"title line {line.text!r} leaves the block")
    for upper, lower in zip(found_lines, found_lines[1:], strict=False):
        if abs(lower.top - upper.top - BLOCK_MM[1] / 22) > 0.3:
            found.append(f"title lines {upper.text!r} and {lower.text!r} are not one line apart")
    return found
