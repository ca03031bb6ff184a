"""Reads for document routing (送签 / 退回修改): whom a draft can be sent to, and the way a letter
or a notice went from its drafter to its signature."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from supervision.models import AuditEvent, Letter, Membership, Notice, Role, User

LETTER_ACTIONS = ("letter.drafted", "letter.sent", "letter.returned", "letter.signed", "letter.issued")
NOTICE_ACTIONS = ("notice.drafted", "notice.sent", "notice.returned", "notice.signed", "notice.published")


def signing_role(doc: Letter | Notice) -> str:
    """The role that signs the document where it is issued: an office's director; for a unit's
    notice of its sub-units' ranking, the unit's leader (the unit plays the office there)."""
    if isinstance(doc, Letter):
        return Role.DIRECTOR  # only offices issue letters
    return Role.DIRECTOR if doc.office.is_office else Role.LEADER


def signers(doc: Letter | Notice) -> QuerySet[User]:
    """The active people who may be asked to sign the document: its office's directors (a unit's
    leaders for a unit's notice)."""
    return User.objects.filter(
        is_active=True,
        pk__in=Membership.objects.filter(unit_id=doc.office_id, role=signing_role(doc)).values("user_id"),
    )


def directors_to_send_to(doc: Letter | Notice) -> QuerySet[User]:
    """Whom the document can be sent to: its signers other than its drafter."""
    return signers(doc).exclude(pk=doc.drafter_id).order_by("full_name", "username")


@dataclass(frozen=True)
class RoutingStep:
    """One step on the document's way: drafted, sent to someone, returned, signed, issued."""

    event: AuditEvent
    to_name: str  # for a sending: the director it was sent to

    @property
    def returned(self) -> bool:
        return self.event.action.endswith(".returned")


def _steps(events: QuerySet[AuditEvent]) -> list[RoutingStep]:
    rows = events.select_related("actor").order_by("at", "id")
    return [RoutingStep(e, str((e.data or {}).get("to_name", ""))) for e in rows]


def letter_routing(letter: Letter) -> list[RoutingStep]:
    """The letter's way to its signature, oldest first (one query)."""
    return _steps(AuditEvent.objects.filter(letter_id=letter.pk, action__in=LETTER_ACTIONS))


def notice_routing(notice: Notice) -> list[RoutingStep]:
    """The notice's way to its signature, oldest first (one query; its audit rows name it in their data)."""
    return _steps(AuditEvent.objects.filter(action__in=NOTICE_ACTIONS, data__notice=notice.pk))


def last_return(steps: list[RoutingStep], doc: Any) -> RoutingStep | None:
    """The return the drafter has to act on: the latest step, when it was a return and the
    document is a draft again."""
    if doc.state == "draft" and steps and steps[-1].returned:
        return steps[-1]
    return None
