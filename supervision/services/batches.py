"""Batch actions (批量办理): one confirmation over many tasks of a queue — claim (签收, one
responsible person for all), the leader's sign-off of completion reports (审签), verify (核验),
write off (销号), carry an unchanged report forward, and sign or approve extension requests.

A batch is not a transition of its own. Each task goes through the very service call its own
page's button makes — the same checks under its row lock, the same audit row, the same
notifications — and that call's ``@transaction.atomic`` is, inside the batch's transaction, a
savepoint of its own: a refused task rolls back to it and is left untouched, and the batch goes
on with the next one. What the batch adds is what one confirmation needs: the inputs checked
once for all (a bad one refuses the whole batch before anything is done), at most MAX_BATCH
tasks, taken in id order (two batches over the same rows lock them in the same order), and one
record of the run (audit action ``batch.ran``: what was done, what was refused and why) carrying
the form's one-time token, so that the same form sent twice runs once and is answered with the
first run's result.

``preview`` reads the step against every selected object through the step table's own
``steps.refusal``, the reads it makes per object made once for all beforehand
(services/prefetch.py): a preview of 500 tasks costs a fixed number of queries.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from supervision.models import AuditEvent, Unit, User
from supervision.selectors.hand_down import unit_roles_for

from . import steps
from .audit import audit_record
from .claims import assignment_claim
from .cycle_reports import last_progress_reports, reported_this_cycle_all
from .errors import DomainError, InvalidInput
from .extensions import extension_approve, extension_sign
from .office_checks import assignment_close, assignment_verify
from .prefetch import reading
from .reports import assignment_carry_forward
from .roles import roles_by_unit
from .steps import Step
from .transitions import reason_clean
from .work import assignment_approve_completion

# The most tasks one batch takes: a queue page's "everything matching" stops here.
MAX_BATCH = 500
BATCH_ACTION = "batch.ran"
# The confirmation form's one-time token (the preview page makes it).
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")

# One object through its step's own service: (actor, id, the batch's clean inputs).
Call = Callable[[User, int, dict[str, str]], Any]


@dataclass(frozen=True)
class BatchStep:
    step: Step
    call: Call
    inputs: tuple[str, ...]  # what the confirmation asks once for all


def _batchable(step: Step, call: Call, *inputs: str) -> BatchStep:
    return BatchStep(step, call, inputs)


BATCH_STEPS: tuple[BatchStep, ...] = (
    _batchable(
        steps.CLAIM,
        lambda actor, pk, i: assignment_claim(actor=actor, assignment=pk, responsible_person=i["responsible_person"]),
        "responsible_person",
    ),
    _batchable(
        steps.APPROVE_COMPLETION,
        lambda actor, pk, i: assignment_approve_completion(actor=actor, assignment=pk, comment=i["comment"]),
        "comment",
    ),
    _batchable(
        steps.VERIFY,
        lambda actor, pk, i: assignment_verify(actor=actor, assignment=pk, comment=i["comment"]),
        "comment",
    ),
    _batchable(
        steps.CLOSE,
        lambda actor, pk, i: assignment_close(actor=actor, assignment=pk, comment=i["comment"]),
        "comment",
    ),
    _batchable(steps.CARRY_FORWARD, lambda actor, pk, i: assignment_carry_forward(actor=actor, assignment=pk)),
    _batchable(
        steps.EXTENSION_SIGN,
        lambda actor, pk, i: extension_sign(actor=actor, extension=pk, comment=i["comment"]),
        "comment",
    ),
    _batchable(
        steps.EXTENSION_APPROVE,
        lambda actor, pk, i: extension_approve(actor=actor, extension=pk, comment=i["comment"]),
        "comment",
    ),
)


def batch_step(subject: str, key: str) -> BatchStep | None:
    """The batchable step posted as ``key`` on ``subject``, or None."""
    for b in BATCH_STEPS:
        if b.step.subject == subject and b.step.key == key:
            return b
    return None


def batch_steps_for(actor: User, subject: str) -> list[BatchStep]:
    """The batch actions to offer ``actor`` on a list of ``subject``: those whose step's roles
    they hold somewhere (whether each row allows it is the preview's to say)."""
    by_unit = roles_by_unit(actor) if actor.is_active else {}
    held = set().union(*by_unit.values())
    # A unit with units below plays the office for the sub-tasks it handed down (its liaison
    # and leader verify, write off and decide): offer those batch steps to its people too.
    above = by_unit and Unit.objects.filter(parent_id__in=by_unit.keys(), is_active=True).exists()

    def may(step: Step) -> bool:
        roles = set(step.roles)
        if step.office and above:
            roles.update(unit_roles_for(step.roles))
        return bool(held & roles)

    return [b for b in BATCH_STEPS if b.step.subject == subject and may(b.step)]


# --- the run -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refused:
    pk: int
    reason: str


@dataclass(frozen=True)
class BatchResult:
    subject: str
    step: str  # the step's key
    done: tuple[int, ...]
    refused: tuple[Refused, ...]
    token: str = ""
    # The same form sent again: this is the first run's result, and nothing was done now.
    replayed: bool = False


def assignments_batch(*, actor: User, step: Step, ids: Iterable[int], token: str = "", **inputs: str) -> BatchResult:
    """Take ``step`` on each of the assignments ``ids``: each through its own service call and
    savepoint. ``inputs``: ``responsible_person`` for a claim, ``comment`` for the others."""
    return _run("assignment", actor=actor, step=step, ids=ids, token=token, inputs=inputs)


def extensions_batch(*, actor: User, step: Step, ids: Iterable[int], token: str = "", **inputs: str) -> BatchResult:
    """Sign (the unit leader) or approve (the office) each of the extension requests ``ids``."""
    return _run("extension", actor=actor, step=step, ids=ids, token=token, inputs=inputs)


def _run(
    subject: str, *, actor: User, step: Step, ids: Iterable[int], token: str, inputs: dict[str, str]
) -> BatchResult:
    batch = batch_step(subject, step.key) if step.subject == subject else None
    if batch is None:
        raise InvalidInput(_("This action cannot be taken on many tasks at once."))
    clean = _clean_inputs(batch, inputs)
    pks = _clean_ids(ids)
    token = _clean_token(token)
    with transaction.atomic():
        if token:
            # The same person's batches wait for each other here: the same form sent twice
            # while the first is still running finds the first one's record once it is done.
            list(User.objects.select_for_update(no_key=True).filter(pk=actor.pk).values_list("pk", flat=True))
            earlier = batch_record(actor, token)
            if earlier is not None:
                return _replay(earlier, token)
        done: list[int] = []
        refused: list[Refused] = []
        for pk in pks:
            try:
                # The service's own transaction.atomic is a savepoint inside this one: a refusal
                # rolls back this task only.
                batch.call(actor, pk, clean)
            except DomainError as exc:
                refused.append(Refused(pk, str(exc)))
            else:
                done.append(pk)
        audit_record(
            actor=actor,
            action=BATCH_ACTION,
            comment=clean.get("comment", ""),
            data={
                "token": token,
                "subject": subject,
                "step": step.key,
                "done": done,
                "refused": [[r.pk, r.reason] for r in refused],
            },
        )
    return BatchResult(subject, step.key, tuple(done), tuple(refused), token)


def _clean_inputs(batch: BatchStep, inputs: dict[str, str]) -> dict[str, str]:
    # Checked once, as each service would check them: a bad one refuses the batch, not each task.
    clean = {}
    for name in batch.inputs:
        if name == "responsible_person":
            clean[name] = reason_clean(inputs.get(name, ""), required=False, limit=60)
        else:
            clean[name] = reason_clean(inputs.get(name, ""), required=False)
    return clean


def _clean_ids(ids: Iterable[Any]) -> list[int]:
    try:
        pks = sorted({int(pk) for pk in ids})
    except (TypeError, ValueError):
        raise InvalidInput(_("Choose the tasks again: the selection was not understood.")) from None
    if not pks:
        raise InvalidInput(_("Choose at least one task."))
    if len(pks) > MAX_BATCH:
        raise InvalidInput(_("At most %(n)d tasks can be handled at once.") % {"n": MAX_BATCH})
    return pks


def _clean_token(token: str) -> str:
    token = (token or "").strip()
    if token and not _TOKEN.fullmatch(token):
        raise InvalidInput(_("This form is no longer valid: reload the page and send it again."), field="token")
    return token


def batch_record(actor: User, token: str) -> AuditEvent | None:
    """The record of ``actor``'s batch run with ``token``, if there was one."""
    if not token:
        return None
    return AuditEvent.objects.filter(action=BATCH_ACTION, actor_id=actor.pk, data__token=token).first()


def result_of(event: AuditEvent) -> BatchResult:
    """A batch run's result, as its record keeps it."""
    data = event.data
    return BatchResult(
        subject=data.get("subject", ""),
        step=data.get("step", ""),
        done=tuple(data.get("done", [])),
        refused=tuple(Refused(pk, reason) for pk, reason in data.get("refused", [])),
        token=data.get("token", ""),
    )


def _replay(event: AuditEvent, token: str) -> BatchResult:
    r = result_of(event)
    return BatchResult(r.subject, r.step, r.done, r.refused, token, replayed=True)


# --- the preview -------------------------------------------------------------------------------------


def preview(*, actor: User, step: Step, objects: Sequence[Model]) -> list[DomainError | None]:
    """What the step would meet on each object now: its refusal (``steps.refusal``), or None
    where it would go through. The objects come with what the checks read (an assignment's
    letter and claimer, an extension request's assignment and its letter); the per-object reads
    of the checks are made here once for all. A preview, not a promise: the run checks again
    under each row's lock."""
    assignment_ids = [o.pk if step.subject == "assignment" else o.assignment_id for o in objects]
    table: dict = {}
    if step.signs_off:
        table.update(steps.submitter_ids(assignment_ids, step.signs_off))
    if step.guard is not None and step.subject == "assignment":
        table.update(last_progress_reports(assignment_ids))
        table.update(reported_this_cycle_all(assignment_ids))
    with reading(table):
        return [steps.refusal(step, actor, o) for o in objects]
