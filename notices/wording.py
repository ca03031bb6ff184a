"""The fixed words of the documents, and the language they are printed in.

Letters follow GB/T 9704-2012 and ledgers the column layout offices already keep (seed 000,
附件1): they are Chinese documents whatever language the reader's screen is in, so they are
rendered with the Chinese catalog active. The words the standard and the ledger layout fix
(抄送, 印发, the column headings) are part of those formats rather than interface text: they
live here, in Chinese, and are not translated. Everything that comes from the domain (states,
categories, deadlines) goes through the catalog like everywhere else.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from supervision.models import DeadlineKind, ItemCategory

DOCUMENT_LANGUAGE = "zh-hans"


@contextlib.contextmanager
def document_language() -> Iterator[None]:
    with translation.override(DOCUMENT_LANGUAGE):
        yield


def chinese_date(day: dt.date) -> str:
    """成文日期 as GB/T 9704 writes it: 2026年11月23日 (Arabic numerals, no zero padding)."""
    return f"{day.year}年{day.month}月{day.day}日"


def deadline_text(day: dt.date, kind: str) -> str:
    """整改时限 of a deadline (possibly extended): the same wording as ``Item.deadline_text``."""
    # The very msgids and format of Item.deadline_text, so both read alike in every language.
    date = date_format(day, "DATE_FORMAT")
    if kind == DeadlineKind.PHASE_THEN_ONGOING:
        return _("phase results by %(date)s, then ongoing") % {"date": date}
    return _("by %(date)s") % {"date": date}


# --- letters (GB/T 9704-2012) ---------------------------------------------------------------------
COPY_TO = "抄送："
ATTACHMENT = "附件"
ATTACHMENT_NOTE = "附件："
PRINTED = "印发"
EVERY_ADDRESSEE = "各主送单位"
ITEMS_TITLE = "整改事项清单"
ITEM_HEADINGS = ("序号", "问题描述", "整改措施", "牵头单位", "配合单位", "整改时限")

# --- ledger (台账, 附件1 of seed 000) ------------------------------------------------------------
LEDGER_TITLE = "问题排查整改台账"
LEDGER_UNIT = "单位："
LEDGER_DATE = "时间："
# The two heading rows: the groups with the number of columns under each, then the columns.
LEDGER_GROUPS = (
    ("问题类别", 1),
    ("问题清单", 1),
    ("整改清单", 3),
    ("责任清单", 3),
    ("备注", 1),
)
# Columns whose heading spans both heading rows (their group is the column itself).
LEDGER_SPANNING = ("问题类别", "备注")
LEDGER_COLUMNS = ("问题类别", "问题描述", "整改措施", "整改进展", "整改时限", "责任单位", "责任人", "完成情况", "备注")
LEDGER_FOLIO = "— &P —"  # Excel's page footer: &P is the page number
OVERDUE = "（逾期）"
# The category group headings, as 附件1 words them.
CATEGORY_HEADINGS = {
    ItemCategory.COMMON: "共性问题（国家、省反馈）",
    ItemCategory.SPECIFIC: "个性问题（自查）",
}
