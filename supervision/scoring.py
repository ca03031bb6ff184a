"""The ranking arithmetic (双周排队): a unit's figures and a rule set in, its score breakdown and
its place in the peer group out. Pure functions on plain values, so the same figures and rule
set always give the same scores and ranks, in any order they come in.

The rule set is documented in ``supervision.models.ranking``. Ties on the score are broken, in
this order, by: fewer overdue assignments; a higher share of reports made; more assignments
written off in the cycle; fewer failed verifications; and finally the office's own order of
units (``Unit.sort_order``, then the unit's id) so that no two units ever share a place. Each
unit placed after another with the same score records which rule did it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from decimal import Context, Decimal
from fractions import Fraction
from functools import cache

from supervision.models.ranking import FIGURE_FIELDS, POINT_FIELDS, TieBreak

CENT = Decimal("0.01")
# A context of our own: the scores must not depend on whatever the process's decimal context is.
_CONTEXT = Context(prec=28)


@dataclass(frozen=True)
class Figures:
    held: int = 0
    claims_due: int = 0
    claimed_on_time: int = 0
    reports_due: int = 0
    reports_made: int = 0
    overdue: int = 0
    closed: int = 0
    rejections: int = 0
    returns_upheld: int = 0
    returns_rejected: int = 0
    extensions: int = 0

    @classmethod
    def of(cls, values: Mapping[str, int]) -> Figures:
        return cls(**{name: int(values.get(name) or 0) for name in FIGURE_FIELDS})

    @property
    def report_share(self) -> Fraction:
        return Fraction(self.reports_made, self.reports_due) if self.reports_due else Fraction(1)


# Rows of figures are read straight into Figures by position (services.ranking): keep the order.
if tuple(f.name for f in fields(Figures)) != FIGURE_FIELDS:
    raise ImportError("Figures' fields must be in the order of FIGURE_FIELDS")


def _cents(weight: Decimal | int | str) -> int:
    """A weight in whole cents. Rule sets store weights to the cent (DecimalField, 2 places)."""
    value = Decimal(weight)
    cents = value.scaleb(2, context=_CONTEXT)
    if cents != cents.to_integral_value():
        raise ValueError(f"weights are given to the cent, not {weight}")
    return int(cents)


def _share(weight: int, part: int, whole: int, *, none_due: str) -> int:
    """``weight × part / whole`` in cents, rounded half up. With nothing due: all of it for a
    share of duties ("nothing was due, nothing was missed"), none of it for a share of work held.
    Integer arithmetic: exact, and the same as Decimal's ROUND_HALF_UP (all terms are ≥ 0)."""
    if whole == 0:
        return weight if none_due == "all" else 0
    return (2 * weight * part + whole) // (2 * whole)


