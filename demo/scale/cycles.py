"""The cycles of the province-scale data set: a couple of closed cycles, ranked by the engine itself
(``services.cycle_advance``, as ``manage.py tick`` runs it at each cut-off for every office, so the
unit results are the real rankings of the generated data), and the cycle open now.
"""

from __future__ import annotations

import datetime as dt

from supervision import clock, cycle_calendar
from supervision.services.cycles import cycle_advance

# Closed cycles before the current one.
CLOSED = 2


def last_closed_span(now: dt.datetime) -> cycle_calendar.CycleSpan:
    """The window of the last cycle that will be closed: the one before the cycle open now."""
    return cycle_calendar.span(cycle_calendar.span_at(now).seq - 1)


def run(now: dt.datetime) -> None:
    first = cycle_calendar.span_at(now).seq - CLOSED
    # Opened at the start of the first one (every office), then caught up to now: each cut-off
    # passed closes and ranks its cycle and opens the next.
    for at in (cycle_calendar.span(first).opens_at + dt.timedelta(hours=1), now):
        with clock.frozen(at):
            cycle_advance(now=at)
