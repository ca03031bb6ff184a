"""Work queues: what waits on whom. Each queue is a queryset of assignments or extension
requests already limited to what the user may act on, so pages, counters and notifications
all agree on what "waiting for me" means.

Assignment queues are ``AssignmentFilters`` plus a base set, so they page and filter with
``search.assignment_search`` like every other list.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from supervision.models import (
    Assignment,
    AssignmentState,
    ExtensionRequest,
    ExtensionState,
    Letter,
    LetterState,
    Role,
    Unit,
    User,
)
from supervision.services.roles import roles_by_unit, stand_in_principals

S = AssignmentState


def units_where(user: User, *roles: str) -> list[int]:
    """Units (offices included) where the user holds any of ``roles``."""
    return sorted(unit for unit, held in roles_by_unit(user).items() if held & set(roles))


@dataclass(frozen=True)
class Queue:
    """One named queue: which assignments, for whom (the roles and where they are held)."""

    key: str
    states: tuple[str, ...]
    roles: tuple[str, ...]
    office: bool  # True: the roles are held in the issuing office; False: in the assignment's unit
    unclaimed: bool = False
    mine: bool = False

    def condition(self, user: User) -> Q:
        where = units_where(user, *self.roles)
        cond = Q(state__in=self.states) & (Q(letter__office_id__in=where) if self.office else Q(unit_id__in=where))
        if self.unclaimed:
            cond &= Q(claimed_by__isnull=True)
        if self.mine:
            # The user's claims, and while they stand in for someone, that person's claims in
            # the unit they stand in for (授权代理): the work they are doing for them.
            theirs = Q(claimed_by_id=user.pk)
            for unit_id, principals in stand_in_principals(user).items():
                theirs |= Q(unit_id=unit_id, claimed_by_id__in=sorted(principals))
            cond &= theirs
        return cond

    def assignments(self, user: User) -> QuerySet[Assignment]:
        if not units_where(user, *self.roles):
            return Assignment.objects.none()
        return Assignment.objects.filter(self.condition(user))


OPEN_WORK = (S.ACCEPTED, S.IN_PROGRESS, S.COMPLETION_REQUESTED, S.AWAITING_VERIFICATION, S.RETURN_REQUESTED)

QUEUES: dict[str, Queue] = {
    q.key: q
    for q in (
        # The unit's side.
        Queue("unclaimed", (S.ISSUED,), (Role.LIAISON, Role.LEADER), office=False, unclaimed=True),
        Queue("mine", OPEN_WORK, (Role.LIAISON,), office=False, mine=True),
        Queue("unit_signoff", (S.RETURN_REQUESTED, S.COMPLETION_REQUESTED), (Role.LEADER,), office=False),
        # The office's side.
        Queue("returned", (S.RETURNED,), (Role.CLERK,), office=True),
        Queue("to_verify", (S.AWAITING_VERIFICATION,), (Role.INSPECTOR,), office=True),
        Queue("to_close", (S.VERIFIED,), (Role.DIRECTOR,), office=True),
        Queue("closed", (S.CLOSED,), (Role.INSPECTOR, Role.DIRECTOR), office=True),
    )
}


def extensions_to_sign(user: User) -> QuerySet[ExtensionRequest]:
    """Extension requests of the user's units waiting for the unit leader (审签)."""
    return ExtensionRequest.objects.filter(
        state=ExtensionState.AWAITING_SIGNOFF, assignment__unit_id__in=units_where(user, Role.LEADER)
    )


def extensions_to_decide(user: User) -> QuerySet[ExtensionRequest]:
    """Signed extension requests waiting for the office's decision."""
    return ExtensionRequest.objects.filter(
        state=ExtensionState.AWAITING_DECISION,
        assignment__letter__office_id__in=units_where(user, Role.CLERK, Role.DIRECTOR),
    )


def letters_to_sign(user: User) -> QuerySet[Letter]:
    """Letters a director of their office may sign: those sent to them (送签), and drafts nobody
    was sent yet (当面签发); never their own (four eyes)."""
    return Letter.objects.filter(
        Q(state=LetterState.DRAFT) | Q(state=LetterState.PENDING_SIGNATURE, routed_to_id=user.pk),
        office_id__in=units_where(user, Role.DIRECTOR),
    ).exclude(drafter_id=user.pk)


def letters_to_issue(user: User) -> QuerySet[Letter]:
    return Letter.objects.filter(state=LetterState.SIGNED, office_id__in=units_where(user, Role.CLERK, Role.DIRECTOR))


def queue_counts(user: User) -> dict[str, int]:
    """Every queue the user has a role for, counted: one aggregate query for the assignment
    queues plus one per other kind of queue, whatever the data."""
    counts: dict[str, int] = {}
    assignment_queues = {key: q for key, q in QUEUES.items() if units_where(user, *q.roles)}
    if assignment_queues:
        aggregates = {}
        union = Q(pk__in=[])
        for key, q in assignment_queues.items():
            cond = q.condition(user)
            aggregates[key] = Count("pk", filter=cond)
            union |= cond
        counts.update(Assignment.objects.filter(union).aggregate(**aggregates))
    if units_where(user, Role.LEADER):
        counts["extensions_to_sign"] = extensions_to_sign(user).count()
    if units_where(user, Role.CLERK, Role.DIRECTOR):
        counts["extensions_to_decide"] = extensions_to_decide(user).count()
        counts["letters_to_issue"] = letters_to_issue(user).count()
    if units_where(user, Role.DIRECTOR):
        counts["letters_to_sign"] = letters_to_sign(user).count()
    return counts


def reassign_targets(assignment: Assignment) -> QuerySet[Unit]:
    """Units the office may reassign a returned assignment to: active, not an office, not the
    unit that returned it, and not already holding the item."""
    holding = Assignment.objects.filter(item_id=assignment.item_id).exclude(state__in=[S.REASSIGNED, S.WITHDRAWN])
    return (
        Unit.objects.filter(is_active=True)
        .exclude(kind="office")
        .exclude(pk__in=holding.values("unit_id"))
        .order_by("peer_group", "sort_order", "name")
    )
