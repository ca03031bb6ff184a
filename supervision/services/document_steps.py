"""The letters' and notices' steps of the table (services/steps.py): drafting, routing for
signature (送签 / 退回修改), signing, issuing or publishing, withdrawing; a letter's closing and
reopening follow its assignments."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from supervision.models import LetterState, NoticeState, Role

from .step_guards import letter_untaken, sent_to_actor
from .step_types import Step

CLERK, INSPECTOR, DIRECTOR = Role.CLERK, Role.INSPECTOR, Role.DIRECTOR

# Letters: 拟稿 (edits while a draft), 签发, 印发, 撤回; closing and reopening follow the assignments.
LETTER_EDIT = Step(
    "letter",
    "edit",
    "letter.edited",
    (CLERK,),
    True,
    states=(LetterState.DRAFT,),
    wrong_state=gettext_lazy("Only a draft letter can be changed; this one is %(state)s."),
)
LETTER_SIGN = Step(
    "letter",
    "sign",
    "letter.signed",
    (DIRECTOR,),
    True,
    method="sign",
    not_drafter=True,
    guard=sent_to_actor,  # once sent for signature (送签), only by the director it was sent to
    wrong_state=gettext_lazy("Only a draft letter can be signed; this one is %(state)s."),
)
LETTER_ISSUE = Step(
    "letter",
    "issue",
    "letter.issued",
    (CLERK, DIRECTOR),
    True,
    method="issue",
    wrong_state=gettext_lazy("Only a signed letter can be issued; this one is %(state)s."),
)
LETTER_WITHDRAW = Step(
    "letter",
    "withdraw",
    "letter.withdrawn",
    (CLERK, DIRECTOR),
    True,
    method="withdraw",
    guard=letter_untaken,
    wrong_state=gettext_lazy("Only an issued letter can be withdrawn; this one is %(state)s."),
)
LETTER_CLOSE = Step("letter", "close", "letter.closed", (DIRECTOR,), True, method="close", automatic=True)
LETTER_REOPEN = Step(
    "letter", "reopen", "letter.reopened", (INSPECTOR, DIRECTOR), True, method="reopen", automatic=True
)

# Notices: edits while a draft, 签发, 印发.
NOTICE_EDIT = Step(
    "notice",
    "edit",
    "notice.edited",
    (CLERK,),
    True,
    states=(NoticeState.DRAFT,),
    wrong_state=gettext_lazy("Only a draft notice can be changed; this one is %(state)s."),
)
NOTICE_SIGN = Step(
    "notice",
    "sign",
    "notice.signed",
    (DIRECTOR,),
    True,
    method="sign",
    not_drafter=True,
    guard=sent_to_actor,  # once sent for signature (送签), only by the director it was sent to
    wrong_state=gettext_lazy("Only a draft notice can be signed; this one is %(state)s."),
)
NOTICE_PUBLISH = Step(
    "notice",
    "publish",
    "notice.published",
    (CLERK, DIRECTOR),
    True,
    method="publish",
    wrong_state=gettext_lazy("Only a signed notice can be published; this one is %(state)s."),
)

# --- document routing (送签 / 退回修改) --------------------------------------------------------------
# A clerk sends a draft letter or notice to a named director (送签); that director signs it (the
# signing steps above, guarded by sent_to_actor) or returns it to the drafter with a reason
# (退回修改), after which it is a draft again. The services are in services/document_routing.py.
LETTER_SEND = Step(
    "letter",
    "send",
    "letter.sent",
    (CLERK,),
    True,
    method="send",
    wrong_state=gettext_lazy("Only a draft letter can be sent for signature; this one is %(state)s."),
)
LETTER_RETURN = Step(
    "letter",
    "return",
    "letter.returned",
    (DIRECTOR,),
    True,
    method="send_back",
    guard=sent_to_actor,
    wrong_state=gettext_lazy("Only a letter awaiting signature can be returned; this one is %(state)s."),
)
NOTICE_SEND = Step(
    "notice",
    "send",
    "notice.sent",
    (CLERK,),
    True,
    method="send",
    wrong_state=gettext_lazy("Only a draft notice can be sent for signature; this one is %(state)s."),
)
NOTICE_RETURN = Step(
    "notice",
    "return",
    "notice.returned",
    (DIRECTOR,),
    True,
    method="send_back",
    guard=sent_to_actor,
    wrong_state=gettext_lazy("Only a notice awaiting signature can be returned; this one is %(state)s."),
)
