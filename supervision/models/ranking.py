"""Ranking (双周排队): the scoring rule sets, each closed cycle's frozen results per unit, and the
escalation ladder (named → interview 约谈 → accountability referral 问责).

The score of a unit for a cycle (all figures frozen when the cycle closes; see
``supervision.scoring`` for the arithmetic and ``services.ranking`` for how the figures are counted):

    base points
  + claim points     × claimed on time / claims due               (all of it when none was due)
  + report points    × reports made / reports due                 (all of it when none was due)
  + on-time points   × (assignments held − overdue) / held
  + closed points    × closed in the cycle / held
  − rejection penalty        × verification rejections in the cycle
  − rejected-return penalty  × returns the office refused (kept with the unit) in the cycle
  − extension penalty        × extensions granted in the cycle
  + upheld-return points     × returns the office upheld (reassigned away) in the cycle

Each term is rounded to 0.01 (half up) and the score is their sum, so a unit's breakdown adds up
to its score exactly. Nothing is ever scored on logins, clicks or time online (2024 rules on
reducing the burden on the grassroots); more than one report in a cycle earns nothing extra
(最多报一次). A unit holding fewer assignments than ``min_held`` is listed but not ranked.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .units import PeerGroup, Unit

# The documented defaults of version 1: 100 points for a unit that claims, reports and finishes
# on time everything it holds; penalties per event.
DEFAULT_WEIGHTS: dict[str, Decimal] = {
    "base_points": Decimal("0.00"),
    "claim_points": Decimal("10.00"),
    "report_points": Decimal("30.00"),
    "on_time_points": Decimal("40.00"),
    "closed_points": Decimal("20.00"),
    "rejection_penalty": Decimal("2.00"),
    "return_rejected_penalty": Decimal("1.00"),
    "extension_penalty": Decimal("0.50"),
    "return_upheld_points": Decimal("0.00"),
}
WEIGHT_FIELDS = tuple(DEFAULT_WEIGHTS)


def _weight(name: str, label: str, help_text: str) -> models.DecimalField:
    return models.DecimalField(
        label, max_digits=6, decimal_places=2, default=DEFAULT_WEIGHTS[name], help_text=help_text
    )


class RuleSet(models.Model):
    """One version of an office's scoring rules. Rows are never changed: editing saves a new
    version (services.rule_sets.ruleset_revise), and each closed cycle keeps the version it used.
    Each office has its own versions, numbered from 1, one of them current; a unit ranking its
    sub-units ranks them on the rules of the office whose cycle it is."""

    office = models.ForeignKey(
        Unit,
        verbose_name=_("office"),
        on_delete=models.PROTECT,
        related_name="rule_sets",
        limit_choices_to={"kind": "office"},
    )
    version = models.PositiveIntegerField(_("version"))
    name = models.CharField(_("name"), max_length=100)
    notes = models.TextField(_("what changed and why"), blank=True)
    base_points = _weight("base_points", _("base points"), _("Given to every ranked unit."))
    claim_points = _weight(
        "claim_points", _("claim points"), _("Times the share of assignments claimed in time (签收).")
    )
    report_points = _weight(
        "report_points", _("report points"), _("Times the share of progress reports due in the cycle that were made.")
    )
    on_time_points = _weight(
        "on_time_points", _("on-time points"), _("Times the share of assignments held that are not overdue.")
    )
    closed_points = _weight(
        "closed_points",
        _("closed points"),
        _("Times the share of assignments held that were written off in the cycle."),
    )
    rejection_penalty = _weight(
        "rejection_penalty", _("rejection penalty"), _("Taken off for each verification that failed in the cycle.")
    )
    return_rejected_penalty = _weight(
        "return_rejected_penalty",
        _("refused-return penalty"),
        _("Taken off for each return the office refused (kept with the unit) in the cycle."),
    )
    extension_penalty = _weight(
        "extension_penalty", _("extension penalty"), _("Taken off for each extension granted in the cycle.")
    )
    return_upheld_points = _weight(
        "return_upheld_points",
        _("upheld-return points"),
        _("Added for each return the office upheld (reassigned to another unit) in the cycle; 0 by default."),
    )
    min_held = models.PositiveIntegerField(
        _("minimum assignments to be ranked"),
        default=1,
        help_text=_("A unit holding fewer assignments in the cycle is listed but not ranked."),
    )
    is_current = models.BooleanField(_("current"), default=False)
    replaces = models.ForeignKey(
        "self",
        verbose_name=_("edited from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("scoring rule set")
        verbose_name_plural = _("scoring rule sets")
        ordering = ["office", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["office", "version"], name="ruleset_office_version"),
            models.UniqueConstraint(fields=["office"], condition=Q(is_current=True), name="ruleset_one_current"),
        ]

    def __str__(self) -> str:
        return str(_("%(name)s, version %(version)d")) % {"name": self.name, "version": self.version}

    def weights(self) -> dict[str, Decimal]:
        return {name: getattr(self, name) for name in WEIGHT_FIELDS}


class TieBreak(models.TextChoices):
    """Why a unit with the same score as the unit above it was placed after it: the first of
    these rules, in this order, that tells them apart."""

    OVERDUE = "overdue", _("more overdue assignments")
    REPORTS = "reports", _("a lower share of reports made")
    CLOSED = "closed", _("fewer assignments written off")
    REJECTIONS = "rejections", _("more failed verifications")
    ORDER = "order", _("the office's order of units")


class UnitResult(models.Model):
    """One unit's frozen figures, score breakdown and place for one closed cycle, in one ranking:
    the office's (``ranked_by`` is the cycle's office; the office's direct tasks are counted) or a
    unit's ranking of the units below it (``ranked_by`` is that unit; the sub-tasks it handed down
    are counted). A unit may so have two results in a cycle, one in each ranking it is in."""

    cycle = models.ForeignKey("supervision.Cycle", on_delete=models.CASCADE, related_name="results")
    ranked_by = models.ForeignKey(
        Unit, verbose_name=_("ranked by"), on_delete=models.PROTECT, related_name="rankings_made"
    )
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="results")
    peer_group = models.CharField(_("peer group"), max_length=20, choices=PeerGroup.choices)
    # The unit's place in the office's own order when the cycle closed: the last tie-break, kept
    # so that ranking the frozen figures again gives the same places after units are reordered.
    unit_order = models.PositiveIntegerField(_("order of units"))
    # The figures, as counted when the cycle closed.
    held = models.PositiveIntegerField(_("assignments held"))
    claims_due = models.PositiveIntegerField(_("claims due"))
    claimed_on_time = models.PositiveIntegerField(_("claimed on time"))
    reports_due = models.PositiveIntegerField(_("reports due"))
    reports_made = models.PositiveIntegerField(_("reports made"))
    overdue = models.PositiveIntegerField(_("overdue"))
    closed = models.PositiveIntegerField(_("written off in the cycle"))
    rejections = models.PositiveIntegerField(_("verification rejections"))
    returns_upheld = models.PositiveIntegerField(_("returns upheld"))
    returns_rejected = models.PositiveIntegerField(_("returns refused"))
    extensions = models.PositiveIntegerField(_("extensions granted"))
    # The breakdown: each term of the score, rounded to 0.01; they add up to the score.
    points_base = models.DecimalField(max_digits=8, decimal_places=2)
    points_claims = models.DecimalField(max_digits=8, decimal_places=2)
    points_reports = models.DecimalField(max_digits=8, decimal_places=2)
    points_on_time = models.DecimalField(max_digits=8, decimal_places=2)
    points_closed = models.DecimalField(max_digits=8, decimal_places=2)
    points_rejections = models.DecimalField(max_digits=8, decimal_places=2)
    points_returns_rejected = models.DecimalField(max_digits=8, decimal_places=2)
    points_returns_upheld = models.DecimalField(max_digits=8, decimal_places=2)
    points_extensions = models.DecimalField(max_digits=8, decimal_places=2)
    score = models.DecimalField(_("score"), max_digits=8, decimal_places=2)
    ranked = models.BooleanField(_("ranked"))
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    group_size = models.PositiveIntegerField(_("units ranked in the group"))
    tie_break = models.CharField(
        _("placed after an equal score by"), max_length=20, choices=TieBreak.choices, blank=True
    )
    tied_with = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Consecutive closed cycles this unit was last in its group, this one included (0: not last).
    last_streak = models.PositiveSmallIntegerField(_("cycles last in a row"), default=0)

    class Meta:
        verbose_name = _("unit result")
        verbose_name_plural = _("unit results")
        ordering = ["cycle", "ranked_by", "peer_group", "rank", "unit"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "ranked_by", "unit"], name="result_cycle_ranker_unit"),
        ]
        indexes = [
            models.Index(fields=["cycle", "ranked_by", "peer_group", "rank"], name="result_cycle_ranker_rank"),
            models.Index(fields=["unit", "cycle"], name="result_unit_cycle"),
            models.Index(fields=["ranked_by", "cycle"], name="result_ranker_cycle"),
            models.Index(
                fields=["cycle", "ranked_by", "last_streak"], condition=Q(last_streak__gt=0), name="result_ranker_last"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cycle_id} · {self.unit_id} · {self.score}"


POINT_FIELDS = (
    "points_base",
    "points_claims",
    "points_reports",
    "points_on_time",
    "points_closed",
    "points_rejections",
    "points_returns_rejected",
    "points_returns_upheld",
    "points_extensions",
)
FIGURE_FIELDS = (
    "held",
    "claims_due",
    "claimed_on_time",
    "reports_due",
    "reports_made",
    "overdue",
    "closed",
    "rejections",
    "returns_upheld",
    "returns_rejected",
    "extensions",
)


class EscalationLevel(models.IntegerChoices):
    NAMED = 1, _("Named in the notice")
    INTERVIEW = 2, _("Interview (约谈)")
    REFERRAL = 3, _("Accountability referral")


class Escalation(models.Model):
    """A unit ranked last in its peer group at the close of a cycle, and how far up the ladder
    its run of last places took it, in one ranking (``ranked_by``, as UnitResult). The interview
    and referral lists are read from here."""

    cycle = models.ForeignKey("supervision.Cycle", on_delete=models.CASCADE, related_name="escalations")
    ranked_by = models.ForeignKey(Unit, verbose_name=_("ranked by"), on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="escalations")
    peer_group = models.CharField(_("peer group"), max_length=20, choices=PeerGroup.choices)
    level = models.PositiveSmallIntegerField(_("level"), choices=EscalationLevel.choices)
    streak = models.PositiveSmallIntegerField(_("cycles last in a row"))
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["cycle", "ranked_by", "-level", "peer_group"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "ranked_by", "unit"], name="escalation_cycle_ranker_unit"),
        ]
        indexes = [
            models.Index(fields=["cycle", "ranked_by", "level"], name="escalation_ranker_level"),
            models.Index(fields=["unit", "cycle"], name="escalation_unit_cycle"),
        ]

    def __str__(self) -> str:
        return f"{self.cycle_id} · {self.unit_id} · {self.get_level_display()}"
