"""The cycles of the province-scale data set: a couple of closed cycles, ranked by the engine itself
(``services.cycle_advance``, as ``manage.py tick`` runs it at each cut-off, so the unit results are
the real ranking of the generated data), and the cycle open now.
"""

from __future__ import annotations

import datetime as dt
import inspect

from supervision import clock, cycle_calendar
from supervision.models import Unit, UnitKind
from supervision.services import cycles as cycle_services

# Closed cycles before the current one.
CLOSED = 2


def last_closed_span(now: dt.datetime) -> cycle_calendar.CycleSpan:
    """The window of the last cycle that will be closed: the one before the cycle open now."""
    return cycle_calendar.span(cycle_calendar.span_at(now).seq - 1)


def run(now: dt.datetime) -> None:
    first = cycle_calendar.span_at(now).seq - CLOSED
    opened = cycle_calendar.span(first).opens_at + dt.timedelta(hours=1)
    for at in (opened, now):
        with clock.frozen(at):
            _advance(at)


def _advance(at: dt.datetime) -> None:
    # Each office runs its own cycles once offices own them (an ``office`` argument); before that,
    # one set of cycles for the deployment.
    if "office" in inspect.signature(cycle_services.cycle_advance).parameters:
        for office in Unit.objects.filter(kind=UnitKind.OFFICE).order_by("pk"):
            cycle_services.cycle_advance(office=office, now=at)
    else:
        cycle_services.cycle_advance(now=at)
