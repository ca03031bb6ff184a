"""Four eyes in the unit: whoever submitted a return, a completion report or an extension request
may not sign it off, even when they hold the unit leader's role as well. The refusal says so and
changes nothing; another leader of the unit signs as usual."""

from __future__ import annotations

import datetime as dt

import pytest

from supervision import services
from supervision.models import Assignment, ExtensionRequest, SignOff
from supervision.services import NotAllowed
from tests.conftest import issue_letter, make_user
from tests.helpers import snapshot
from workflows.tasks import buttons


@pytest.fixture
def dual(world):
    """A member of unit A who is both its liaison and one of its leaders."""
    return make_user("dual_a", world.unit_a, "liaison", "leader")


@pytest.fixture
def a(world) -> Assignment:
    letter = issue_letter(world, items=1, units=[world.unit_a, world.unit_b])
    return Assignment.objects.get(letter=letter, unit=world.unit_a)


def _offered(user, a: Assignment) -> set[str]:
    return {x.key for x in buttons.assignment_buttons(user, Assignment.objects.get(pk=a.pk))}


def test_a_dual_role_member_cannot_sign_off_their_own_completion_report(world, dual, a):
    services.assignment_claim(actor=dual, assignment=a.pk)
    services.assignment_report_progress(actor=dual, assignment=a.pk, text="已完成排查")
    services.assignment_submit_completion(actor=dual, assignment=a.pk, text="已全部完成")
    assert "approve_completion" not in _offered(dual, a)
    before = snapshot()
    with pytest.raises(NotAllowed) as refused:
        services.assignment_approve_completion(actor=dual, assignment=a.pk, comment="同意")
    # The refusal says why and names the role that must sign instead.
    assert "You submitted this yourself" in str(refused.value)
    assert "Unit leader" in str(refused.value)
    assert snapshot() == before
    # Another leader of the unit signs it as usual.
    assert "approve_completion" in _offered(world.leader_a, a)
    services.assignment_approve_completion(actor=world.leader_a, assignment=a.pk, comment="同意")
    assert Assignment.objects.get(pk=a.pk).state == "awaiting_verification"
    assert SignOff.objects.get(assignment=a).signed_by == world.leader_a


def test_a_dual_role_member_cannot_sign_their_own_return(world, dual, a):
    services.assignment_claim(actor=dual, assignment=a.pk)
    services.assignment_request_return(actor=dual, assignment=a.pk, reason="不属于本单位职责")
    assert "approve_return" not in _offered(dual, a)
    before = snapshot()
    with pytest.raises(NotAllowed, match="Unit leader"):
        services.assignment_approve_return(actor=dual, assignment=a.pk)
    assert snapshot() == before
    services.assignment_approve_return(actor=world.leader_a, assignment=a.pk)
    assert Assignment.objects.get(pk=a.pk).state == "returned"


def test_a_dual_role_member_cannot_sign_their_own_extension_request(world, dual, a):
    services.assignment_claim(actor=dual, assignment=a.pk)
    ext = services.extension_request(
        actor=dual, assignment=a.pk, requested_deadline=a.deadline + dt.timedelta(days=30), reason="施工周期长"
    )
    keys = {x.key for x in buttons.extension_buttons(dual, ext)}
    assert "sign" not in keys
    before = snapshot()
    with pytest.raises(NotAllowed, match="Unit leader"):
        services.extension_sign(actor=dual, extension=ext.pk, comment="同意")
    assert snapshot() == before
    services.extension_sign(actor=world.leader_a, extension=ext.pk, comment="同意")
    assert ExtensionRequest.objects.get(pk=ext.pk).state == "awaiting_decision"


def test_a_dual_role_member_signs_off_what_a_colleague_submitted(world, dual, a):
    # The rule is about one's own submission, not about holding two roles.
    services.assignment_claim(actor=world.liaison_a, assignment=a.pk)
    services.assignment_start(actor=world.liaison_a, assignment=a.pk)
    services.assignment_submit_completion(actor=world.liaison_a, assignment=a.pk, text="已全部完成")
    assert "approve_completion" in _offered(dual, a)
    services.assignment_approve_completion(actor=dual, assignment=a.pk)
    assert Assignment.objects.get(pk=a.pk).state == "awaiting_verification"


def test_a_resubmission_after_a_send_back_is_still_their_own(world, dual, a):
    services.assignment_claim(actor=dual, assignment=a.pk)
    services.assignment_start(actor=dual, assignment=a.pk)
    services.assignment_submit_completion(actor=dual, assignment=a.pk, text="已全部完成")
    services.assignment_refuse_completion(actor=world.leader_a, assignment=a.pk, comment="材料不全")
    services.assignment_submit_completion(actor=dual, assignment=a.pk, text="补充材料后完成")
    with pytest.raises(NotAllowed):
        services.assignment_approve_completion(actor=dual, assignment=a.pk)
    # Sending one's own report back is not a sign-off: it stays allowed.
    services.assignment_refuse_completion(actor=dual, assignment=a.pk, comment="再补充材料")
    assert Assignment.objects.get(pk=a.pk).state == "in_progress"
