"""An overdue task is not handed down: every part must be due by the task's own deadline and not
in the past, so no part could be given. Instead of a deadline error on each row, the buttons are
not offered and the services say why at once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from supervision import clock, services
from supervision.models import Assignment
from supervision.services import InvalidTransition, SubTaskPart, steps


def _at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10)))


def _offered(user, a: Assignment) -> set[str]:
    a = Assignment.objects.select_related("letter", "unit", "item", "parent").get(pk=a.pk)
    return {s.key for s in steps.allowed(user, a)}


def test_an_overdue_task_is_neither_broken_down_nor_forwarded(hierarchy, county_task):
    w = hierarchy
    with clock.frozen(_at(county_task.deadline + dt.timedelta(days=1))):
        assert not {"break_down", "forward"} & _offered(w.liaison_a, county_task)
        with pytest.raises(InvalidTransition, match="This task is overdue") as refused:
            services.assignment_forward(actor=w.liaison_a, assignment=county_task.pk, unit_id=w.town_a1.pk)
        assert "before handing it down" in str(refused.value)
        with pytest.raises(InvalidTransition, match="This task is overdue"):
            services.assignment_break_down(
                actor=w.liaison_a,
                assignment=county_task.pk,
                parts=[SubTaskPart(w.town_a1.pk, county_task.deadline, "排查")],
            )
    assert not Assignment.objects.filter(parent=county_task).exists()


def test_on_its_deadline_day_a_task_is_still_handed_down(hierarchy, county_task):
    w = hierarchy
    with clock.frozen(_at(county_task.deadline)):
        assert {"break_down", "forward"} <= _offered(w.liaison_a, county_task)
        sub = services.assignment_forward(actor=w.liaison_a, assignment=county_task.pk, unit_id=w.town_a1.pk)
    assert sub.deadline == county_task.deadline
