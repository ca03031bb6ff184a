"""The biweekly notice (双周通报): drafted from a closed cycle by a clerk, the opening text edited
while a draft, signed by a director who did not draft it, published to the units. A unit ranking
its sub-units issues its notice of that ranking the same way, its liaison and leader in the
clerk's and director's places (services.steps.roles_of)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from supervision import clock
from supervision.models import (
    UNIT_ROLES,
    Cycle,
    CycleState,
    Notice,
    Role,
    Unit,
    UnitResult,
    User,
)
from supervision.outbox.write import outbox_event_add
from supervision.selectors.hand_down import unit_roles_for

from . import bulk_sql, steps
from .audit import audit_record
from .errors import InvalidInput, InvalidTransition, NotAllowed
from .issued_documents import issued_document_after_commit
from .notify import notify
from .push import push_after_commit
from .roles import require_role
from .steps import NOTICE_EDIT, NOTICE_PUBLISH, NOTICE_SIGN

MAX_TITLE = 200
MAX_OPENING = 20000


def notice_lock(notice: Notice | int) -> Notice:
    """Lock the notice's row for its writer; NotAllowed when there is no such notice."""
    pk = notice.pk if isinstance(notice, Notice) else notice
    try:
        # NO KEY UPDATE, as for letters: audit rows and notifications do not reference it, but
        # nothing needs the stronger lock either. The notice's row only: its cycle and office are
        # read with it, not locked.
        return Notice.objects.select_for_update(no_key=True, of=("self",)).select_related("cycle", "office").get(pk=pk)
    except (Notice.DoesNotExist, TypeError, ValueError):
        raise NotAllowed(_("This notice does not exist or you may not see it.")) from None


