"""Paragraphs set line by line on the GB/T 9704 grid.

weasyprint justifies a line only at its spaces, and Chinese has none: a line cut short by the
line-breaking rules (a comma may not start a line) or holding digits ends ragged, where
GB/T 9704-2012 asks for 28 characters a line filling the text block (每行排28个字，并撑满版心). So the
letters break their paragraphs here, with the characters' real widths (notices/metrics.py), and
give each line the letter spacing that makes it end on the block's right edge. A line of 28
full-width characters keeps (within 0.03 pt) the grid's own spacing; the last line of a paragraph is left as set.

Line-breaking rules (GB/T 15834 and common practice): a closing point or bracket never starts a
line and an opening bracket or quote never ends one — the character before is carried down with
it (推出); digits and Latin words, "——" and "……" are never split (they may start a line).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import metrics

# May not start a line: points, closing brackets and quotes, the second half of paired marks.
NO_START = frozenset("，。、；：？！）》」』】〕〉”’·%‰℃,.;:?!)]}")
# May not end a line: opening brackets and quotes.
NO_END = frozenset("（《「『【〔〈“‘([{")
# Unbreakable runs: Latin words and numbers with their inner punctuation (2026, 5.5%, 10:30,
# A-1), and the doubled dash and ellipsis.
_ATOM = re.compile(r"[A-Za-z0-9]+(?:[.,:/\-'][A-Za-z0-9]+)*%?|——|……|\s+|.", re.DOTALL)


@dataclass(frozen=True)
class SetLine:
    text: str
    indent_pt: float
    # Letter and word spacing of this line; the trailing letter space is taken back by a
    # negative right margin so that the last glyph ends on the edge.
    letter_pt: float
    word_pt: float
    full: bool  # justified to the right edge (not a paragraph's last line)

    @property
    def style(self) -> str:
        parts = [f"margin-left: {self.indent_pt:.3f}pt", f"letter-spacing: {self.letter_pt:.4f}pt"]
        if self.full:
            parts.append(f"margin-right: {-self.letter_pt:.4f}pt")
        if self.word_pt:
            parts.append(f"word-spacing: {self.word_pt:.4f}pt")
        return "; ".join(parts)


def _groups(text: str) -> list[str]:
    """The text cut where a line may break; each piece stays on one line."""
    groups: list[str] = []
    glue = False  # the previous piece may not end a line
    for atom in _ATOM.findall(text):
        if groups and (glue or atom[0] in NO_START or (atom.isspace() and not groups[-1].isspace())):
            groups[-1] += atom
        else:
            groups.append(atom)
        glue = atom[-1] in NO_END
    return groups


@dataclass(frozen=True)
class Setter:
    font: metrics.Font
    size_pt: float
    spacing_pt: float  # the grid's letter spacing
    width_pt: float  # of the text block

    def natural(self, text: str) -> float:
        return metrics.width_pt(self.font, text, size_pt=self.size_pt, spacing_pt=self.spacing_pt)

    def paragraph(self, text: str, *, first_indent_pt: float = 0.0, indent_pt: float = 0.0) -> list[SetLine]:
        """The lines of one paragraph: the first indented by ``first_indent_pt``, the others by
        ``indent_pt`` (a hanging indent, as for an attachment name that wraps)."""
        lines: list[tuple[str, float]] = []
        current, used = "", 0.0
        indent = first_indent_pt
        for group in _groups(" ".join(text.split())):
            width = self.natural(group)
            room = self.width_pt - indent
            if current and used + self.natural(group.rstrip()) > room + 0.01:
                lines.append((current.rstrip(), indent))
                indent = indent_pt
                room = self.width_pt - indent
                group = group.lstrip()
                current, used = "", 0.0
                width = self.natural(group)
            # A piece wider than a whole line (a long URL) is cut where it must.
            while width > room + 0.01 and len(group) > 1:
                head = group
                while len(head) > 1 and self.natural(head) > room + 0.01:
                    head = head[:-1]
                lines.append((head, indent))
                indent = indent_pt
                room = self.width_pt - indent
                group = group[len(head) :]
                width = self.natural(group)
            current += group
            used += width
        if current.strip():
            lines.append((current.rstrip(), indent))
        return [self._justify(line, indent, last=n == len(lines) - 1) for n, (line, indent) in enumerate(lines)]

    def _justify(self, text: str, indent: float, *, last: bool) -> SetLine:
        glyphs_count = metrics.spacings(self.font, text)
        if last or glyphs_count < 2:
            return SetLine(text, indent, self.spacing_pt, 0.0, full=False)
        room = self.width_pt - indent
        glyphs = sum(metrics.widths(self.font, text)) * self.size_pt
        spaces = text.count(" ")
        if spaces:
            # Latin text is justified between its words, its letters keep the grid's spacing.
            slack = room - glyphs - self.spacing_pt * (glyphs_count - 1)
            return SetLine(text, indent, self.spacing_pt, round(slack / spaces, 4), full=True)
        # n glyphs, n - 1 gaps: the trailing letter space is taken back by the right margin.
        return SetLine(text, indent, round((room - glyphs) / (glyphs_count - 1), 4), 0.0, full=True)
