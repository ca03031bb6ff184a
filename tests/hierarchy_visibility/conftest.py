"""A letter's tasks handed down four levels, as the visibility tests read them.

The office's letter goes to county A (甲县) and county B (乙县); A breaks its task down to its
townships a1 (东镇) and a2 (西乡), a1 hands its part further down to its village (东村), and B
forwards its task whole to its township b1 (南镇). Each sub-task's unit has reported with a file.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from supervision import services
from supervision.models import Assignment, Evidence, Unit, User
from supervision.services import SubTaskPart
from tests.factories import FUTURE, issue_letter

# Who is who in the matrices: a name of the hierarchy fixture, and the tasks that person sees.
OFFICE = ("clerk", "inspector", "director", "observer")
COUNTY_A = ("liaison_a", "leader_a")
TOWN_A1 = ("liaison_town_a1", "leader_town_a1")
TOWN_A2 = ("liaison_town_a2", "leader_town_a2")
VILLAGE = ("liaison_village_a1", "leader_village_a1")
COUNTY_B = ("liaison_b", "leader_b")
TOWN_B1 = ("liaison_town_b1", "leader_town_b1")
NOBODY = ("liaison_c", "leader_c", "outsider")
EVERYONE = (*OFFICE, *COUNTY_A, *TOWN_A1, *TOWN_A2, *VILLAGE, *COUNTY_B, *TOWN_B1, *NOBODY)

# The tasks each person sees, by the tree's names (see ``tree``).
SEES = {
    **dict.fromkeys(OFFICE, {"a", "a1", "a2", "v1", "b", "b1"}),
    **dict.fromkeys(COUNTY_A, {"a", "a1", "a2", "v1"}),
    **dict.fromkeys(TOWN_A1, {"a1", "v1"}),
    **dict.fromkeys(TOWN_A2, {"a2"}),
    **dict.fromkeys(VILLAGE, {"v1"}),
    **dict.fromkeys(COUNTY_B, {"b", "b1"}),
    **dict.fromkeys(TOWN_B1, {"b1"}),
    **dict.fromkeys(NOBODY, set()),
}
TASKS = ("a", "a1", "a2", "v1", "b", "b1")


def person(w: SimpleNamespace, who: str) -> User:
    # A fresh object: the roles a user object read once stay cached on it.
    return User.objects.get(pk=getattr(w, who).pk)


def pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4 " + name.encode(), "application/pdf")


def claim_and_break_down(w: SimpleNamespace, a: Assignment, liaison: User, units: list[Unit], *, days: int = 0):
    """The unit's liaison claims ``a`` and breaks it down to ``units``, each due ``days`` before ``a``."""
    services.assignment_claim(actor=liaison, assignment=a.pk)
    parts = [
        SubTaskPart(unit_id=u.pk, deadline=a.deadline - dt.timedelta(days=days), measures=f"{u.display_name}负责的部分")
        for u in units
    ]
    return services.assignment_break_down(actor=liaison, assignment=a.pk, parts=parts)


def report(a: Assignment, liaison: User, file_name: str) -> Evidence:
    """The unit's liaison claims ``a`` (when it is not yet claimed) and reports with one file."""
    if Assignment.objects.get(pk=a.pk).claimed_by_id is None:
        services.assignment_claim(actor=liaison, assignment=a.pk)
    r = services.assignment_report_progress(actor=liaison, assignment=a.pk, text="已推进", files=[pdf(file_name)])
    return r.evidence.get()


@pytest.fixture
def tree(hierarchy) -> SimpleNamespace:
    w = hierarchy
    letter = issue_letter(w, items=1, units=[w.unit_a, w.unit_b], deadline=FUTURE)
    a = Assignment.objects.get(letter=letter, unit=w.unit_a)
    b = Assignment.objects.get(letter=letter, unit=w.unit_b)
    a1, a2 = claim_and_break_down(w, a, w.liaison_a, [w.town_a1, w.town_a2], days=5)
    (v1,) = claim_and_break_down(w, a1, w.liaison_town_a1, [w.village_a1], days=10)
    services.assignment_claim(actor=w.liaison_b, assignment=b.pk)
    b1 = services.assignment_forward(actor=w.liaison_b, assignment=b.pk, unit_id=w.town_b1.pk)
    evidence = {
        "a1": report(a1, w.liaison_town_a1, "东镇.pdf"),
        "a2": report(a2, w.liaison_town_a2, "西乡.pdf"),
        "v1": report(v1, w.liaison_village_a1, "东村.pdf"),
        "b1": report(b1, w.liaison_town_b1, "南镇.pdf"),
    }
    tasks = {
        k: Assignment.objects.get(pk=t.pk) for k, t in {"a": a, "b": b, "a1": a1, "a2": a2, "v1": v1, "b1": b1}.items()
    }
    return SimpleNamespace(
        w=w, letter=letter, tasks=tasks, evidence=evidence, names={t.pk: k for k, t in tasks.items()}
    )
