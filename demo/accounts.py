"""The table of demo accounts printed after loading (and by ``load_demo --accounts``)."""

from __future__ import annotations

import unicodedata

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from supervision.models import Role

from .units import (
    ADMIN_USERNAME,
    COUNTIES,
    DEMO_PASSWORD,
    DEPARTMENTS,
    OFFICE_ACCOUNTS,
    OFFICE_SHORT,
    TOWNSHIPS,
    UNITS_BY_CODE,
    WORK_TEAMS,
)

# A handful of unit accounts worth trying first: a county, a work team, a department, and the
# townships 离石区 hands its tasks down to (分解、转办: demo/handing_down.py).
SAMPLE_UNIT_ACCOUNTS: tuple[tuple[str, str], ...] = (
    ("lishi", Role.LIAISON),
    ("lishi", Role.LEADER),
    ("linxian", Role.LIAISON),
    ("zb_banqian", Role.LIAISON),
    ("nyncj", Role.LEADER),
    ("xinyi", Role.LIAISON),
    ("xinyi", Role.LEADER),
    ("wucheng", Role.LIAISON),
    ("wucheng", Role.LEADER),
    ("zaolin", Role.LIAISON),
    ("pingtou", Role.LIAISON),
)


def _width(text: str) -> int:
    # CJK characters take two columns in a terminal.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def account_rows() -> list[tuple[str, str, str, str]]:
    """(username, password, unit, role) for the accounts listed by name."""
    rows = [(ADMIN_USERNAME, DEMO_PASSWORD, "—", _("superuser (admin site)"))]
    rows += [(a.username, DEMO_PASSWORD, OFFICE_SHORT, str(Role(a.role).label)) for a in OFFICE_ACCOUNTS]
    rows += [
        (f"{code}_{role}", DEMO_PASSWORD, UNITS_BY_CODE[code].short_name, str(Role(role).label))
        for code, role in SAMPLE_UNIT_ACCOUNTS
    ]
    return rows


def accounts_table() -> str:
    # A context of their own: Django's catalogs already translate bare "username"/"password",
    # which would give a half-translated heading row.
    headings = (
        pgettext("demo accounts", "username"),
        pgettext("demo accounts", "password"),
        pgettext("demo accounts", "unit"),
        pgettext("demo accounts", "role"),
    )
    rows = account_rows()
    widths = [max(_width(str(r[i])) for r in [headings, *rows]) + 2 for i in range(4)]
    lines = [_("Demo accounts (all with password %(password)s):") % {"password": DEMO_PASSWORD}]
    lines.append("  " + "".join(_pad(h, w) for h, w in zip(headings, widths, strict=True)).rstrip())
    lines += ["  " + "".join(_pad(str(c), w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.append(_("Every unit has CODE_liaison (liaison: claims, reports) and CODE_leader (unit leader: signs off)."))
    groups = (
        (_("counties"), COUNTIES),
        (_("work teams"), WORK_TEAMS),
        (_("departments"), DEPARTMENTS),
        (_("townships"), TOWNSHIPS),
    )
    for label, specs in groups:
        lines.append(f"  {label}: " + " ".join(s.code for s in specs))
    return "\n".join(lines)
