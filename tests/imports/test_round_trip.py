"""A letter's items exported as the problem list and imported into a new draft come back as they
were: problem grouping (the items of one problem share its number), several lead units,
cooperating units, sites, every deadline kind, 立行立改 with its own date."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import load_workbook

from notices.directory import UnitDirectory
from notices.importer import parse_workbook
from notices.problem_list import letter_items, write_problem_list
from notices.services import letter_import_items
from supervision import services
from supervision.models import DeadlineKind, ItemCategory, ItemSource, Unit
from tests.helpers import draft_letter
from tests.imports.sheets import MEASURES_1, PROBLEM_1, PROBLEM_2, TODAY

(M1, _u1), (M2, _u2), (M3, _u3), _m4 = MEASURES_1


def _source(world, seed):
    bureaus = list(Unit.objects.filter(name__endswith="文化和旅游局").order_by("sort_order")[:3])
    sections = {u.name: u for u in Unit.objects.filter(name__endswith="科")}
    units = [world.unit_a, world.unit_b, world.unit_c, *bureaus, *sections.values()]
    letter = draft_letter(world, units=units, items=[])
    given = [
        {
            "description": PROBLEM_1,
            "measures": M1,
            "problem_no": 1,
            "lead_unit_ids": [b.pk for b in bureaus],
            "cooperating_unit_ids": [sections["人事科"].pk, sections["艺术科"].pk],
            "deadline": dt.date(2031, 8, 15),
            "deadline_kind": DeadlineKind.PHASE_THEN_ONGOING,
            "category": ItemCategory.COMMON,
            "source": ItemSource.NATIONAL,
        },
        {
            "description": PROBLEM_1,
            "measures": M2,
            "problem_no": 1,
            "lead_unit_ids": [bureaus[0].pk],
            "cooperating_unit_ids": [sections["资源开发科"].pk],
            "deadline": dt.date(2031, 9, 1),
            "deadline_kind": DeadlineKind.IMMEDIATE,
            "category": ItemCategory.COMMON,
            "source": ItemSource.NATIONAL,
        },
        {
            "description": PROBLEM_2,
            "measures": M3,
            "site": "幸福小区安置点",
            "problem_no": 2,
            "lead_unit_ids": [world.unit_a.pk],
            "deadline": dt.date(2031, 12, 31),
            "category": ItemCategory.SPECIFIC,
            "source": ItemSource.SELF_INSPECTION,
        },
        {"description": "=SUM(1,2) 看起来像公式的问题描述", "deadline": dt.date(2031, 10, 1)},  # stands alone
    ]
    for fields in given:
        services.item_add(actor=world.clerk, letter=letter, **fields)
    return letter, units


def _fields(item) -> tuple:
    links = sorted((link.role, link.unit.name) for link in item.item_units.select_related("unit"))
    return (
        item.problem_no,
        item.category,
        item.source,
        item.site,
        item.description,
        item.measures,
        item.deadline,
        item.deadline_kind,
        links,
    )


def _export(letter) -> io.BytesIO:
    out = io.BytesIO()
    write_problem_list(out, letter_items(letter))
    out.seek(0)
    return out


def test_the_export_writes_problem_numbers_and_立行立改_with_its_date(world, seed):
    letter, _units = _source(world, seed)
    ws = load_workbook(_export(letter)).active
    assert [c.value for c in ws[1]][-1] == "问题编号"
    assert [ws.cell(row=r, column=10).value for r in range(2, 6)] == [1, 1, 2, None]
    assert ws.cell(row=3, column=9).value.startswith("立行立改（")


def test_parse_reads_back_grouping_and_several_leads(world, seed):
    letter, _units = _source(world, seed)
    sheet = parse_workbook(_export(letter), campaign_year=2020, directory=UnitDirectory.load(), today=TODAY)
    assert sheet.errors == [] and sheet.warnings == []
    assert [i.problem_no for i in sheet.items] == [1, 1, 2, None]
    assert len(sheet.items[0].leads) == 3 and len(sheet.items[0].cooperating) == 2
    assert (sheet.items[1].deadline, sheet.items[1].deadline_kind) == (dt.date(2031, 9, 1), DeadlineKind.IMMEDIATE)
    assert all(i.warnings == [] for i in sheet.items)


def test_export_then_import_into_a_new_draft_keeps_every_item(world, seed):
    letter, units = _source(world, seed)
    target = draft_letter(world, units=units, items=[])
    result = letter_import_items(actor=world.clerk, letter=target, workbook_file=_export(letter), campaign_year=2020)
    assert result.ok, [str(e) for e in result.errors]
    before = [_fields(i) for i in letter.items.order_by("seq")]
    after = [_fields(i) for i in target.items.order_by("seq")]
    assert after == before
