"""The unit directory pages: upload → preview (nothing written) → confirm → the passwords once and
their sheet once; the template and the export (a round trip); only the office's clerks and
directors."""

from __future__ import annotations

import io
import re

import pytest
from django.core import signing
from django.urls import reverse
from openpyxl import load_workbook

from notices.contacts_layout import UNIT_COLUMNS
from supervision.models import AuditEvent, Membership, Unit, User
from tests.factories import browser_for
from tests.notices import pdfs
from tests.onboarding.sheets import PERSON_HEADINGS, demo_directory, workbook

pytestmark = pytest.mark.django_db

SMALL = [
    ["丙县人民政府", "丙县", "县（市、区）", "", 3, "张三", "股长", "13900000001", "李四", "副县长", "0358-1234567"],
    ["丙县城关镇人民政府", "城关镇", "乡镇", "丙县", 1, "王五", "站长", "13900000003"],
]


def _upload(client, sheet):
    return client.post(reverse("directory:import"), {"file": sheet})


def _token(response) -> str:
    found = re.search(r'name="rows" value="([^"]+)"', response.content.decode())
    assert found, "the preview offers no confirm button"
    return found.group(1)


def test_the_preview_shows_everything_and_writes_nothing(world):
    client = browser_for(world.clerk)
    counts = (Unit.objects.count(), User.objects.count(), Membership.objects.count(), AuditEvent.objects.count())
    response = _upload(client, workbook(SMALL))
    assert response.status_code == 200
    page = response.content.decode()
    for text in (
        "丙县人民政府",
        "丙县城关镇人民政府",
        "13900000001",
        "丙县分管领导",
        "2 units to create",
        "3 new accounts",
    ):
        assert text in page
    assert (
        Unit.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
        AuditEvent.objects.count(),
    ) == counts
    assert "no-store" in response.headers["Cache-Control"]


def test_confirm_imports_and_shows_each_password_once(world):
    client = browser_for(world.clerk)
    token = _token(_upload(client, workbook(SMALL)))
    response = client.post(reverse("directory:confirm"), {"rows": token})
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    page = response.content.decode()
    passwords = re.findall(r'<code class="directory-password">([^<]+)</code>', page)
    usernames = re.findall(r'<code class="directory-username">([^<]+)</code>', page)
    assert usernames == ["13900000001", "丙县分管领导", "13900000003"]
    for username, password in zip(usernames, passwords, strict=True):
        assert User.objects.get(username=username).check_password(password)
    assert Unit.objects.get(name="丙县城关镇人民政府").parent.name == "丙县人民政府"
    # The same preview confirmed again (a second click, the back button) creates nothing more.
    again = client.post(reverse("directory:confirm"), {"rows": token})
    assert again.status_code == 200
    assert not re.findall(r'<code class="directory-password">', again.content.decode())
    assert User.objects.filter(username__in=usernames).count() == 3


def test_the_accounts_sheet_downloads_once_with_every_account(world):
    client = browser_for(world.clerk)
    done = client.post(reverse("directory:confirm"), {"rows": _token(_upload(client, demo_directory()))})
    page = done.content.decode()
    sheet = re.search(r'name="sheet" value="([^"]+)"', page).group(1)
    key = re.search(r'name="key" value="([^"]+)"', page).group(1)
    passwords = re.findall(r'<code class="directory-password">([^<]+)</code>', page)
    usernames = re.findall(r'<code class="directory-username">([^<]+)</code>', page)
    assert len(passwords) == 96
    # Nothing secret in a URL: the form posts to a fixed address.
    assert reverse("directory:accounts_sheet") in page and sheet not in reverse("directory:accounts_sheet")

    # Someone else, or the wrong key, gets nothing.
    other = User.objects.create(username="clerk2")
    Membership.objects.create(user=other, unit=world.office, role="clerk")
    assert browser_for(other).post(reverse("directory:accounts_sheet"), {"sheet": sheet, "key": key}).status_code == 410
    wrong = client.post(reverse("directory:accounts_sheet"), {"sheet": sheet, "key": "A" * 43 + "="})
    assert wrong.status_code == 410

    response = client.post(reverse("directory:accounts_sheet"), {"sheet": sheet, "key": key})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response.headers["Cache-Control"]
    pdf = response.content
    assert len(pdfs.page_sizes(pdf)) == 48  # one page per unit
    text = pdfs.text(pdf)
    for username, password in zip(usernames, passwords, strict=True):
        assert username in text and password in text
    assert "离石区信义镇人民政府" in text and "http://" in text

    # Once only.
    assert client.post(reverse("directory:accounts_sheet"), {"sheet": sheet, "key": key}).status_code == 410


