"""A forward's bad input is named beside the field it is about: the forward form has a unit and a
deadline, no rows of parts."""

from __future__ import annotations

import datetime as dt

import pytest

from supervision import services
from supervision.models import Assignment
from supervision.services import InvalidInput


@pytest.mark.parametrize("unit", [999999, "x", None])
def test_forward_to_an_unknown_unit_names_the_unit_field(hierarchy, county_task, unit):
    w = hierarchy
    with pytest.raises(InvalidInput) as refused:
        services.assignment_forward(actor=w.liaison_a, assignment=county_task.pk, unit_id=unit)
    assert refused.value.field == "unit"
    assert str(refused.value) == "Choose a unit directly below 甲县 to forward this task to."
    assert not Assignment.objects.filter(parent=county_task).exists()


def test_forward_to_a_unit_not_below_names_the_unit_field(hierarchy, county_task):
    w = hierarchy
    with pytest.raises(InvalidInput, match="南镇 is not directly below 甲县") as refused:
        services.assignment_forward(actor=w.liaison_a, assignment=county_task.pk, unit_id=w.town_b1.pk)
    assert refused.value.field == "unit"


def test_forward_past_the_deadline_names_the_deadline_field(hierarchy, county_task):
    w = hierarchy
    late = county_task.deadline + dt.timedelta(days=1)
    with pytest.raises(InvalidInput, match="is after this task's own deadline") as refused:
        services.assignment_forward(actor=w.liaison_a, assignment=county_task.pk, unit_id=w.town_a1.pk, deadline=late)
    assert refused.value.field == "deadline"
