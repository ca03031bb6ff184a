"""The import's services: a preview writes nothing; an import writes every row or none, with the
leads the clerk chose; items may name several lead units, each with its own lead assignment."""

from __future__ import annotations

import pytest
from django.urls import reverse

from notices.services import letter_import_items, letter_import_preview
from supervision import services
from supervision.models import Assignment, AssignmentState, Item, UnitRole
from supervision.selectors import task_page
from supervision.services import InvalidInput, InvalidTransition, NotAllowed
from supervision.services.letters import item_update
from tests.factories import FUTURE, sign_and_issue, write_off
from tests.helpers import browser_for, draft_letter, snapshot
from tests.imports.flow import YEAR, problems, row, xlsx


@pytest.fixture
def draft(world):
    return draft_letter(world, items=[])


def _links(item: Item) -> list[tuple[str, str]]:
    return sorted((link.role, link.unit.short_name) for link in item.item_units.select_related("unit"))


def test_a_preview_writes_nothing_and_says_what_it_would_do(world, draft):
    before = snapshot()
    preview = letter_import_preview(
        actor=world.clerk,
        letter=draft,
        workbook_file=xlsx(problems(3) + [row(seq=4, description="新问题", lead="市农业农村局")]),
        campaign_year=YEAR,
    )
    assert snapshot() == before
    assert preview.ok and preview.measures == 4 and preview.problems == 4
    assert [item.description for item in preview.items][-1] == "新问题"
    # 市农业农村局 is not addressed yet: the import would add it, the preview only says so.
    assert [u.pk for u in preview.would_add] == [world.unit_c.pk]
    assert not draft.addressees.filter(pk=world.unit_c.pk).exists()


@pytest.mark.parametrize("who", ["observer", "liaison_a", "outsider", "director"])
def test_only_the_office_s_clerk_previews(world, draft, who):
    with pytest.raises(NotAllowed):
        letter_import_preview(actor=getattr(world, who), letter=draft, workbook_file=xlsx(problems(1)))


def test_only_a_draft_is_previewed(world, draft):
    services.item_add(actor=world.clerk, letter=draft, description="已有问题", deadline=FUTURE)
    sign_and_issue(world, draft)
    with pytest.raises(InvalidTransition):
        letter_import_preview(actor=world.clerk, letter=draft, workbook_file=xlsx(problems(1)))


def test_the_import_writes_every_row(world, draft):
    result = letter_import_items(actor=world.clerk, letter=draft, workbook_file=xlsx(problems(3)), campaign_year=YEAR)
    assert result.ok
    assert list(draft.items.order_by("seq").values_list("description", flat=True)) == [
        "安置点问题1",
        "安置点问题2",
        "安置点问题3",
    ]


def test_one_bad_row_blocks_every_row(world, draft):
    before = snapshot()
    rows = problems(3) + [row(seq=4, description="第四个问题", lead="丙县")]
    result = letter_import_items(actor=world.clerk, letter=draft, workbook_file=xlsx(rows), campaign_year=YEAR)
    assert not result.ok and [e.row for e in result.errors] == [5]
    assert snapshot() == before


def test_the_lead_the_clerk_chose_leads_and_the_others_cooperate(world, draft):
    rows = [row(description="问题甲", lead="甲县人民政府", cooperating="市农业农村局、乙县人民政府"), row(seq=2)]
    result = letter_import_items(
        actor=world.clerk,
        letter=draft,
        workbook_file=xlsx(rows),
        campaign_year=YEAR,
        lead_overrides={2: [world.unit_c.pk]},
    )
    assert result.ok
    first, second = draft.items.order_by("seq")
    assert _links(first) == [("cooperating", "乙县"), ("cooperating", "甲县"), ("lead", "农业农村局")]
    assert _links(second) == [("lead", "甲县")]  # no choice made: as the sheet says


@pytest.mark.parametrize(
    "overrides, row_number",
    [
        ({2: ["unit_b"]}, 2),  # a unit the row does not name
        ({2: []}, 2),  # no lead at all
        ({9: ["unit_a"]}, 9),  # no problem on that row
    ],
)
def test_a_lead_choice_outside_the_row_s_units_is_an_error(world, draft, overrides, row_number):
    before = snapshot()
    chosen = {r: [getattr(world, u).pk for u in units] for r, units in overrides.items()}
    result = letter_import_items(
        actor=world.clerk,
        letter=draft,
        workbook_file=xlsx([row(lead="甲县人民政府", cooperating="市农业农村局")]),
        campaign_year=YEAR,
        lead_overrides=chosen,
    )
    assert not result.ok and [e.row for e in result.errors] == [row_number]
    assert snapshot() == before


def test_a_duplicate_is_the_same_problem_with_the_same_measure(world, draft):
    services.item_add(
        actor=world.clerk, letter=draft, description="安置点问题1", measures="完善配套设施", deadline=FUTURE
    )
    result = letter_import_items(actor=world.clerk, letter=draft, workbook_file=xlsx(problems(1)), campaign_year=YEAR)
    assert not result.ok and "already has this problem" in str(result.errors[0])
    other = [row(description="安置点问题1", measures="另一项整改措施")]
    assert letter_import_items(actor=world.clerk, letter=draft, workbook_file=xlsx(other), campaign_year=YEAR).ok


