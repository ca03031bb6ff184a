"""Deadlines as offices write them (整改时限), read into a date and a deadline kind.

Understood, with or without the year (a missing year is the campaign's):
    2023-08-15, 2023/8/15, 2023.8.15, an Excel date cell
    2023年8月15日, 8月15日, 8月15号
    8月底, 2023年8月底 (the last day of the month), 年底, 2023年底 (31 December)
each optionally followed by 前 / 之前 / 以前 and 完成 / 完成整改 / 整改到位, or by
取得阶段性成效并长期坚持 (→ phase results by the date, then ongoing: any 长期坚持 means that).
A bare 长期坚持 has no date to be measured against and is refused, as is anything else.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata

from django.utils.translation import gettext as _

from supervision.models import DeadlineKind

ONGOING = "长期坚持"
# What may follow the date, in any combination: "前", "前完成", "前取得阶段性成效并长期坚持"…
_TAIL_WORDS = (
    "之前",
    "以前",
    "前",
    "完成整改",
    "整改完成",
    "整改到位",
    "完成",
    "取得阶段性成效",
    "取得明显成效",
    "并",
    ONGOING,
)
_NUMERIC = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_DAY = re.compile(r"(?:(\d{4})年)?(\d{1,2})月(\d{1,2})[日号]")
_MONTH_END = re.compile(r"(?:(\d{4})年)?(\d{1,2})月(?:底|末)")
_YEAR_END = re.compile(r"(?:(\d{4})年|年)(?:底|末)")


class DeadlineError(ValueError):
    """The text is not a deadline we understand; the message says what is expected."""


def _normalise(text: str) -> str:
    # NFKC turns full-width digits and punctuation into ASCII; spaces carry no meaning here.
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"[\s,，。;；、]", "", text)


def _date(year: int, month: int, day: int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        message = _("%(year)d-%(month)d-%(day)d is not a date.") % {"year": year, "month": month, "day": day}
        raise DeadlineError(message) from None


def _head(text: str, campaign_year: int) -> tuple[dt.date, str] | None:
    """The date at the start of ``text`` and what follows it, or None."""
    if m := _NUMERIC.match(text):
        return _date(int(m[1]), int(m[2]), int(m[3])), text[m.end() :]
    if m := _DAY.match(text):
        return _date(int(m[1] or campaign_year), int(m[2]), int(m[3])), text[m.end() :]
    if m := _MONTH_END.match(text):
        year, month = int(m[1] or campaign_year), int(m[2])
        if not 1 <= month <= 12:
            raise DeadlineError(_("There is no month %(month)d.") % {"month": month})
        return _date(year, month, calendar.monthrange(year, month)[1]), text[m.end() :]
    if m := _YEAR_END.match(text):
        return dt.date(int(m[1] or campaign_year), 12, 31), text[m.end() :]
    return None


def parse_deadline(value: object, campaign_year: int) -> tuple[dt.date, str]:
    """(date, DeadlineKind) of a cell value; raises DeadlineError with a message for the user."""
    if isinstance(value, dt.datetime):
        return value.date(), DeadlineKind.BY_DATE
    if isinstance(value, dt.date):
        return value, DeadlineKind.BY_DATE
    if not isinstance(value, str):
        raise DeadlineError(_("Write the deadline as a date, e.g. 2023年8月15日前 or 8月底前."))
    text = _normalise(value)
    if text == ONGOING:
        raise DeadlineError(_("“长期坚持” needs a date for the first results, e.g. 8月15日前取得阶段性成效并长期坚持."))
    head = _head(text, campaign_year)
    if head is None:
        raise DeadlineError(_("Write the deadline as a date, e.g. 2023年8月15日前 or 8月底前."))
    day, tail = head
    rest = tail
    for word in _TAIL_WORDS:
        rest = rest.replace(word, "")
    if rest:
        raise DeadlineError(
            _("After the date only “前”, “完成” or “取得阶段性成效并长期坚持” may follow, not “%(text)s”.")
            % {"text": tail[:40]}
        )
    kind = DeadlineKind.PHASE_THEN_ONGOING if ONGOING in tail else DeadlineKind.BY_DATE
    return day, kind
