"""The landing pages: the office's overview and a unit's overview. The figures match the data,
every card's number is the length of the list it opens, nobody sees another side's or another
unit's figures, and the number of queries does not grow with the data."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notices.job_kinds.ledger import ledger_resolve
from supervision import clock, services
from supervision.models import Assignment, Membership, PeerGroup, Role, Unit, UnitKind
from supervision.services import document_routing
from tests.conftest import issue_letter, make_user
from tests.helpers import draft_letter, drive, signed_in
from tests.offices.province import build_province

# Measured: session, user, memberships, offices, then the overview's own aggregates
# (assignments, letters, extension requests, overdue units), the open cycle. A new card must not
# add a query per row.
OFFICE_OVERVIEW_QUERIES = 9
# Session, user, memberships, units, the grouped aggregate, extension requests, latest places.
UNIT_OVERVIEW_QUERIES = 7


def _office(client, user):
    return signed_in(client, user).get(reverse("office:index"))


def _unit(client, user):
    return signed_in(client, user).get(reverse("unit:index"))


def _cards(response) -> dict[str, tuple[int, str | None]]:
    return {str(c.label): (c.value, c.url) for c in response.context["cards"]}


def _rows_behind(client, url: str) -> int:
    """How many rows the list behind a card shows (all on one page: the tests stay under 50)."""
    context = client.get(url).context
    if "page" in context:
        return len(context["page"].rows)
    return len(context["rows"])


@pytest.fixture
def office_data(world):
    today = clock.today()
    issue_letter(world, items=2, deadline=today - dt.timedelta(days=2))  # A and B: 4 overdue
    issue_letter(world, items=1, deadline=today + dt.timedelta(days=3))  # 2 due within 7 days
    # Each drive adds a one-item letter: unit A's assignment in the state, unit B's still issued.
    drive(world, "awaiting_verification")
    drive(world, "returned")
    drive(world, "ext_awaiting_decision")
    draft_letter(world)  # a draft nobody has sent: still the clerk's, not awaiting signature
    document_routing.letter_send(actor=world.clerk, letter=draft_letter(world), director=world.director)
    return world


def test_the_office_overview_counts_what_the_office_has(client, office_data):
    o = _office(client, office_data.inspector).context["o"]
    assert o.overdue == o.lights["red"] == 4
    assert o.lights == {"red": 4, "yellow": 2, "green": 5}
    assert o.open_total == 11 == sum(n for _s, _l, n in o.by_state)
    assert {s: n for s, _l, n in o.by_state if n} == {"issued": 9, "accepted": 1, "awaiting_verification": 1}
    assert (o.to_verify, o.returned, o.to_close, o.closed_total) == (1, 1, 0, 0)
    assert (o.letters_to_sign, o.letters_to_issue) == (1, 0)
    # Office-wide: the inspector, who does not decide them, sees the same figure as the clerk.
    assert o.extensions == 1
    assert [row["n"] for row in o.worst_units] == [2, 2]


@pytest.mark.parametrize("who", ["clerk", "inspector", "director", "observer"])
def test_every_office_card_opens_a_list_of_exactly_its_number(client, office_data, who):
    response = _office(client, getattr(office_data, who))
    assert response.status_code == 200
    for label, (value, url) in _cards(response).items():
        if url is not None:
            assert _rows_behind(client, url) == value, label


def test_office_cards_open_the_persons_own_queue_when_they_have_one(client, office_data):
    inspector = _cards(_office(client, office_data.inspector))
    by = f"by={office_data.office.pk}"
    assert inspector["Reports awaiting verification"][1] == f"{reverse('tasks:list')}?queue=to_verify&{by}"
    # The extension list shows what the person decides: the inspector has none, so no link.
    assert inspector["Extension requests to decide"] == (1, None)
    clerk = _cards(_office(client, office_data.clerk))
    assert "?filtered=1&state=awaiting_verification&level=direct" in clerk["Reports awaiting verification"][1]
    assert clerk["Returns to decide"][1].endswith(f"?queue=returned&{by}")
    assert clerk["Extension requests to decide"] == (1, f"{reverse('tasks:extensions')}?{by}")


def test_the_office_overview_is_scoped_to_the_users_office(client, world):
    from supervision.models import LetterKind, LetterPrefix, PeerGroup, Unit, UnitKind

    other = Unit.objects.create(name="另一个办公室", kind=UnitKind.OFFICE, peer_group=PeerGroup.OFFICE)
    LetterPrefix.objects.create(office=other, kind=LetterKind.SUPERVISION, prefix="另办督", issuing_body="另一个")
    other_clerk = make_user("other_clerk", other, Role.CLERK)
    issue_letter(world, items=3)
    o = _office(client, other_clerk).context["o"]
    assert (o.open_total, o.letters_to_sign, o.extensions) == (0, 0, 0)


@pytest.fixture
def two_offices(world):
    """A person who is clerk in the province office and in the city office below it (the
    world's), each office with work of its own that tells them apart, and a second city office
    they are not in, with work of its own too."""
    w = build_province(world)
    today = clock.today()
    # The province: one task each to the two city offices, both overdue.
    issue_letter(w.prov, items=1, units=[w.office, w.city2], deadline=today - dt.timedelta(days=2))
    # The city: six tasks on time, a seventh and eighth with an extension to decide, a letter
    # sent to its director for signature.
    issue_letter(w, items=3, units=[w.unit_a, w.unit_b])
    drive(w, "ext_awaiting_decision")
    document_routing.letter_send(actor=w.clerk, letter=draft_letter(w), director=w.director)
    # The other city: four overdue tasks of its county, a letter awaiting signature.
    issue_letter(w.other, items=4, units=[w.unit_d], deadline=today - dt.timedelta(days=1))
    document_routing.letter_send(
        actor=w.other.clerk, letter=draft_letter(w.other, units=[w.unit_d]), director=w.other.director
    )
    w.both = make_user("both_clerk", w.province, Role.CLERK)
    Membership.objects.create(user=w.both, unit=w.office, role=Role.CLERK)
    return w


def _figures(o) -> tuple:
    return (o.open_total, o.overdue, o.lights["green"], o.letters_to_sign, o.extensions)


def test_a_person_in_two_offices_sees_one_offices_figures_at_a_time(client, two_offices):
    w = two_offices
    url = reverse("office:index")
    province = (2, 2, 0, 0, 0)
    city = (8, 0, 8, 1, 1)
    c = signed_in(client, w.both)
    # The province first (the top office), then each office when picked.
    for query, office, expected in (
        ("", w.province, province),
        (f"?by={w.province.pk}", w.province, province),
        (f"?by={w.office.pk}", w.office, city),
    ):
        page = c.get(url + query)
        assert page.context["office"] == office, query
        assert _figures(page.context["o"]) == expected, query
        assert _cards(page)["Open assignments"][0] == expected[0], query
        assert sum(n for _s, _l, n in page.context["o"].by_state) == expected[0], query
    # The province's overdue units are its two city offices; the city has nothing overdue.
    worst = c.get(url + f"?by={w.province.pk}").context["o"].worst_units
    assert {row["unit_id"] for row in worst} == {w.office.pk, w.city2.pk}
    assert c.get(url + f"?by={w.office.pk}").context["o"].worst_units == []
    # An office they are not in (or no office at all): their first, nothing of the other city's.
    for wanted in (w.city2.pk, w.unit_a.pk, 0, "x"):
        page = c.get(url + f"?by={wanted}")
        assert page.context["office"] == w.province, wanted
        assert _figures(page.context["o"]) == province, wanted
        assert w.unit_d.name not in page.content.decode()


def test_a_person_in_one_office_sees_that_office_whatever_they_ask(client, two_offices):
    w = two_offices
    url = reverse("office:index")
    for who, expected in ((w.clerk, (8, 0, 8, 1, 1)), (w.prov.clerk, (2, 2, 0, 0, 0))):
        c = signed_in(client, who)
        assert _figures(c.get(url).context["o"]) == expected
        # Asking for another office changes nothing: there is nothing else for them to pick.
        page = c.get(url + f"?by={w.city2.pk}")
        assert _figures(page.context["o"]) == expected
        assert page.context["offices"] == []


def test_each_pick_costs_the_same_queries(client, two_offices, django_assert_max_num_queries):
    w = two_offices
    url = reverse("office:index")
    c = signed_in(client, w.both)
    c.get(url)
    counted = []
    for query in ("", f"?by={w.office.pk}", f"?by={w.city2.pk}"):
        with CaptureQueriesContext(connection) as ctx:
            c.get(url + query)
        counted.append(len(ctx))
    assert counted == [counted[0]] * 3
    with django_assert_max_num_queries(OFFICE_OVERVIEW_QUERIES):
        c.get(url + f"?by={w.office.pk}")


def test_a_unit_member_never_sees_the_office_overview(client, world):
    issue_letter(world, items=1)
    for user in (world.liaison_a, world.leader_b, world.outsider):
        assert _office(client, user).status_code == 403


@pytest.fixture
def unit_data(world):
    today = clock.today()
    letter = issue_letter(world, items=2, deadline=today - dt.timedelta(days=1))  # 2 overdue for A, 2 for B
    first = Assignment.objects.filter(letter=letter, unit=world.unit_a).order_by("item__seq").first()
    services.assignment_claim(actor=world.liaison_a, assignment=first.pk)
    drive(world, "completion_requested")  # claimed by liaison A, waits for leader A
    drive(world, "ext_awaiting_signoff")  # claimed by liaison A, its extension waits for leader A
    return world


def test_the_unit_overview_counts_the_units_own_work(client, unit_data):
    [a] = _unit(client, unit_data.liaison_a).context["units"]
    figures, _cards_ = a
    assert figures.unit == unit_data.unit_a
    assert (figures.unclaimed, figures.mine, figures.awaiting_signoff) == (1, 3, 1)
    assert (figures.open_total, figures.overdue, figures.due_soon, figures.extensions_to_sign) == (4, 2, 0, 1)


def test_a_liaison_and_a_leader_see_their_own_cards(client, unit_data):
    [(_f, liaison)] = _unit(client, unit_data.liaison_a).context["units"]
    labels = {str(c.label): (c.value, c.url) for c in liaison}
    assert labels["Claimed by me"][0] == 3
    # Only the leader has a list of what waits for the leader: the liaison sees the number alone.
    assert labels["Awaiting the leader's sign-off"] == (1, None)
    [(_f, leader)] = _unit(client, unit_data.leader_a).context["units"]
    labels = {str(c.label): (c.value, c.url) for c in leader}
    assert "Claimed by me" not in labels
    assert labels["Awaiting my sign-off"][0] == 1
    assert labels["Extension requests"][0] == 1


@pytest.mark.parametrize("who", ["liaison_a", "leader_a"])
def test_every_unit_card_opens_a_list_of_exactly_its_number(client, unit_data, who):
    response = _unit(client, getattr(unit_data, who))
    [(_f, cards)] = response.context["units"]
    for card in cards:
        if card.url is not None:
            assert _rows_behind(client, card.url) == card.value, card.label


def test_a_unit_never_sees_another_units_figures(client, unit_data):
    response = _unit(client, unit_data.liaison_b)
    [(figures, _cards_)] = response.context["units"]
    assert figures.unit == unit_data.unit_b
    # B holds one issued assignment per letter: four, none claimed, nothing of A's work.
    assert (figures.unclaimed, figures.mine, figures.awaiting_signoff, figures.extensions_to_sign) == (4, 0, 0, 0)
    body = response.content.decode()
    assert unit_data.unit_a.name not in body


def test_a_person_in_two_units_sees_both(client, unit_data):
    both = make_user("both", unit_data.unit_a, Role.LIAISON)
    Membership.objects.create(user=both, unit=unit_data.unit_b, role=Role.LEADER)
    response = _unit(client, both)
    units = [(f.unit, f.is_liaison, f.is_leader) for f, _c in response.context["units"]]
    assert units == [(unit_data.unit_a, True, False), (unit_data.unit_b, False, True)]
    body = response.content.decode()
    assert unit_data.unit_a.name in body and unit_data.unit_b.name in body


def test_an_office_member_without_a_unit_role_is_refused_the_unit_overview(client, world):
    assert _unit(client, world.clerk).status_code == 403


def test_office_overview_queries_do_not_grow(client, world, django_assert_max_num_queries):
    issue_letter(world, items=1)
    url = reverse("office:index")
    c = signed_in(client, world.director)
    c.get(url)
    with CaptureQueriesContext(connection) as small:
        c.get(url)
    for _ in range(3):
        issue_letter(world, items=5)
        drive(world, "verified")
        drive(world, "ext_awaiting_decision")
        draft_letter(world)
    with CaptureQueriesContext(connection) as large:
        c.get(url)
    assert len(large) == len(small)
    with django_assert_max_num_queries(OFFICE_OVERVIEW_QUERIES):
        assert c.get(url).context["o"].open_total == 3 * (10 + 1 + 2) + 2


def test_unit_overview_queries_do_not_grow(client, world, django_assert_max_num_queries):
    issue_letter(world, items=1)
    url = reverse("unit:index")
    c = signed_in(client, world.liaison_a)
    c.get(url)
    with CaptureQueriesContext(connection) as small:
        c.get(url)
    for _ in range(3):
        issue_letter(world, items=5)
        drive(world, "completion_requested")
        drive(world, "ext_awaiting_signoff")
    with CaptureQueriesContext(connection) as large:
        c.get(url)
    assert len(large) == len(small)
    with django_assert_max_num_queries(UNIT_OVERVIEW_QUERIES):
        [(figures, _cards_)] = c.get(url).context["units"]
    assert (figures.open_total, figures.mine, figures.extensions_to_sign) == (1 + 3 * (5 + 2), 6, 3)


# --- the lists behind the cards, for a person in two offices ---------------------------------------


def _links(page) -> dict[str, str]:
    """The overview's own links to the task list (states, lights, overdue units), by what they
    show, as the browser would follow them."""
    body = page.content.decode()
    found = {}
    for href in re.findall(r'href="(/tasks/\?[^"]*)"', body):
        url = html.unescape(href)
        key = next((part for part in ("state=", "light=", "unit=", "level=") if part in url), None)
        if key is not None:
            found[url.split(key, 1)[1].split("&", 1)[0] + f" ({key[:-1]})"] = url
    return found


@pytest.mark.parametrize("office", ["province", "office"])
def test_for_a_person_in_two_offices_every_card_opens_a_list_of_exactly_its_number(client, two_offices, office):
    w = two_offices
    picked = getattr(w, office)
    c = signed_in(client, w.both)
    page = c.get(reverse("office:index") + f"?by={picked.pk}")
    assert page.context["office"] == picked
    differ = 0
    for label, (value, url) in _cards(page).items():
        if url is None:
            continue
        assert f"by={picked.pk}" in url, label
        assert _rows_behind(c, url) == value, (office, label)
        # Without the office the list holds both offices' work: the card would not match it.
        differ += _rows_behind(c, url.replace(f"by={picked.pk}", "")) != value
    assert differ >= 2
    # The page's own links (states, lights, overdue units) narrow their lists the same way.
    o = page.context["o"]
    links = _links(page)
    for state, _label, n in o.by_state:
        assert _rows_behind(c, links[f"{state} (state)"]) == n, state
    for light, n in o.lights.items():
        assert _rows_behind(c, links[f"{light} (light)"]) == n, light
    for row in o.worst_units:
        assert _rows_behind(c, links[f"{row['unit_id']} (unit)"]) == row["n"], row
    assert _rows_behind(c, links["direct (level)"]) == o.open_total


@pytest.mark.parametrize("who", ["clerk", "both"])
def test_cards_count_the_offices_direct_tasks_and_open_lists_of_just_those(client, two_offices, who):
    # The province's task to the city office (which the city's staff work as a unit) and the
    # sub-tasks a county handed down are in the city clerk's lists, but not in the city's figures:
    # every card and link opens its list narrowed to the office and to direct tasks, so the
    # numbers still match, for a person in one office as for one in two.
    w = two_offices
    town = Unit.objects.create(
        name="甲县东镇人民政府",
        short_name="东镇",
        kind=UnitKind.TOWNSHIP,
        peer_group=PeerGroup.TOWNSHIP,
        parent=w.unit_a,
    )
    make_user("town_liaison", town, Role.LIAISON)
    parent = Assignment.objects.filter(letter__office=w.office, unit=w.unit_a, state="issued").first()
    services.assignment_claim(actor=w.liaison_a, assignment=parent.pk)
    services.assignment_break_down(
        actor=w.liaison_a,
        assignment=parent.pk,
        parts=[services.SubTaskPart(unit_id=town.pk, deadline=parent.deadline, measures="东镇负责本镇整改")],
    )
    c = signed_in(client, getattr(w, who))
    page = c.get(reverse("office:index") + f"?by={w.office.pk}")
    assert page.context["office"] == w.office
    for label, (value, url) in _cards(page).items():
        if url is not None:
            assert f"by={w.office.pk}" in url, label
            assert _rows_behind(c, url) == value, label
    o = page.context["o"]
    links = _links(page)
    for state, _label, n in o.by_state:
        assert _rows_behind(c, links[f"{state} (state)"]) == n, state
    for light, n in o.lights.items():
        assert _rows_behind(c, links[f"{light} (light)"]) == n, light
    # Without the narrowing the city clerk's list holds more than the city's figure says.
    assert _rows_behind(c, reverse("tasks:list")) > o.open_total


def _lists(w) -> list[str]:
    return [
        reverse("tasks:list"),
        reverse("tasks:list") + "?filtered=1&overdue=on",
        reverse("letters:list") + "?state=pending_signature",
        reverse("letters:list"),
        reverse("tasks:extensions"),
    ]


def _sep(url: str) -> str:
    return "&" if "?" in url else "?"


def _shown(client, url: str) -> list[int]:
    context = client.get(url).context
    rows = context["page"].rows if "page" in context else context["rows"]
    return sorted(r[0].pk if isinstance(r, tuple) else r.pk for r in rows)


@pytest.mark.parametrize("who", ["both", "clerk", "prov_clerk"])
def test_an_office_that_is_not_theirs_narrows_no_list(client, two_offices, who):
    w = two_offices
    user = w.prov.clerk if who == "prov_clerk" else getattr(w, who)
    c = signed_in(client, user)
    # The other city's office, a unit, the other office of the two-office person's for the
    # others, nothing, garbage, past a 64-bit id, longer than the field.
    strangers = [w.city2.pk, w.unit_a.pk, w.unit_d.pk, 0, -1, "x", "٣", "99999999999999999999", "1" * 40, ""]
    if who == "clerk":
        strangers.append(w.province.pk)
    if who == "prov_clerk":
        strangers.append(w.office.pk)
    for url in _lists(w):
        plain = _shown(c, url)
        for wanted in strangers:
            narrowed = c.get(f"{url}{_sep(url)}by={wanted}")
            assert narrowed.status_code == 200, (url, wanted)
            assert _shown(c, f"{url}{_sep(url)}by={wanted}") == plain, (url, wanted)
    # Nothing of the other city's leaks whatever is asked.
    body = c.get(reverse("tasks:list") + f"?by={w.city2.pk}").content.decode()
    assert w.unit_d.name not in body


def test_each_list_narrowed_to_one_of_the_persons_offices(client, two_offices):
    w = two_offices
    c = signed_in(client, w.both)
    tasks, letters = reverse("tasks:list"), reverse("letters:list")
    both_tasks = _shown(c, tasks)
    prov, city = _shown(c, f"{tasks}?by={w.province.pk}"), _shown(c, f"{tasks}?by={w.office.pk}")
    assert (len(prov), len(city), len(both_tasks)) == (2, 8, 10)
    assert sorted(prov + city) == both_tasks
    assert set(Assignment.objects.filter(pk__in=prov).values_list("letter__office", flat=True)) == {w.province.pk}
    assert len(_shown(c, f"{letters}?by={w.office.pk}")) + len(_shown(c, f"{letters}?by={w.province.pk}")) == len(
        _shown(c, letters)
    )
    # The person in two offices picks one on each list; the chosen one is shown as chosen.
    for url in (tasks, letters, reverse("tasks:extensions")):
        page = c.get(f"{url}?by={w.office.pk}")
        assert page.context["offices"] == [w.province, w.office], url
        assert f'<option value="{w.office.pk}" selected>' in page.content.decode(), url
    # The API's task list takes the same filter, and ignores an office that is not theirs.
    api = reverse("api:assignments")
    for by, n in ((w.province.pk, 2), (w.office.pk, 8), (w.city2.pk, 10), ("x", 10)):
        assert len(c.get(api, {"by": by, "size": 50}).json()["results"]) == n, by
    # Someone in one office gets no choice; an office a link asked for is kept in the form.
    one = signed_in(client, w.clerk).get(f"{tasks}?by={w.office.pk}")
    assert one.context["offices"] == []
    assert f'name="by" value="{w.office.pk}"' in one.content.decode()


def test_the_office_filter_rides_along_to_the_export_and_the_batch(client, two_offices):
    from notices.job_kinds.ledger import ledger_resolve

    w = two_offices
    c = signed_in(client, w.both)
    page = c.get(reverse("tasks:list") + f"?by={w.province.pk}")
    body = html.unescape(page.content.decode())
    assert f"by={w.province.pk}" in body.split(reverse("notices:ledger_xlsx"), 1)[1].split('"', 1)[0]
    # The export holds what the list holds: the office's tasks, direct ones as the office's ledger.
    count = lambda by: ledger_resolve(w.both, {"by": [str(by)]}).rows.count()  # noqa: E731
    assert (count(w.province.pk), count(w.office.pk), count(w.city2.pk)) == (2, 8, 10)
    # A batch over "every request in this list" takes the office's requests only.
    extensions = c.get(reverse("tasks:extensions") + f"?by={w.office.pk}")
    assert ("by", str(w.office.pk)) in extensions.context["batch_query"]
    assert "Every request in this list" in extensions.content.decode()
    ext = reverse("tasks:batch") + "?subject=extension&action=approve&scope=filter"
    shown = lambda by: len(c.get(f"{ext}&by={by}").context["rows"])  # noqa: E731
    assert (shown(w.office.pk), shown(w.city2.pk)) == (1, 1)
    assert c.get(f"{ext}&by={w.province.pk}").status_code == 302


@pytest.mark.parametrize("who", ["both", "clerk"])
def test_a_list_costs_the_same_queries_narrowed_or_not(client, two_offices, who):
    w = two_offices
    c = signed_in(client, getattr(w, who))
    for url in _lists(w):
        c.get(url)
        counted = []
        for wanted in ("", w.office.pk, w.province.pk, w.city2.pk):
            with CaptureQueriesContext(connection) as ctx:
                c.get(f"{url}{_sep(url)}by={wanted}")
            counted.append(len(ctx))
        assert counted == [counted[0]] * 4, (url, counted)


def test_a_ledger_narrowed_to_one_office_is_headed_by_that_office_alone(two_offices):
    w = two_offices
    for picked, other in ((w.office, w.province), (w.province, w.office)):
        ask = ledger_resolve(w.both, {"by": [str(picked.pk)]})
        assert ask.unit_label.startswith(picked.name) and other.name not in ask.unit_label
    # Not narrowed: the ledger of both of the person's offices names both.
    both = ledger_resolve(w.both, {}).unit_label
    assert w.office.name in both and w.province.name in both
