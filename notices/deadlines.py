"""Deadlines as offices write them (整改时限), read into a date and a deadline kind.

Understood, with or without the year (a missing year is the campaign's), digits of either width:
    2023-08-15, 2023/8/15, 2023.8.15, an Excel date cell, an Excel date serial number (45153)
    2023年8月15日, 8月15日, 8月15号
    8月底, 9月底前, 2023年8月底 (the last day of the month), 年底, 2023年底 (31 December)
each optionally followed by 前 / 之前 / 以前 and 完成 / 完成整改 / 整改到位, or by
取得阶段性成效并长期坚持 (→ phase results by the date, then ongoing: any 长期坚持 means that).

Without a date:
    长期坚持 alone → phase results, then ongoing, measured at the campaign year's end (a warning
        says which date was used);
    立行立改 (立即整改) → to be fixed at once (DeadlineKind.IMMEDIATE), checked ``IMMEDIATE_DAYS``
        after the import (a warning says when). 立行立改 with a date (立行立改，9月1日前) keeps
        the date, as the project's own export writes it.
A serial number is read as a date with a warning (a date pasted as a value). Anything else is
refused with a message that says what is expected.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from django.utils import formats
from django.utils.translation import gettext as _

from supervision import clock
from supervision.models import DeadlineKind

ONGOING = "长期坚持"
IMMEDIATE = "立行立改"
# 立行立改 has no date: the item is checked this many days after the import.
IMMEDIATE_DAYS = 15
_IMMEDIATE_WORDS = (IMMEDIATE, "立即整改", "即知即改")
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
# Excel's day numbers (1900 date system) of 2000-01-01 and 2099-12-31: a number in between in a
# deadline cell is a date that lost its format, anything else is no date.
_SERIAL_MIN, _SERIAL_MAX = 36526, 73050
_EXCEL_EPOCH = dt.date(1899, 12, 30)


class DeadlineError(ValueError):
    """The text is not a deadline we understand; the message says what is expected."""


@dataclass(frozen=True)
class Deadline:
    date: dt.date
    kind: str  # DeadlineKind
    warning: str = ""  # where the date was guessed, for the import's preview


def _normalise(text: str) -> str:
    # NFKC turns full-width digits and punctuation into ASCII; spaces carry no meaning here.
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"[\s,，。;；、:：()（）]", "", text)


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


def _shown(day: dt.date) -> str:
    return formats.date_format(day, "DATE_FORMAT")


def _serial(number: float) -> Deadline | None:
    if not (float(number).is_integer() and _SERIAL_MIN <= number <= _SERIAL_MAX):
        return None
    day = _EXCEL_EPOCH + dt.timedelta(days=int(number))
    warning = _("The number %(number)d was read as an Excel date: %(date)s.") % {
        "number": int(number),
        "date": _shown(day),
    }
    return Deadline(day, DeadlineKind.BY_DATE, warning)


def _expected() -> str:
    return _("Write the deadline as a date, e.g. 2023年8月15日前, 8月底前, 长期坚持 or 立行立改.")


def read_deadline(value: object, campaign_year: int, *, today: dt.date | None = None) -> Deadline:
    """The deadline of a cell value; raises DeadlineError with a message for the user.
    ``today``: the import's day, from which 立行立改 is counted (default: the real today)."""
    if isinstance(value, dt.datetime):
        return Deadline(value.date(), DeadlineKind.BY_DATE)
    if isinstance(value, dt.date):
        return Deadline(value, DeadlineKind.BY_DATE)
    if isinstance(value, bool):
        raise DeadlineError(_expected())
    if isinstance(value, int | float):
        found = _serial(value)
        if found is None:
            raise DeadlineError(_expected())
        return found
    if not isinstance(value, str):
        raise DeadlineError(_expected())
    text = _normalise(value)
    if text.isdigit() and len(text) == 5:
        found = _serial(int(text))
        if found is not None:
            return found
    immediate = any(word in text for word in _IMMEDIATE_WORDS)
    for word in _IMMEDIATE_WORDS:
        text = text.replace(word, "")
    if immediate:
        # "立行立改（2023年7月5日前）", as the documents print it: the date in brackets.
        text = text.strip("()")
    if immediate and text in ("", ONGOING, "并" + ONGOING):
        day = (today or clock.today()) + dt.timedelta(days=IMMEDIATE_DAYS)
        warning = _("立行立改: to be fixed at once; checked on %(date)s, %(days)d days after the import.") % {
            "date": _shown(day),
            "days": IMMEDIATE_DAYS,
        }
        return Deadline(day, DeadlineKind.IMMEDIATE, warning)
    if text == ONGOING:
        day = dt.date(campaign_year, 12, 31)
        warning = _("“长期坚持” without a date: the first results are measured on %(date)s, the end of the year.") % {
            "date": _shown(day)
        }
        return Deadline(day, DeadlineKind.PHASE_THEN_ONGOING, warning)
    head = _head(text, campaign_year)
    if head is None:
        raise DeadlineError(_expected())
    day, tail = head
    rest = tail
    for word in _TAIL_WORDS:
        rest = rest.replace(word, "")
    if rest:
        raise DeadlineError(
            _("After the date only “前”, “完成” or “取得阶段性成效并长期坚持” may follow, not “%(text)s”.")
            % {"text": tail[:40]}
        )
    if immediate:
        return Deadline(day, DeadlineKind.IMMEDIATE)
    kind = DeadlineKind.PHASE_THEN_ONGOING if ONGOING in tail else DeadlineKind.BY_DATE
    return Deadline(day, kind)


def parse_deadline(value: object, campaign_year: int, *, today: dt.date | None = None) -> tuple[dt.date, str]:
    """(date, DeadlineKind) of a cell value; raises DeadlineError with a message for the user."""
    found = read_deadline(value, campaign_year, today=today)
    return found.date, found.kind
