"""Batch actions on the list pages (批量办理) through the test client: who is offered them, the
preview (each row allowed or refused and why, at a fixed cost in queries), the confirmation
once, the result page, and a resent form doing nothing twice."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from supervision import services
from supervision.models import Assignment, AssignmentState, AuditEvent, ExtensionState
from tests.conftest import issue_letter, make_user
from tests.helpers import drive, signed_in

S = AssignmentState


def _unit_a_tasks(world, n: int) -> list[Assignment]:
    letter = issue_letter(world, items=n, units=[world.unit_a])
    return list(Assignment.objects.filter(letter=letter).order_by("pk"))


def _preview(client, action: str, ids: list[int], **extra):
    query = {"subject": "assignment", "action": action, "id": ids, **extra}
    return client.get(reverse("tasks:batch"), query)


def _confirm(client, page, **extra):
    """Send the preview's confirmation form as the browser would."""
    html = page.content.decode()
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    ids = re.findall(r'<input type="hidden" name="id" value="(\d+)">', html)
    data = {"token": token, "subject": page.context["subject"], "action": page.context["action"], "id": ids, **extra}
    return client.post(reverse("tasks:batch"), data)


def test_the_list_offers_batch_actions_only_to_those_who_hold_their_role(client, world):
    _unit_a_tasks(world, 2)
    page = signed_in(client, world.liaison_a).get(reverse("tasks:list") + "?queue=unclaimed")
    assert [o.key for o in page.context["batch_actions"]] == ["claim", "carry_forward"]
    assert page.context["batch_default"] == "claim"
    html = page.content.decode()
    assert 'id="sv-batch"' in html and html.count('form="sv-batch"') == 2
    for user in (world.observer, world.outsider, world.clerk):
        page = signed_in(client, user).get(reverse("tasks:list"))
        assert page.context["batch_actions"] == []
        assert 'id="sv-batch"' not in page.content.decode()


def test_preview_confirm_and_result_of_a_mixed_claim(client, world):
    rows = _unit_a_tasks(world, 3)
    other = make_user("liaison_a2", world.unit_a, "liaison", full_name="李四")
    services.assignment_claim(actor=other, assignment=rows[1].pk)
    # Unit B's task: not the liaison's to see, so left out as if it did not exist.
    foreign_id = Assignment.objects.get(letter=issue_letter(world, items=1, units=[world.unit_b])).pk
    c = signed_in(client, world.liaison_a)

    page = _preview(c, "claim", [a.pk for a in rows] + [foreign_id])
    assert page.status_code == 200
    assert (page.context["allowed"], page.context["refused"]) == (2, 1)
    assert [r.pk for r, _refusal in page.context["rows"]] == [a.pk for a in rows]
    html = page.content.decode()
    assert "2 will go through." in html and "Already claimed by 李四." in html

    answer = _confirm(c, page, person="王主任")
    assert answer.status_code == 302
    done = c.get(answer["Location"])
    assert done.status_code == 200
    html = done.content.decode()
    assert "2 done." in html and "1 refused and left as it was." in html and "Already claimed by 李四." in html
    assert [pk for pk, _row in done.context["done"]] == [rows[0].pk, rows[2].pk]
    assert set(
        Assignment.objects.filter(pk__in=[rows[0].pk, rows[2].pk]).values_list("responsible_person", flat=True)
    ) == {"王主任"}
    assert Assignment.objects.get(pk=foreign_id).claimed_by is None

    # The same form again (a resend, a double click): the first run's result, nothing done twice.
    audit = AuditEvent.objects.count()
    again = _confirm(c, page, person="王主任")
    assert again["Location"] == answer["Location"]
    assert AuditEvent.objects.count() == audit


def test_everything_matching_the_filter_up_to_the_cap(client, world, monkeypatch):
    rows = _unit_a_tasks(world, 4)
    c = signed_in(client, world.liaison_a)
    page = _preview(c, "claim", [], scope="filter", queue="unclaimed")
    assert [r.pk for r, _ in page.context["rows"]] == [a.pk for a in rows]
    assert not page.context["more"]
    # The list's filters ride along: a search narrows the batch as it narrows the list.
    page = _preview(c, "claim", [], scope="filter", queue="unclaimed", filtered="1", q="问题描述3")
    assert [r.pk for r, _ in page.context["rows"]] == [rows[2].pk]

    monkeypatch.setattr("workflows.tasks.batch.MAX_BATCH", 3)
    page = _preview(c, "claim", [], scope="filter", queue="unclaimed")
    assert len(page.context["rows"]) == 3 and page.context["more"]
    assert "More than 3 match: only the first 3 are here." in page.content.decode()


@pytest.mark.parametrize(
    ("who", "action", "setup"),
    [
        ("leader_a", "approve_completion", "completion_requested"),
        ("liaison_a", "carry_forward", "in_progress"),
        ("director", "close", "verified"),
    ],
)
def test_the_preview_costs_the_same_queries_for_3_rows_as_for_30(client, world, who, action, setup):
    def ids(n: int) -> list[int]:
        return [drive(world, setup).assignment.pk if k % 2 else _unit_a_tasks(world, 1)[0].pk for k in range(n)]

    small, large = ids(3), ids(30)
    c = signed_in(client, getattr(world, who))
    _preview(c, action, small)  # sessions, content types and the like settle in
    counts = []
    for chosen in (small, large):
        with CaptureQueriesContext(connection) as queries:
            page = _preview(c, action, chosen)
        assert page.status_code == 200 and len(page.context["rows"]) == len(chosen)
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_nothing_chosen_or_an_action_not_offered_goes_back_to_the_list_with_a_message(client, world):
    rows = _unit_a_tasks(world, 1)
    c = signed_in(client, world.liaison_a)
    response = _preview(c, "claim", [], queue="unclaimed")
    assert response.status_code == 302 and "queue=unclaimed" in response["Location"]
    response = _preview(c, "close", [rows[0].pk])  # the director's, not the liaison's
    assert response.status_code == 302
    messages = [str(m) for m in c.get(response["Location"]).context["messages"]]
    assert "Choose one of the actions offered." in messages
    # Posted without the preview's token: refused, nothing done.
    answer = c.post(reverse("tasks:batch"), {"subject": "assignment", "action": "claim", "id": [rows[0].pk]})
    assert answer.status_code == 302
    assert Assignment.objects.get(pk=rows[0].pk).state == S.ISSUED


def test_the_extension_list_approves_in_a_batch(client, world):
    cases = [drive(world, "ext_awaiting_decision") for _ in range(2)]
    c = signed_in(client, world.clerk)
    listing = c.get(reverse("tasks:extensions"))
    assert [o.key for o in listing.context["batch_actions"]] == ["approve"]
    assert listing.content.decode().count('form="sv-batch"') == 2

    page = c.get(reverse("tasks:batch"), {"subject": "extension", "action": "approve", "scope": "filter"})
    assert page.context["allowed"] == 2
    done = c.get(_confirm(c, page, comment="准予延期")["Location"])
    assert len(done.context["done"]) == 2
    for case in cases:
        case.refresh()
        assert case.extension.state == ExtensionState.APPROVED


def test_the_list_counts_the_filters_set_for_the_phones_fold(client, world):
    c = signed_in(client, world.clerk)
    assert c.get(reverse("tasks:list")).context["filters_set"] == 0
    page = c.get(reverse("tasks:list"), {"filtered": "1", "q": "安置点", "overdue": "on", "open": "on"})
    assert page.context["filters_set"] == 2
    assert 'data-folds="sv-filters"' in page.content.decode()
