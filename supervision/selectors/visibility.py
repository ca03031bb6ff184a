"""Reads: every list or object a user sees goes through these, so unit isolation is in one place.

The office sees everything its letters reach, the sub-tasks its units handed down included; a
responsible unit sees letters addressed or copied to it (issued ones only) and its own
assignments; a cooperating unit sees the item and its own assignment, never the lead unit's.

Down the unit tree, not sideways (分解/转办): a unit also sees every sub-task below its own tasks,
however deep (``AssignmentAncestor`` names the units above each sub-task), with its evidence; a
unit holding a sub-task sees the letter and item it comes from, never the task it was handed
down from nor its sibling units' sub-tasks. Explicit per-object grants (django-guardian) add to
that: a letter the office shared with a person or a unit outside its distribution
(services/grants.py), readable with its items but not the units' assignments or evidence.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Cast
from guardian.models import GroupObjectPermission, UserObjectPermission

from supervision.models import (
    OPEN_STATES,
    Assignment,
    AssignmentAncestor,
    AssignmentState,
    AuditEvent,
    Evidence,
    Item,
    Letter,
    LetterAttachment,
    LetterState,
    Notification,
    Unit,
    User,
)
from supervision.services.roles import office_ids, unit_ids
from supervision.unit_groups import unit_group_names


def _granted_ids(user: User, model: type, codename: str) -> list[QuerySet]:
    """Subqueries of the ids of ``model`` objects granted ``codename`` to the user, and to the units
    the user is a member of (their guardian groups: supervision/unit_groups.py)."""
    ct = ContentType.objects.get_for_model(model)
    to_user = (
        UserObjectPermission.objects.filter(user_id=user.pk, content_type=ct, permission__codename=codename)
        .annotate(obj_id=Cast("object_pk", BigIntegerField()))
        .values("obj_id")
        .order_by()
    )
    found = [to_user]
    units = unit_ids(user)
    if units:
        # Membership decides who is in the unit today: the group holds the grant, not the people.
        found.append(
            GroupObjectPermission.objects.filter(
                group__name__in=unit_group_names(units), content_type=ct, permission__codename=codename
            )
            .annotate(obj_id=Cast("object_pk", BigIntegerField()))
            .values("obj_id")
            .order_by()
        )
    return found


def _granted(user: User, model: type, codename: str) -> Q:
    """``model`` objects granted ``codename`` to the user or the user's units, as a condition on
    ``pk`` with subqueries."""
    granted = Q(pk__in=[])
    for ids in _granted_ids(user, model, codename):
        granted |= Q(pk__in=ids)
    return granted


def letters_visible_to(user: User) -> QuerySet[Letter]:
    if not user.is_authenticated or not user.is_active:
        return Letter.objects.none()
    if user.is_superuser:
        return Letter.objects.all()
    offices, units = office_ids(user), unit_ids(user)
    visible = Q(office__in=offices) | _granted(user, Letter, "view_letter")
    if units:
        # Correlated EXISTS, one per way a unit receives a letter: each is an index probe per
        # letter, so one letter (a download, a page) costs the same whatever the unit holds. An
        # IN over the joined addressees, copies and assignments of every letter was evaluated
        # whole first (tens to hundreds of milliseconds once a unit holds thousands of tasks).
        letter = OuterRef("pk")
        received = (
            Exists(Letter.addressees.through.objects.filter(letter_id=letter, unit_id__in=units))
            | Exists(Letter.cc_units.through.objects.filter(letter_id=letter, unit_id__in=units))
            | Exists(Assignment.objects.filter(letter_id=letter, unit_id__in=units))
        )
        went_out = Q(state__in=[LetterState.ISSUED, LetterState.CLOSED, LetterState.WITHDRAWN])
        visible |= went_out & received
    return Letter.objects.filter(visible)


def letters_with_figures(user: User, letters: QuerySet[Letter]) -> QuerySet[Letter]:
    """``letters`` with the figures of the letter list, counted in SQL with the page's query:
    ``n_total`` (tasks not moved away), ``n_open``, ``n_closed`` and ``whole_letter``.

    The issuing office sees the whole letter's figures. Anyone else counts only the tasks of the
    units they are a member of: a unit holding 2 of a letter's 8 tasks sees "2 open, 0/2", not
    how the other units are doing (``whole_letter`` is then False).
    """
    yes, no = Value(True, output_field=BooleanField()), Value(False, output_field=BooleanField())
    if user.is_superuser:
        mine, whole = Q(assignments__parent__isnull=True), yes
    else:
        offices, units = office_ids(user), unit_ids(user)
        mine = Q(pk__in=[])  # matches nothing: no membership, no figures
        if offices:
            # The office's figures are its direct tasks: a sub-task is the unit's part of one.
            mine |= Q(office__in=offices, assignments__parent__isnull=True)
        if units:
            mine |= Q(assignments__unit__in=units)
        whole = ExpressionWrapper(Q(office__in=offices), output_field=BooleanField()) if offices else no
    moved = [AssignmentState.REASSIGNED, AssignmentState.WITHDRAWN]
    return letters.annotate(
        n_total=Count("assignments", filter=mine & ~Q(assignments__state__in=moved)),
        n_open=Count("assignments", filter=mine & Q(assignments__state__in=OPEN_STATES)),
        n_closed=Count("assignments", filter=mine & Q(assignments__state=AssignmentState.CLOSED)),
        whole_letter=whole,
    )


def assignments_visible_to(user: User) -> QuerySet[Assignment]:
    """The assignments the user may open: their offices' letters' (the whole tree), their units'
    own, every sub-task below their units' tasks, and those granted to them.

    What a unit sees is one ``pk IN (…)`` over a UNION ALL of index scans (its tasks by unit, the
    sub-tasks below them by ``AssignmentAncestor``'s (unit, distance, assignment) index, the
    grants): the database joins the few ids a unit holds to the table. As ORs of conditions on
    the table, the same rule had to be tested on every row of it (a sequential scan of every
    unit's work for one unit's list). One task, as a page asks, is the same index probes:
    the union is flattened and the page's id pushed into each part."""
    if not user.is_authenticated or not user.is_active:
        return Assignment.objects.none()
    if user.is_superuser:
        return Assignment.objects.all()
    return Assignment.objects.filter(_assignments_condition(user))


