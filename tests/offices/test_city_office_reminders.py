"""A reminder letter (催办函) asks for a reply by the cut-off of its own office's open cycle: each
office runs its cycles, and another office's (one closed down, its last cycle left open and
past its cut-off) says nothing about when the province compiles progress."""

from __future__ import annotations

import datetime as dt

from supervision.models import Cycle, CycleState, Letter, LetterKind, Unit
from supervision.selectors.rankings import current_cycle
from tests.cycles import at, issue_at, tick


def test_the_provinces_reminder_asks_for_a_reply_by_the_provinces_cut_off(province):
    w = province
    tick(at("2024-01-02", "09:00"))
    late = issue_at(at("2024-01-02"), w.prov, items=1, units=[w.city2], deadline=dt.date(2024, 1, 10))
    # The first city office closes down: its cycle 1 stays open, its cut-off (12 January) passes.
    Unit.objects.filter(pk=w.office.pk).update(is_active=False)
    result = tick(at("2024-01-13", "09:00"))
    stale = Cycle.objects.get(office=w.office, state=CycleState.OPEN)
    assert stale.cutoff_at < at("2024-01-13")
    reminder = Letter.objects.get(kind=LetterKind.REMINDER, parent=late)
    assert result.reminder_letters == [reminder.pk]
    assert reminder.office_id == w.province.pk
    # The province's cycle 2 runs to Friday 26 January, 17:00: the reply is due that day.
    assert current_cycle(w.province).number == 2
    assert reminder.deadline == dt.date(2024, 1, 26)
