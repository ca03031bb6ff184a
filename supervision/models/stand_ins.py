"""Stand-ins (授权代理): a colleague of the same unit acts for a user between two dates.

A model, not a django-guardian grant. Guardian grants a permission on one object for as long as
its row exists; a stand-in lends the roles a person holds in one unit (Membership rows, which
guardian does not hold) for a span of dates. Kept as a dated row read at the moment of acting
(services/roles.py), leave ends by itself on its last day without a job revoking a grant, and the
row stays as the record of who stood in for whom and when.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class StandIn(models.Model):
    principal = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("on behalf of"),
        on_delete=models.PROTECT,
        related_name="stand_ins_given",
    )
    deputy = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("stand-in"),
        on_delete=models.PROTECT,
        related_name="stand_ins_held",
    )
    unit = models.ForeignKey("supervision.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    # Both days included, as dates of the office's time zone (clock.today()).
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))
    # Set when someone ends it before its last day; a stand-in that ran its course keeps None.
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ended by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("stand-in")
        verbose_name_plural = _("stand-ins")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="standin_dates_in_order"),
            models.CheckConstraint(condition=~Q(principal=F("deputy")), name="standin_not_oneself"),
        ]
        indexes = [
            # Read on every request of a deputy (services/roles.py), by the page of a principal.
            models.Index(fields=["deputy", "ends_on"], name="standin_deputy_ends"),
            models.Index(fields=["principal", "ends_on"], name="standin_principal_ends"),
        ]

    def __str__(self) -> str:
        return f"{self.deputy} → {self.principal} · {self.starts_on:%Y-%m-%d}–{self.ends_on:%Y-%m-%d}"

    def runs_on(self, day: dt.date) -> bool:
        return self.ended_at is None and self.starts_on <= day <= self.ends_on

    def is_over(self, day: dt.date) -> bool:
        """Ended early or past its last day: nothing more can be done with it."""
        return self.ended_at is not None or self.ends_on < day
