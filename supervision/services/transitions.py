"""What every transition of an assignment shares: the row lock, the run of a step (checks,
transition, save, audit), the clean-up of what was typed, sign-off rows and the fields the
messages quote.

Each transition: checks the actor's role in the right unit, locks the row, asks the viewflow.fsm
transition whether it applies, saves, writes one audit row and the notifications — all in
one transaction. A refusal raises a DomainError and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from supervision import clock
from supervision.models import OPEN_STATES, Assignment, SignOff, User

from . import steps
from .audit import audit_record
from .errors import InvalidInput, NotAllowed
from .steps import Step

MAX_REASON = 2000
MAX_REPORT = 4000


# What the step checks and the messages read of the row's letter, unit and item
# (steps.where, message_fields). The lock query carries these beside the assignment's own
# columns instead of all sixty: compiling and reading the full query was a third of a
# transition's time (bench/run.py --profile).
ROW_FIELDS = (
    # The assignment's own columns (the _meta API's get_fields(), concrete ones without m2m).
    *(f.name for f in Assignment._meta.get_fields() if f.concrete and not f.many_to_many),
    "letter__office",
    "letter__number",
    "unit__name",
    "unit__short_name",
    # Four eyes are waived in a one-person unit (steps._verdict).
    "unit__one_person",
    "item__description",
    # Whether a lead task's write-off or extension looks for cooperating tasks (cooperation.py).
    "item__has_cooperating",
    # A sub-task's office-side steps are judged in its parent's unit, and its deadline stays
    # within its parent's (steps.where, the extension checks).
    "parent__unit",
    "parent__deadline",
)


def assignment_lock(assignment: Assignment | int) -> Assignment:
    """Lock the row (of the assignment only, not its letter or item). What the checks and the
    messages need of the letter, unit and item comes with the row (ROW_FIELDS)."""
    pk = assignment.pk if isinstance(assignment, Assignment) else assignment
    try:
        found = list(
            # NO KEY UPDATE: the row's key never changes, and a plain FOR UPDATE would also block
            # the KEY SHARE lock that inserting an audit row or a report referencing it takes.
            Assignment.objects.select_for_update(no_key=True, of=("self",))
            .select_related("letter", "unit", "item", "parent")
            .only(*ROW_FIELDS)
            .filter(pk=int(pk))
            .order_by()
        )
    except (TypeError, ValueError):
        found = []
    if not found:
        raise NotAllowed(_("This assignment does not exist or you may not see it."))
    return found[0]


def reason_clean(text: str, *, required: bool = True, label: str | None = None, limit: int = MAX_REASON) -> str:
    """What was typed as a reason (or a report, a name), stripped; refused when missing or too long."""
    text = (text or "").strip()
    if required and not text:
        raise InvalidInput(_("%(field)s is required.") % {"field": label or _("A reason")}, field="reason")
    if len(text) > limit:
        raise InvalidInput(
            _("%(field)s is too long: at most %(limit)d characters.")
            % {"field": label or _("The reason"), "limit": limit},
            field="reason",
        )
    return text


def step_run(
    step: Step,
    *,
    actor: User,
    assignment: Assignment | int,
    comment: str = "",
    check: Callable[[Assignment], None] | None = None,
    apply: Callable[[Assignment, str], Iterable[str]] | None = None,
    data: dict | None = None,
    action: Callable[[], str] | None = None,
    replay: Callable[[Assignment], None] | None = None,
) -> tuple[Assignment, str]:
    """Lock, take the step's checks (steps.refusal), then the service's own ``check`` of what was
    typed, transition, save, audit. Must run inside atomic().

    ``replay`` runs once the person is known to be the right one but before the state is
    checked: a submission already accepted (a double click) is answered as it was, although the
    first one has moved the state on. ``action``, when given, names the audit action once the
    checks have run (a report that turns out to amend this cycle's report is audited as an
    amendment).

    The role ``steps.require`` returns goes into the audit row as it is: when it came from a
    stand-in, or through a one-person unit's waiver of four eyes, the row records that too
    (services/audit.py)."""
    a = assignment_lock(assignment)
    if replay is not None and steps.person_refusal(step, actor, a) is None:
        replay(a)
    role = steps.require(step, actor, a)
    if check is not None:
        check(a)
    from_state = a.state
    getattr(a, step.method)()
    fields = {"state", "version", "updated_at"}
    if apply is not None:
        fields.update(apply(a, role))
    a.version += 1
    a.save(update_fields=fields)
    if a.parent_id is not None:
        parent_flag_refresh(a.parent_id)
    audit_record(
        actor=actor,
        role=role,
        unit_id=steps.where(step, a),
        action=action() if action is not None else step.action,
        assignment=a,
        from_state=from_state,
        to_state=a.state,
        comment=comment,
        data=data,
    )
    return a, role


def message_fields(a: Assignment) -> dict[str, str]:
    """The unit, item and letter number that the notifications about an assignment quote."""
    return {"unit": a.unit.display_name, "item": a.item.description[:40], "number": a.letter.number or ""}


def signoff_record(a: Assignment, actor: User, kind: str, approved: bool, comment: str) -> None:
    """A leader's signature (or refusal) of a return, a completion or an extension request."""
    SignOff.objects.create(
        assignment_id=a.pk,
        kind=kind,
        approved=approved,
        comment=comment,
        signed_by_id=actor.pk,
        signed_at=clock.now(),
    )


# --- a parent's yellow light for a late sub-task (Assignment.sub_task_overdue) -----------------------


def _overdue_below(today) -> Exists:
    return Exists(
        Assignment.objects.filter(parent_id=OuterRef("pk"), state__in=OPEN_STATES, deadline__lt=today).order_by()
    )


def parent_flag_refresh(parent_id: int) -> None:
    """Recompute one parent's ``sub_task_overdue`` at once, after one of its sub-tasks changed
    state or deadline (inside that change's transaction). One UPDATE, which writes the row only
    when the flag changes; the version is not bumped (the parent itself did not change)."""
    below = _overdue_below(clock.today())
    Assignment.objects.filter(pk=parent_id).exclude(sub_task_overdue=below).update(sub_task_overdue=below)


def sub_tasks_overdue_sweep(today: dt.date | None = None) -> tuple[int, int]:
    """Tick's daily pass over the flags (sub-tasks go late with the date, not by a transition):
    mark the parents of sub-tasks open past their deadline, unmark the flagged parents that have
    none left. Two set-based UPDATEs, each reaching only rows whose flag changes: the first from
    the late sub-tasks (the state-and-deadline index), the second from the flagged rows (a
    partial index). Returns (marked, cleared)."""
    today = today or clock.today()
    late = Assignment.objects.filter(parent__isnull=False, state__in=OPEN_STATES, deadline__lt=today)
    marked = Assignment.objects.filter(pk__in=late.values("parent_id"), sub_task_overdue=False).update(
        sub_task_overdue=True
    )
    cleared = (
        Assignment.objects.filter(sub_task_overdue=True).exclude(_overdue_below(today)).update(sub_task_overdue=False)
    )
    return marked, cleared
