"""The whole ledger of the seed letter (吕文旅发〔2023〕104号, 附件1), typed into Excel as the
bureau would: title rows, the two grouped heading rows, the category merged down its section,
each problem merged down over its measures and across its two columns. It reads with no error
and no hand editing, as .xlsx and as .xls."""

from __future__ import annotations

import datetime as dt

import pytest

from notices.importer import ParsedSheet
from supervision.models import DeadlineKind, ItemCategory, ItemSource, PeerGroup, Unit
from tests.imports.sheets import BUREAUS, MEASURES_1, MEASURES_2, PROBLEM_1, PROBLEM_2, seed_ledger, xls, xlsx

COOPERATING = [
    ["人事科", "产业发展科", "艺术科", "公共服务科"],
    ["资源开发科"],
    ["资源开发科", "产业发展科", "公共服务科"],
    ["公共服务科", "资源开发科", "产业发展科"],
    ["公共服务科", "艺术科"],
]


def _check(sheet: ParsedSheet) -> None:
    assert sheet.errors == []
    assert sheet.sheet == "整改台账"
    assert [str(w) for w in sheet.warnings] == [
        "Not imported (kept on your sheet only): the columns “整改进展”、“责任人”、“完成情况”、“备注”."
    ]
    items = sheet.items
    assert [i.row for i in items] == [6, 7, 8, 9, 10]
    # Two problems: the first with four measures, the second with one; each measure an item.
    assert [i.problem_no for i in items] == [1, 1, 1, 1, 2]
    assert [i.description for i in items] == [PROBLEM_1] * 4 + [PROBLEM_2]
    assert [i.measures for i in items] == [m for m, _units in MEASURES_1 + MEASURES_2]
    for item, cooperating in zip(items, COOPERATING, strict=True):
        assert (item.category, item.source, item.site) == (ItemCategory.COMMON, ItemSource.NATIONAL, "")
        # 各县（市、区）文旅局 named first: every county bureau leads on its own ground.
        assert [u.name for u in item.leads] == list(BUREAUS)
        assert [u.name for u in item.cooperating] == cooperating
        assert [name for name, _units in item.expansions] in (["各县(市、区)文旅局"], ["各县（市、区）文旅局"])
        assert item.expansions[0][1] == list(BUREAUS)
        assert (item.deadline, item.deadline_kind) == (dt.date(2023, 8, 15), DeadlineKind.PHASE_THEN_ONGOING)
        assert item.deadline_written == "8月15日前取得阶段性成效并长期坚持"
        assert item.warnings == []
    assert items[0].units_written == "各县(市、区)文旅局、人事科、产业发展科、艺术科、公共服务科"


def test_the_seed_ledger_reads_with_no_error(parse):
    _check(parse(xlsx(seed_ledger())))


def test_the_seed_ledger_reads_from_an_xls_file_too(parse):
    _check(parse(xls(seed_ledger())))


@pytest.mark.parametrize("build", [xlsx, xls])
def test_the_seed_ledger_imports_into_a_draft(build, seed, world):
    """Through the import service, the preview's figures: five items, two problems."""
    from notices.services import letter_import_items
    from tests.helpers import draft_letter

    draft = draft_letter(world, items=[])
    result = letter_import_items(
        actor=world.clerk, letter=draft, workbook_file=build(seed_ledger()), campaign_year=2023
    )
    assert result.ok, [str(e) for e in result.errors]
    items = list(draft.items.order_by("seq"))
    assert [i.problem_no for i in items] == [1, 1, 1, 1, 2]
    # Every active county leads, the world's two test counties among them.
    counties = set(Unit.objects.filter(peer_group=PeerGroup.COUNTY, is_active=True))
    assert {link.unit for link in items[0].item_units.filter(role="lead")} == counties
    assert len(counties) == len(BUREAUS) + 2
