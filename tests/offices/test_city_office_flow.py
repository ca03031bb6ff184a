"""A province letter worked through a city office, all through the pages: the province's clerk
drafts it to the city office (the form offers it), its director signs, the clerk issues; the city's
liaison claims it from its queue and breaks it down to a county below the city; the county does its
part, the city verifies and writes it off, rolls it up, the city's leader signs, the province's
inspector verifies and its director writes it off. Meanwhile the city's clerk issues the city's
own letter to the same county, numbered from 1 with the city's prefix. Each office's dashboard
shows its own figures."""

from __future__ import annotations

from typing import Any

from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from supervision.models import (
    Assignment,
    AssignmentState,
    DeadlineKind,
    ItemCategory,
    ItemSource,
    Letter,
    LetterState,
    PeerGroup,
    User,
)
from tests.factories import FUTURE, signed_in

S = AssignmentState


def _as(user: User) -> Client:
    return signed_in(Client(), user)


def _post(client: Client, url: str, data: dict[str, Any] | None = None) -> None:
    """A form sent as a browser sends it; the page answers with a redirect and no error message."""
    response = client.post(url, data or {})
    assert response.status_code == 302, response.status_code
    errors = [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "error"]
    assert not errors, errors


def _act(client: Client, task: Assignment, action: str, **data: Any) -> Assignment:
    _post(client, reverse("tasks:act", args=[task.pk, action]), data)
    return Assignment.objects.get(pk=task.pk)


def _queue(client: Client, queue: str) -> list[int]:
    response = client.get(reverse("tasks:list") + f"?queue={queue}")
    assert response.status_code == 200
    return [a.pk for a in response.context["page"].rows]


def _letter(client: Client, *, title: str, to: list[int]) -> Letter:
    """Drafted on the new-letter page with one item, as the clerk fills it in."""
    page = client.get(reverse("letters:new"))
    assert set(to) <= {u.pk for u in page.context["form"].fields["addressees"].queryset}
    draft = {"kind": "supervision", "title": title, "body": "请按时完成。", "addressees": to}
    _post(client, reverse("letters:new"), draft)
    letter = Letter.objects.order_by("-pk").first()
    _post(
        client,
        reverse("letters:act", args=[letter.pk, "add_item"]),
        {
            "description": "易地搬迁安置点配套设施不完善",
            "measures": "完善配套设施",
            "category": ItemCategory.SPECIFIC,
            "source": ItemSource.SELF_INSPECTION,
            "deadline": FUTURE.isoformat(),
            "deadline_kind": DeadlineKind.values[0],
        },
    )
    return letter


def _issue(clerk: Client, director: Client, letter: Letter) -> Letter:
    _post(director, reverse("letters:act", args=[letter.pk, "sign"]))
    _post(clerk, reverse("letters:act", args=[letter.pk, "issue"]))
    letter = Letter.objects.get(pk=letter.pk)
    assert letter.state == LetterState.ISSUED
    return letter


def test_a_province_letter_through_a_city_office_and_the_citys_own(province_tree):
    w = province_tree
    prov_clerk, prov_director = _as(w.prov.clerk), _as(w.prov.director)
    drafted = _letter(prov_clerk, title="关于推进安置点整改的督办函", to=[w.office.pk])
    letter = _issue(prov_clerk, prov_director, drafted)
    assert letter.number.startswith("测省督") and letter.number.endswith("1号")

    # The city's liaison finds it to claim, claims it and breaks it down to 甲县 below the city.
    city_liaison, city_leader = _as(w.city_liaison), _as(w.city_leader)
    [task] = Assignment.objects.filter(letter=letter)
    assert task.unit_id == w.office.pk and _queue(city_liaison, "unclaimed") == [task.pk]
    task = _act(city_liaison, task, "claim", person="市乡村振兴局")
    assert task.state == S.ACCEPTED and _queue(city_liaison, "mine") == [task.pk]
    _post(
        city_liaison,
        reverse("tasks:break_down", args=[task.pk]),
        {
            "part-TOTAL_FORMS": "1",
            "part-INITIAL_FORMS": "0",
            "part-MIN_NUM_FORMS": "1",
            "part-MAX_NUM_FORMS": "200",
            "part-0-unit": str(w.unit_a.pk),
            "part-0-measures": "甲县负责安置点整改",
            "part-0-deadline": FUTURE.isoformat(),
            "comment": "",
        },
    )
    [sub] = Assignment.objects.filter(parent=task)
    assert (sub.unit_id, sub.depth) == (w.unit_a.pk, 1)

    # Meanwhile the city issues its own letter to the same county: its prefix, its number 1.
    clerk, director = _as(w.clerk), _as(w.director)
    own = _issue(clerk, director, _letter(clerk, title="关于做好防返贫监测的督办函", to=[w.unit_a.pk]))
    assert own.number.startswith("测巩办督") and own.number.endswith("1号")

    # 甲县 does its part: both tasks wait to be claimed, the city's sub-task among them.
    county, county_leader = _as(w.liaison_a), _as(w.leader_a)
    [own_task] = Assignment.objects.filter(letter=own)
    assert set(_queue(county, "unclaimed")) == {sub.pk, own_task.pk}
    sub = _act(county, sub, "claim", person="县乡村振兴局")
    sub = _act(county, sub, "start")
    sub = _act(county, sub, "submit_completion", text="安置点配套设施已完善")
    assert _queue(county_leader, "unit_signoff") == [sub.pk]
    sub = _act(county_leader, sub, "approve_completion")
    assert sub.state == S.AWAITING_VERIFICATION

    # The city, in the office's place for what it handed down, verifies and writes it off.
    assert _queue(city_liaison, "sub_to_verify") == [sub.pk]
    sub = _act(city_liaison, sub, "verify")
    assert _queue(city_leader, "sub_to_close") == [sub.pk]
    sub = _act(city_leader, sub, "close")
    assert sub.state == S.CLOSED

    # Rolled up, signed by the city's leader, verified and written off by the province.
    _post(city_liaison, reverse("tasks:roll_up", args=[task.pk]), {"text": ""})
    assert _queue(city_leader, "unit_signoff") == [task.pk]
    task = _act(city_leader, task, "approve_completion")
    assert _queue(_as(w.prov.inspector), "to_verify") == [task.pk]
    task = _act(_as(w.prov.inspector), task, "verify")
    assert _queue(prov_director, "to_close") == [task.pk]
    task = _act(prov_director, task, "close")
    assert task.state == S.CLOSED

    # Each office's dashboard: the province's the city's task, written off; the city's its own.
    prov = prov_director.get(reverse("office:dashboard")).context["d"]
    assert prov.office == w.province
    # The city office is counted with the cities, as the province's ranking groups it.
    assert prov.by_group.counts == {PeerGroup.CITY: {S.CLOSED: 1}}
    assert [label for _key, label in prov.by_group.rows] == [str(PeerGroup.CITY.label)]
    city = director.get(reverse("office:dashboard")).context["d"]
    assert city.office == w.office
    assert city.by_group.counts == {PeerGroup.COUNTY: {S.ISSUED: 1}}
    assert [row.unit_id for row in city.lights] == [w.unit_a.pk]
    # And the city's own overview counts its own letter's task, not the province's.
    overview = director.get(reverse("office:index")).context["o"]
    assert overview.open_total == 1 and overview.closed_total == 0
