"""分解 and 转办 through the task page: the county liaison who claimed a task hands it down to the
townships below; what each person sees and may do; a refused form keeps what was typed, says
what is wrong beside the row, and creates nothing."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from supervision.models import Assignment, AssignmentAncestor, AssignmentState, AuditEvent
from supervision.selectors import hand_down as hand_down_selectors
from tests.helpers import signed_in, snapshot
from tests.web_hand_down.scene import break_down, broken_down, claimed_task, part_rows


def _page(client, a):
    return client.get(reverse("tasks:detail", args=[a.pk]))


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_the_claimer_is_offered_both_forms_with_the_units_directly_below(client, hierarchy):
    w = hierarchy
    a = claimed_task(w)
    page = _page(signed_in(client, w.liaison_a), a)
    html = page.content.decode()
    assert page.context["hand_down_targets"] == [w.town_a1, w.town_a2]  # not the village, not 乙县's
    assert f'action="/tasks/{a.pk}/do/break_down/"' in html
    assert f'action="/tasks/{a.pk}/do/forward/"' in html
    assert "甲县东镇人民政府" in html and "甲县西乡人民政府" in html and "乙县南镇人民政府" not in html
    # The deadline starts at the task's own and cannot be set past it in the browser.
    assert f'value="{a.deadline.isoformat()}" max="{a.deadline.isoformat()}"' in html
    # The buttons beside the page open the forms; they are not posted as ordinary steps.
    assert 'data-opens="break-down"' in html and 'data-opens="forward"' in html


def test_break_down_into_two_townships(client, hierarchy):
    w = hierarchy
    a = claimed_task(w)
    c = signed_in(client, w.liaison_a)
    early = a.deadline - dt.timedelta(days=10)
    response = break_down(
        c, a, (w.town_a1, "东镇：完成排查", a.deadline), (w.town_a2, "西乡：完成整改", early), comment="请按期完成"
    )
    assert response.status_code == 302
    subs = {s.unit_id: s for s in Assignment.objects.filter(parent=a)}
    assert set(subs) == {w.town_a1.pk, w.town_a2.pk}
    assert subs[w.town_a1.pk].measures == "东镇：完成排查"
    assert subs[w.town_a2.pk].deadline == early
    assert all(
        s.state == AssignmentState.ISSUED and s.depth == 1 and s.handed_down_as == "breakdown" for s in subs.values()
    )
    assert Assignment.objects.get(pk=a.pk).state == AssignmentState.IN_PROGRESS
    assert AuditEvent.objects.filter(assignment=a, action="assignment.broken_down", comment="请按期完成").exists()
    page = c.get(response["Location"])
    assert "Broken down into 2 sub-tasks" in _messages(page)
    assert [r.unit_name for r in page.context["sub_tasks"]] == ["东镇", "西乡"]


def test_each_refused_row_says_why_beside_it_keeps_what_was_typed_and_nothing_is_created(client, hierarchy):
    w = hierarchy
    a = claimed_task(w)
    c = signed_in(client, w.liaison_a)
    before = snapshot()
    late = a.deadline + dt.timedelta(days=5)
    response = break_down(c, a, (w.town_a1, "东镇：完成排查", a.deadline), (w.town_a2, "", late), comment="备注保留")
    assert response.status_code == 400
    assert snapshot() == before
    formset = response.context["break_down_form"]
    assert not formset.forms[0].errors
    assert formset.forms[1].errors["measures"] == ["Write the measures this unit is to take."]
    assert "After this task's own deadline" in formset.forms[1].errors["deadline"][0]
    html = response.content.decode()
    assert "东镇：完成排查" in html and late.isoformat() in html and "备注保留" in html
    # The form stays open on the page, the errors marked for screen readers.
    assert 'id="break-down" open' in html and 'role="alert"' in html


def test_the_same_unit_twice_and_no_unit_are_said_beside_the_row(client, hierarchy):
    w = hierarchy
    a = claimed_task(w)
    before = snapshot()
    c = signed_in(client, w.liaison_a)
    response = break_down(c, a, (w.town_a1, "一", a.deadline), (w.town_a1, "二", a.deadline))
    assert response.status_code == 400 and snapshot() == before
    forms = response.context["break_down_form"].forms
    assert not forms[0].errors
    assert forms[1].errors["unit"] == ["This unit already has a row above."]
    response = break_down(c, a, (None, "三", a.deadline))
    assert response.status_code == 400 and snapshot() == before
    assert response.context["break_down_form"].forms[0].errors["unit"] == ["This field is required."]
    # More rows than units below: said above the rows.
    response = break_down(c, a, *[(w.town_a1, "一", a.deadline)] * 3)
    assert response.status_code == 400 and snapshot() == before
    assert response.context["break_down_form"].non_form_errors() == [
        "There are only 2 units below to hand parts down to: one row each."
    ]


def test_a_unit_not_below_is_refused(client, hierarchy):
    w = hierarchy
    a = claimed_task(w)
    before = snapshot()
    response = break_down(signed_in(client, w.liaison_a), a, (w.town_b1, "乙县的镇", a.deadline))
    assert response.status_code == 400 and snapshot() == before
    assert response.context["break_down_form"].forms[0].errors["unit"]


def test_the_service_refusal_of_what_a_row_cannot_show_is_said_above_the_rows(client, hierarchy, monkeypatch):
    """A township given a part meanwhile (the page still offered it): the service refuses the
    whole break-down, naming the unit, and the rows come back as they were sent."""
    w = hierarchy
    a = claimed_task(w)
    c = signed_in(client, w.liaison_a)
    broken_down(w, a, [w.town_a1])
    stale = [w.town_a1, w.town_a2]
    monkeypatch.setattr(hand_down_selectors, "hand_down_targets", lambda _a: stale)
    before = snapshot()
    response = break_down(c, a, (w.town_a2, "西乡的措施", a.deadline), (w.town_a1, "东镇又一次", a.deadline))
    assert response.status_code == 400 and snapshot() == before
    formset = response.context["break_down_form"]
    assert formset.non_form_errors() == ["东镇 already holds a part of this task."]
    assert "西乡的措施" in response.content.decode()


def test_rows_are_added_and_removed_without_the_script(client, hierarchy):
    w = hierarchy
    a = claimed_task(w)
    c = signed_in(client, w.liaison_a)
    before = snapshot()
    data = part_rows((w.town_a1, "东镇先写的措施", a.deadline), comment="说明")
    added = c.post(reverse("tasks:break_down", args=[a.pk]), {**data, "add_row": "1"})
    assert added.status_code == 200 and snapshot() == before
    forms = added.context["break_down_form"].forms
    assert len(forms) == 2 and not any(f.is_bound for f in forms)
    html = added.content.decode()
    assert "东镇先写的措施" in html and "说明" in html
    # The new row starts at the task's deadline; no error is shown for the rows not sent yet.
    assert 'class="sv-field-errors"' not in html
    data = part_rows((w.town_a1, "第一行", a.deadline), (w.town_a2, "第二行", a.deadline))
    removed = c.post(reverse("tasks:break_down", args=[a.pk]), {**data, "remove_row": "0"})
    assert [f.initial["measures"] for f in removed.context["break_down_form"].forms] == ["第二行"]
    assert snapshot() == before


def test_a_row_added_and_left_empty_is_not_a_part(client, hierarchy):
    w = hierarchy
    a = claimed_task(w)
    data = part_rows((w.town_a1, "东镇", a.deadline), (None, "", a.deadline))
    data["part-INITIAL_FORMS"] = "1"
    response = signed_in(client, w.liaison_a).post(reverse("tasks:break_down", args=[a.pk]), data)
    assert response.status_code == 302
    assert list(Assignment.objects.filter(parent=a).values_list("unit_id", flat=True)) == [w.town_a1.pk]


def test_forward_the_whole_task_with_its_deadline(client, hierarchy):
    w = hierarchy
    a = claimed_task(w)
    c = signed_in(client, w.liaison_a)
    sent = {"forward-unit": w.town_a2.pk, "forward-comment": "转西乡"}
    response = c.post(reverse("tasks:forward", args=[a.pk]), sent)
    assert response.status_code == 302
    sub = Assignment.objects.get(parent=a)
    assert (sub.unit, sub.deadline, sub.measures, sub.handed_down_as) == (w.town_a2, a.deadline, "", "forward")
    assert AssignmentAncestor.objects.filter(assignment=sub, unit=w.unit_a, distance=1).exists()
    page = c.get(response["Location"])
    assert "Forwarded" in _messages(page)
    # Forwarded whole: no second forward, and the panel lists the unit below.
    assert "forward_form" not in page.context
    assert [r.unit_name for r in page.context["sub_tasks"]] == ["西乡"]


def test_a_refused_forward_keeps_the_form(client, hierarchy):
    w = hierarchy
    a = claimed_task(w)
    before = snapshot()
    late = a.deadline + dt.timedelta(days=1)
    response = signed_in(client, w.liaison_a).post(
        reverse("tasks:forward", args=[a.pk]), {"forward-unit": w.town_a1.pk, "forward-deadline": late.isoformat()}
    )
    assert response.status_code == 400 and snapshot() == before
    form = response.context["forward_form"]
    assert form.errors
    assert 'id="forward" open' in response.content.decode()


def test_who_is_not_the_claimer_is_not_offered_the_forms_and_is_refused(client, hierarchy):
    w = hierarchy
    a = claimed_task(w)
    data = part_rows((w.town_a1, "东镇", a.deadline))
    forward = {"forward-unit": w.town_a1.pk}
    # Those who see the task but may not hand it down: the unit's leader, the office.
    for who in (w.leader_a, w.clerk, w.director, w.inspector):
        c = signed_in(client, who)
        page = _page(c, a)
        assert "break_down_form" not in page.context and "forward_form" not in page.context, who
        assert f"tasks/{a.pk}/do/break_down/" not in page.content.decode()
        before = snapshot()
        r = c.post(reverse("tasks:break_down", args=[a.pk]), data, follow=True)
        assert r.status_code == 200 and snapshot() == before, who
        assert _messages(r), who
        c.post(reverse("tasks:forward", args=[a.pk]), forward)
        assert snapshot() == before, who
    # Those who may not see it at all: another county, its township, the townships of 甲县 before
    # anything was handed to them, an outsider.
    for who in (w.liaison_b, w.liaison_town_b1, w.liaison_town_a1, w.outsider):
        c = signed_in(client, who)
        assert _page(c, a).status_code == 404, who
        before = snapshot()
        assert c.post(reverse("tasks:break_down", args=[a.pk]), data).status_code == 404, who
        assert c.post(reverse("tasks:forward", args=[a.pk]), forward).status_code == 404, who
        assert snapshot() == before, who


def test_an_unclaimed_task_is_not_handed_down(client, hierarchy):
    w = hierarchy
    a = claimed_task(w)
    from supervision import services

    services.assignment_unclaim(actor=w.liaison_a, assignment=a.pk)
    c = signed_in(client, w.liaison_a)
    assert "break_down_form" not in _page(c, a).context
    before = snapshot()
    r = break_down(c, a, (w.town_a1, "东镇", a.deadline))
    assert r.status_code == 302 and snapshot() == before
    assert _messages(c.get(r["Location"]))
