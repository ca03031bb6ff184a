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
    if kind == DeadlineKind.IMMEDIATE:
        return _("at once (by %(date)s)") % {"date": date}
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

# --- drafts ------------------------------------------------------------------------------------------
# Printed across every page of a document that has not gone out, so a preview is never taken for
# the real thing.
DRAFT = "草稿"
NOT_PUBLISHED = "未印发"
WITHDRAWN = "已撤回"

# --- the biweekly notice (双周通报) --------------------------------------------------------------------
NOTICE_KIND = "双周通报"
NOTICE_ISSUE = "第{number}期"
NOTICE_PERIOD = "（{start}至{end}）"
NOTICE_SECTIONS = ("一、总体情况", "二、排队情况", "三、逾期情况", "四、点名通报")
NOTICE_SUMMARY = (
    "本期（{start}至{end}）共有{units}个责任单位参加双周调度，其中{ranked}个单位参加排队，"
    "平均得分{average}分。各单位共承担整改任务{held}项，本期销号{closed}项；"
    "截至本期报送截止时，逾期任务{overdue}项；应报送整改进展{reports_due}次，按时报送{reports_made}次，"
    "报送率{report_rate}。"
)
NOTICE_NO_UNITS = "本期无参加排队的责任单位。"
# A unit's ranking of the units below it, downloaded as it stands (no notice is issued for it).
RANKING_SHEET_TITLE = "{unit}双周排队情况"
NOTICE_UNRANKED = "以下单位本期承担任务不足，不参加排队：{units}。"
NOTICE_RANK_HEADINGS = ("名次", "单位", "得分", "承担任务", "逾期", "报送进展", "本期销号", "备注")
NOTICE_TREND_TITLE = "近{n}期各组平均得分"
NOTICE_SCORES_TITLE = "{group}得分"
NOTICE_SCORES_LOWEST = "{group}得分最低的{n}个单位"
NOTICE_OVERDUE_TREND = "近{n}期逾期任务数"
NOTICE_OVERDUE_SERIES = "逾期任务"
NOTICE_OVERDUE_NONE = "截至本期报送截止时，各单位均无逾期任务。"
NOTICE_OVERDUE_LEAD = "截至本期报送截止时，以下{n}个单位有逾期任务，请抓紧整改："
NOTICE_OVERDUE_HEADINGS = ("序号", "单位", "所在组", "逾期任务", "承担任务", "逾期占比")
NOTICE_NAMED_NONE = "本期无点名通报单位。"
NOTICE_NAMED_LEAD = "以下单位本期在所在组排名末位，予以点名通报："
NOTICE_NAMED_ENTRY = "{unit}（{group}，连续{streak}期排名末位）"
NOTICE_INTERVIEW = "连续两期排名末位、由分管领导约谈的单位：{units}。"
NOTICE_REFERRAL = "连续三期及以上排名末位、移交问责的单位：{units}。"
NOTICE_SCORE_SERIES = "得分"
