"""The assignment pages through the Django test client: what each person sees and can do."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from supervision.models import Assignment, Evidence, ExtensionRequest, Notification
from tests.conftest import issue_letter, make_user
from tests.helpers import assignment_in, drive, signed_in, snapshot


def _a(world) -> Assignment:
    letter = issue_letter(world, items=1, units=[world.unit_a, world.unit_b])
    return Assignment.objects.get(letter=letter, unit=world.unit_a)


def _act(client, a, action, **data):
    return client.post(reverse("tasks:act", args=[a.pk, action]), data, follow=True)


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_pages_need_a_login(client, world):
    a = _a(world)
    for url in (reverse("tasks:list"), reverse("tasks:detail", args=[a.pk]), reverse("tasks:inbox")):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]


def test_a_unit_lists_only_its_own_assignments(client, world):
    a = _a(world)
    page = signed_in(client, world.liaison_a).get(reverse("tasks:list"))
    assert page.status_code == 200
    assert [r.pk for r in page.context["page"].rows] == [a.pk]
    # Another unit's assignment is simply not there.
    other = Assignment.objects.get(letter=a.letter, unit=world.unit_b)
    assert client.get(reverse("tasks:detail", args=[other.pk])).status_code == 404


def test_the_outsider_sees_nothing(client, world):
    a = _a(world)
    c = signed_in(client, world.outsider)
    assert c.get(reverse("tasks:list")).context["page"].rows == []
    assert c.get(reverse("tasks:detail", args=[a.pk])).status_code == 404
    assert c.post(reverse("tasks:act", args=[a.pk, "claim"])).status_code == 404


def test_claim_from_the_page_and_a_second_claim_is_refused_clearly(client, world, django_user_model):
    a = _a(world)
    response = _act(signed_in(client, world.liaison_a), a, "claim", person="王主任")
    assert response.status_code == 200
    assert Assignment.objects.get(pk=a.pk).claimed_by == world.liaison_a
    assert "Claimed" in " ".join(_messages(response))
    # A colleague who still had the page open tries too.
    colleague = make_user("liaison_a2", world.unit_a, "liaison")
    client.force_login(colleague)
    before = snapshot()
    response = _act(client, a, "claim")
    assert "Already claimed by" in " ".join(_messages(response))
    assert snapshot() == before


def test_the_whole_loop_through_the_pages(client, world):
    a = _a(world)
    steps = [
        (world.liaison_a, "claim", {}),
        (world.liaison_a, "report_progress", {"text": "已完成排查"}),
        (world.liaison_a, "submit_completion", {"text": "已全部完成"}),
        (world.leader_a, "approve_completion", {"comment": "同意"}),
        (world.inspector, "verify", {}),
        (world.director, "close", {"comment": "同意销号"}),
    ]
    for user, action, data in steps:
        client.force_login(user)
        detail = client.get(reverse("tasks:detail", args=[a.pk]))
        # The page offers exactly the action this person takes next.
        assert action in [x.key for x in detail.context["actions"]], (user, action)
        response = _act(client, a, action, **data)
        assert not [m for m in response.context["messages"] if m.level_tag == "error"], _messages(response)
    assert Assignment.objects.get(pk=a.pk).state == "closed"
    timeline = client.get(reverse("tasks:detail", args=[a.pk])).context["timeline"]
    assert [e.action for e in timeline][-1] == "assignment.closed"


def test_a_refused_action_shows_why_and_changes_nothing(client, world):
    a = _a(world)
    c = signed_in(client, world.liaison_a)
    before = snapshot()
    response = _act(c, a, "verify")
    assert response.status_code == 200
    assert "You need the role" in " ".join(_messages(response))
    assert snapshot() == before


def test_a_return_needs_a_reason(client, world):
    a = _a(world)
    c = signed_in(client, world.liaison_a)
    _act(c, a, "claim")
    before = snapshot()
    response = _act(c, a, "request_return", reason="   ")
    assert "is required" in " ".join(_messages(response))
    assert snapshot() == before


def test_progress_with_several_files_and_a_bad_one_refuses_all(client, world, settings):
    a = _a(world)
    c = signed_in(client, world.liaison_a)
    _act(c, a, "claim")
    files = [SimpleUploadedFile("现场.pdf", b"%PDF-1.4 a"), SimpleUploadedFile("验收.png", b"\x89PNG b")]
    response = _act(c, a, "report_progress", text="完成一半", files=files)
    assert Evidence.objects.count() == 2, _messages(response)
    before = snapshot()
    bad = [SimpleUploadedFile("说明.pdf", b"%PDF-1.4 c"), SimpleUploadedFile("病毒.exe", b"MZ")]
    response = _act(c, a, "report_progress", text="再报", files=bad)
    assert "not an accepted file type" in " ".join(_messages(response))
    assert snapshot() == before


def test_evidence_downloads_check_permission(client, world):
    a = _a(world)
    c = signed_in(client, world.liaison_a)
    _act(c, a, "claim")
    _act(c, a, "report_progress", text="完成", files=[SimpleUploadedFile("现场.pdf", b"%PDF-1.4 x")])
    ev = Evidence.objects.get()
    url = reverse("tasks:evidence", args=[ev.pk])
    response = c.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 x"
    assert response["Content-Security-Policy"] == "sandbox"
    for user in (world.liaison_b, world.outsider):
        client.force_login(user)
        assert client.get(url).status_code == 404
    client.force_login(world.inspector)
    assert client.get(url).status_code == 200


def test_reassigning_a_returned_item_from_the_page(client, world):
    case = drive(world, "returned")
    c = signed_in(client, world.clerk)
    detail = c.get(reverse("tasks:detail", args=[case.assignment.pk]))
    targets = {u.pk for u in detail.context["reassign_targets"]}
    assert world.unit_c.pk in targets and world.unit_a.pk not in targets
    response = _act(c, case.assignment, "reassign", unit=world.unit_c.pk, comment="属市农业农村局职责")
    assert response.status_code == 200
    assert Assignment.objects.filter(item=case.assignment.item, unit=world.unit_c, state="issued").exists()


def test_extension_from_request_to_approval_through_the_pages(client, world):
    a = assignment_in(world, "in_progress")
    c = signed_in(client, world.liaison_a)
    new = a.deadline + dt.timedelta(days=20)
    response = _act(c, a, "request_extension", deadline=new.isoformat(), reason="施工周期长")
    ext = ExtensionRequest.objects.get()
    for user, action in ((world.leader_a, "sign"), (world.clerk, "approve")):
        client.force_login(user)
        response = client.post(reverse("tasks:extension_act", args=[ext.pk, action]), {"comment": "同意"}, follow=True)
        assert not [m for m in response.context["messages"] if m.level_tag == "error"], _messages(response)
    assert Assignment.objects.get(pk=a.pk).deadline == new


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", lambda a: reverse("tasks:act", args=[a.pk, "claim"])),
        ("post", lambda a: reverse("tasks:act", args=[a.pk, "no_such_action"])),
        ("post", lambda a: reverse("tasks:act", args=[999999, "claim"])),
        ("get", lambda a: reverse("tasks:detail", args=[999999])),
        ("get", lambda a: reverse("tasks:list") + "?state=nonsense&light=purple&after=%%%"),
        ("get", lambda a: reverse("tasks:list") + "?queue=nope&unit=abc&letter=-1"),
        ("post", lambda a: reverse("tasks:extension_act", args=[999999, "sign"])),
        ("get", lambda a: reverse("tasks:evidence", args=[999999])),
        ("post", lambda a: reverse("tasks:inbox_read", args=[999999])),
    ],
)
def test_bad_input_never_gives_a_server_error(client, world, method, url):
    a = _a(world)
    response = getattr(signed_in(client, world.liaison_a), method)(url(a))
    assert response.status_code in (200, 302, 404, 405)


def test_invalid_filters_are_dropped_with_a_message(client, world):
    _a(world)
    response = signed_in(client, world.clerk).get(reverse("tasks:list") + "?state=nonsense&q=问题")
    assert response.status_code == 200
    assert any("ignored" in m for m in _messages(response))
    assert len(response.context["page"].rows) == 2


def test_list_page_query_count_does_not_grow(client, world):
    c = signed_in(client, world.clerk)
    issue_letter(world, items=2)
    c.get(reverse("tasks:list"))
    with CaptureQueriesContext(connection) as small:
        c.get(reverse("tasks:list"))
    for _ in range(3):
        issue_letter(world, items=10)
    with CaptureQueriesContext(connection) as large:
        response = c.get(reverse("tasks:list"))
    assert len(response.context["page"].rows) == 50
    assert len(large) == len(small)


def test_the_inbox_lists_and_marks_read(client, world):
    _a(world)
    c = signed_in(client, world.liaison_a)
    page = c.get(reverse("tasks:inbox"))
    assert page.context["unread"] == 1
    mine = Notification.objects.get(recipient=world.liaison_a)
    c.post(reverse("tasks:inbox_read", args=[mine.pk]))
    assert Notification.objects.get(pk=mine.pk).read_at is not None
    theirs = Notification.objects.get(recipient=world.liaison_b)
    response = c.post(reverse("tasks:inbox_read", args=[theirs.pk]), follow=True)
    assert "not yours" in " ".join(_messages(response))
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    c.post(reverse("tasks:inbox_read_all"))
    assert c.get(reverse("tasks:inbox")).context["unread"] == 0


def test_pages_speak_chinese_by_default(client, world):
    a = _a(world)
    client.force_login(world.liaison_a)
    body = client.get(reverse("tasks:detail", args=[a.pk])).content.decode()
    assert '<html lang="zh-hans"' in body
    for text in ("签收", "整改时限", "操作记录"):
        assert text in body


def test_a_unit_liaison_logs_in_and_lands_on_the_unit_overview(client, world):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(pk=world.liaison_a.pk)
    user.set_password("s3cret-pass")
    user.save()
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get(reverse("login"))
    assert page.status_code == 200
    response = client.post(reverse("login"), {"username": user.username, "password": "s3cret-pass"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("unit:index")
    assert response.status_code == 200
    # Logging out is a POST and leads back to the login page.
    response = client.post(reverse("logout"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("login")


def test_extension_requests_wait_in_the_leaders_then_the_offices_list(client, world):
    a = assignment_in(world, "in_progress")
    from supervision import services

    ext = services.extension_request(
        actor=world.liaison_a, assignment=a, requested_deadline=a.deadline + dt.timedelta(days=9), reason="工期长"
    )
    c = signed_in(client, world.leader_a)
    rows = c.get(reverse("tasks:extensions")).context["rows"]
    assert [(e.pk, [x.key for x in acts]) for e, acts in rows] == [(ext.pk, ["sign", "refuse"])]
    client.force_login(world.clerk)
    assert client.get(reverse("tasks:extensions")).context["rows"] == []
    services.extension_sign(actor=world.leader_a, extension=ext)
    rows = client.get(reverse("tasks:extensions")).context["rows"]
    assert [(e.pk, [x.key for x in acts]) for e, acts in rows] == [(ext.pk, ["approve", "reject"])]
    client.force_login(world.liaison_b)
    assert client.get(reverse("tasks:extensions")).context["rows"] == []


@pytest.mark.parametrize(
    ("path", "queue", "who"), [("verified", "to_close", "director"), ("closed", "closed", "inspector")]
)
def test_queues_of_finished_work_list_it(client, world, path, queue, who):
    # Queues define their own states: the "open only" default of the full list must not hide them.
    a = drive(world, path).assignment
    rows = signed_in(client, getattr(world, who)).get(reverse("tasks:list") + f"?queue={queue}").context["page"].rows
    assert [r.pk for r in rows] == [a.pk]
