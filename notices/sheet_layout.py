"""Where things are on a problem list as offices keep it: the heading row(s), which column holds
what, section rows, and the words for categories and sources.

Headings are recognised by their words (``HEADINGS``), in any order, on any of the first
``HEADER_SEARCH_ROWS`` rows; title rows above ("吕梁市…整改台账", "单位:", "时间:") are passed
over. Two-row grouped headings (附件1 of a 整改工作方案) read as one:

    问题类别 | 问题清单            | 整改清单                     | 责任清单                    | 备注
             | 问题描述 (2 columns) | 整改措施 | 整改进展 | 整改时限 | 责任单位 | 责任人 | 完成情况 |

the lower row names the columns, the upper one fills in where the lower is empty (问题类别 and
备注 merged down). A heading merged over several columns makes all of them that column: under
问题描述 the first holds the problem and the others its site (a place: …安置区, …安置点,
…社区, …村) or an aspect of it (设施配套), which is put before each measure. Columns the
importer does not read (整改进展, 责任人, 完成情况, 备注, and any it does not know) are listed
once, in a warning.

A section row ("一、共性问题", "（二）个性问题", "共性问题（国家、省反馈）": one text across the
row, merged or alone in its row) sets the category, and the source when the brackets name one,
of the rows below it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from django.utils import translation
from django.utils.translation import gettext as _

from supervision.models import ItemCategory, ItemSource

from . import wording
from .directory import normalise
from .problem_list import COLUMNS
from .sheet_grid import Row
from .workbook import cell_text

HEADER_SEARCH_ROWS = 10
# The words offices use as headings, by column. The project's own template headings
# (problem_list.COLUMNS) are added below.
HEADINGS: dict[str, tuple[str, ...]] = {
    "seq": ("序号", "编号"),
    "category": ("问题类别", "类别", "问题类型", "问题分类"),
    "source": ("问题来源", "来源"),
    "site": ("安置点", "安置区", "安置点名称", "安置区名称", "安置区(点)", "安置点(区)", "安置社区", "点位"),
    "description": ("问题描述", "问题", "存在问题", "问题内容", "主要问题", "具体问题", "反馈问题", "问题表现"),
    "measures": ("整改措施", "具体措施", "整改举措", "整改任务", "工作措施"),
    "lead": (
        "牵头单位",
        "责任单位",
        "牵头责任单位",
        "责任科室",
        "责任部门",
        "牵头部门",
        "牵头科室",
        "责任主体",
        "责任单位(部门)",
    ),
    "cooperating": ("配合单位", "配合部门", "配合科室", "协助单位", "协办单位", "责任单位(配合)"),
    "deadline": ("整改时限", "完成时限", "整改期限", "时限", "完成时间", "整改时间", "时限要求", "办结时限"),
    "problem_no": ("问题编号",),
}
# Headings of columns kept on the sheet for the office itself; never imported.
NOT_IMPORTED = (
    "整改进展",
    "进展情况",
    "整改情况",
    "整改进度",
    "责任人",
    "责任领导",
    "分管领导",
    "完成情况",
    "备注",
    "整改目标",
    "整改成效",
    "联系人",
    "联系电话",
)
# Headings over groups of columns (附件1's upper row): they name no column themselves.
GROUPS = ("问题清单", "整改清单", "责任清单", "任务清单")
# A place, as the second column under 问题描述 holds it for 个性问题.
PLACE = re.compile(r"(安置区|安置点|安置小区|社区|小区|村|新村|移民新村|搬迁点)$")
# "一、", "（二）", "(3)", "3.", "3、", "一是": numbering before a section's title.
SECTION_NUMBER = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.]|\([一二三四五六七八九十\d]+\)|\d+[、.]|[一二三四五六七八九十]+是)"
)
# Source words in a category's brackets or a source cell, searched in this order of priority
# for the earliest one written: 国家、省反馈 is national.
SOURCE_WORDS = (
    ("国家", ItemSource.NATIONAL),
    ("国务院", ItemSource.NATIONAL),
    ("中央", ItemSource.NATIONAL),
    ("省", ItemSource.PROVINCIAL),
    ("自查", ItemSource.SELF_INSPECTION),
    ("排查", ItemSource.SELF_INSPECTION),
    ("暗访", ItemSource.UNANNOUNCED_VISIT),
    ("督查", ItemSource.SUPERVISION),
    ("督导", ItemSource.SUPERVISION),
    ("巡察", ItemSource.SUPERVISION),
)
# Short forms offices write for the sources, as a whole cell.
SOURCE_ALIASES = {
    "国家": ItemSource.NATIONAL,
    "省级": ItemSource.PROVINCIAL,
    "省反馈": ItemSource.PROVINCIAL,
    "自查": ItemSource.SELF_INSPECTION,
    "暗访": ItemSource.UNANNOUNCED_VISIT,
    "督查": ItemSource.SUPERVISION,
    "其它": ItemSource.OTHER,
}


def key(value: str) -> str:
    """Headings and choice labels compared: width, spaces and a required-field star do not matter."""
    return normalise(value).replace("*", "").replace("＊", "")


def _bare(value: str) -> tuple[str, str]:
    """(the text without a trailing bracketed note, the note): 共性问题（国家、省反馈）."""
    text = key(value)
    match = re.match(r"^(.*?)\((.*)\)$", text)
    if match and match[1]:
        return match[1], match[2]
    return text, ""


def _heading_table() -> dict[str, str]:
    table = {key(word): column for column, words in HEADINGS.items() for word in words}
    table.update({key(c.heading): c.key for c in COLUMNS})
    table.update({key(word): "-ignored" for word in NOT_IMPORTED})
    table.update({key(word): "-group" for word in GROUPS})
    return table


_HEADING_TABLE = _heading_table()


def heading_key(value: object) -> str | None:
    text = key(cell_text(value))
    if not text:
        return None
    found = _HEADING_TABLE.get(text)
    if found is None and "(" in text:
        found = _HEADING_TABLE.get(_bare(text)[0])  # 整改时限（月日）, 责任单位（科室）
    return found


@dataclass
class Layout:
    first_row: int  # the (first) heading row
    last_row: int  # the last heading row: data starts below it
    columns: dict[str, int]  # column key → 0-based index
    headings: dict[str, str]  # column key → its heading as written, for messages
    extras: dict[str, list[int]] = field(default_factory=dict)  # further columns merged under a heading
    not_imported: list[str] = field(default_factory=list)  # headings of columns not read
    duplicates: list[str] = field(default_factory=list)  # column keys written twice (not merged)

    @property
    def split_units(self) -> bool:
        """One unit column (责任单位): its first unit leads, the others cooperate. With a
        cooperating column beside it, every unit of the lead column leads."""
        return "cooperating" not in self.columns

    @functools.cached_property
    def width(self) -> int:
        return 1 + max([*self.columns.values(), *(i for cols in self.extras.values() for i in cols)])


def _keys(row: Row) -> dict[int, str]:
    return {i: k for i, v in enumerate(row.values) if (k := heading_key(v))}


def _only_headings(row: Row) -> bool:
    texts = [v for v in row.values if cell_text(v)]
    return bool(texts) and all(heading_key(v) for v in texts)


def find_layout(rows: list[Row]) -> Layout | None:
    """The layout from the first rows of a sheet (with merges filled), or None."""
    for i, row in enumerate(rows):
        keys = _keys(row)
        if "description" not in keys.values():
            continue
        # The row above when it holds headings too (the upper row of a grouped heading), the row
        # below when it holds nothing but headings (columns split under a merged heading).
        levels = []
        if i > 0 and _only_headings(rows[i - 1]):
            levels.append(rows[i - 1])
        levels.append(row)
        if i + 1 < len(rows) and _only_headings(rows[i + 1]):
            levels.append(rows[i + 1])
        return _combine(levels)
    return None


def _combine(levels: list[Row]) -> Layout:
    # The lowest row that names a column wins; the rows above fill in where it is empty.
    by_column: dict[int, tuple[str, str, bool]] = {}  # index → (key, heading, covered by a merge)
    for row in levels:
        for index, found in _keys(row).items():
            if found == "-group" and index in by_column:
                continue
            by_column[index] = (found, key(cell_text(row.values[index])), index in row.covered)
    layout = Layout(first_row=levels[0].number, last_row=levels[-1].number, columns={}, headings={})
    for index in sorted(by_column):
        found, heading, covered = by_column[index]
        if found == "-group":
            continue
        if found == "-ignored" or found is None:
            if heading not in layout.not_imported:
                layout.not_imported.append(heading)
            continue
        if found not in layout.columns:
            layout.columns[found] = index
            layout.headings[found] = heading
        elif covered:
            layout.extras.setdefault(found, []).append(index)
        elif found not in layout.duplicates:
            layout.duplicates.append(found)
    # Headings of no known column: the office's own, not read either.
    for row in levels:
        for index, value in enumerate(row.values):
            text = key(cell_text(value))
            if text and index not in by_column and text not in layout.not_imported:
                layout.not_imported.append(text)
    return layout


def is_place(text: str) -> bool:
    return bool(PLACE.search(key(text)))


# --- categories and sources ----------------------------------------------------------------------


def _choices(choices: type, aliases: dict[str, str] | None = None) -> dict[str, str]:
    """Every way a choice may be written: its code, its English and Chinese labels, aliases."""
    table = {}
    for language in ("en", wording.DOCUMENT_LANGUAGE):
        with translation.override(language):
            table.update({key(str(c.label)): c.value for c in choices})
    table.update({key(c.value): c.value for c in choices})
    table.update({key(k): v for k, v in (aliases or {}).items()})
    return table


class Vocabulary:
    """Categories and sources in every way they are written, built once per import."""

    def __init__(self) -> None:
        aliases = {"共性": ItemCategory.COMMON, "个性": ItemCategory.SPECIFIC}
        aliases.update({heading: value for value, heading in wording.CATEGORY_HEADINGS.items()})
        self.categories = _choices(ItemCategory, aliases)
        self.sources = _choices(ItemSource, SOURCE_ALIASES)
        with translation.override(wording.DOCUMENT_LANGUAGE):
            self.category_labels = [str(c.label) for c in ItemCategory]
            self.source_labels = [str(c.label) for c in ItemSource]
            self.source_names = {c.value: str(c.label) for c in ItemSource}

    def category(self, text: str) -> tuple[str | None, str | None]:
        """(category, source named in its brackets) of a category cell; (None, None) if unknown."""
        bare, note = _bare(text)
        found = self.categories.get(bare) or self.categories.get(key(text))
        if found is None:
            # 共性问题类, 共性问题清单: the category's word leads.
            for word, value in (("共性", ItemCategory.COMMON), ("个性", ItemCategory.SPECIFIC)):
                if bare.startswith(word):
                    found = value
                    break
        if found is None:
            return None, None
        return found, source_in(note) if note else None

    def source(self, text: str) -> tuple[str | None, bool]:
        """(source, whether it was guessed from a word in it) of a source cell."""
        found = self.sources.get(key(text)) or self.sources.get(_bare(text)[0])
        if found is not None:
            return found, False
        guessed = source_in(text)
        return guessed, guessed is not None


def source_in(text: str) -> str | None:
    """The source whose word comes first in ``text`` (国家、省反馈 → national), or None."""
    text = key(text)
    best: tuple[int, str] | None = None
    for word, value in SOURCE_WORDS:
        at = text.find(word)
        if at >= 0 and (best is None or at < best[0]):
            best = (at, value)
    return best[1] if best else None


# --- section rows --------------------------------------------------------------------------------------


@dataclass
class Section:
    text: str
    category: str | None  # None: a section the importer does not understand (skipped, warned)
    source: str | None


def section_of(row: Row, layout: Layout, vocabulary: Vocabulary) -> Section | None:
    """The section a row opens, or None when it is a row of the list.

    A section row has one text: written across the row (merged over several columns), or the
    only cell written in the row and reading as a section title (numbered, or a category)."""
    texts = {t for t in row.texts[: layout.width] if t}
    if len(texts) != 1:
        return None
    text = texts.pop()
    spanning = any(last > first for first, last in row.spans.items())
    written = [i for i, t in enumerate(row.texts[: layout.width]) if t and i not in row.covered]
    if not spanning and len(written) != 1:
        return None
    title = SECTION_NUMBER.sub("", key(text))
    category, source = vocabulary.category(title) if title else (None, None)
    if category is None:
        if spanning and len(written) == 1:
            return Section(text, None, None)
        if SECTION_NUMBER.match(key(text)) and len(title) <= 30 and written[0] != layout.columns.get("measures"):
            return Section(text, None, None)
        return None
    return Section(text, category, source)


def headings_again(row: Row, layout: Layout) -> bool:
    """A row repeating the heading (a list pasted together from several pages)."""
    text = row.text(layout.columns["description"])
    return len(text) <= 20 and heading_key(text) == "description"


def describe_not_imported(layout: Layout) -> str:
    return _("Not imported (kept on your sheet only): the columns %(columns)s.") % {
        "columns": "、".join(f"“{h}”" for h in layout.not_imported)
    }
