"""The steps the API takes, and the service call behind each: every step of the step table a
person posts (supervision/services/steps.py, automatic steps excepted) on an assignment, an
extension request or a letter, as ``POST /api/<subject>s/{id}/<key>/``.

The list comes from the table: a new step gets its endpoint here as soon as it has a service call
below (tests/api/test_steps.py fails until it does). Each call is the service the web page
calls, with the same arguments, so permissions, audit rows, notifications and refusals are the
pages' own. Labels and "done" messages are the pages' too (workflows/tasks/buttons.py and views).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from supervision import services
from supervision.models import Letter, User
from supervision.services import document_routing
from supervision.services import steps as table
from supervision.services.reminders import assignment_remind
from workflows.tasks import buttons
from workflows.tasks.views import DONE, EXTENSION_DONE

Call = Callable[[User, int, dict[str, Any]], Any]


@dataclass(frozen=True)
class ApiStep:
    subject: str  # "assignment" | "extension" | "letter"
    key: str
    label: str | Promise
    needs: str  # a key of inputs.NEEDS: what the body carries
    done: str | Promise  # what the page says once it is done
    call: Call


def _comment(d: dict[str, Any]) -> str:
    return d.get("comment", "")


def _reason(d: dict[str, Any]) -> str:
    return d.get("reason", "")


def _parts(d: dict[str, Any]) -> list[Any]:
    # The parts of a break-down (分解) as the service takes them; it judges each (unit, measures,
    # deadline) and names the part it refuses.
    from supervision.services.hand_down import SubTaskPart

    return [SubTaskPart(unit_id=p["unit"], deadline=p["deadline"], measures=p["measures"]) for p in d["parts"]]


s = services
# fmt: off
ASSIGNMENT_CALLS: dict[str, Call] = {
    "claim": lambda u, pk, d: s.assignment_claim(actor=u, assignment=pk, responsible_person=d["responsible_person"]),
    "unclaim": lambda u, pk, d: s.assignment_unclaim(actor=u, assignment=pk, comment=_comment(d)),
    "request_return": lambda u, pk, d: s.assignment_request_return(actor=u, assignment=pk, reason=_reason(d)),
    "approve_return": lambda u, pk, d: s.assignment_approve_return(actor=u, assignment=pk, comment=_comment(d)),
    "refuse_return": lambda u, pk, d: s.assignment_refuse_return(actor=u, assignment=pk, comment=_reason(d)),
    "reassign": lambda u, pk, d: s.assignment_reassign(actor=u, assignment=pk, unit=d["unit"], comment=_comment(d)),
    "reissue": lambda u, pk, d: s.assignment_reissue(actor=u, assignment=pk, comment=_reason(d)),
    "start": lambda u, pk, d: s.assignment_start(actor=u, assignment=pk),
    "report_progress": lambda u, pk, d: s.assignment_report_progress(
        actor=u, assignment=pk, text=d["text"], files=d["files"], token=d["token"]
    ),
    "submit_completion": lambda u, pk, d: s.assignment_submit_completion(
        actor=u, assignment=pk, text=d["text"], files=d["files"], token=d["token"]
    ),
    "approve_completion": lambda u, pk, d: s.assignment_approve_completion(actor=u, assignment=pk, comment=_comment(d)),
    "refuse_completion": lambda u, pk, d: s.assignment_refuse_completion(actor=u, assignment=pk, comment=_reason(d)),
    "verify": lambda u, pk, d: s.assignment_verify(actor=u, assignment=pk, comment=_comment(d)),
    "reject": lambda u, pk, d: s.assignment_reject(actor=u, assignment=pk, reason=_reason(d)),
    "close": lambda u, pk, d: s.assignment_close(actor=u, assignment=pk, comment=_comment(d)),
    "reopen": lambda u, pk, d: s.assignment_reopen(actor=u, assignment=pk, reason=_reason(d)),
    "carry_forward": lambda u, pk, d: s.assignment_carry_forward(actor=u, assignment=pk),
    "request_extension": lambda u, pk, d: s.extension_request(
        actor=u, assignment=pk, requested_deadline=d["deadline"], reason=_reason(d)
    ),
    "remind": lambda u, pk, d: assignment_remind(actor=u, assignment=pk, text=_comment(d)),
    "break_down": lambda u, pk, d: s.assignment_break_down(
        actor=u, assignment=pk, parts=_parts(d), comment=_comment(d)
    ),
    "forward": lambda u, pk, d: s.assignment_forward(
        actor=u, assignment=pk, unit_id=d["unit"], deadline=d.get("deadline"), comment=_comment(d)
    ),
    "roll_up": lambda u, pk, d: s.assignment_roll_up(actor=u, assignment=pk, text=d.get("text", "")),
}
EXTENSION_CALLS: dict[str, Call] = {
    "sign": lambda u, pk, d: s.extension_sign(actor=u, extension=pk, comment=_comment(d)),
    "refuse": lambda u, pk, d: s.extension_refuse(actor=u, extension=pk, comment=_reason(d)),
    "approve": lambda u, pk, d: s.extension_approve(actor=u, extension=pk, comment=_comment(d)),
    "reject": lambda u, pk, d: s.extension_reject(actor=u, extension=pk, comment=_reason(d)),
}
# A letter's steps; "edit" is PATCH on the letter and POST on its items (letters.py).
LETTER_CALLS: dict[str, Call] = {
    "send": lambda u, pk, d: document_routing.letter_send(actor=u, letter=pk, director=d["director"]),
    "return": lambda u, pk, d: document_routing.letter_return(actor=u, letter=pk, reason=_reason(d)),
    "sign": lambda u, pk, d: s.letter_sign(actor=u, letter=_letter(pk), comment=_comment(d)),
    "issue": lambda u, pk, d: s.letter_issue(actor=u, letter=_letter(pk)),
    "withdraw": lambda u, pk, d: s.letter_withdraw(actor=u, letter=pk, reason=_reason(d)),
}
# fmt: on
LETTER_FORMS: dict[str, tuple[str | Promise, str, str | Promise]] = {
    # key: (label, needs, done) — the letter page's buttons and messages
    "send": (_("Send for signature (送签)"), "director", _("Sent for signature. The director has been told.")),
    "return": (_("Return for revision (退回修改)"), "reason", _("Returned to the drafter for revision.")),
    "sign": (_("Sign (签发)"), "comment", _("Signed. The letter can now be issued.")),
    "issue": (_("Issue (印发)"), "", _("Issued to the units.")),
    "withdraw": (_("Withdraw (only before any unit claimed)"), "reason", _("Withdrawn.")),
}
REMIND_DONE = _("Reminder sent to the unit.")


def _letter(pk: int) -> Letter:
    # letter_sign and letter_issue take the row (they lock it again themselves).
    return Letter.objects.get(pk=pk)


def _posted(subject: str) -> list[table.Step]:
    return [st for st in table.steps_of(subject) if not st.automatic]


def assignment_steps() -> list[ApiStep]:
    return [
        ApiStep(
            "assignment",
            st.key,
            buttons.ASSIGNMENT[st.key].label,
            buttons.ASSIGNMENT[st.key].needs,
            REMIND_DONE if st.key == "remind" else DONE[st.key],
            ASSIGNMENT_CALLS[st.key],
        )
        for st in _posted("assignment")
        if st.key in ASSIGNMENT_CALLS
    ]


def extension_steps() -> list[ApiStep]:
    return [
        ApiStep(
            "extension",
            st.key,
            buttons.EXTENSION[st.key].label,
            buttons.EXTENSION[st.key].needs,
            EXTENSION_DONE[st.key],
            EXTENSION_CALLS[st.key],
        )
        for st in _posted("extension")
        if st.key in EXTENSION_CALLS
    ]


def letter_steps() -> list[ApiStep]:
    return [
        ApiStep("letter", st.key, *LETTER_FORMS[st.key][:2], LETTER_FORMS[st.key][2], LETTER_CALLS[st.key])
        for st in _posted("letter")
        if st.key in LETTER_CALLS
    ]


def by_key(subject: str) -> dict[str, ApiStep]:
    found = {"assignment": assignment_steps, "extension": extension_steps, "letter": letter_steps}[subject]()
    return {x.key: x for x in found}