def test_errors_are_listed_and_nothing_can_be_confirmed(world):
    client = browser_for(world.clerk)
    response = _upload(client, workbook([*SMALL, ["丁县人民政府", "", "星球"]]))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Row 4, 单位类型: “星球” is not a kind of unit" in page
    assert 'name="rows"' not in page
    assert not Unit.objects.filter(name="丙县人民政府").exists()


def test_a_preview_is_confirmed_only_by_whoever_made_it(world):
    token = _token(_upload(browser_for(world.clerk), workbook(SMALL)))
    response = browser_for(world.director).post(reverse("directory:confirm"), {"rows": token})
    assert response.status_code == 400
    assert not Unit.objects.filter(name="丙县人民政府").exists()
    tampered = signing.dumps({"layout": "unit", "headings": {}, "records": []}, salt="other")
    assert browser_for(world.clerk).post(reverse("directory:confirm"), {"rows": tampered}).status_code == 400


def test_the_preview_is_checked_again_at_confirm(world):
    client = browser_for(world.clerk)
    token = _token(_upload(client, workbook(SMALL)))
    # Meanwhile the county was made inactive in master data: the township's parent is refused.
    Unit.objects.create(name="丙县人民政府", kind="county", peer_group="county", is_active=False)
    response = client.post(reverse("directory:confirm"), {"rows": token})
    assert response.status_code == 400
    assert "is no longer active" in response.content.decode()
    assert not Unit.objects.filter(name="丙县城关镇人民政府").exists()


@pytest.mark.parametrize("who", ["liaison_a", "leader_a", "inspector", "observer", "outsider"])
def test_other_people_are_refused_every_page(world, who):
    client = browser_for(getattr(world, who))
    assert client.get(reverse("directory:import")).status_code == 403
    assert _upload(client, workbook(SMALL)).status_code == 403
    assert client.post(reverse("directory:confirm"), {"rows": "x"}).status_code == 403
    assert client.get(reverse("directory:template")).status_code == 403
    assert client.get(reverse("directory:export")).status_code == 403
    assert not Unit.objects.filter(name="丙县人民政府").exists()


def test_the_office_menu_links_the_directory_for_clerks_and_directors(world):
    link = f'href="{reverse("directory:import")}"'
    assert link in browser_for(world.clerk).get(reverse("office:index")).content.decode()
    assert link not in browser_for(world.inspector).get(reverse("office:index")).content.decode()


def test_template_and_export_round_trip(world):
    client = browser_for(world.clerk)
    template = client.get(reverse("directory:template"))
    assert template.status_code == 200
    assert "%E5%8D%95%E4%BD%8D%E9%80%9A%E8%AE%AF%E5%BD%95%E6%A8%A1%E6%9D%BF.xlsx" in template["Content-Disposition"]
    ws = load_workbook(io.BytesIO(b"".join(template.streaming_content))).active
    assert [c.value for c in ws[1]] == [c.heading for c in UNIT_COLUMNS]

    client.post(reverse("directory:confirm"), {"rows": _token(_upload(client, demo_directory()))})
    export = client.get(reverse("directory:export"))
    exported = io.BytesIO(b"".join(export.streaming_content))
    rows = [r for r in load_workbook(exported).active.iter_rows(values_only=True) if r[0]]
    assert len(rows) == 1 + 48 + 3  # the heading, the demo's units and the world's three
    exported.seek(0)
    # Imported again: everything is here already, nothing to confirm.
    again = _upload(client, exported)
    page = again.content.decode()
    assert again.status_code == 200, page
    assert "there is nothing to import" in page
    assert 'name="rows"' not in page


