"""Units, people and their roles: who may do what, and where."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitKind(models.TextChoices):
    OFFICE = "office", _("Leading-group office")
    COUNTY = "county", _("County")
    DEPARTMENT = "department", _("Department")
    WORK_TEAM = "work_team", _("Work team")
    TOWNSHIP = "township", _("Township")


class PeerGroup(models.TextChoices):
    """Units are ranked only against their peers (双周排队)."""

    OFFICE = "office", _("Office")
    COUNTY = "county", _("Counties")
    DEPARTMENT = "department", _("Departments")
    WORK_TEAM = "work_team", _("Work teams")
    TOWNSHIP = "township", _("Townships")
    # Only in rankings: the city offices a province office ranks (an office's own peer group is
    # OFFICE, which is never ranked).
    CITY = "city", _("Cities")


class Role(models.TextChoices):
    # Office roles
    CLERK = "clerk", _("Clerk")
    INSPECTOR = "inspector", _("Inspector")
    DIRECTOR = "director", _("Director")
    OBSERVER = "observer", _("Observer")
    # Unit roles
    LIAISON = "liaison", _("Liaison")
    LEADER = "leader", _("Unit leader")


OFFICE_ROLES = frozenset({Role.CLERK, Role.INSPECTOR, Role.DIRECTOR, Role.OBSERVER})
UNIT_ROLES = frozenset({Role.LIAISON, Role.LEADER})


class Unit(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    short_name = models.CharField(_("short name"), max_length=40, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=UnitKind.choices, db_index=True)
    peer_group = models.CharField(_("peer group"), max_length=20, choices=PeerGroup.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    # A unit with one person in it (一人单位) cannot have a second pair of eyes sign off what that
    # person submitted: the office may waive the four-eyes rule for it, and each sign-off that
    # uses the waiver says so in its audit row. Set only through services/units.py, which audits.
    one_person = models.BooleanField(
        _("one-person unit"),
        default=False,
        help_text=_("Its sign-offs may be made by whoever submitted them; each such sign-off is recorded."),
    )
    # Set by the office: at each cycle's close the unit's sub-units are ranked on the office's
    # rules over the sub-tasks it handed down (its own 双周排队 page and notice).
    ranks_sub_units = models.BooleanField(
        _("ranks its sub-units"),
        default=False,
        help_text=_("Rank the units below it every cycle, over the sub-tasks it handed down to them."),
    )

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["kind", "sort_order", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return self.short_name or self.name

    @property
    def is_office(self) -> bool:
        return self.kind == UnitKind.OFFICE

    @property
    def is_sub_office(self) -> bool:
        """An office below another office (a city office under the province's): it receives the
        upper office's letters as a unit and issues its own as an office."""
        return self.is_office and self.parent_id is not None and self.parent.is_office

    def clean(self) -> None:
        if self.kind == UnitKind.OFFICE and self.peer_group != PeerGroup.OFFICE:
            raise ValidationError({"peer_group": _("An office is in the office peer group.")})
        if self.kind != UnitKind.OFFICE and self.peer_group in (PeerGroup.OFFICE, PeerGroup.CITY):
            raise ValidationError({"peer_group": _("Only an office is in the office peer group.")})
        # Walk up the tree: a unit may not be its own ancestor.
        seen, node = {self.pk}, self.parent
        while node is not None:
            if node.pk in seen:
                raise ValidationError({"parent": _("A unit cannot be placed under itself.")})
            seen.add(node.pk)
            node = node.parent


class User(AbstractUser):
    full_name = models.CharField(_("full name"), max_length=50, blank=True)
    title = models.CharField(_("job title"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    # Set for an account created with a one-time password (the directory import): until its
    # owner chooses a password of their own, every page leads to the password change.
    must_change_password = models.BooleanField(_("must change password"), default=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_full_name(self) -> str:
        # Chinese names are one field, not first + last (the app shell shows this in its menu).
        return self.full_name or super().get_full_name()

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class Membership(models.Model):
    """A role a user holds in one unit. A user may hold several, in several units."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["user", "unit", "role"], name="membership_unique")]
        indexes = [models.Index(fields=["unit", "role"], name="membership_unit_role")]

    def __str__(self) -> str:
        return f"{self.user} · {self.unit} · {self.get_role_display()}"

    def clean(self) -> None:
        if self.unit_id is None:
            return
        if self.unit.is_sub_office:
            # A city office works the province's letters as a unit and issues its own as an
            # office: its people may hold either kind of role there.
            return
        if self.unit.is_office and self.role not in OFFICE_ROLES:
            raise ValidationError({"role": _("In the office a user is a clerk, inspector, director or observer.")})
        if not self.unit.is_office and self.role not in UNIT_ROLES:
            raise ValidationError({"role": _("In a responsible unit a user is a liaison or a leader.")})


class LetterKind(models.TextChoices):
    SUPERVISION = "supervision", _("Supervision letter")
    ASSIGNMENT = "assignment", _("Assignment letter")
    REMINDER = "reminder", _("Reminder letter")


class LetterPrefix(models.Model):
    """A number prefix of the office, e.g. 吕巩办督 for its supervision letters.

    The issuing body is configurable per prefix: leading-group offices often issue in the
    name of the leading group itself, or co-signed.
    """

    office = models.ForeignKey(
        Unit,
        verbose_name=_("office"),
        on_delete=models.PROTECT,
        related_name="letter_prefixes",
        limit_choices_to={"kind": UnitKind.OFFICE},
    )
    kind = models.CharField(_("letter kind"), max_length=20, choices=LetterKind.choices)
    prefix = models.CharField(_("number prefix"), max_length=30, unique=True)
    issuing_body = models.CharField(
        _("issuing body"),
        max_length=120,
        help_text=_("Name printed in the red header and as the issuing office, e.g. the leading group."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("letter number prefix")
        verbose_name_plural = _("letter number prefixes")
        ordering = ["office", "kind", "prefix"]

    def __str__(self) -> str:
        return self.prefix

    def clean(self) -> None:
        if "〔" in self.prefix or "〕" in self.prefix or "号" in self.prefix[-1:]:
            raise ValidationError({"prefix": _("Give the prefix only, without the year or 号.")})
        if self.office_id and not self.office.is_office:
            raise ValidationError({"office": _("Only an office issues letters.")})


class LetterNumberCounter(models.Model):
    """Last number issued per prefix and year; locked while a letter is numbered, so numbers
    are unique and gap-free (a rolled-back issue rolls the counter back too)."""

    prefix = models.ForeignKey(LetterPrefix, on_delete=models.PROTECT, related_name="counters")
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("letter number counter")
        verbose_name_plural = _("letter number counters")
        constraints = [models.UniqueConstraint(fields=["prefix", "year"], name="counter_prefix_year")]

    def __str__(self) -> str:
        return f"{self.prefix_id}/{self.year}: {self.last_number}"
