"""Work queues: what waits on whom. Each queue is a queryset of assignments or extension
requests already limited to what the user may act on, so pages, counters and notifications
all agree on what "waiting for me" means.

Assignment queues are ``AssignmentFilters`` plus a base set, so they page and filter with
``search.assignment_search`` like every other list.

Down the unit tree (分解/转办) the unit that handed a task down stands where the office stands for
its own tasks: its members verify the sub-tasks' completion, its leader writes them off, its
liaison decides their returns (``HANDED_DOWN_QUEUES``). The office's queues hold its direct tasks
only: it does not verify a sub-task, the unit above it does.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Subquery

from supervision.models import (
    Assignment,
    AssignmentAncestor,
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


def handed_down_ids(unit_ids: list[int]) -> QuerySet[AssignmentAncestor]:
    """The ids of the sub-tasks the units handed down themselves (their direct sub-tasks, not those
    handed further down below them), read from the (unit, distance, assignment) index of the
    units above each sub-task: the database starts from the few sub-tasks of those units."""
    return AssignmentAncestor.objects.filter(unit_id__in=unit_ids, distance=1).values("assignment_id")


def handed_down_by(unit_ids: list[int]) -> Q:
    return Q(pk__in=handed_down_ids(unit_ids))


@dataclass(frozen=True)
class Queue:
    """One named queue: which assignments, for whom (the roles and where they are held)."""

    key: str
    states: tuple[str, ...]  # () for every state
    roles: tuple[str, ...]
    office: bool  # True: the roles are held in the issuing office; False: in the assignment's unit
    unclaimed: bool = False
    mine: bool = False
    # True: the roles are held in the unit that handed the sub-task down (its parent's unit).
    handed_down: bool = False

    def condition(self, user: User) -> Q:
        where = units_where(user, *self.roles)
        # No states: every state (a list of all that was handed down).
        cond = Q(state__in=self.states) if self.states else Q()
        if self.handed_down:
            cond &= handed_down_by(where)
        elif self.office:
            # The office's own tasks: a sub-task waits on the unit above it, not on the office.
            cond &= Q(letter__office_id__in=where, parent__isnull=True)
        else:
            cond &= Q(unit_id__in=where)
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

# The unit above a sub-task, in the office's place (its roles mapped as the services map them:
# a clerk's step is its liaison's, an inspector's its liaison's or leader's, a director's its
# leader's). "handed_down" is every sub-task the unit handed down, whatever its state.
HANDED_DOWN_QUEUES: dict[str, Queue] = {
    q.key: q
    for q in (
        Queue("sub_returned", (S.RETURNED,), (Role.LIAISON,), office=False, handed_down=True),
        Queue("sub_to_verify", (S.AWAITING_VERIFICATION,), (Role.LIAISON, Role.LEADER), office=False, handed_down=True),
        Queue("sub_to_close", (S.VERIFIED,), (Role.LEADER,), office=False, handed_down=True),
        Queue("handed_down", (), (Role.LIAISON, Role.LEADER), office=False, handed_down=True),
    )
}
# Every assignment queue, by key: the lists' tabs and the API's ``queue`` parameter.
ALL_QUEUES: dict[str, Queue] = {**QUEUES, **HANDED_DOWN_QUEUES}


def extensions_to_sign(user: User) -> QuerySet[ExtensionRequest]:
    """Extension requests of the user's units waiting for the unit leader (审签)."""
    return ExtensionRequest.objects.filter(
        state=ExtensionState.AWAITING_SIGNOFF, assignment__unit_id__in=units_where(user, Role.LEADER)
    )