def test_the_preview_reads_a_few_queries_however_long_the_sheet(world, django_assert_max_num_queries):
    client = browser_for(world.clerk)
    with django_assert_max_num_queries(20):
        response = _upload(client, demo_directory())
    assert response.status_code == 200


def test_the_passwords_page_is_kept_by_no_cache(world):
    client = browser_for(world.clerk)
    response = client.post(reverse("directory:confirm"), {"rows": _token(_upload(client, workbook(SMALL)))})
    assert "no-store" in response.headers["Cache-Control"]
    assert '<meta name="turbo-cache-control" content="no-cache">' in response.content.decode()


def test_a_cache_failure_after_the_import_still_shows_the_passwords(world, monkeypatch, caplog):
    """The import is committed before the sheet is kept: a cache that fails then (Redis down) must
    not lose the passwords behind a 500. The page shows them, without the sheet's download."""
    from workflows.directory import views

    real_set = views.cache.set

    def down(key, *args, **kwargs):
        # Only the sheet's key fails: the rest of the page (its menu's counts) may use the cache too.
        if key.startswith("directory-accounts:"):
            raise ConnectionError("Redis is down")
        return real_set(key, *args, **kwargs)

    client = browser_for(world.clerk)
    token = _token(_upload(client, workbook(SMALL)))
    monkeypatch.setattr(views.cache, "set", down)
    response = client.post(reverse("directory:confirm"), {"rows": token})
    assert response.status_code == 200
    page = response.content.decode()
    passwords = re.findall(r'<code class="directory-password">([^<]+)</code>', page)
    usernames = re.findall(r'<code class="directory-username">([^<]+)</code>', page)
    assert len(passwords) == 3
    for username, password in zip(usernames, passwords, strict=True):
        assert User.objects.get(username=username).check_password(password)
    assert "The printable sheet is not available right now: copy the passwords from this page." in page
    assert reverse("directory:accounts_sheet") not in page
    assert "could not be kept" in caplog.text
    assert not any(p in caplog.text for p in passwords)


def test_an_account_made_between_preview_and_confirm_is_a_clear_error(world, monkeypatch):
    """A username the plan chose is taken before the writes (another office's import, the admin):
    the confirm answers with a clear message, not a 500, and writes nothing."""
    from supervision.services import onboarding

    real_plan = onboarding.directory_plan

    def plan_then_race(entries):
        plan = real_plan(entries)
        User.objects.create(username=plan.accounts[0].username)
        return plan

    client = browser_for(world.clerk)
    token = _token(_upload(client, workbook(SMALL)))
    monkeypatch.setattr(onboarding, "directory_plan", plan_then_race)
    response = client.post(reverse("directory:confirm"), {"rows": token})
    assert response.status_code == 400
    assert "The directory changed meanwhile: upload it again to see a new preview." in response.content.decode()
    assert not Unit.objects.filter(name="丙县人民政府").exists()
    assert not User.objects.filter(username="13900000001").exists()


def test_a_clerk_listing_themselves_as_a_liaison_gets_an_error_and_no_role(world):
    User.objects.filter(pk=world.clerk.pk).update(full_name="周九", phone="13900000009")
    client = browser_for(world.clerk)
    sheet = workbook([["甲县人民政府", "周九", "科员", "139 0000 0009", "联络员"]], headings=PERSON_HEADINGS)
    response = _upload(client, sheet)
    assert response.status_code == 400
    page = response.content.decode()
    assert "周九 works in the office: give unit roles under master data." in page
    assert 'name="rows"' not in page
    # Nor through a preview signed before (or forged around) the check: the confirm checks again.
    from notices.contacts import parse_directory

    row = ["甲县人民政府", "周九", "科员", "13900000009", "联络员"]
    rows = parse_directory(workbook([row], headings=PERSON_HEADINGS))
    token = signing.dumps(rows.rows.to_payload(), salt=f"directory-import:{world.clerk.pk}", compress=True)
    response = client.post(reverse("directory:confirm"), {"rows": token})
    assert response.status_code == 400
    assert "works in the office" in response.content.decode()
    assert not Membership.objects.filter(user=world.clerk, unit=world.unit_a).exists()
