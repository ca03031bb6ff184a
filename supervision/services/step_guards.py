"""The step table's guards: conditions on an object beyond its state, each returning the refusal
to give (None: it holds). The table in steps names them; a service never calls one directly."""

from __future__ import annotations

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from supervision import clock
from supervision.models import (
    OPEN_STATES,
    Assignment,
    AssignmentState,
    ExtensionRequest,
    ExtensionState,
    HandDown,
    Letter,
    Notice,
    UnitRole,
    User,
)
from supervision.selectors import hand_down
from supervision.selectors.reminders import reminded_today

from .cycle_reports import last_progress_report, reported_this_cycle
from .errors import DomainError, InvalidTransition, NotAllowed
from .roles import acts_for

S = AssignmentState

# While an assignment waits on the office's verification or is done, its deadline is moot.
EXTENDABLE = tuple(s for s in OPEN_STATES if s != S.AWAITING_VERIFICATION)
PENDING_EXTENSION = (ExtensionState.AWAITING_SIGNOFF, ExtensionState.AWAITING_DECISION)


def can_carry_forward(a: Assignment, actor: User) -> DomainError | None:
    # 最多报一次: something to carry, and nothing reported yet in this cycle.
    if last_progress_report(a.pk) is None:
        return InvalidTransition(_("There is no earlier progress report to carry forward."))
    if reported_this_cycle(a.pk):
        return InvalidTransition(_("Progress was already reported in this cycle."))
    return None


def may_ask_more_time(a: Assignment, actor: User) -> DomainError | None:
    if a.state not in EXTENDABLE:
        return InvalidTransition(
            _("An extension cannot be requested while the assignment is “%(state)s”.")
            % {"state": a.get_state_display()}
        )
    if clock.today() > a.deadline:
        return InvalidTransition(_("The deadline has passed: an extension must be requested before it."))
    if ExtensionRequest.objects.filter(assignment_id=a.pk, state__in=PENDING_EXTENSION).exists():
        return InvalidTransition(_("An extension request for this assignment is already pending."))
    limit = hand_down.parent_deadline(a)
    if limit is not None and a.deadline >= limit:
        # A sub-task is due no later than the task it is part of: asking more time here means
        # asking the unit above to ask for it.
        return InvalidTransition(
            _(
                "This sub-task is already due on its parent task's deadline (%(date)s): it cannot be "
                "extended past it. Ask the unit that handed it down."
            )
            % {"date": date_format(limit)}
        )
    return None


def deadline_still_moot(ext: ExtensionRequest, actor: User) -> DomainError | None:
    a = ext.assignment
    if a.state not in EXTENDABLE:
        # Written off, reassigned or waiting on verification meanwhile: a new deadline means nothing.
        return InvalidTransition(
            _("The assignment is now “%(state)s”: its deadline can no longer be extended.")
            % {"state": a.get_state_display()}
        )
    return None


def extension_grantable(ext: ExtensionRequest, actor: User) -> DomainError | None:
    """The office's (or the parent unit's) approval: the deadline still matters, and a sub-task's
    new deadline stays within its parent's."""
    moot = deadline_still_moot(ext, actor)
    if moot is not None:
        return moot
    limit = hand_down.parent_deadline(ext.assignment)
    if limit is not None and ext.requested_deadline > limit:
        return InvalidTransition(
            _("The requested deadline %(asked)s is after the parent task's deadline (%(date)s): it cannot be granted.")
            % {"asked": date_format(ext.requested_deadline), "date": date_format(limit)}
        )
    return None


def letter_untaken(letter: Letter, actor: User) -> DomainError | None:
    # A letter is withdrawn only while no unit has taken any of it up (claimed, returned…).
    # Anything but issued and unclaimed: a claimer on an issued assignment means a unit took it up.
    taken = Assignment.objects.filter(letter_id=letter.pk).exclude(state=S.ISSUED, claimed_by__isnull=True).count()
    if taken:
        return InvalidTransition(
            ngettext(
                "%(n)d of its assignments was already claimed or returned: the letter can no longer be withdrawn.",
                "%(n)d of its assignments were already claimed or returned: the letter can no longer be withdrawn.",
                taken,
            )
            % {"n": taken}
        )
    return None


# --- document routing (送签 / 退回修改) -----------------------------------------------------------


def sent_to_actor(doc: Letter | Notice, actor: User) -> DomainError | None:
    # Once sent for signature, only the director it was sent to (or their stand-in while it runs)
    # signs it or returns it; a draft nobody was asked to sign may still be signed by any
    # director (当面签发).
    if doc.state != "pending_signature" or acts_for(actor, doc.office_id, doc.routed_to_id):
        return None
    return NotAllowed(
        _("It was sent to %(name)s for signature: only they can sign it or return it.")
        % {"name": doc.routed_to.display_name if doc.routed_to_id else "—"}
    )


# --- reminders by hand (催办) ------------------------------------------------------------------------

# While it waits on the office's own verification there is nobody at the unit to chase.
REMINDABLE = tuple(s for s in OPEN_STATES if s != S.AWAITING_VERIFICATION)


