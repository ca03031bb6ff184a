"""The cycle calendar (双周调度): which 14-day cycle a moment belongs to, and when its reports are due.

Cycles are counted from an anchor date (``settings.CYCLE_ANCHOR``, cycle 0 starts on it). Each
cycle is a run of calendar days (``starts_on`` … ``ends_on``) and has a cut-off: the configured
weekday and time of its second week (by default Friday 17:00), on Asia/Shanghai time. A report
counts for the cycle whose *window* holds it: after the previous cycle's cut-off, up to and
including its own. A report sent on the Saturday after a cut-off therefore already counts for the
next cycle, as offices expect (the office compiles at the cut-off; what comes later is for the
next round).

Pure arithmetic on dates and aware datetimes: nothing here reads the database. China has had no
daylight saving since 1991, and the arithmetic is done on local wall-clock dates and then made
aware in the configured zone, so every cycle is exactly 14 × 24 hours whatever TIME_ZONE says.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class CalendarConfig:
    anchor: dt.date
    length: int  # days per cycle
    weekday: int  # of the cut-off, 0 = Monday
    time: dt.time  # of the cut-off
    zone: ZoneInfo

    @classmethod
    def from_settings(cls) -> CalendarConfig:
        try:
            anchor = dt.date.fromisoformat(str(settings.CYCLE_ANCHOR))
        except ValueError:
            raise ImproperlyConfigured("CYCLE_ANCHOR must be a date, e.g. 2023-05-29.") from None
        length = int(settings.CYCLE_LENGTH_DAYS)
        if not 7 <= length <= 62:
            # The cut-off weekday must fall inside every cycle.
            raise ImproperlyConfigured("CYCLE_LENGTH_DAYS must be between 7 and 62.")
        weekday = int(settings.CYCLE_CUTOFF_WEEKDAY)
        if not 0 <= weekday <= 6:
            raise ImproperlyConfigured("CYCLE_CUTOFF_WEEKDAY must be 0 (Monday) to 6 (Sunday).")
        try:
            time = dt.time.fromisoformat(str(settings.CYCLE_CUTOFF_TIME))
        except ValueError:
            raise ImproperlyConfigured("CYCLE_CUTOFF_TIME must be a time, e.g. 17:00.") from None
        try:
            zone = ZoneInfo(str(settings.CYCLE_TIME_ZONE))
        except (ZoneInfoNotFoundError, ValueError):
            raise ImproperlyConfigured("CYCLE_TIME_ZONE must be a time zone name, e.g. Asia/Shanghai.") from None
        return cls(anchor=anchor, length=length, weekday=weekday, time=time.replace(tzinfo=None), zone=zone)


@dataclass(frozen=True)
class CycleSpan:
    seq: int  # cycles since the anchor: 0 starts on the anchor date
    starts_on: dt.date
    ends_on: dt.date  # the last day, inclusive
    opens_at: dt.datetime  # reports count after this moment (the previous cycle's cut-off) …
    cutoff_at: dt.datetime  # … up to and including this one

    def holds(self, moment: dt.datetime) -> bool:
        return self.opens_at < moment <= self.cutoff_at


def config() -> CalendarConfig:
    # Read afresh each time: tests and the admin may change the settings at run time.
    return CalendarConfig.from_settings()


def starts_on(seq: int, cfg: CalendarConfig | None = None) -> dt.date:
    cfg = cfg or config()
    return cfg.anchor + dt.timedelta(days=seq * cfg.length)


def cutoff(seq: int, cfg: CalendarConfig | None = None) -> dt.datetime:
    """The cut-off of cycle ``seq``: the last day of the cycle that falls on the configured
    weekday (so the second week of a 14-day cycle), at the configured time."""
    cfg = cfg or config()
    last = starts_on(seq + 1, cfg) - dt.timedelta(days=1)
    day = last - dt.timedelta(days=(last.weekday() - cfg.weekday) % 7)
    return dt.datetime.combine(day, cfg.time, tzinfo=cfg.zone)


def span(seq: int, cfg: CalendarConfig | None = None) -> CycleSpan:
    cfg = cfg or config()
    return CycleSpan(
        seq=seq,
        starts_on=starts_on(seq, cfg),
        ends_on=starts_on(seq + 1, cfg) - dt.timedelta(days=1),
        opens_at=cutoff(seq - 1, cfg),
        cutoff_at=cutoff(seq, cfg),
    )


def span_at(moment: dt.datetime, cfg: CalendarConfig | None = None) -> CycleSpan:
    """The cycle whose report window holds ``moment`` (an aware datetime)."""
    if moment.tzinfo is None:
        raise ValueError("span_at() needs an aware datetime")
    cfg = cfg or config()
    local = moment.astimezone(cfg.zone).date()
    seq = (local - cfg.anchor).days // cfg.length
    # Between the cut-off and the last day of its cycle a moment already belongs to the next one.
    if moment > cutoff(seq, cfg):
        seq += 1
    return span(seq, cfg)


def local_date(moment: dt.datetime, cfg: CalendarConfig | None = None) -> dt.date:
    """The calendar day of ``moment`` where the cycles are kept."""
    cfg = cfg or config()
    return moment.astimezone(cfg.zone).date()
