"""The buttons agree with the services for stand-ins too, in every state of an assignment and of
an extension request, and whatever a stand-in is allowed is recorded as done for the principal.

Two stand-ins run in unit A: ``for_liaison`` (a leader of A standing in for the liaison who
claims the work) and ``for_leader`` (a liaison of A standing in for the leader who signs it
off). The assignment is driven by the usual people (tests.helpers.PATHS); each stand-in is then
offered exactly the steps whose service accepts them, as in test_transition_matrix.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from supervision import clock
from supervision.models import Assignment, AuditEvent, ExtensionRequest, Membership
from supervision.services import DomainError, steps
from supervision.services.stand_ins import standin_create
from tests.conftest import make_user
from tests.helpers import CALLS, PATHS, drive, last_audit_id, new_audit
from tests.test_transition_matrix import BUTTON_CALLS, EXTENSION_BUTTON_CALLS, OTHER_CALLS, _allowed
from workflows.tasks import buttons

DEPUTIES = ("for_liaison", "for_leader")


def _with_stand_ins(world) -> None:
    today = clock.today()
    world.for_liaison = make_user("for_liaison", world.unit_a, "leader")
    world.for_leader = make_user("for_leader", world.unit_a, "liaison")
    for principal, deputy in ((world.liaison_a, world.for_liaison), (world.leader_a, world.for_leader)):
        standin_create(
            actor=principal, deputy=deputy, unit=world.unit_a, starts_on=today, ends_on=today + dt.timedelta(days=7)
        )


def _fresh(user):
    return type(user).objects.get(pk=user.pk)


CASES = list(PATHS)


@pytest.mark.parametrize("path", CASES)
def test_buttons_offered_to_a_stand_in_are_exactly_what_the_services_allow(world, path: str):
    case = drive(world, path)
    _with_stand_ins(world)
    calls = {**BUTTON_CALLS, "carry_forward": "carry_forward"}
    for name in DEPUTIES:
        user = _fresh(getattr(world, name))
        a = Assignment.objects.select_related("letter").get(pk=case.assignment.pk)
        offered = {x.key for x in buttons.assignment_buttons(user, a)}
        assert offered == _allowed(case, _fresh(user), calls), (path, name)
        if case.extension is not None:
            ext = ExtensionRequest.objects.get(pk=case.extension.pk)
            offered = {x.key for x in buttons.extension_buttons(user, ext)}
            assert offered == _allowed(case, _fresh(user), EXTENSION_BUTTON_CALLS), (path, name, "extension")


class _RollBack(Exception):
    pass


@pytest.mark.parametrize("path", CASES)
def test_what_a_stand_in_does_is_recorded_for_their_principal(world, path: str):
    # Whatever a stand-in may do only through the stand-in (a role they lack, or the claim of the
    # person they stand in for) is recorded as done for that person; what they may do on their
    # own account stays theirs.
    case = drive(world, path)
    _with_stand_ins(world)
    principal = {"for_liaison": world.liaison_a, "for_leader": world.leader_a}
    # (subject, key, call): the extension's "reject" is another call than the assignment's.
    tried = [("assignment", key, call) for key, call in BUTTON_CALLS.items()]
    tried.append(("assignment", "carry_forward", "carry_forward"))
    if case.extension is not None:
        tried += [("extension", key, call) for key, call in EXTENSION_BUTTON_CALLS.items()]
    for name in DEPUTIES:
        user = getattr(world, name)
        own = set(Membership.objects.filter(user=user, unit=world.unit_a).values_list("role", flat=True))
        for subject, key, call in tried:
            fn = OTHER_CALLS.get(call) or CALLS[call]
            since = last_audit_id()
            try:
                with transaction.atomic():
                    fn(case, _fresh(user))
                    (event,) = [e for e in new_audit(since) if e.assignment_id == case.assignment.pk]
                    assert event.actor_id == user.pk
                    if event.on_behalf_of_id is None:
                        # On their own account: a role of their own, and a claimer's step only on
                        # their own claim (a leader releases any claim on their own authority).
                        assert event.actor_role in own, (path, name, key)
                        step = steps.step(subject, key)
                        if step.claimer_only or (step.claimer_or_leader and event.actor_role != "leader"):
                            assert case.assignment.claimed_by_id in (None, user.pk), (path, name, key)
                    else:
                        assert event.on_behalf_of_id == principal[name].pk, (path, name, key)
                    raise _RollBack
            except (DomainError, _RollBack):
                pass
            case.refresh()
    assert not AuditEvent.objects.filter(on_behalf_of__isnull=False).exists()  # every try rolled back