def _decimal(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


@cache
def cents_text(cents: int) -> str:
    """Cents as the decimal text a database reads exactly: -250 → "-2.50". (Cached: a cycle's
    5,000 results repeat the same few dozen values.)"""
    sign, whole = ("-" if cents < 0 else ""), abs(cents)
    return f"{sign}{whole // 100}.{whole % 100:02d}"


def breakdown(f: Figures, weights: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """Each term of the score, rounded to the cent, keyed by the UnitResult field it goes to."""
    cents = _breakdown_cents(f, {name: _cents(value) for name, value in weights.items()})
    return {name: _decimal(value) for name, value in cents.items()}


def _breakdown_cents(f: Figures, w: Mapping[str, int]) -> dict[str, int]:
    return {
        "points_base": w["base_points"],
        "points_claims": _share(w["claim_points"], f.claimed_on_time, f.claims_due, none_due="all"),
        "points_reports": _share(w["report_points"], f.reports_made, f.reports_due, none_due="all"),
        "points_on_time": _share(w["on_time_points"], f.held - f.overdue, f.held, none_due="none"),
        "points_closed": _share(w["closed_points"], f.closed, f.held, none_due="none"),
        "points_rejections": -w["rejection_penalty"] * f.rejections,
        "points_returns_rejected": -w["return_rejected_penalty"] * f.returns_rejected,
        "points_returns_upheld": w["return_upheld_points"] * f.returns_upheld,
        "points_extensions": -w["extension_penalty"] * f.extensions,
    }


def total(points: Mapping[str, Decimal]) -> Decimal:
    """The score: the sum of the rounded terms, so the breakdown adds up to it exactly."""
    return sum((points[name] for name in POINT_FIELDS), Decimal("0.00"))


@dataclass
class Entry:
    """One unit going into the ranking."""

    unit_id: int
    peer_group: str
    sort_order: int
    figures: Figures
    # The terms and the score in whole cents (exact integers); ``points`` and ``score`` give them
    # as Decimals.
    cents: dict[str, int] = field(default_factory=dict)
    score_cents: int = 0
    ranked: bool = False
    rank: int | None = None
    group_size: int = 0
    tie_break: str = ""
    tied_with: int | None = None
    last_streak: int = 0  # cycles last in a row, set when the snapshot is taken

    @property
    def points(self) -> dict[str, Decimal]:
        return {name: _decimal(value) for name, value in self.cents.items()}

    @property
    def score(self) -> Decimal:
        return _decimal(self.score_cents)

    @property
    def is_last(self) -> bool:
        # Last of a group of one is not last of anything.
        return self.ranked and self.group_size >= 2 and self.rank == self.group_size


# Under this many reports due, made/due as a float orders the shares exactly as the fractions do:
# two different shares with denominators below 2**26 differ by more than 1/2**52, more than a
# double's rounding of numbers up to 1 can close. A float costs a tenth of a Fraction.
_FLOAT_SHARE_BELOW = 2**26


def _float_share(f: Figures) -> float:
    return f.reports_made / f.reports_due if f.reports_due else 1.0


def _order_key(e: Entry) -> tuple:
    f = e.figures
    return (-e.score_cents, f.overdue, -f.report_share, -f.closed, f.rejections, e.sort_order, e.unit_id)


def _fast_order_key(e: Entry) -> tuple:
    """``_order_key`` with the share as a float (only when that is exact, see above)."""
    f = e.figures
    return (-e.score_cents, f.overdue, -_float_share(f), -f.closed, f.rejections, e.sort_order, e.unit_id)


def _same_share(a: Figures, b: Figures) -> bool:
    # made/due against made/due by cross-multiplying: exact, no Fractions (nothing due counts 1/1).
    a_made, a_due = (a.reports_made, a.reports_due) if a.reports_due else (1, 1)
    b_made, b_due = (b.reports_made, b.reports_due) if b.reports_due else (1, 1)
    return a_made * b_due == b_made * a_due


def _why_after(above: Entry, below: Entry) -> str:
    """The rule that put ``below`` after ``above`` when their scores are equal."""
    a, b = above.figures, below.figures
    if a.overdue != b.overdue:
        return TieBreak.OVERDUE
    if not _same_share(a, b):
        return TieBreak.REPORTS
    if a.closed != b.closed:
        return TieBreak.CLOSED
    if a.rejections != b.rejections:
        return TieBreak.REJECTIONS
    return TieBreak.ORDER


def rank(entries: Iterable[Entry], weights: Mapping[str, Decimal], *, min_held: int = 1) -> list[Entry]:
    """Score every entry and place it in its peer group. Entries holding fewer than ``min_held``
    assignments are scored but not ranked. Returns the entries by group and place."""
    groups: dict[str, list[Entry]] = defaultdict(list)
    out: list[Entry] = []
    cents = {name: _cents(value) for name, value in weights.items()}
    for e in entries:
        e.cents = _breakdown_cents(e.figures, cents)
        e.score_cents = sum(e.cents.values())
        e.ranked = e.figures.held >= max(1, min_held)
        e.rank, e.tie_break, e.tied_with = None, "", None
        if e.ranked:
            groups[e.peer_group].append(e)
        else:
            out.append(e)
    exact_floats = all(e.figures.reports_due < _FLOAT_SHARE_BELOW for members in groups.values() for e in members)
    key = _fast_order_key if exact_floats else _order_key
    for group in sorted(groups):
        members = sorted(groups[group], key=key)
        for place, e in enumerate(members, start=1):
            e.rank, e.group_size = place, len(members)
            if place > 1 and members[place - 2].score_cents == e.score_cents:
                e.tie_break, e.tied_with = _why_after(members[place - 2], e), members[place - 2].unit_id
        out += members
    sizes = {group: len(members) for group, members in groups.items()}
    for e in out:
        if not e.ranked:
            e.group_size = sizes.get(e.peer_group, 0)
    return sorted(out, key=lambda e: (e.peer_group, e.rank is None, e.rank or 0, e.unit_id))
