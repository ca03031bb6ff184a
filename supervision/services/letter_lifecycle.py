"""An issued letter's later life: withdrawn (撤回) with all its assignments while no unit has taken
any up, closed with its last assignment, reopened when a closed one rebounds."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from supervision import clock
from supervision.models import Assignment, AssignmentState, Letter, LetterState, Role, User

from .audit import audit_event, audit_record, audit_record_many
from .errors import InvalidTransition
from .letters import letter_lock, text_clean
from .notify import notify, unit_members
from .steps import LETTER_CLOSE, LETTER_REOPEN, LETTER_WITHDRAW, WITHDRAW
from .steps import refusal as step_refusal
from .steps import require as step_require


def assignments_withdraw(*, actor: User, role: str, letter: Letter, reason: str) -> list[Assignment]:
    """Withdraw every assignment of a letter being withdrawn, as one bulk transition. Call under
    the letter's lock, inside its transaction, once the letter's own step has been allowed.

    Each row is locked and read against the table's WITHDRAW step (its state machine and its
    "nobody claimed it"); if any refuses, the whole withdrawal is refused and nothing is written.
    Then the rows are saved together and each gets its audit row, in one statement each."""
    # Locked in id order, as every writer of several assignments does, so two cannot deadlock.
    # A claim racing this waits for the lock, then finds its assignment withdrawn.
    held = list(Assignment.objects.select_for_update(no_key=True).filter(letter=letter).order_by("pk"))
    for a in held:
        a.letter = letter  # the locked letter: the step's role is judged in its office
    taken = sum(1 for a in held if step_refusal(WITHDRAW, actor, a) is not None)
    if taken:
        raise InvalidTransition(
            ngettext(
                "%(n)d of its assignments was already claimed or returned: the letter can no longer be withdrawn.",
                "%(n)d of its assignments were already claimed or returned: the letter can no longer be withdrawn.",
                taken,
            )
            % {"n": taken}
        )
    now = clock.now()
    events = []
    for a in held:
        from_state = a.state
        a.withdraw()
        a.version += 1
        # bulk_update does not apply auto_now: stamp it as save() would.
        a.updated_at = now
        events.append(
            audit_event(
                actor=actor,
                role=role,
                unit_id=letter.office_id,
                action=WITHDRAW.action,
                letter=letter,
                assignment=a,
                from_state=from_state,
                to_state=a.state,
                comment=reason,
                at=now,
            )
        )
    Assignment.objects.bulk_update(held, ["state", "version", "updated_at"], batch_size=500)
    audit_record_many(events)
    return held


@transaction.atomic
def letter_withdraw(*, actor: User, letter: Letter | int, reason: str) -> Letter:
    """撤回: take back a letter issued by mistake, while no unit has taken up any of its items.

    The letter keeps its number (numbers stay gap-free: a withdrawn letter is still on record)
    and every assignment it created ends as withdrawn, each with its audit row.
    """
    reason = text_clean(reason, field="reason", label=_("The reason for withdrawing"), limit=2000)
    letter = letter_lock(letter)
    # The step's guard counts the taken assignments for a quick answer; a claim committed since
    # is caught again under the rows' locks, in assignments_withdraw.
    role = step_require(LETTER_WITHDRAW, actor, letter)
    withdrawn = assignments_withdraw(actor=actor, role=role, letter=letter, reason=reason)
    from_state = letter.state
    letter.withdraw()
    letter.save(update_fields=["state", "updated_at"])
    audit_record(
        actor=actor,
        role=role,
        unit_id=letter.office_id,
        action=LETTER_WITHDRAW.action,
        letter=letter,
        from_state=from_state,
        to_state=letter.state,
        comment=reason,
        data={"assignments": len(withdrawn)},
    )
    units = sorted({a.unit_id for a in withdrawn} | set(letter.addressees.values_list("pk", flat=True)))
    notify(
        recipients=unit_members(units, [Role.LIAISON, Role.LEADER]),
        verb="letter_withdrawn",
        letter=letter,
        text=_("Letter %(number)s “%(title)s” was withdrawn: %(reason)s")
        % {"number": letter.number, "title": letter.title, "reason": reason[:100]},
    )
    return letter


def letter_close_if_done(*, actor: User, role: str, letter_id: int) -> bool:
    """Close the letter once every live task the office issued is closed. Call inside the closing
    transaction.

    The letter is locked before counting: two directors closing the last two assignments at
    once would otherwise each see the other's still open and neither would close the letter.
    """
    # Only the columns the decision needs: this runs with every write-off.
    letter = Letter.objects.select_for_update(no_key=True).only("id", "state", "office_id").get(pk=letter_id)
    if not letter.close.can_proceed():
        return False
    # The office's own tasks: the sub-tasks its units handed down answer to those units, and are
    # written off before their parent is anyway.
    live = Assignment.objects.filter(letter_id=letter_id, parent__isnull=True).exclude(
        state__in=[AssignmentState.CLOSED, AssignmentState.REASSIGNED]
    )
    if live.exists():
        return False
    letter.close()
    letter.closed_at = clock.now()
    letter.save(update_fields=["state", "closed_at", "updated_at"])
    audit_record(
        actor=actor,
        role=role,
        unit_id=letter.office_id,
        action=LETTER_CLOSE.action,
        letter=letter,
        from_state=LetterState.ISSUED,
        to_state=LetterState.CLOSED,
    )
    return True


def letter_reopen_if_closed(*, actor: User, role: str, letter_id: int) -> bool:
    letter = letter_lock(letter_id)
    if not letter.reopen.can_proceed():
        return False
    letter.reopen()
    letter.closed_at = None
    letter.save(update_fields=["state", "closed_at", "updated_at"])
    audit_record(
        actor=actor,
        role=role,
        unit_id=letter.office_id,
        action=LETTER_REOPEN.action,
        letter=letter,
        from_state=LetterState.CLOSED,
        to_state=LetterState.ISSUED,
    )
    return True