def extensions_to_decide(user: User) -> QuerySet[ExtensionRequest]:
    """Signed extension requests waiting for a decision: the office's on its direct tasks (its
    clerks and directors), and on the sub-tasks a unit handed down, that unit's (its liaison and
    leader, in the office's place)."""
    decides = Q(
        assignment__letter__office_id__in=units_where(user, Role.CLERK, Role.DIRECTOR),
        assignment__parent__isnull=True,
    )
    above = units_where(user, Role.LIAISON, Role.LEADER)
    if above:
        decides |= Q(assignment_id__in=handed_down_ids(above))
    return ExtensionRequest.objects.filter(decides, state=ExtensionState.AWAITING_DECISION)


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
    """Every queue the user has a role for, counted: one aggregate query for the office's and the
    unit's own queues, one for the sub-tasks the user's units handed down, plus one per other
    kind of queue, whatever the data.

    The handed-down queues are counted apart: in the same WHERE, an OR with their IN over the
    units above sub-tasks would have the database test every row of the table instead of
    reading the unit's own by index. Their rows are read by one IN alone, over the sub-tasks
    the units handed down: each of those queues is a part of them, and an OR of the four INs
    was again a scan of the whole table (for a township with nothing below it too)."""
    counts: dict[str, int] = {}
    for group in (QUEUES, HANDED_DOWN_QUEUES):
        held = {key: q for key, q in group.items() if units_where(user, *q.roles)}
        if not held:
            continue
        aggregates = {key: Count("pk", filter=q.condition(user)) for key, q in held.items()}
        if group is HANDED_DOWN_QUEUES:
            roles = {role for q in held.values() for role in q.roles}
            rows = handed_down_by(units_where(user, *roles))
        else:
            rows = Q(pk__in=[])
            for q in held.values():
                rows |= q.condition(user)
        counts.update(Assignment.objects.filter(rows).aggregate(**aggregates))
    if units_where(user, Role.LEADER):
        counts["extensions_to_sign"] = extensions_to_sign(user).count()
    if units_where(user, Role.CLERK, Role.DIRECTOR, Role.LIAISON, Role.LEADER):
        counts["extensions_to_decide"] = extensions_to_decide(user).count()
    if units_where(user, Role.CLERK, Role.DIRECTOR):
        counts["letters_to_issue"] = letters_to_issue(user).count()
    if units_where(user, Role.DIRECTOR):
        counts["letters_to_sign"] = letters_to_sign(user).count()
    return counts


def reassign_targets(assignment: Assignment) -> QuerySet[Unit]:
    """Units a returned assignment may be reassigned to (改派), active and not the unit that
    returned it. The office's task: any responsible unit, or office directly below the issuing
    office, not already holding the item. A
    sub-task: a unit directly below the unit that handed it down, not already holding a live
    sub-task of the same parent."""
    live = [S.REASSIGNED, S.WITHDRAWN]
    if assignment.parent_id is not None:
        siblings = Assignment.objects.filter(parent_id=assignment.parent_id).exclude(state__in=live)
        return (
            Unit.objects.filter(is_active=True, parent_id=Subquery(_parent_unit(assignment)))
            .exclude(pk=assignment.unit_id)
            .exclude(pk__in=siblings.values("unit_id"))
            .order_by("sort_order", "name")
        )
    # A direct task's item: its sub-tasks (the same item, held below) do not count.
    holding = Assignment.objects.filter(item_id=assignment.item_id, parent__isnull=True).exclude(state__in=live)
    # Who may be sent the letter may be given its task: a responsible unit, or an office directly
    # below the issuing office (a city office works the province's letters as a unit). Never an
    # office of its own letters, nor one above or beside it.
    issuing = Letter.objects.filter(pk=assignment.letter_id).values("office_id")
    return (
        Unit.objects.filter(is_active=True)
        .filter(~Q(kind="office") | Q(kind="office", parent_id=Subquery(issuing)))
        .exclude(pk=assignment.unit_id)
        .exclude(pk__in=holding.values("unit_id"))
        .order_by("peer_group", "sort_order", "name")
    )


def _parent_unit(assignment: Assignment) -> QuerySet[Assignment]:
    return Assignment.objects.filter(pk=assignment.parent_id).values("unit_id")
