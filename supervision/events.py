"""The integration events: one name per kind of thing that happens, shared by the outbox
(webhooks, group robots, e-mail), the API's event feed and the README.

Each inbox verb maps to one event. Groups are what a person chooses in their message preferences;
``ROBOT_DEFAULT`` is what a unit's work-group robot carries unless its channel says otherwise (the
tasks' own events: issued, overdue, rejected, reminded, ranked last).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Group:
    code: str
    label: str


TODO = Group("todo", _("Waiting for me (sign-off, verification, write-off, signature)"))
ISSUED = Group("issued", _("New letters and tasks"))
RETURNED = Group("returned", _("Returned or rejected"))
REMINDERS = Group("reminders", _("Deadlines, overdue tasks and reminders"))
OUTCOMES = Group("outcomes", _("Claims, decisions and write-offs"))
RANKING = Group("ranking", _("Rankings and notices"))
GROUPS = (TODO, ISSUED, RETURNED, REMINDERS, OUTCOMES, RANKING)


@dataclass(frozen=True)
class Event:
    name: str
    verb: str
    group: Group
    label: str


EVENTS = (
    Event("letter.sent_for_signature", "letter_sent", TODO, _("Letter sent for signature")),
    Event("letter.signed", "letter_signed", OUTCOMES, _("Letter signed")),
    Event("letter.returned", "letter_returned", RETURNED, _("Letter returned for changes")),
    Event("letter.issued", "letter_issued", ISSUED, _("Letter issued")),
    Event("letter.copied", "letter_copied", ISSUED, _("Letter copied to the unit")),
    Event("letter.shared", "letter_shared", ISSUED, _("Letter shared")),
    Event("letter.withdrawn", "letter_withdrawn", OUTCOMES, _("Letter withdrawn")),
    Event("assignment.claimed", "assignment_claimed", OUTCOMES, _("Task claimed")),
    Event("assignment.signoff_needed", "signoff_needed", TODO, _("Sign-off needed")),
    Event("assignment.signoff_refused", "signoff_refused", RETURNED, _("Sign-off refused")),
    Event("assignment.verification_needed", "verification_needed", TODO, _("Verification needed")),
    Event("assignment.rejected", "verification_rejected", RETURNED, _("Completion rejected")),
    Event("assignment.close_needed", "close_needed", TODO, _("Write-off needed")),
    Event("assignment.closed", "assignment_closed", OUTCOMES, _("Task written off")),
    Event("assignment.reopened", "assignment_reopened", RETURNED, _("Task reopened")),
    Event("assignment.deadline_followed", "deadline_followed", OUTCOMES, _("Deadline moved with the lead unit")),
    Event("assignment.deadline_near", "deadline_near", REMINDERS, _("Deadline near")),
    Event("assignment.overdue", "assignment_overdue", REMINDERS, _("Task overdue")),
    Event("assignment.reminded", "assignment_reminded", REMINDERS, _("Reminder from the office")),
    Event("assignment.returned", "assignment_returned", RETURNED, _("Task returned to the office")),
    Event("assignment.return_accepted", "return_accepted", OUTCOMES, _("Return accepted")),
    Event("assignment.return_rejected", "return_rejected", RETURNED, _("Return refused")),
    Event("assignment.reassigned", "assignment_reassigned", ISSUED, _("Task reassigned to the unit")),
    Event("assignment.handed_down", "assignment_handed_down", ISSUED, _("Task handed down to the unit")),
    Event("extension.requested", "extension_needed", TODO, _("Extension requested")),
    Event("extension.decided", "extension_decided", OUTCOMES, _("Extension decided")),
    Event("notice.sent_for_signature", "notice_sent", TODO, _("Notice sent for signature")),
    Event("notice.signed", "notice_signed", OUTCOMES, _("Notice signed")),
    Event("notice.returned", "notice_returned", RETURNED, _("Notice returned for changes")),
    Event("notice.published", "notice_published", RANKING, _("Notice published")),
    Event("unit.escalated", "ranking_escalation", RANKING, _("Unit ranked last and escalated")),
    Event("stand_in.changed", "stand_in", OUTCOMES, _("Stand-in arranged or ended")),
)
BY_VERB = {e.verb: e for e in EVENTS}
BY_NAME = {e.name: e for e in EVENTS}

# What a unit's group robot carries by default.
ROBOT_DEFAULT = frozenset(
    {"letter.issued", "assignment.overdue", "assignment.rejected", "assignment.reminded", "unit.escalated"}
)
# A person's e-mail by default: what waits for them, what came back, and reminders.
EMAIL_DEFAULT_GROUPS = frozenset({TODO.code, ISSUED.code, RETURNED.code, REMINDERS.code})


def for_verb(verb: str) -> Event:
    """The event of an inbox verb; an unknown verb is a programming error, caught by the tests."""
    return BY_VERB[verb]