def overdue_or_stalled(a: Assignment, actor: User) -> DomainError | None:
    # Red light, or no report in the current cycle; and one reminder a day at most, so that a
    # unit is chased, not flooded.
    if a.deadline >= clock.today() and reported_this_cycle(a.pk):
        return InvalidTransition(
            _("This assignment is on schedule and has reported in this cycle: there is nothing to remind.")
        )
    sent = reminded_today(a.pk)
    if sent is not None:
        return InvalidTransition(
            _("A reminder was already sent for this assignment today at %(time)s: at most one a day.")
            % {"time": date_format(timezone.localtime(sent), "H:i")}
        )
    return None


# --- handing down (分解 / 转办) and rolling up --------------------------------------------------------

# A task is handed down once claimed and before its completion is reported.
HANDING_DOWN = (S.ACCEPTED, S.IN_PROGRESS)


def _hand_down_refusal(a: Assignment) -> DomainError | None:
    if a.role == UnitRole.COOPERATING:
        # A cooperating task closes with its lead's write-off (services/cooperation.py): a part
        # handed down from it would be left open under a closed task and a closed letter.
        return InvalidTransition(
            _(
                "This is a cooperating unit's task: a cooperating unit's part follows its lead and closes with "
                "the lead's write-off, so it is not handed down. Only a lead unit's task is handed down."
            )
        )
    if not hand_down.within_depth(a):
        return InvalidTransition(
            _("This task is at the lowest level tasks may be handed down to: it cannot be handed down further.")
        )
    if not hand_down.may_hand_down(a):
        return InvalidTransition(
            _("%(unit)s has no active unit below it to hand this task down to.") % {"unit": a.unit.display_name}
        )
    if clock.today() > a.deadline:
        # A part must be due by the task's deadline and not in the past: none can be given, and
        # the form would only refuse each row's deadline. Said once, before the form is offered.
        return InvalidTransition(
            _(
                "This task is overdue (its deadline was %(date)s): every part handed down must be due by then, "
                "so it needs a later deadline (an extension) before handing it down."
            )
            % {"date": date_format(a.deadline)}
        )
    return None


def may_break_down(a: Assignment, actor: User) -> DomainError | None:
    # 分解: more parts may be added later, but not to a task already forwarded whole.
    refused = _hand_down_refusal(a)
    if refused is not None:
        return refused
    # (A task that never handed down has no sub-task to ask about: Assignment.has_sub_tasks.)
    if a.has_sub_tasks and hand_down.live_sub_tasks(a).filter(handed_down_as=HandDown.FORWARD).exists():
        return InvalidTransition(_("This task was forwarded whole to a unit below: it cannot also be broken down."))
    return None


def may_forward(a: Assignment, actor: User) -> DomainError | None:
    # 转办: the whole task, to one unit, so only while no part of it is with a unit below.
    refused = _hand_down_refusal(a)
    if refused is not None:
        return refused
    # (A task that never handed down has no sub-task to ask about: Assignment.has_sub_tasks.)
    if a.has_sub_tasks and hand_down.live_sub_tasks(a).exists():
        return InvalidTransition(
            _("This task has already been handed down: it can no longer be forwarded whole, only broken down further.")
        )
    return None


def no_open_sub_tasks(a: Assignment, actor: User) -> DomainError | None:
    # The unit answers for the work it handed down: its completion waits for every part.
    if not a.has_sub_tasks:
        # Never handed down (most tasks): nothing below to count, and no query to ask it.
        return None
    n = hand_down.open_sub_task_count(a)
    if n:
        return InvalidTransition(
            ngettext(
                "%(n)d sub-task handed down is still open: completion can be reported once it is written off.",
                "%(n)d sub-tasks handed down are still open: completion can be reported once they are written off.",
                n,
            )
            % {"n": n}
        )
    return None


def roll_up_ready(a: Assignment, actor: User) -> DomainError | None:
    nothing_below = InvalidTransition(_("This task has no sub-tasks whose reports could be rolled up."))
    if not a.has_sub_tasks:
        return nothing_below  # never handed down: known without a query
    if hand_down.roll_up_ready(a):
        return None
    if hand_down.open_sub_task_count(a):
        return no_open_sub_tasks(a, actor)
    return nothing_below


def sub_task_reopenable(a: Assignment, actor: User) -> DomainError | None:
    # The parent reported its completion with this sub-task written off: reopening it below
    # would leave a completion standing on work that is open again. The parent goes first.
    # Read unlocked here (the buttons ask too); the reopening service asks again once it holds
    # the parent's row (hand_down.sub_task_parent_lock), so a roll-up cannot pass in between.
    if a.parent_id is None:
        return None
    parent_state = Assignment.objects.filter(pk=a.parent_id).values_list("state", flat=True).first()
    if parent_state in (S.COMPLETION_REQUESTED, S.AWAITING_VERIFICATION, S.VERIFIED, S.CLOSED):
        return InvalidTransition(
            _(
                "The parent task's completion has been reported with this sub-task written off: "
                "reopen the parent task first."
            )
        )
    return None
