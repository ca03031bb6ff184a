"""Sharing a letter with a person or a unit outside its distribution, and taking the share back.

Addressed and copied units are part of the letter as signed (the copied units print in its
版记), so they cannot change after issue. A share is the office's later decision to let someone
else read the letter: an inspection body, another office, a unit that turns out to be concerned.
It is a django-guardian ``view_letter`` grant: to a person, a ``UserObjectPermission``; to a unit,
a ``GroupObjectPermission`` on the unit's group (see supervision/unit_groups.py for why the group
holds no members). A shared reader sees the letter, its items and attachments, read-only; never
the units' assignments or evidence (selectors/visibility.py).
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from supervision.models import Letter, LetterState, Role, Unit, User
from supervision.selectors.shares import (
    letter_receiving_unit_ids,
    letter_shared_unit_ids,
    letter_shared_user_ids,
)
from supervision.unit_groups import unit_group

from .audit import audit_record
from .errors import InvalidInput, InvalidTransition, NotAllowed
from .notify import notify, unit_members
from .roles import require_role, unit_ids

PERMISSION = "supervision.view_letter"
# The issuing office's clerk drafts and sends letters, its director signs them: either decides
# who else may read one. Inspectors and observers read; they do not distribute.
SHARING_ROLES = (Role.CLERK, Role.DIRECTOR)
# A draft or a signed letter is not a document yet; a withdrawn one was taken back.
SHAREABLE_STATES = (LetterState.ISSUED, LetterState.CLOSED)


def _lock(letter: Letter | int) -> Letter:
    pk = letter.pk if isinstance(letter, Letter) else letter
    try:
        # Serialises shares of one letter: the "already shared" check below then holds until
        # commit, and guardian's unique grant rows never collide.
        return Letter.objects.select_for_update(no_key=True).get(pk=pk)
    except Letter.DoesNotExist:
        raise NotAllowed(_("This letter does not exist or you may not see it.")) from None


def _one_target(user: User | None, unit: Unit | None) -> None:
    if (user is None) == (unit is None):
        raise InvalidInput(_("Name either one person or one unit to share the letter with."))


@transaction.atomic
def letter_share(*, actor: User, letter: Letter | int, user: User | None = None, unit: Unit | None = None) -> Letter:
    """Let one person or one unit outside the letter's distribution read it, and tell them."""
    _one_target(user, unit)
    letter = _lock(letter)
    role = require_role(actor, letter.office_id, SHARING_ROLES)
    if letter.state not in SHAREABLE_STATES:
        raise InvalidTransition(
            _("Only an issued or completed letter can be shared; this one is %(state)s.")
            % {"state": letter.get_state_display()}
        )
    receiving = letter_receiving_unit_ids(letter)
    shared_units = letter_shared_unit_ids(letter)
    title = {"number": letter.number, "title": letter.title}
    if user is not None:
        if not user.is_active:
            raise InvalidInput(_("%(name)s is not an active user.") % {"name": user.display_name}, field="user")
        if user.pk in letter_shared_user_ids(letter):
            raise InvalidInput(
                _("This letter is already shared with %(name)s.") % {"name": user.display_name}, field="user"
            )
        if unit_ids(user) & (receiving | shared_units):
            raise InvalidInput(
                _("%(name)s already reads this letter through their unit.") % {"name": user.display_name},
                field="user",
            )
        assign_perm(PERMISSION, user, letter)
        target, recipients = {"user": user.pk, "name": user.display_name}, [user.pk]
        text = _("Letter %(number)s “%(title)s” was shared with you to read.") % title
    else:
        assert unit is not None
        if not unit.is_active:
            raise InvalidInput(_("%(name)s is not an active unit.") % {"name": unit.name}, field="unit")
        if unit.pk in shared_units:
            raise InvalidInput(_("This letter is already shared with %(name)s.") % {"name": unit.name}, field="unit")
        if unit.pk in receiving:
            raise InvalidInput(
                _("%(name)s already receives this letter as the issuing office, an addressed or copied unit.")
                % {"name": unit.name},
                field="unit",
            )
        assign_perm(PERMISSION, unit_group(unit.pk), letter)
        target = {"unit": unit.pk, "name": unit.name}
        # Everyone who holds a role there today; later members read it too (selectors/visibility.py).
        recipients = unit_members([unit.pk], Role.values)
        text = _("Letter %(number)s “%(title)s” was shared with your unit to read.") % title
    audit_record(actor=actor, role=role, unit_id=letter.office_id, action="letter.shared", letter=letter, data=target)
    notify(recipients=recipients, verb="letter_shared", letter=letter, text=text, exclude=actor.pk)
    return letter


@transaction.atomic
def letter_unshare(*, actor: User, letter: Letter | int, user: User | None = None, unit: Unit | None = None) -> Letter:
    """Take a share back: the person or unit no longer reads the letter (unless it reaches them
    some other way). Nobody is notified: the letter simply leaves their list."""
    _one_target(user, unit)
    letter = _lock(letter)
    role = require_role(actor, letter.office_id, SHARING_ROLES)
    if user is not None:
        if user.pk not in letter_shared_user_ids(letter):
            raise InvalidInput(
                _("This letter is not shared with %(name)s.") % {"name": user.display_name}, field="user"
            )
        remove_perm(PERMISSION, user, letter)
        target = {"user": user.pk, "name": user.display_name}
    else:
        assert unit is not None
        if unit.pk not in letter_shared_unit_ids(letter):
            raise InvalidInput(_("This letter is not shared with %(name)s.") % {"name": unit.name}, field="unit")
        remove_perm(PERMISSION, unit_group(unit.pk), letter)
        target = {"unit": unit.pk, "name": unit.name}
    audit_record(actor=actor, role=role, unit_id=letter.office_id, action="letter.unshared", letter=letter, data=target)
    return letter
