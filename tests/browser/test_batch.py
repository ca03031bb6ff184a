"""Batch actions (批量办理) in a real browser: for each action, tick every row of the list,
choose the action, read the preview (two go through, the others refused with the reason),
confirm once, and read the mixed result. Then the task table at 1366 px (文号, dates and names
on one line) and the phone's folded filters."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from types import SimpleNamespace

import pytest

from supervision import clock, services
from supervision.models import Assignment, AuditEvent, Unit, UnitKind
from tests.conftest import FUTURE, issue_letter, make_user
from tests.helpers import drive, sign_and_issue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _claims(w: SimpleNamespace) -> None:
    letter = issue_letter(w, items=3, units=[w.unit_a])
    colleague = make_user("liaison_a2", w.unit_a, "liaison", full_name="李四")
    colleague.set_password("pw-browser-1")
    colleague.save()
    services.assignment_claim(actor=colleague, assignment=Assignment.objects.filter(letter=letter).first())


def _cases(*states: str) -> Callable[[SimpleNamespace], None]:
    def build(w: SimpleNamespace) -> None:
        for state in states:
            drive(w, state)

    return build


def _carried(w: SimpleNamespace) -> None:
    # Reported a month ago (an earlier cycle); the third one again today, so it has nothing to carry.
    with clock.frozen(clock.now() - dt.timedelta(days=30)):
        letter = issue_letter(w, items=3, units=[w.unit_a])
        rows = list(Assignment.objects.filter(letter=letter).order_by("pk"))
        for a in rows:
            services.assignment_claim(actor=w.liaison_a, assignment=a.pk)
            services.assignment_report_progress(actor=w.liaison_a, assignment=a.pk, text="已完成排查")
    services.assignment_report_progress(actor=w.liaison_a, assignment=rows[2].pk, text="持续推进")


def _moot_extensions(signed: bool) -> Callable[[SimpleNamespace], None]:
    # Two requests to decide, and a third whose assignment went on to verification meanwhile.
    def build(w: SimpleNamespace) -> None:
        state = "ext_awaiting_decision" if signed else "ext_awaiting_signoff"
        drive(w, state)
        drive(w, state)
        moot = drive(w, state).assignment.pk
        services.assignment_start(actor=w.liaison_a, assignment=moot)
        services.assignment_submit_completion(actor=w.liaison_a, assignment=moot, text="已完成")
        services.assignment_approve_completion(actor=w.leader_a, assignment=moot)

    return build


# (who, list, action, scene, a reason the refused rows give)
ACTIONS = {
    "claim": ("liaison_a", "/tasks/", "claim", _claims, "Already claimed by 李四."),
    "sign_off": (
        "leader_a",
        "/tasks/?queue=unit_signoff",
        "approve_completion",
        _cases("completion_requested", "completion_requested", "return_requested"),
        "This cannot be done while the assignment is “Return awaiting leader sign-off”.",
    ),
    "verify": (
        "inspector",
        "/tasks/",
        "verify",
        _cases("awaiting_verification", "awaiting_verification", "completion_requested"),
        "This cannot be done while the assignment is “Completion awaiting leader sign-off”.",
    ),
    "write_off": (
        "director",
        "/tasks/?filtered=1",
        "close",
        _cases("verified", "verified", "awaiting_verification"),
        "This cannot be done while the assignment is “Awaiting verification”.",
    ),
    "carry_forward": (
        "liaison_a",
        "/tasks/?queue=mine",
        "carry_forward",
        _carried,
        "Progress was already reported in this cycle.",
    ),
    "extension_sign": (
        "leader_a",
        "/tasks/extensions/",
        "sign",
        _moot_extensions(signed=False),
        "its deadline can no longer be extended.",
    ),
    "extension_approve": (
        "clerk",
        "/tasks/extensions/",
        "approve",
        _moot_extensions(signed=True),
        "its deadline can no longer be extended.",
    ),
}


@pytest.mark.parametrize("name", list(ACTIONS))
def test_a_batch_action_from_selection_to_a_mixed_result(people, open_page, name):
    who, path, action, scene, reason = ACTIONS[name]
    scene(people)
    page = open_page(getattr(people, who), path, language="en")

    page.locator("input[data-pick-all]").check()
    ticked = page.locator("input[name=id][form=sv-batch]:checked").count()
    assert ticked >= 3
    page.locator("#sv-batch select[name=action]").select_option(action)
    page.locator("#sv-batch button[type=submit]").click()
    page.wait_for_url(re.compile(r"/tasks/batch/\?"))
    page.locator(".sv-batch__confirm").wait_for()  # Turbo changes the address before it renders

    assert page.locator("tr.sv-batch__allowed").count() == 2
    assert page.locator("tr.sv-batch__refused").count() == ticked - 2
    assert page.locator("tr.sv-batch__refused", has_text=reason).count() >= 1
    if action == "claim":
        page.locator("input[name=person]").fill("王主任")
    batches = AuditEvent.objects.filter(action="batch.ran").count()
    page.locator(".sv-batch__confirm button[type=submit]").click()
    page.wait_for_url(re.compile(r"/tasks/batch/[\w-]+/"))
    page.locator(".sv-batch__done").wait_for()

    assert page.locator(".sv-batch__done tbody tr").count() == 2
    assert page.locator(".sv-batch__refusals tbody tr").count() == ticked - 2
    assert page.locator(".sv-batch__refusals", has_text=reason).count() == 1
    assert AuditEvent.objects.filter(action="batch.ran").count() == batches + 1
    if name == "claim":  # once is enough: a reload shows the result again and does nothing again
        page.reload()
        page.locator(".sv-batch__done").wait_for()
        assert page.locator(".sv-batch__done tbody tr").count() == 2
        assert AuditEvent.objects.filter(action="batch.ran").count() == batches + 1


def _long_items(w: SimpleNamespace) -> None:
    """A letter whose problems fill their column, to a unit known by its long name, claimed by
    someone with a long name: what squeezed the other columns until they broke mid-token."""
    unit = Unit.objects.create(name="市乡村振兴局（市巩固衔接领导小组办公室）", kind=UnitKind.DEPARTMENT)
    liaison = make_user("liaison_long", unit, "liaison", full_name="欧阳建国")
    letter = services.letter_create(
        actor=w.clerk,
        office=w.office,
        kind="supervision",
        title="关于加快整改的督办函",
        body="请按时整改。",
        addressee_ids=[unit.pk, w.unit_a.pk],
    )
    for n in range(3):
        services.item_add(
            actor=w.clerk,
            letter=letter,
            description=f"问题{n + 1}：易地扶贫搬迁集中安置点配套设施不完善，后续扶持措施落实不到位，"
            "就业帮扶和社区治理有待加强",
            measures="完善配套设施",
            site="离石区城北安置点",
            deadline=FUTURE,
        )
    sign_and_issue(w, letter)
    services.assignment_claim(actor=liaison, assignment=Assignment.objects.filter(unit=unit).first())


def test_letter_numbers_dates_and_names_stay_on_one_line_at_1366_px(people, open_page):
    _long_items(people)
    page = open_page(people.clerk, "/tasks/", width=1366, height=768)
    # Each cell's text as the lines it is laid out in (characters grouped by their top).
    lines = page.locator("table.sv-tasks td.sv-nowrap, table.sv-tasks td.sv-keep").evaluate_all(
        """cells => cells.map(td => {
            const text = td.firstChild && td.firstChild.nodeType === Node.TEXT_NODE ? td.firstChild : null;
            if (!text) return [td.className, [td.textContent.trim()]];
            const lines = [];
            let top = null;
            for (let i = 0; i < text.length; i++) {
                const range = document.createRange();
                range.setStart(text, i);
                range.setEnd(text, i + 1);
                const y = Math.round(range.getBoundingClientRect().top);
                if (top === null || Math.abs(y - top) > 4) { lines.push(""); top = y; }
                lines[lines.length - 1] += text.data[i];
            }
            return [td.className, lines.map(l => l.trim()).filter(Boolean)];
        })"""
    )
    assert len(lines) >= 12
    for cls, text in lines:
        if cls == "sv-nowrap":  # 文号, dates and people's names: one line each
            assert len(text) == 1, lines
        else:  # a unit's name breaks between its words only: here before its parenthesis
            assert all(line.startswith("（") for line in text[1:]), lines


def test_on_a_phone_the_filters_fold_behind_a_button(people, open_page):
    page = open_page(people.clerk, "/tasks/", width=390, height=844, language="en")
    filters = page.locator("#sv-filters")
    toggle = page.locator("button[data-folds=sv-filters]")
    assert toggle.is_visible() and not filters.is_visible()
    toggle.click()
    assert filters.is_visible() and toggle.get_attribute("aria-expanded") == "true"
    toggle.click()
    assert not filters.is_visible()
    # On a wide screen the filters show and the button does not.
    page.set_viewport_size({"width": 1280, "height": 900})
    assert filters.is_visible() and not toggle.is_visible()
