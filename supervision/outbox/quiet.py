"""Quiet hours: when a message may reach a person or a work group, and when a digest goes out.

A window (from ``start`` to ``end`` local time, across midnight when ``start`` is later) and,
optionally, the rest days. The project has no holiday calendar (cycle_calendar.py counts plain
days), so rest days are Saturdays and Sundays. Everything is read on the office's wall clock
(settings.TIME_ZONE, Asia/Shanghai): China has no daylight saving, so adding days is exact.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from supervision.models import MessagePreference


def is_rest_day(day: dt.date) -> bool:
    return day.weekday() >= 5


@dataclass(frozen=True)
class QuietWindow:
    start: dt.time
    end: dt.time
    rest_days: bool

    @classmethod
    def of(cls, pref: MessagePreference | None) -> QuietWindow:
        """A person's window: their preference, or the defaults of one (21:00–08:00, rest days)."""
        if pref is None:
            return DEFAULT_WINDOW
        return cls(pref.quiet_start, pref.quiet_end, pref.quiet_rest_days)

    def _in_night(self, t: dt.time) -> bool:
        if self.start == self.end:
            return False  # no nightly window, only the rest days
        if self.start < self.end:
            return self.start <= t < self.end
        return t >= self.start or t < self.end

    def is_quiet(self, at: dt.datetime) -> bool:
        local = timezone.localtime(at)
        return (self.rest_days and is_rest_day(local.date())) or self._in_night(local.time().replace(tzinfo=None))

    def next_open(self, at: dt.datetime) -> dt.datetime:
        """``at`` itself when it is not quiet, else the first moment after it that is not.

        Each step jumps to the next moment where quietness may change, and tests it again: from a
        quiet rest day to 00:00 of the next workday (which is open when the nightly window does not
        reach midnight: 12:00–14:00 on a Saturday opens on Monday at 00:00, not at 14:00), from
        inside the nightly window to its ``end`` (tomorrow's when it crosses midnight and ``at`` is
        in the evening part). A night and a weekend take three steps at most."""
        local = timezone.localtime(at)
        for _ in range(8):  # bounded all the same
            if not self.is_quiet(local):
                return local
            day = local.date()
            if self.rest_days and is_rest_day(day):
                while is_rest_day(day):
                    day += dt.timedelta(days=1)
                local = self._at(day, dt.time(0))
                continue
            if self.start > self.end and local.time() >= self.start:
                day += dt.timedelta(days=1)  # evening: the window ends tomorrow morning
            local = self._at(day, self.end)
        return local

    def next_morning(self, at: dt.datetime) -> dt.datetime:
        """The next ``end`` after ``at`` (on a workday when rest days are quiet): when a daily
        digest collected up to then goes out."""
        local = timezone.localtime(at)
        day = local.date()
        moment = self._at(day, self.end)
        while moment <= local or (self.rest_days and is_rest_day(day)):
            day += dt.timedelta(days=1)
            moment = self._at(day, self.end)
        return moment

    @staticmethod
    def _at(day: dt.date, time: dt.time) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, time))


DEFAULT_WINDOW = QuietWindow(dt.time(21, 0), dt.time(8, 0), True)
