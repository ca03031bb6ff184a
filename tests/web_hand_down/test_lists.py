"""The lists down the unit tree: the office's task list filtered by level (its direct tasks, the
sub-tasks units handed down) with the unit that handed each down; the county's overview with
what waits on it below, each figure linking to the list that shows those sub-tasks."""

from __future__ import annotations

from django.http import QueryDict
from django.urls import reverse

from notices.job_kinds.ledger import ledger_params
from supervision.models import Assignment
from tests.helpers import signed_in
from tests.web_hand_down.scene import broken_down, claimed_task, township_done


def _rows(client, **query) -> list[Assignment]:
    return client.get(reverse("tasks:list"), {"filtered": "1", **query}).context["page"].rows


def test_the_office_list_filters_by_level_and_says_who_handed_each_down(client, hierarchy):
    w = hierarchy
    a = claimed_task(w)
    subs = broken_down(w, a, [w.town_a1, w.town_a2])
    c = signed_in(client, w.clerk)
    direct = {x.pk for x in _rows(c, level="direct")}
    sub = {x.pk for x in _rows(c, level="sub")}
    assert a.pk in direct and not direct & {s.pk for s in subs}
    assert sub == {s.pk for s in subs}
    assert {x.pk for x in _rows(c)} >= direct | sub
    page = c.get(reverse("tasks:list"), {"filtered": "1", "level": "sub"})
    html = page.content.decode()
    assert page.context["show_levels"]
    assert "Handed down by" in html and html.count('甲县 <span class="sv-muted">Broken down</span>') == 2
    # The ledger exports of that list keep the level: their rows are the sub-tasks, not every task.
    for kind in ("ledger_xlsx", "ledger_pdf"):
        assert f'action="{reverse("notices:" + kind)}?' in html
        assert "level=sub" in html.split(f'action="{reverse("notices:" + kind)}?', 1)[1].split('"', 1)[0]
    assert ledger_params(QueryDict("level=sub&state=issued")) == {"state": ["issued"], "level": ["sub"]}
    # One task's sub-tasks (the panel's "open them as a list").
    assert {x.pk for x in _rows(c, parent=a.pk)} == {s.pk for s in subs}


def test_a_township_list_has_no_levels_and_sees_only_its_own(client, hierarchy):
    w = hierarchy
    a = claimed_task(w)
    sub_1, _sub_2 = broken_down(w, a, [w.town_a1, w.town_a2])
    c = signed_in(client, w.liaison_town_a2)
    page = c.get(reverse("tasks:list"))
    assert not page.context["show_levels"]
    assert [x.pk for x in page.context["page"].rows] == [_sub_2.pk]
    # The parent filter does not open a sibling's or the county's tasks.
    assert _rows(c, parent=a.pk) == [_sub_2]
    assert sub_1 not in _rows(c, level="sub")


def test_the_county_overview_shows_what_waits_on_it_below(client, hierarchy):
    w = hierarchy
    a = claimed_task(w)
    sub_1, _sub_2 = broken_down(w, a, [w.town_a1, w.town_a2])
    township_done(w, sub_1, liaison=w.liaison_town_a1, leader=w.leader_town_a1, text="东镇已完成")
    page = signed_in(client, w.liaison_a).get(reverse("unit:index"))
    (section,) = page.context["units"]
    below = section.below
    figures = {str(card.label): (card.value, card.url) for card in below}
    assert figures["Sub-tasks to verify"][0] == 1
    assert figures["Handed down (分解/转办)"][0] == 2
    assert "Returned from below" in figures and "Sub-tasks to write off" not in figures  # the leader's
    # Each figure opens the list of exactly those sub-tasks.
    value, url = figures["Sub-tasks to verify"]
    rows = signed_in(client, w.liaison_a).get(url).context["page"].rows
    assert [r.pk for r in rows] == [sub_1.pk]
    leader = {str(c.label) for c in signed_in(client, w.leader_a).get(reverse("unit:index")).context["units"][0].below}
    assert "Sub-tasks to write off" in leader
    # A township with nothing below it is not shown the section.
    town = signed_in(client, w.liaison_town_a2).get(reverse("unit:index"))
    assert town.context["units"][0].below == []
