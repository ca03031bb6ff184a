"""Which office a row belongs to, when a deployment holds several (a province office and its city
offices): the reads the cycles, rule sets and rankings share. Plain reads of units, no roles."""

from __future__ import annotations

from supervision.models import Unit, UnitKind


def offices() -> list[Unit]:
    """The active offices, the top one(s) first: tick runs each one's cycles in this order."""
    found = list(Unit.objects.filter(kind=UnitKind.OFFICE, is_active=True).order_by("sort_order", "pk"))
    return sorted(found, key=lambda o: o.parent_id is not None)


def default_office() -> Unit | None:
    """The office a caller that names none means: the one office of a deployment that has one, else
    the top office listed first (what a single-office caller, or a page with no choice yet, gets)."""
    found = offices()
    return found[0] if found else None


def office_id_of(office: Unit | int | None) -> int | None:
    """An office given as a row or an id; the default office's id when None."""
    if office is None:
        found = default_office()
        return found.pk if found is not None else None
    return office.pk if isinstance(office, Unit) else int(office)


def is_top_office(office_id: int) -> bool:
    """An office with no office above it: its ranking also lists the responsible units that were
    never placed in the unit tree (a deployment from before the tree, with one office)."""
    return Unit.objects.filter(pk=office_id, kind=UnitKind.OFFICE, parent__isnull=True).exists()


def nearest_offices(unit_ids: list[int]) -> dict[int, int | None]:
    """{unit id: the nearest office above it (None: none)}. One read of the tree (id, parent, kind:
    a few thousand short rows at province scale), walked here; a loop in the tree ends the walk."""
    if not unit_ids:
        return {}
    tree = {pk: (parent, kind) for pk, parent, kind in Unit.objects.values_list("pk", "parent_id", "kind")}
    found: dict[int, int | None] = {}
    for uid in unit_ids:
        seen, node, office = {uid}, tree.get(uid, (None, ""))[0], None
        while node is not None and node not in seen:
            parent, kind = tree.get(node, (None, ""))
            if kind == UnitKind.OFFICE:
                office = node
                break
            seen.add(node)
            node = parent
        found[uid] = office
    return found


def offices_above(unit_id: int) -> list[int]:
    """The offices above a unit, the nearest first (a county under a city office under the
    province's: [city office, province office]). Walks up the tree, one row per level."""
    found: list[int] = []
    seen = {unit_id}
    node = Unit.objects.filter(pk=unit_id).values_list("parent_id", flat=True).first()
    while node is not None and node not in seen:
        seen.add(node)
        row = Unit.objects.filter(pk=node).values_list("kind", "parent_id").first()
        if row is None:
            break
        if row[0] == UnitKind.OFFICE:
            found.append(node)
        node = row[1]
    return found
