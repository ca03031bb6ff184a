"""The only writers of domain state. Views, admin, commands and tests all call these."""

from .claims import assignment_claim, assignment_unclaim
from .cycles import TickResult, cycle_advance, cycle_close, office_cycle_advance, tick_run
from .errors import AlreadyClaimed, DomainError, InvalidInput, InvalidTransition, NotAllowed
from .extensions import (
    extension_approve,
    extension_refuse,
    extension_reject,
    extension_request,
    extension_sign,
)
from .grants import letter_share, letter_unshare
from .hand_down import SubTaskPart, assignment_break_down, assignment_forward, assignment_roll_up
from .inbox import notification_mark_all_read, notification_mark_read
from .letter_issue import letter_issue, letter_number, letter_sign
from .letter_lifecycle import letter_withdraw
from .letters import item_add, item_delete, letter_attach, letter_create, letter_detach, letter_update_draft
from .notices import notice_draft, notice_publish, notice_sign, notice_update_draft
from .office_checks import assignment_close, assignment_reject, assignment_reopen, assignment_verify
from .reports import assignment_carry_forward
from .returns import (
    assignment_approve_return,
    assignment_reassign,
    assignment_refuse_return,
    assignment_reissue,
    assignment_request_return,
)
from .rule_sets import rule_offices, ruleset_current, ruleset_revise, unit_sub_ranking_set
from .step_guards import EXTENDABLE
from .storage import SweepResult, stored_files_sweep
from .work import (
    assignment_approve_completion,
    assignment_refuse_completion,
    assignment_report_progress,
    assignment_start,
    assignment_submit_completion,
)

__all__ = [
    "EXTENDABLE",
    "AlreadyClaimed",
    "DomainError",
    "InvalidInput",
    "InvalidTransition",
    "NotAllowed",
    "TickResult",
    "assignment_approve_completion",
    "assignment_approve_return",
    "assignment_carry_forward",
    "assignment_claim",
    "assignment_close",
    "assignment_reassign",
    "assignment_refuse_completion",
    "assignment_refuse_return",
    "assignment_reissue",
    "assignment_reject",
    "assignment_reopen",
    "assignment_report_progress",
    "assignment_request_return",
    "assignment_start",
    "assignment_submit_completion",
    "assignment_unclaim",
    "assignment_verify",
    "cycle_advance",
    "cycle_close",
    "extension_approve",
    "extension_refuse",
    "extension_reject",
    "extension_request",
    "extension_sign",
    "item_add",
    "item_delete",
    "letter_attach",
    "letter_create",
    "letter_detach",
    "letter_issue",
    "letter_number",
    "letter_share",
    "letter_sign",
    "letter_unshare",
    "letter_update_draft",
    "letter_withdraw",
    "notice_draft",
    "notice_publish",
    "notice_sign",
    "notice_update_draft",
    "notification_mark_all_read",
    "notification_mark_read",
    "office_cycle_advance",
    "rule_offices",
    "ruleset_current",
    "ruleset_revise",
    "tick_run",
    "unit_sub_ranking_set",
    "stored_files_sweep",
    "SweepResult",
    "SubTaskPart",
    "assignment_break_down",
    "assignment_forward",
    "assignment_roll_up",
]
