"""Error pages: a missing page or object is a page of the shell in the person's language; a
server error is a plain page that still says what to do."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests.helpers import signed_in


def test_a_missing_page_is_a_chinese_page_of_the_shell_with_the_way_home(client: Client, world):
    response = signed_in(client, world.liaison_a, language="zh-hans").get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "页面不存在" in body
    assert f'href="{reverse("home")}"' in body
    # The drawer is there, so the person can go on from here.
    assert "sv-inbox" in body


def test_another_units_assignment_is_not_found_rather_than_shown(client: Client, world, letter):
    from supervision.models import Assignment

    theirs = Assignment.objects.filter(letter=letter, unit=world.unit_b).first()
    response = signed_in(client, world.liaison_a).get(reverse("tasks:detail", args=[theirs.pk]))
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_the_server_error_page_renders_without_a_request_and_in_chinese():
    with translation.override("zh-hans"):
        html = render_to_string("500.html")
    assert "服务器出错" in html and 'href="/"' in html