def _text(value: str | None, *, field: str, label: str, limit: int, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput(_("%(field)s is required.") % {"field": label}, field=field)
    if len(value) > limit:
        raise InvalidInput(
            _("%(field)s is too long: at most %(limit)d characters.") % {"field": label, "limit": limit}, field=field
        )
    return value


def notice_audit(
    notice: Notice,
    *,
    actor: User,
    role: str,
    action: str,
    from_state: str = "",
    comment: str = "",
    data: dict[str, Any] | None = None,
) -> None:
    """One audit row of the notice: audit rows have no notice column, so its data names it."""
    audit_record(
        actor=actor,
        role=role,
        unit_id=notice.office_id,
        action=action,
        from_state=from_state,
        to_state=notice.state,
        comment=comment,
        data={"notice": notice.pk, "cycle": notice.cycle.number, **(data or {})},
    )


def default_opening(cycle: Cycle) -> str:
    return _(
        "In line with the biweekly scheduling, notice and ranking system, the progress of rectification in "
        "cycle %(number)d (%(start)s to %(end)s) is notified as follows. Units ranked last are named; units "
        "ranked last repeatedly will be interviewed."
    ) % {"number": cycle.number, "start": _day(cycle.starts_on), "end": _day(cycle.ends_on)}


def _day(day: dt.date) -> str:
    # A day of the period as an office writes it in a notice: 11月23日 (not 2026-11-23).
    return date_format(day, pgettext("Django date format of a day in a notice's opening text", "F j"))


def default_title(office: Unit, cycle: Cycle) -> str:
    """The title a new notice starts with: the office's previous notice's, with this cycle's 期
    (巩固衔接问题整改双周通报（第4期）→（第5期）), so a series keeps the name the office gave
    it; the generic title when there is none to follow."""
    last = (
        Notice.objects.filter(office=office, cycle__number__lt=cycle.number)
        .select_related("cycle")
        .order_by("-cycle__number", "-pk")
        .first()
    )
    if last is not None:
        mark = f"第{last.cycle.number}期"
        if last.title.count(mark) == 1:
            return last.title.replace(mark, f"第{cycle.number}期")
    return _("Biweekly notice, cycle %(number)d") % {"number": cycle.number}


@transaction.atomic
def notice_draft(
    *, actor: User, office: Unit | int, cycle: Cycle | int, title: str = "", opening: str | None = None
) -> Notice:
    """A clerk drafts the notice of a closed cycle: one notice per office and cycle. A unit that
    ranks its sub-units (县排乡) issues its own notice of that ranking the same way, its liaison
    drafting (the unit plays the office for the units below it)."""
    # As it stands now: whether the unit ranks its sub-units is the office's to change.
    office = Unit.objects.filter(pk=office.pk if isinstance(office, Unit) else office).first()
    if office is None:
        raise InvalidInput(_("Unknown office."), field="office")
    if office.is_office:
        role = require_role(actor, office.pk, [Role.CLERK])
    else:
        role = require_role(actor, office.pk, list(unit_roles_for([Role.CLERK])))
        if not office.ranks_sub_units:
            raise InvalidInput(_("Only an office, or a unit that ranks its sub-units, issues notices."), field="office")
    cycle_id = cycle.pk if isinstance(cycle, Cycle) else cycle
    cycle = Cycle.objects.filter(pk=cycle_id).first()
    if cycle is None:
        raise InvalidInput(_("Unknown cycle."), field="cycle")
    if office.is_office and cycle.office_id != office.pk:
        raise InvalidInput(_("This cycle is another office's."), field="cycle")
    if cycle.state != CycleState.CLOSED:
        raise InvalidTransition(_("A notice is drafted once the cycle is closed and ranked."))
    if not office.is_office and not UnitResult.objects.filter(cycle=cycle, ranked_by=office).exists():
        raise InvalidInput(_("This unit did not rank its sub-units in this cycle."), field="cycle")
    title = _text(
        title or default_title(office, cycle),
        field="title",
        label=_("Title"),
        limit=MAX_TITLE,
        required=True,
    )
    opening = _text(
        default_opening(cycle) if opening is None else opening,
        field="opening",
        label=_("Opening text"),
        limit=MAX_OPENING,
        required=False,
    )
    try:
        with transaction.atomic():
            notice = Notice.objects.create(
                cycle=cycle, office=office, title=title, opening=opening, drafter=actor, created_at=clock.now()
            )
    except IntegrityError:
        raise InvalidTransition(_("This cycle already has a notice.")) from None
    notice_audit(notice, actor=actor, role=role, action="notice.drafted")
    return notice


@transaction.atomic
def notice_update_draft(
    *, actor: User, notice: Notice | int, title: str | None = None, opening: str | None = None
) -> Notice:
    notice = notice_lock(notice)
    role = steps.require(NOTICE_EDIT, actor, notice)
    fields = ["updated_at"]
    if title is not None:
        notice.title = _text(title, field="title", label=_("Title"), limit=MAX_TITLE, required=True)
        fields.append("title")
    if opening is not None:
        notice.opening = _text(opening, field="opening", label=_("Opening text"), limit=MAX_OPENING, required=False)
        fields.append("opening")
    notice.save(update_fields=fields)
    notice_audit(notice, actor=actor, role=role, action=NOTICE_EDIT.action, from_state=notice.state)
    return notice


@transaction.atomic
def notice_sign(*, actor: User, notice: Notice | int, comment: str = "") -> Notice:
    """签发: a director signs the draft, or the director it was sent to signs it (送签, see
    services.document_routing), with an optional comment. Four eyes: never its drafter."""
    notice = notice_lock(notice)
    role = steps.require(NOTICE_SIGN, actor, notice)
    comment = (comment or "").strip()[:2000]
    from_state = notice.state
    notice.sign()
    notice.signer = actor
    notice.signed_at = clock.now()
    notice.sign_comment = comment
    notice.save(update_fields=["state", "signer", "signed_at", "sign_comment", "updated_at"])
    notice_audit(notice, actor=actor, role=role, action=NOTICE_SIGN.action, from_state=from_state, comment=comment)
    notify(
        recipients=[notice.drafter_id],
        notice=notice,
        verb="notice_signed",
        text=_("Notice “%(title)s” was signed by %(name)s.") % {"title": notice.title, "name": actor.display_name},
    )
    return notice


@transaction.atomic
def notice_publish(*, actor: User, notice: Notice | int) -> Notice:
    """印发: the signed notice goes out; every member of every unit in its cycle's ranking is told."""
    notice = notice_lock(notice)
    role = steps.require(NOTICE_PUBLISH, actor, notice)
    from_state = notice.state
    notice.publish()
    notice.published_at = clock.now()
    notice.save(update_fields=["state", "published_at", "updated_at"])
    notice_audit(notice, actor=actor, role=role, action=NOTICE_PUBLISH.action, from_state=from_state)
    # Every member of every unit in the cycle's ranking, in one INSERT … SELECT, and each told
    # live once the publication has committed.
    now = clock.now()
    text = _("Biweekly notice of cycle %(number)d published: %(title)s") % {
        "number": notice.cycle.number,
        "title": notice.title,
    }
    told = bulk_sql.notify_ranked_units(
        cycle_id=notice.cycle_id,
        roles=sorted(UNIT_ROLES),
        verb="notice_published",
        text=text,
        notice_id=notice.pk,
        created_at=now,
        exclude=actor.pk,
        ranked_by_id=notice.office_id,
    )
    # The notice's one outbox event, as notify() writes for every other notification; the worker
    # reads the ranked units from the cycle.
    outbox_event_add(
        verb="notice_published",
        text=text,
        notice_id=notice.pk,
        recipient_ids=[uid for _nid, uid in told],
        payload={"cycle": notice.cycle_id, "ranked_by": notice.office_id},
        created_at=now,
    )
    push_after_commit(
        told,
        verb="notice_published",
        text=text,
        letter_id=None,
        assignment_id=None,
        notice_id=notice.pk,
        created_at=now,
    )
    # The PDF as published is rendered and kept by the worker once this commits, not here.
    issued_document_after_commit(notice=notice)
    return notice
