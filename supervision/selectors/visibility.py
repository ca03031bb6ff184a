"""Reads: every list or object a user sees goes through these, so unit isolation is in one place.

The office sees everything its letters reach; a responsible unit sees letters addressed or
copied to it (issued ones only) and its own assignments; a cooperating unit sees the item and
its own assignment, never the lead unit's. Explicit per-object grants (django-guardian) add to
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


def _granted(user: User, model: type, codename: str) -> Q:
    """``model`` objects granted ``codename`` to the user, or to a unit the user is a member of
    (its guardian group: supervision/unit_groups.py), as a condition on ``pk`` with subqueries."""
    ct = ContentType.objects.get_for_model(model)
    to_user = (
        UserObjectPermission.objects.filter(user_id=user.pk, content_type=ct, permission__codename=codename)
        .annotate(obj_id=Cast("object_pk", BigIntegerField()))
        .values("obj_id")
    )
    granted = Q(pk__in=to_user)
    units = unit_ids(user)
    if units:
        # Membership decides who is in the unit today: the group holds the grant, not the people.
        to_units = (
            GroupObjectPermission.objects.filter(
                group__name__in=unit_group_names(units), content_type=ct, permission__codename=codename
            )
            .annotate(obj_id=Cast("object_pk", BigIntegerField()))
            .values("obj_id")
        )
        granted |= Q(pk__in=to_units)
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
        mine, whole = Q(), yes
    else:
        offices, units = office_ids(user), unit_ids(user)
        mine = Q(pk__in=[])  # matches nothing: no membership, no figures
        if offices:
            mine |= Q(office__in=offices)
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
    if not user.is_authenticated or not user.is_active:
        return Assignment.objects.none()
    if user.is_superuser:
        return Assignment.objects.all()
    offices, units = office_ids(user), unit_ids(user)
    return Assignment.objects.filter(
        Q(letter__office__in=offices) | Q(unit__in=units) | _granted(user, Assignment, "view_assignment")
    )


def items_visible_to(user: User) -> QuerySet[Item]:
    """Items of letters the user sees (an issued letter's whole attachment table is public to its
    addressees), plus items the user's unit holds an assignment for."""
    return Item.objects.filter(
        Q(letter__in=letters_visible_to(user).values("pk"))
        | Q(assignments__in=assignments_visible_to(user).values("pk"))
    ).distinct()


def evidence_visible_to(user: User) -> QuerySet[Evidence]:
    return Evidence.objects.filter(report__assignment__in=assignments_visible_to(user).values("pk"))


def attachments_visible_to(user: User) -> QuerySet[LetterAttachment]:
    return LetterAttachment.objects.filter(letter__in=letters_visible_to(user).values("pk"))


def assignment_get(user: User, pk: int) -> Assignment | None:
    """One assignment if the user may see it, else None (the page answers 404, never 403)."""
    return assignments_visible_to(user).select_related("item", "letter", "unit", "claimed_by").filter(pk=pk).first()


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
