"""What a step of the table is (services/steps.py holds the table itself)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from supervision.models import User

from .errors import DomainError

# A guard: the object's condition beyond its state, as the refusal to give (None: it holds).
Guard = Callable[[Any, User], DomainError | None]


@dataclass(frozen=True)
class Step:
    """One transition: what it runs, what it records, who may take it and on what condition."""

    subject: str  # "assignment" | "extension" | "letter" | "notice"
    key: str  # its name in the pages' URLs and forms, unique within the subject
    action: str  # the audit action it writes
    roles: tuple[str, ...]  # in order of preference: the first one held is the acting role
    # True: a role in the issuing office; False: in the assignment's unit. Letters and notices
    # belong to an office, so their steps always judge there.
    office: bool
    method: str = ""  # the viewflow.fsm transition it runs; "" for a step that is not one
    states: tuple[str, ...] = ()  # for a step without a method: the states it applies from
    claimer_only: bool = False  # once claimed, only the claimer (before: any holder of the role)
    claimer_or_leader: bool = False  # once claimed, the claimer or a leader of the unit
    unclaimed: bool = False  # only while nobody has claimed it
    # The audit action of the submission this step signs off. Whoever made that submission may
    # not sign it off, even when they hold the signing role too (four eyes): a liaison who is
    # also the unit's leader needs another leader.
    signs_off: str = ""
    not_drafter: bool = False  # four eyes on a document: never signed by its drafter
    not_requester: bool = False  # four eyes on an extension: never signed by whoever asked
    guard: Guard | None = None
    # Taken by the system on behalf of another step (a letter closes with its last assignment):
    # recorded like any step, never offered as a button.
    automatic: bool = False
    # The refusal when the object is in another state ("%(state)s" is its state's label).
    wrong_state: str = ""
