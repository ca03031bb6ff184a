"""The pages' role matrix through the API: every step of a task and of an extension request, tried
by every person of the world with their own write token, from the state the step applies in.

Whoever the step table allows gets 200 and the step is taken; everyone else is refused as the
service refuses them (403 not allowed, 409 wrong state) and nothing changes; whoever may not see
the task at all (the outsider, unit B) gets 404, as on the pages.
"""

from __future__ import annotations

import datetime as dt

import pytest

from supervision.models import Assignment, AuditEvent, ExtensionRequest
from supervision.selectors import visibility
from supervision.services import steps
from supervision.services.errors import InvalidInput, InvalidTransition, NotAllowed
from supervision.services.roles import forget_roles
from tests.helpers import ACTORS, drive, last_audit_id, snapshot
from workflows.api import calls

# Where each posted step is tried from: a path of tests.helpers.PATHS.
SOURCE = {
    "claim": "issued",
    "unclaim": "accepted",
    "request_return": "accepted",
    "approve_return": "return_requested",
    "refuse_return": "return_requested",
    "reassign": "returned",
    "reissue": "returned",
    "start": "accepted",
    "report_progress": "in_progress",
    "submit_completion": "in_progress",
    "approve_completion": "completion_requested",
    "refuse_completion": "completion_requested",
    "verify": "awaiting_verification",
    "reject": "awaiting_verification",
    "close": "verified",
    "reopen": "closed",
    "carry_forward": "in_progress",
    "request_extension": "accepted",
    "remind": "in_progress",
    # Handing down needs units below the task's unit (none in this world: refused for everyone,
    # as the step table says); tests/api/test_hand_down.py takes them in the hierarchy.
    "break_down": "accepted",
    "forward": "accepted",
    "roll_up": "in_progress",
    "sign": "ext_awaiting_signoff",
    "refuse": "ext_awaiting_signoff",
    "approve": "ext_awaiting_decision",
    "reject_extension": "ext_awaiting_decision",
}


def _body(case, needs: str) -> dict:
    return {
        "": {},
        "comment": {"comment": "同意"},
        "reason": {"reason": "理由：现场核实情况不符"},
        "person": {"responsible_person": "张三"},
        "report": {"text": "已完成排查，正在整改"},
        "unit": {"unit": case.spare_unit.pk, "comment": "改派丁县"},
        "deadline": {"deadline": (case.assignment.deadline + dt.timedelta(days=30)).isoformat(), "reason": "工期长"},
        "parts": {"parts": [{"unit": case.spare_unit.pk, "measures": "查", "deadline": str(case.assignment.deadline)}]},
        "forward": {"unit": case.spare_unit.pk},
        "text": {"text": "已全部完成"},
    }[needs]


def _expected(refused) -> int:
    if refused is None:
        return 200
    if isinstance(refused, NotAllowed):
        return 403
    if isinstance(refused, InvalidTransition):
        return 409
    assert isinstance(refused, InvalidInput)
    return 400


CASES = [("assignment", key) for key in calls.by_key("assignment")] + [
    ("extension", key) for key in calls.by_key("extension")
]


@pytest.mark.parametrize(("subject", "key"), CASES, ids=[f"{s}-{k}" for s, k in CASES])
def test_every_step_through_the_api_follows_the_step_table(world, api, subject, key):
    posted = calls.by_key(subject)[key]
    step = steps.step(subject, key)
    source = SOURCE["reject_extension" if (subject, key) == ("extension", "reject") else key]
    case = drive(world, source)
    clients = {who: api(who) for who in ACTORS}

    def target():
        case.refresh()
        if subject == "extension":
            ext = ExtensionRequest.objects.select_related("assignment__letter").get(pk=case.extension.pk)
            return ext, f"/api/extensions/{ext.pk}/{key}/"
        a = Assignment.objects.select_related("letter", "unit").get(pk=case.assignment.pk)
        return a, f"/api/assignments/{a.pk}/{key}/"

    allowed = []
    for who in ACTORS:
        user = getattr(world, who)
        forget_roles(user)
        obj, url = target()
        assignment = obj if subject == "assignment" else obj.assignment
        if visibility.assignment_get(user, assignment.pk) is None:
            expected = 404
        else:
            expected = _expected(steps.refusal(step, user, obj))
        if expected == 200:
            allowed.append(who)
            continue
        before = snapshot()
        r = clients[who].post(url, _body(case, posted.needs))
        assert r.status_code == expected, (who, r.json())
        assert r["Content-Type"] == "application/json"
        assert snapshot() == before, f"{who} was refused but something changed"

    for n, who in enumerate(allowed):
        if n:  # the first allowed person changed the state: a fresh task for the next one
            case = drive(world, source)
        obj, url = target()
        since = last_audit_id()
        r = clients[who].post(url, _body(case, posted.needs))
        assert r.status_code == 200, (who, r.json())
        assert r.json()["done"] == str(posted.done)
        assert AuditEvent.objects.filter(pk__gt=since, action=step.action, actor=getattr(world, who)).exists()


def test_the_office_roles_match_the_step_table(world, api):
    """The observer (read-only leader of the office) holds a write token and still takes no step:
    a token never gives more than its owner's roles."""
    case = drive(world, "awaiting_verification")
    observer = api("observer")
    shown = observer.get(f"/api/assignments/{case.assignment.pk}/").json()
    assert shown["actions"] == []
    before = snapshot()
    for key in ("verify", "reject", "close", "remind"):
        r = observer.post(f"/api/assignments/{case.assignment.pk}/{key}/", {"reason": "x", "comment": "x"})
        assert r.status_code in (403, 409)
    assert snapshot() == before
    inspector = api("inspector").get(f"/api/assignments/{case.assignment.pk}/").json()
    offered = {a["key"] for a in inspector["actions"]}
    assert offered == {s.key for s in steps.allowed(world.inspector, case.assignment)}
    assert {"verify", "reject"} <= offered
