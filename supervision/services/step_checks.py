"""Reading a step of the table (services/steps.py) against a person and an object.

Where a step's roles must be held (``where``) and which roles they are there (``roles_of``), the
role a person acts in, a stand-in's included (``acting_role``), and the conditions on the person
beyond the role: the claimer only, never the drafter, and four eyes, never whoever made the
submission being signed off (``submission``), waived in a one-person unit. ``refusal`` says why
a person may not take a step on an object now; the services raise it under their row lock
(``require``) and the pages offer exactly the steps it has nothing against (``allowed``).

Every name here is importable from services/steps.py too, as the services and pages do.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from supervision.models import Assignment, AuditEvent, ExtensionRequest, Notice, Role, User
from supervision.selectors.hand_down import answerable_unit, unit_roles_for

from .errors import AlreadyClaimed, DomainError, InvalidTransition, NotAllowed
from .prefetch import MISSING, prefetched
from .roles import ActingRole, acts_for, deputies_of, has_role, role_refusal, stand_in_principals
from .step_types import Step

# steps.py imports this module at its end, once the table is complete: the package imports steps
# first (through services/claims.py), so these are there when this module is read.
from .steps import LEADER, REQUEST_EXTENSION, SUBJECTS, TABLE

_A_STATE = gettext_lazy("This cannot be done while the assignment is “%(state)s”.")


def _assignment_of(obj: Model) -> Assignment | None:
    if isinstance(obj, Assignment):
        return obj
    if isinstance(obj, ExtensionRequest):
        return obj.assignment
    return None


def where(s: Step, obj: Model) -> int:
    """The unit in which the step's roles must be held: an office-side step of a sub-task in the
    unit that handed it down (selectors/hand_down.py answerable_unit)."""
    a = _assignment_of(obj)
    if a is None:
        return obj.office_id  # a letter or a notice
    return answerable_unit(a) if s.office else a.unit_id


def roles_of(s: Step, obj: Model) -> tuple[str, ...]:
    """The roles that may take the step on ``obj``: the table's, except for an office-side step
    of a sub-task and a step on a unit's notice, whose office roles are played by the unit's
    liaison and leader (selectors/hand_down.py OFFICE_ROLES_IN_UNIT)."""
    a = _assignment_of(obj)
    if s.office and a is not None and a.parent_id is not None:
        return unit_roles_for(s.roles)
    if isinstance(obj, Notice) and not obj.office.is_office:
        # A unit's notice of its sub-units' ranking: its liaison drafts, its leader signs.
        return unit_roles_for(s.roles)
    return s.roles


def acting_role(s: Step, actor: User, obj: Model) -> str | None:
    """The first of the step's roles the actor holds where it is judged (None: none).

    Held on their own account or as a stand-in (roles.has_role: the own role first). On an
    assignment claimed by someone the actor stands in for, a step of the claimer's (claimer only,
    or claimer or leader) is the claimer's work done by their stand-in: the role comes back as an
    ActingRole naming the claimer, whatever account the role is held on."""
    if not actor.is_active:
        return None
    role = has_role(actor, where(s, obj), roles_of(s, obj))
    a = _assignment_of(obj)
    if role is None or a is None or not (s.claimer_only or s.claimer_or_leader):
        return role
    if a.claimed_by_id and a.claimed_by_id != actor.pk:
        # Someone else's claim, released on a leader's authority: that is the role acting, the
        # actor's own before the claimer's stand-in's, before a leader's stand-in's.
        leader = has_role(actor, a.unit_id, [LEADER]) if s.claimer_or_leader else None
        if leader is not None and not isinstance(leader, ActingRole):
            return leader
        if acts_for(actor, a.unit_id, a.claimed_by_id):
            return ActingRole(role, on_behalf_of=a.claimed_by_id)
        return leader or role
    return role


@dataclass(frozen=True)
class Submission:
    """The submission a sign-off signs: who made it, for whom (a stand-in's principal) and in
    which role."""

    by: int | None
    on_behalf_of: int | None
    role: str

    @property
    def people(self) -> set[int]:
        return {p for p in (self.by, self.on_behalf_of) if p is not None}


def submission(assignment_id: int, action: str) -> Submission | None:
    """The latest submission (audit action ``action``) on the assignment."""
    found = prefetched(("submission", assignment_id, action))
    if found is not MISSING:
        return found
    row = (
        AuditEvent.objects.filter(assignment_id=assignment_id, action=action)
        .order_by("-id")
        .values_list("actor_id", "on_behalf_of_id", "actor_role")
        .first()
    )
    return Submission(*row) if row is not None else None


def submitter_ids(assignment_ids: list[int], action: str) -> dict[tuple, Submission | None]:
    """``submission`` of each assignment, as prefetch keys (services/prefetch.py): one query
    for a batch preview instead of one per row."""
    found: dict[int, Submission] = {}
    rows = AuditEvent.objects.filter(assignment_id__in=assignment_ids, action=action).order_by("id")
    for assignment_id, *row in rows.values_list("assignment_id", "actor_id", "on_behalf_of_id", "actor_role"):
        found[assignment_id] = Submission(*row)  # in id order: the latest one stays
    return {("submission", pk, action): found.get(pk) for pk in assignment_ids}


def person_refusal(s: Step, actor: User, obj: Model) -> DomainError | None:
    """Whether ``actor`` is a person who may take the step at all, whatever the object's state:
    the role, held where it counts, and the conditions on the person. A stand-in counts as the
    person they stand in for: the claimer's stand-in takes the claimer's steps."""
    if acting_role(s, actor, obj) is None:
        return role_refusal(roles_of(s, obj))
    a = _assignment_of(obj)
    if a is not None and a.claimed_by_id and not acts_for(actor, a.unit_id, a.claimed_by_id):
        if s.claimer_only:
            return NotAllowed(
                _("Only %(name)s, who claimed this assignment, can do this.") % {"name": a.claimed_by.display_name}
            )
        if s.claimer_or_leader and has_role(actor, a.unit_id, [LEADER]) is None:
            return NotAllowed(_("Only the claimer or the unit leader can release a claim."))
    if s.unclaimed and a is not None and a.claimed_by_id:
        return AlreadyClaimed(_("Already claimed by %(name)s.") % {"name": a.claimed_by.display_name})
    if s.not_drafter and acts_for(actor, obj.office_id, obj.drafter_id):
        # Four eyes on a document hold for a stand-in too: never signed by its drafter, nor by
        # whoever stands in for the drafter.
        if s.subject == "letter":
            return NotAllowed(_("A letter must be signed by someone other than its drafter."))
        return NotAllowed(_("A notice must be signed by someone other than its drafter."))
    return None


def _state_refusal(s: Step, obj: Model) -> DomainError | None:
    fits = getattr(obj, s.method).can_proceed() if s.method else obj.state in s.states
    if fits:
        return None
    return InvalidTransition((s.wrong_state or _A_STATE) % {"state": obj.get_state_display()})


def _verdict(s: Step, actor: User, obj: Model) -> tuple[DomainError | None, bool]:
    """The refusal (or None), and whether the step is allowed only by a one-person unit's waiver
    of four eyes."""
    refused = (
        person_refusal(s, actor, obj)
        or _state_refusal(s, obj)
        or (s.guard(obj, actor) if s.guard is not None else None)
    )
    if refused is not None:
        return refused, False
    own = _own_submission_refusal(s, actor, obj)
    if own is None:
        return None, False
    a = _assignment_of(obj)
    if a is not None and not s.office and a.unit.one_person:
        return None, True
    return own, False


def refusal(s: Step, actor: User, obj: Model) -> DomainError | None:
    """Why ``actor`` may not take step ``s`` on ``obj`` now, or None when they may.

    In this order, so that the answer is the one a person can act on: no role here (NotAllowed),
    not the right person (NotAllowed; a claim already taken is AlreadyClaimed), the wrong state
    (InvalidTransition), the object's other conditions, then four eyes (NotAllowed; waived in
    a unit the office marked as a one-person unit)."""
    return _verdict(s, actor, obj)[0]


def _own_submission_refusal(s: Step, actor: User, obj: Model) -> NotAllowed | None:
    """Four eyes: nobody signs off a submission they made, that was made for them, or that was
    made by or for someone they stand in for (a deputy may not sign what their principal sent).
    The refusal names the role the submission was made in and the role signing it."""
    if s.signs_off:
        made = submission(obj.pk, s.signs_off)
        if made is None:
            return None
    elif s.not_requester:
        made = Submission(obj.requested_by_id, None, REQUEST_EXTENSION.roles[0])
        if obj.requested_by_id in deputies_of(actor).get(where(s, obj), ()):
            # Asked by someone who has stood in for the actor there: the request's audit row
            # says whether it was asked for them. Read only then, so that a list of requests
            # costs no query per row.
            made = submission(obj.assignment_id, REQUEST_EXTENSION.action) or made
    else:
        return None
    unit_id = where(s, obj)
    mine = {actor.pk} | stand_in_principals(actor).get(unit_id, frozenset())
    if not made.people & mine:
        return None
    role = acting_role(s, actor, obj) or s.roles[0]
    roles = {"submitted_as": _role_label(made.role), "role": _role_label(role)}
    if actor.pk == made.by:
        return NotAllowed(
            _(
                "You submitted this yourself as %(submitted_as)s, so you may not sign it off as %(role)s: "
                "another %(role)s of the unit must do it."
            )
            % roles
        )
    if actor.pk == made.on_behalf_of:
        return NotAllowed(
            _(
                "%(name)s submitted this for you as %(submitted_as)s, so you may not sign it off as %(role)s: "
                "another %(role)s of the unit must do it."
            )
            % {"name": _display_name(made.by), **roles}
        )
    principal = min(made.people & mine)
    return NotAllowed(
        _(
            "%(name)s, for whom you stand in, submitted this as %(submitted_as)s, so you may not sign it off "
            "as %(role)s: another %(role)s of the unit must do it."
        )
        % {"name": _display_name(principal), **roles}
    )


def _role_label(role: str) -> str:
    try:
        return str(Role(role).label)
    except ValueError:
        return role


def _display_name(user_id: int | None) -> str:
    user = User.objects.filter(pk=user_id).first() if user_id is not None else None
    return user.display_name if user is not None else "—"


def require(s: Step, actor: User, obj: Model) -> str:
    """The acting role, or raise the refusal. Services call this under the object's lock.

    The role is an ActingRole when it says more than its name: taken for a stand-in's
    principal, or allowed only by a one-person unit's waiver of four eyes; the audit row the
    service writes with it records both (services/audit.py)."""
    refused, waived = _verdict(s, actor, obj)
    if refused is not None:
        raise refused
    role = acting_role(s, actor, obj)
    assert role is not None  # no refusal, so a role is held
    if waived:
        return ActingRole(role, on_behalf_of=getattr(role, "on_behalf_of", None), four_eyes_waived=True)
    return role


def allowed(actor: User, obj: Model) -> list[Step]:
    """The steps ``actor`` may take on ``obj`` now, in table order: the buttons a page offers.
    (An assignment's or an extension's letter is read: select it with the object.)"""
    subject = SUBJECTS[type(obj)]
    return [s for s in TABLE if s.subject == subject and not s.automatic and refusal(s, actor, obj) is None]
