"""The app shell: sign-in, where each person lands, who may open which application, the drawer,
the language switch, signing out."""

from __future__ import annotations

import pytest
from django.urls import reverse

from supervision.models import Membership, Role
from tests.conftest import make_user
from tests.helpers import signed_in
from workflows.site import site

SIGNED_IN_PAGES = ["home", "office:index", "unit:index", "tasks:list", "tasks:inbox", "letters:list"]


@pytest.mark.parametrize("name", SIGNED_IN_PAGES)
def test_signed_out_visitors_are_sent_to_sign_in(client, db, name):
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_the_sign_in_page_is_public_chinese_and_offers_english(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="zh-hans"' in body
    assert "登录" in body and "督查督办" in body
    # viewflow's demo caption is replaced by our name.
    assert "Viewflow" not in body
    assert f'action="{reverse("set_language")}"' in body and 'value="en"' in body
    # The switch works signed out: the next page is English.
    client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    assert '<html lang="en"' in client.get(reverse("login")).content.decode()


def test_signing_in_lands_each_person_on_their_page(client, world):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(pk=world.clerk.pk)
    user.set_password("s3cret-pass")
    user.save()
    response = client.post(reverse("login"), {"username": "clerk", "password": "s3cret-pass"}, follow=True)
    assert [url for url, _status in response.redirect_chain] == [reverse("home"), reverse("office:index")]
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("who", "landing"),
    [
        ("clerk", "office:index"),
        ("observer", "office:index"),
        ("liaison_a", "unit:index"),
        ("leader_b", "unit:index"),
    ],
)
def test_home_sends_each_person_to_their_landing_page(client, world, who, landing):
    response = signed_in(client, getattr(world, who)).get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == reverse(landing)


def test_someone_in_the_office_and_a_unit_lands_on_the_office_and_sees_both_menus(client, world):
    both = make_user("both", world.office, Role.CLERK)
    Membership.objects.create(user=both, unit=world.unit_a, role=Role.LIAISON)
    c = signed_in(client, both)
    assert c.get(reverse("home"))["Location"] == reverse("office:index")
    assert c.get(reverse("unit:index")).status_code == 200
    request = c.get(reverse("office:index")).context["request"]
    titles = [str(g.title) for g in site.menu_for(request) if g.title]
    assert titles == ["Office workbench", "My unit's work"]


def test_someone_without_a_role_gets_a_page_that_says_whom_to_ask(client, world):
    response = signed_in(client, world.outsider).get(reverse("home"))
    assert response.status_code == 200
    assert "Ask the system administrator" in response.content.decode()
    for name in ("office:index", "unit:index"):
        assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("who", ["liaison_a", "leader_a", "liaison_b", "leader_b"])
def test_a_unit_member_is_refused_every_office_page(client, world, who):
    response = signed_in(client, getattr(world, who)).get(reverse("office:index"))
    assert response.status_code == 403
    body = response.content.decode()
    # The refusal is a page of the shell, in the person's language, with the way back.
    assert "No access" in body and f'href="{reverse("home")}"' in body


def _drawer(client, user, url: str) -> list[tuple[str | None, list[tuple[str, bool]]]]:
    response = signed_in(client, user).get(url)
    assert response.status_code == 200
    groups = site.menu_for(response.context["request"])
    return [(g.title and str(g.title), [(str(link.title), link.active) for link in g.links]) for g in groups]


def test_the_drawer_shows_the_office_its_menu_and_marks_the_page(client, world):
    drawer = _drawer(client, world.inspector, reverse("tasks:list") + "?queue=to_verify")
    assert [title for title, _links in drawer] == ["Office workbench", None]
    office_links = dict(drawer[0][1])
    assert "To verify" in office_links and "Returned" not in office_links  # the clerk's queue
    assert [title for group in drawer for title, active in group[1] if active] == ["To verify"]
    # The inspector is not staff: no master data.
    assert dict(drawer[1][1]).keys() == {"Notifications"}


def test_the_drawer_shows_a_unit_its_menu(client, world):
    drawer = _drawer(client, world.leader_a, reverse("unit:index"))
    assert [title for title, _links in drawer] == ["My unit's work", None]
    links = dict(drawer[0][1])
    assert links["Overview"] is True
    assert "Awaiting my sign-off" in links and "Claimed by me" not in links  # the liaison's queue


def test_the_drawer_is_in_the_page(client, world):
    body = signed_in(client, world.clerk).get(reverse("office:index")).content.decode()
    assert 'class="vf-page__menu mdc-drawer' in body
    assert f'href="{reverse("tasks:list")}?queue=returned"' in body
    assert "mdc-list-item--selected" in body


def test_the_language_switch_flips_the_page_to_english_and_back(client, world):
    client.force_login(world.clerk)  # no Accept-Language: the default, Chinese
    url = reverse("office:index")
    body = client.get(url).content.decode()
    assert '<html lang="zh-hans"' in body and "工作概览" in body
    response = client.post(reverse("set_language"), {"language": "en", "next": url}, follow=True)
    assert response.redirect_chain[-1][0] == url
    body = response.content.decode()
    assert '<html lang="en"' in body and "Overview" in body and "工作概览" not in body
    # The switch offers the other language, named in itself.
    assert 'name="language" value="zh-hans"' in body and "中文" in body
    body = client.post(reverse("set_language"), {"language": "zh-hans", "next": url}, follow=True).content.decode()
    assert '<html lang="zh-hans"' in body and "工作概览" in body


def test_the_language_switch_ignores_bad_input(client, world):
    c = signed_in(client, world.clerk)
    response = c.post(reverse("set_language"), {"language": "xx", "next": "https://elsewhere.example/"})
    # An unknown language changes nothing, a foreign "next" is not followed: never an error page.
    assert response.status_code == 302 and response["Location"] == "/"


def test_signing_out_is_a_post(client, world):
    c = signed_in(client, world.clerk)
    assert c.get(reverse("logout")).status_code == 405
    body = c.get(reverse("office:index")).content.decode()
    assert f'method="post" action="{reverse("logout")}"' in body
    response = c.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert c.get(reverse("office:index")).status_code == 302
