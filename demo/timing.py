"""Moments of the replayed history: office hours on working days, local time (Asia/Shanghai)."""

from __future__ import annotations

import calendar
import datetime as dt
import random

from django.utils import timezone

DAY = dt.timedelta(days=1)
MINUTE = dt.timedelta(minutes=1)

# Morning and afternoon office hours, as minutes after midnight.
_MORNING = (8 * 60 + 30, 12 * 60)
_AFTERNOON = (14 * 60 + 30, 18 * 60)


def local(moment: dt.datetime) -> dt.datetime:
    return timezone.localtime(moment)


def days(delta: dt.timedelta) -> float:
    return delta.total_seconds() / 86400


def after(moment: dt.datetime, rng: random.Random, low: float, high: float) -> dt.datetime:
    """A moment ``low``–``high`` days (uniform) after ``moment``."""
    return moment + dt.timedelta(days=rng.uniform(low, high))


def office_hours(moment: dt.datetime, rng: random.Random) -> dt.datetime:
    """The moment itself if it falls in office hours on a weekday, else a little after the
    next opening (people start with the backlog, not all at the stroke of the hour)."""
    t = local(moment)
    for _ in range(10):
        minute = t.hour * 60 + t.minute
        if t.weekday() >= 5:
            t = _opening(t + DAY * (7 - t.weekday()), _MORNING[0], rng)
        elif minute < _MORNING[0]:
            t = _opening(t, _MORNING[0], rng)
        elif _MORNING[1] <= minute < _AFTERNOON[0]:
            t = _opening(t, _AFTERNOON[0], rng)
        elif minute >= _AFTERNOON[1]:
            t = _opening(t + DAY, _MORNING[0], rng)
        else:
            return t
    return t


def office_hours_before(
    moment: dt.datetime, rng: random.Random, low: float, high: float, margin: dt.timedelta = MINUTE * 20
) -> dt.datetime:
    """An office-hours moment about ``low``–``high`` days before ``moment`` and at least
    ``margin`` earlier; a day further back each time the rounding lands too late."""
    wanted = moment - dt.timedelta(days=rng.uniform(low, high))
    for back in range(7):
        candidate = office_hours(wanted - DAY * back, rng)
        if candidate <= moment - margin:
            return candidate
    return moment - margin  # unreachable in practice: a week back always has office hours


def _opening(day: dt.datetime, minute: int, rng: random.Random) -> dt.datetime:
    start = day.replace(hour=minute // 60, minute=minute % 60, second=0, microsecond=0)
    return start + dt.timedelta(minutes=rng.randint(0, 150), seconds=rng.randint(0, 59))


def at_day(start: dt.date, offset: float, rng: random.Random) -> dt.datetime:
    """Some office-hours moment on the working day ``offset`` days after ``start``."""
    day = start + dt.timedelta(days=int(offset))
    base = timezone.make_aware(dt.datetime.combine(day, dt.time(8, 30)))
    return office_hours(base + dt.timedelta(minutes=rng.randint(0, 540)), rng)


def tidy_deadline(day: dt.date) -> dt.date:
    """Offices set deadlines on round days: the 5th, 10th, 15th, 20th, 25th or month end."""
    last = calendar.monthrange(day.year, day.month)[1]
    for candidate in (5, 10, 15, 20, 25, last):
        if candidate >= day.day:
            return day.replace(day=candidate)
    return day.replace(day=last)  # unreachable: ``last`` is always >= day.day
