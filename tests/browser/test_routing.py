"""送签 → 退回修改 → 签发 in a browser: the clerk sends a draft letter to the director, who finds
it in the inbox and sends it back with a reason; the clerk reads the reason, changes an item in
place and sends it again; the director signs with a comment, which the letter page then shows.
And the unit picker: a group shortcut, the search box and a plain click.

Forms are found by what they post to, not by their labels, so the tests hold in either language.
"""

from __future__ import annotations

import re

import pytest

from supervision.models import Letter
from tests.helpers import draft_letter

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REASON = "第1项整改时限与省里要求不一致，请核实。"


def _ok(page) -> None:
    page.locator(".sv-msg--success").wait_for()


def _submit(page, action: str, **fields: str) -> None:
    form = page.locator(f"form[action$='/do/{action}/']")
    for name, value in fields.items():
        form.locator(f"[name={name}]").fill(value)
    # Drop the last message so that the wait below sees the new one (pages are swapped in place).
    page.evaluate("document.querySelectorAll('.sv-msg').forEach(e => e.remove())")
    form.locator("button").click()
    _ok(page)


def test_send_return_and_sign(people, open_page):
    world = people
    letter = draft_letter(world)
    path = f"/letters/{letter.pk}/"
    accept = lambda dialog: dialog.accept()  # noqa: E731 - every confirmation is answered yes

    clerk = open_page(world.clerk, path)
    clerk.on("dialog", accept)
    clerk.locator("form[action$='/do/send/'] select[name=director]").select_option(str(world.director.pk))
    _submit(clerk, "send")
    assert Letter.objects.get(pk=letter.pk).state == "pending_signature"
    # Nothing can be changed while it waits.
    assert clerk.locator("form[action$='/do/update/']").count() == 0

    director = open_page(world.director, "/tasks/inbox/")
    director.on("dialog", accept)
    director.get_by_text(letter.title).first.wait_for()
    director.goto(clerk.url)
    _submit(director, "return", reason=REASON)
    assert Letter.objects.get(pk=letter.pk).state == "draft"

    clerk.reload()
    clerk.locator(".sv-returned").filter(has_text=REASON).wait_for()
    # The clerk changes the item in place, then sends the letter again.
    clerk.locator(f"a[href$='/items/{letter.items.get().pk}/']").click()
    clerk.wait_for_url(re.compile(r"/items/\d+/$"))
    clerk.locator("textarea[name=description]").fill("安置点配套设施不完善（已核实时限）")
    clerk.locator("input[name=deadline]").fill("2027-06-30")
    clerk.locator("form.sv-action button[type=submit]").click()
    clerk.locator("table.sv-table").get_by_text("已核实时限").wait_for()
    _submit(clerk, "send")

    director.reload()
    _submit(director, "sign", comment="同意印发。")
    director.locator(".sv-signer").filter(has_text=world.director.display_name).wait_for()
    director.locator(".sv-sign-comment").filter(has_text="同意印发。").wait_for()
    director.locator(".sv-routing li").nth(4).wait_for()  # drafted, sent, returned, sent, signed
    letter = Letter.objects.get(pk=letter.pk)
    assert (letter.state, letter.signer, letter.sign_comment) == ("signed", world.director, "同意印发。")


def test_the_unit_picker(people, open_page):
    world = people
    clerk = open_page(world.clerk, "/letters/new/")
    addressees = clerk.locator("select[name=addressees]")
    chosen = "el => Array.from(el.selectedOptions).map(o => o.value).sort()"
    box = clerk.locator(".sv-picker").first
    # 全部县（市、区）: both counties at once; pressed again, neither.
    box.locator(".sv-picker__shortcut[data-group=county]").click()
    assert addressees.evaluate(chosen) == sorted([str(world.unit_a.pk), str(world.unit_b.pk)])
    clerk.locator(".sv-picker__chosen").first.get_by_text(world.unit_b.name).wait_for()
    # The search box narrows the list; a plain click adds one unit without dropping the others.
    box.locator("input[type=search]").fill("农业")
    assert addressees.locator("option:not([hidden])").count() == 1
    addressees.locator(f"option[value='{world.unit_c.pk}']").click()
    assert len(addressees.evaluate(chosen)) == 3
    # Its chip drops it again.
    clerk.locator(".sv-picker__chosen").first.get_by_role("button", name=f"{world.unit_c.name} ×").click()
    assert len(addressees.evaluate(chosen)) == 2
