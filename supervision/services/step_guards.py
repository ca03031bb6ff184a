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
    Letter,
    Notice,
    User,
)
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
