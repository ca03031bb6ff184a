"""A province office above the world's office (which becomes a city office), a second city office
with a county of its own, and the people of each: the scene of the several-offices tests."""

from __future__ import annotations

from types import SimpleNamespace

from supervision.models import LetterKind, LetterPrefix, PeerGroup, Role, Unit, UnitKind
from tests.factories import make_user


def _office(name: str, short: str, prefixes: tuple[str, str, str], parent: Unit | None = None) -> Unit:
    office = Unit.objects.create(
        name=name, short_name=short, kind=UnitKind.OFFICE, peer_group=PeerGroup.OFFICE, parent=parent
    )
    kinds = (LetterKind.SUPERVISION, LetterKind.ASSIGNMENT, LetterKind.REMINDER)
    for kind, prefix in zip(kinds, prefixes, strict=True):
        LetterPrefix.objects.create(office=office, kind=kind, prefix=prefix, issuing_body=f"{short}领导小组")
    return office


def build_province(w: SimpleNamespace) -> SimpleNamespace:
    """The world's office becomes a city office under a province office; its counties and the
    department are placed under it; a second city office has one county. The city office's people:
    its clerk, inspector and director (the world's), and a liaison and a leader who work the
    province's letters in it. ``w.prov`` and ``w.city2`` are worlds of their own for issue_letter
    (office, clerk, director)."""
    province = _office("省巩固衔接领导小组办公室", "省巩固办", ("测省督", "测省交", "测省催"))
    Unit.objects.filter(pk=w.office.pk).update(parent=province)
    w.office.refresh_from_db()
    Unit.objects.filter(pk__in=[w.unit_a.pk, w.unit_b.pk, w.unit_c.pk]).update(parent=w.office)
    city2 = _office("另市巩固衔接领导小组办公室", "另市巩固办", ("测另督", "测另交", "测另催"), parent=province)
    unit_d = Unit.objects.create(
        name="丁县人民政府", short_name="丁县", kind=UnitKind.COUNTY, peer_group=PeerGroup.COUNTY, parent=city2
    )
    w.province, w.city2, w.unit_d = province, city2, unit_d
    w.city_liaison = make_user("city_liaison", w.office, Role.LIAISON)
    w.city_leader = make_user("city_leader", w.office, Role.LEADER)
    w.prov = SimpleNamespace(
        office=province,
        clerk=make_user("prov_clerk", province, Role.CLERK),
        inspector=make_user("prov_inspector", province, Role.INSPECTOR),
        director=make_user("prov_director", province, Role.DIRECTOR),
    )
    w.other = SimpleNamespace(
        office=city2,
        clerk=make_user("city2_clerk", city2, Role.CLERK),
        director=make_user("city2_director", city2, Role.DIRECTOR),
        liaison=make_user("city2_liaison", city2, Role.LIAISON),
        liaison_d=make_user("liaison_d", unit_d, Role.LIAISON),
        leader_d=make_user("leader_d", unit_d, Role.LEADER),
    )
    return w
