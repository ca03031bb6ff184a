"""The rows of a batch action (批量办理): the tasks or extension requests a person chose, or
everything a list's filter matches up to a cap, each read with what the step's checks and the
pages read of it, so that a preview of hundreds of rows costs a fixed number of queries."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from supervision import clock
from supervision.models import Assignment, ExtensionRequest, User

from .queues import extensions_to_decide, extensions_to_sign
from .search import AssignmentFilters
from .visibility import assignments_visible_to

# What the checks (steps.refusal: the letter's office, the claimer's name) and the tables read.
# The parent too: a sub-task's office-side steps are judged in its parent's unit (steps.where).
_ASSIGNMENT_RELATED = ("item", "letter", "unit", "claimed_by", "parent")
_EXTENSION_RELATED = (
    "assignment__item",
    "assignment__letter",
    "assignment__unit",
    "assignment__claimed_by",
    "assignment__parent",
    "requested_by",
)


def _assignments(qs: QuerySet[Assignment]) -> QuerySet[Assignment]:
    return qs.select_related(*_ASSIGNMENT_RELATED).order_by("deadline", "pk")


def assignments_chosen(user: User, ids: Iterable[int]) -> list[Assignment]:
    """The assignments ``ids`` that ``user`` may see, soonest deadline first; the others are
    left out as if they did not exist."""
    return list(_assignments(assignments_visible_to(user).filter(pk__in=list(ids))))


def assignments_matching(
    user: User, filters: AssignmentFilters, base: QuerySet[Assignment] | None, limit: int
) -> tuple[list[Assignment], bool]:
    """The first ``limit`` assignments a list shows for ``filters`` (on a queue's ``base``),
    in the list's order, and whether more matched."""
    qs = base if base is not None else assignments_visible_to(user)
    rows = list(_assignments(filters.apply(qs, clock.today()))[: limit + 1])
    return rows[:limit], len(rows) > limit


def extensions_chosen(user: User, ids: Iterable[int]) -> list[ExtensionRequest]:
    """The extension requests ``ids`` of assignments ``user`` may see, oldest request first."""
    qs = ExtensionRequest.objects.filter(pk__in=list(ids), assignment__in=assignments_visible_to(user).values("pk"))
    return list(qs.select_related(*_EXTENSION_RELATED).order_by("requested_at", "pk"))


def extensions_waiting(
    user: User, step_key: str, limit: int, office: int | None = None
) -> tuple[list[ExtensionRequest], bool]:
    """The requests waiting on ``user`` for the step: the leader's to sign, the office's to
    decide; the first ``limit`` of them, oldest first, and whether there were more. ``office``
    (one of the user's, checked by the caller with ``search.office_filter``): only those on the
    tasks of that office's letters, as the extension list narrowed to it shows them."""
    qs = extensions_to_sign(user) if step_key == "sign" else extensions_to_decide(user)
    if office is not None:
        qs = qs.filter(assignment__letter__office_id=office)
    rows = list(qs.select_related(*_EXTENSION_RELATED).order_by("requested_at", "pk")[: limit + 1])
    return rows[:limit], len(rows) > limit


def visible_ids(user: User, subject: str, ids: Iterable[int]) -> list[int]:
    """Of ``ids`` (assignments or extension requests), those ``user`` may see."""
    ids = list(ids)
    if subject == "assignment":
        qs = assignments_visible_to(user).filter(pk__in=ids)
    else:
        qs = ExtensionRequest.objects.filter(pk__in=ids, assignment__in=assignments_visible_to(user).values("pk"))
    return list(qs.values_list("pk", flat=True))


def batch_rows(user: User, subject: str, ids: Iterable[int]) -> dict[int, Assignment | ExtensionRequest]:
    """Rows by id, for the result page of a batch run (those ``user`` may still see)."""
    rows = assignments_chosen(user, ids) if subject == "assignment" else extensions_chosen(user, ids)
    return {r.pk: r for r in rows}