def _assignments_condition(user: User) -> Q:
    offices, units = office_ids(user), unit_ids(user)
    ids = _granted_ids(user, Assignment, "view_assignment")
    if units:
        # An office's own unit is asked too: a city office receives the province's letters as a
        # unit (and hands them down) while issuing its own as an office.
        held = sorted(units)
        ids = [
            Assignment.objects.filter(unit_id__in=held).values("pk").order_by(),
            AssignmentAncestor.objects.filter(unit_id__in=held).values("assignment_id").order_by(),
            *ids,
        ]
    visible = Q(pk__in=ids[0].union(*ids[1:], all=True) if len(ids) > 1 else ids[0])
    if offices:
        # The office's letters' ids as a subquery of their own: a join to the letters with the
        # OR made the database join every row before rejecting most of them, where this is one
        # lookup per row in the few letters' ids (an office's list walks the table in
        # (deadline, id) order and stops at its page).
        visible |= Q(letter_id__in=Letter.objects.filter(office_id__in=sorted(offices)).values("pk").order_by())
    return visible


def items_visible_to(user: User) -> QuerySet[Item]:
    """Items of letters the user sees (an issued letter's whole attachment table is public to its
    addressees), plus items the user's unit holds an assignment for."""
    return Item.objects.filter(
        Q(letter__in=letters_visible_to(user).values("pk"))
        | Q(assignments__in=assignments_visible_to(user).values("pk"))
    ).distinct()


def evidence_visible_to(user: User) -> QuerySet[Evidence]:
    """Evidence of the reports on assignments the user sees: a unit above a sub-task sees what the
    unit below sent as proof; a rolled-up copy (``copied_from``) is seen with the parent task."""
    return Evidence.objects.filter(report__assignment__in=assignments_visible_to(user).values("pk"))


def attachments_visible_to(user: User) -> QuerySet[LetterAttachment]:
    return LetterAttachment.objects.filter(letter__in=letters_visible_to(user).values("pk"))


def assignment_get(user: User, pk: int) -> Assignment | None:
    """One assignment if the user may see it, else None (the page answers 404, never 403). The task
    it was handed down from comes with it (its unit named on the page), in the same query."""
    return (
        assignments_visible_to(user)
        .select_related("item", "letter", "unit", "claimed_by", "parent", "parent__unit")
        .filter(pk=pk)
        .first()
    )


def letter_get(user: User, pk: int) -> Letter | None:
    return letters_visible_to(user).filter(pk=pk).first()


def assignment_timeline(assignment: Assignment) -> QuerySet[AuditEvent]:
    return (
        AuditEvent.objects.filter(assignment=assignment)
        .select_related("actor", "actor_unit", "on_behalf_of")
        .order_by("at", "id")
    )


def units_of(user: User) -> QuerySet[Unit]:
    return Unit.objects.filter(pk__in=unit_ids(user))


# --- the inbox ------------------------------------------------------------------------------------


def inbox_of(user: User, *, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's own notifications, newest first (served by the recipient/read_at index)."""
    if not user.is_authenticated:
        return Notification.objects.none()
    qs = Notification.objects.filter(recipient_id=user.pk)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def unread_count(user: User) -> int:
    return inbox_of(user, unread_only=True).count()