# --- several lead units ------------------------------------------------------------------------------


def _two_leads(world, draft, cooperating=()):
    return services.item_add(
        actor=world.clerk,
        letter=draft,
        description="各县安置点配套设施不完善",
        deadline=FUTURE,
        lead_unit_ids=[world.unit_a.pk, world.unit_b.pk],
        cooperating_unit_ids=[u.pk for u in cooperating],
        problem_no=3,
    )


def test_several_leads_issue_one_lead_assignment_per_unit(world):
    draft = draft_letter(world, items=[], units=[world.unit_a, world.unit_b, world.unit_c])
    item = _two_leads(world, draft, cooperating=[world.unit_c])
    assert item.problem_no == 3
    sign_and_issue(world, draft)
    assert sorted(Assignment.objects.filter(item=item).values_list("unit__short_name", "role")) == [
        ("乙县", UnitRole.LEAD),
        ("农业农村局", UnitRole.COOPERATING),
        ("甲县", UnitRole.LEAD),
    ]


def test_the_old_single_lead_argument_still_works(world, draft):
    item = services.item_add(
        actor=world.clerk, letter=draft, description="问题", deadline=FUTURE, lead_unit_id=world.unit_b.pk
    )
    assert _links(item) == [("lead", "乙县")]


def test_a_unit_is_never_both_lead_and_cooperating(world, draft):
    with pytest.raises(InvalidInput):
        services.item_add(
            actor=world.clerk,
            letter=draft,
            description="问题",
            deadline=FUTURE,
            lead_unit_ids=[world.unit_a.pk, world.unit_b.pk],
            cooperating_unit_ids=[world.unit_b.pk],
        )


def test_changing_an_item_keeps_its_problem_number_unless_given(world, draft):
    item = _two_leads(world, draft)
    item_update(
        actor=world.clerk, item=item, description="改写的问题", deadline=FUTURE, lead_unit_ids=[world.unit_a.pk]
    )
    item.refresh_from_db()
    assert item.problem_no == 3 and _links(item) == [("lead", "甲县")]
    item_update(actor=world.clerk, item=item, description="改写的问题", deadline=FUTURE, problem_no=None)
    item.refresh_from_db()
    assert item.problem_no is None and _links(item) == []


def test_cooperating_tasks_close_with_the_last_lead_written_off(world):
    draft = draft_letter(world, items=[], units=[world.unit_a, world.unit_b, world.unit_c])
    item = _two_leads(world, draft, cooperating=[world.unit_c])
    sign_and_issue(world, draft)
    lead_a, lead_b, coop = (
        Assignment.objects.get(item=item, unit=unit) for unit in (world.unit_a, world.unit_b, world.unit_c)
    )
    write_off(world, lead_a, world.liaison_a, world.leader_a)
    # 乙县 still leads on its own ground: 农业农村局 goes on helping it.
    assert Assignment.objects.get(pk=coop.pk).state == AssignmentState.ISSUED
    write_off(world, lead_b, world.liaison_b, world.leader_b)
    assert Assignment.objects.get(pk=coop.pk).state == AssignmentState.CLOSED


def test_a_cooperating_unit_sees_every_lead(world, client):
    draft = draft_letter(world, items=[], units=[world.unit_a, world.unit_b, world.unit_c])
    item = _two_leads(world, draft, cooperating=[world.unit_c])
    sign_and_issue(world, draft)
    coop = Assignment.objects.get(item=item, unit=world.unit_c)
    partners = task_page.task_partners(world.liaison_c, coop)
    assert sorted(p.unit.short_name for p in partners.leads) == ["乙县", "甲县"]
    page = browser_for(world.liaison_c).get(reverse("tasks:detail", args=[coop.pk])).content.decode()
    leads = page.split('class="sv-partners"')[1].split("</dd>")[0]
    assert "甲县" in leads and "乙县" in leads


# --- the item form --------------------------------------------------------------------------------------


def test_the_item_form_keeps_several_leads(world, draft):
    item = _two_leads(world, draft)
    clerk = browser_for(world.clerk)
    url = reverse("letters:item_edit", args=[draft.pk, item.pk])
    page = clerk.get(url).content.decode()
    chosen = [m for m in (f'value="{world.unit_a.pk}" selected', f'value="{world.unit_b.pk}" selected') if m in page]
    assert len(chosen) == 2  # both leads shown chosen: saving the form as it is keeps them
    fields = {"description": "问题改写", "category": "specific", "source": "self_inspection", "site": ""}
    fields |= {"deadline": FUTURE.isoformat(), "deadline_kind": "by_date", "measures": ""}
    response = clerk.post(url, {**fields, "lead": [world.unit_a.pk, world.unit_b.pk]})
    assert response.status_code == 302
    assert _links(Item.objects.get(pk=item.pk)) == [("lead", "乙县"), ("lead", "甲县")]
    # The same unit both lead and cooperating: refused, and nothing changes.
    clerk.post(url, {**fields, "description": "不应保存", "lead": [world.unit_a.pk], "cooperating": [world.unit_a.pk]})
    item.refresh_from_db()
    assert item.description == "问题改写"
    detail = clerk.get(reverse("letters:detail", args=[draft.pk])).content.decode()
    assert detail.count('class="sv-lead"') == 2
