"""Document routing (送签 / 退回修改) of letters and notices.

A clerk sends a draft to a named director of the office (送签); the director is told, and either
signs it (letter_issue.letter_sign / notices.notice_sign, with an optional comment) or returns it
to the drafter with a reason (退回修改), after which it is a draft again and can be changed and
sent anew. While it waits, nobody changes it, and only that director signs it or returns it (the
step table's guard ``sent_to_actor``). A director may still sign a draft nobody sent them, when
it is put in front of them (当面签发). A unit's notice of its sub-units' ranking goes the same way
between the unit's liaison and a leader of the unit.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from supervision import clock
from supervision.models import AuditEvent, Letter, Notice, Role, User
from supervision.selectors.document_routing import signers, signing_role

from . import steps
from .audit import audit_record
from .errors import InvalidInput
from .letter_issue import letter_check_ready
from .letters import letter_lock, text_clean
from .notices import notice_audit, notice_lock
from .notify import notify

MAX_REASON = 2000


def _director(doc: Letter | Notice, director: User | int | None) -> User:
    """The director a document is sent to: an active director of its office (a leader of the unit,
    for a unit's notice), not its drafter."""
    pk = director.pk if isinstance(director, User) else director
    found = signers(doc).filter(pk=pk).first() if pk else None
    office = signing_role(doc) == Role.DIRECTOR
    if found is None:
        if office:
            raise InvalidInput(_("Choose a director of the office to sign it."), field="director")
        raise InvalidInput(_("Choose a leader of the unit to sign it."), field="director")
    if found.pk == doc.drafter_id:
        # Four eyes, as for signing: the drafter never signs their own document.
        if office:
            raise InvalidInput(_("The drafter may not sign it: choose another director."), field="director")
        raise InvalidInput(_("The drafter may not sign it: choose another leader."), field="director")
    return found


def _reason(reason: str) -> str:
    return text_clean(reason, field="reason", label=_("Reason for returning"), limit=MAX_REASON)


def _sender_id(events, action: str) -> int | None:
    """Who sent the document for signature last (another clerk than its drafter, perhaps)."""
    return events.filter(action=action).order_by("-id").values_list("actor_id", flat=True).first()


# --- letters -------------------------------------------------------------------------------------


@transaction.atomic
def letter_send(*, actor: User, letter: Letter | int, director: User | int | None) -> Letter:
    """送签: a clerk sends a complete draft letter to a director of the office, who is told."""
    letter = letter_lock(letter)
    role = steps.require(steps.LETTER_SEND, actor, letter)
    # The director is asked to sign what could go out as it is.
    letter_check_ready(letter)
    to = _director(letter, director)
    from_state = letter.state
    letter.send()
    letter.routed_to = to
    letter.sent_at = clock.now()
    letter.save(update_fields=["state", "routed_to", "sent_at", "updated_at"])
    audit_record(
        actor=actor,
        role=role,
        unit_id=letter.office_id,
        action=steps.LETTER_SEND.action,
        letter=letter,
        from_state=from_state,
        to_state=letter.state,
        data={"to": to.pk, "to_name": to.display_name},
    )
    notify(
        recipients=[to.pk],
        verb="letter_sent",
        letter=letter,
        text=_("Letter “%(title)s” awaits your signature (sent by %(name)s).")
        % {"title": letter.title, "name": actor.display_name},
    )
    return letter


@transaction.atomic
def letter_return(*, actor: User, letter: Letter | int, reason: str) -> Letter:
    """退回修改: the director it was sent to returns the letter to its drafter, saying why."""
    letter = letter_lock(letter)
    role = steps.require(steps.LETTER_RETURN, actor, letter)
    reason = _reason(reason)
    from_state = letter.state
    letter.send_back()
    letter.routed_to = None
    letter.sent_at = None
    letter.save(update_fields=["state", "routed_to", "sent_at", "updated_at"])
    audit_record(
        actor=actor,
        role=role,
        unit_id=letter.office_id,
        action=steps.LETTER_RETURN.action,
        letter=letter,
        from_state=from_state,
        to_state=letter.state,
        comment=reason,
    )
    sender = _sender_id(AuditEvent.objects.filter(letter_id=letter.pk), steps.LETTER_SEND.action)
    notify(
        recipients=[letter.drafter_id, *([sender] if sender else [])],
        verb="letter_returned",
        letter=letter,
        text=_("Letter “%(title)s” was returned for revision by %(name)s: %(reason)s")
        % {"title": letter.title, "name": actor.display_name, "reason": reason},
        exclude=actor.pk,
    )
    return letter


# --- notices -------------------------------------------------------------------------------------


@transaction.atomic
def notice_send(*, actor: User, notice: Notice | int, director: User | int | None) -> Notice:
    """送签: a clerk sends a draft notice to a director of the office, who is told."""
    notice = notice_lock(notice)
    role = steps.require(steps.NOTICE_SEND, actor, notice)
    to = _director(notice, director)
    from_state = notice.state
    notice.send()
    notice.routed_to = to
    notice.sent_at = clock.now()
    notice.save(update_fields=["state", "routed_to", "sent_at", "updated_at"])
    notice_audit(
        notice,
        actor=actor,
        role=role,
        action=steps.NOTICE_SEND.action,
        from_state=from_state,
        data={"to": to.pk, "to_name": to.display_name},
    )
    notify(
        recipients=[to.pk],
        verb="notice_sent",
        notice=notice,
        text=_("Notice “%(title)s” awaits your signature (sent by %(name)s).")
        % {"title": notice.title, "name": actor.display_name},
    )
    return notice


@transaction.atomic
def notice_return(*, actor: User, notice: Notice | int, reason: str) -> Notice:
    """退回修改: the director it was sent to returns the notice to its drafter, saying why."""
    notice = notice_lock(notice)
    role = steps.require(steps.NOTICE_RETURN, actor, notice)
    reason = _reason(reason)
    from_state = notice.state
    notice.send_back()
    notice.routed_to = None
    notice.sent_at = None
    notice.save(update_fields=["state", "routed_to", "sent_at", "updated_at"])
    notice_audit(
        notice, actor=actor, role=role, action=steps.NOTICE_RETURN.action, from_state=from_state, comment=reason
    )
    events = AuditEvent.objects.filter(action=steps.NOTICE_SEND.action, data__notice=notice.pk)
    sender = _sender_id(events, steps.NOTICE_SEND.action)
    notify(
        recipients=[notice.drafter_id, *([sender] if sender else [])],
        verb="notice_returned",
        notice=notice,
        text=_("Notice “%(title)s” was returned for revision by %(name)s: %(reason)s")
        % {"title": notice.title, "name": actor.display_name, "reason": reason},
        exclude=actor.pk,
    )
    return notice
