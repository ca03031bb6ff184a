"""Odd input a unit user can type into an address: digits Python's isdigit() takes but int() does
not, numbers past a database column, control characters, a thousand parameters. Each gets the
page a person would expect (first page, no filter, not found, or a clear refusal), never a 500."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse

from notices.filters import ledger_request
from supervision.models import Letter
from supervision.parsing import MAX_ID, clean_text, parse_id
from tests.conftest import issue_letter
from tests.helpers import browser_for

HUGE = "9" * 30  # past any 64-bit column


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("7", 7),
        (" 7 ", 7),
        (str(MAX_ID), MAX_ID),
        ("²", None),  # isdigit() says yes, int() says no
        ("①", None),
        ("٣", None),  # int() reads it as 3: still not how an id is written
        ("1_000", None),
        ("-1", None),
        ("0", None),
        (str(MAX_ID + 1), None),
        (HUGE, None),
        ("", None),
        ("1\x00", None),
        (None, None),
        (12, 12),
        (True, None),
    ],
)
def test_an_id_is_ascii_digits_within_a_64_bit_column(raw, expected):
    assert parse_id(raw) == expected


def test_free_text_loses_control_characters():
    assert clean_text("甲县\x00安置点") == "甲县 安置点"
    assert clean_text("\t道路\n硬化\x7f ") == "道路 硬化"
    assert clean_text("x" * 1000, 100) == "x" * 100
    assert clean_text(None) == ""


# --- ids that are not ids ------------------------------------------------------------------------


@pytest.mark.parametrize("before", ["²", "①", HUGE, "-3", "abc"])
def test_a_mangled_letter_page_cursor_shows_the_first_page(world, before):
    letter = issue_letter(world)
    response = browser_for(world.liaison_a).get(reverse("letters:list"), {"before": before})
    assert response.status_code == 200
    assert letter.title in response.content.decode()


@pytest.mark.parametrize("value", ["²", "①", HUGE, "0"])
def test_the_import_template_of_a_letter_that_is_not_an_id_is_not_found(world, value):
    issue_letter(world)
    response = browser_for(world.clerk).get(reverse("notices:import_template"), {"letter": value})
    assert response.status_code == 404


@pytest.mark.parametrize("url_name", ["notices:ledger_xlsx", "notices:ledger_pdf"])
@pytest.mark.parametrize("value", ["²", "①"])
def test_a_ledger_for_a_letter_or_unit_that_is_not_an_id_is_a_clear_refusal(world, url_name, value):
    issue_letter(world)
    client = browser_for(world.liaison_a)
    by_letter = client.get(reverse(url_name), {"letter": value})
    assert by_letter.status_code == 400
    assert f"No letter “{value}” that you may see." in by_letter.content.decode()
    by_unit = client.get(reverse(url_name), {"unit": value})
    assert by_unit.status_code == 400
    assert f"No unit is called “{value}”." in by_unit.content.decode()


def test_a_ledger_by_letter_id_and_by_number_still_works(world):
    letter = issue_letter(world)
    client = browser_for(world.liaison_a)
    for value in (str(letter.pk), letter.number):
        assert client.get(reverse("notices:ledger_xlsx"), {"letter": value}).status_code == 200


@pytest.mark.parametrize("param", ["unit", "letter"])
def test_an_assignment_list_filter_past_the_id_column_is_dropped_with_a_message(world, param):
    letter = issue_letter(world)
    response = browser_for(world.liaison_a).get(reverse("tasks:list"), {param: HUGE, "filtered": "1"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "ignored" in body
    # The filter is dropped, not applied: unit A's assignment of the letter is still listed.
    assert letter.number in body


def test_a_ranking_for_a_cycle_that_is_not_a_number_shows_the_latest(world):
    response = browser_for(world.liaison_a).get(reverse("cycles:ranking"), {"cycle": "²" + "9" * 5000})
    assert response.status_code == 200


# --- control characters ----------------------------------------------------------------------------


def test_ledger_filters_drop_nul_and_other_control_characters(world):
    letter = issue_letter(world)
    asked = ledger_request(text="安置点\x00", site="\x01", letter=f"{letter.number}\x00", letters=Letter.objects.all())
    assert asked.filters.text == "安置点"
    assert asked.filters.site == ""
    assert asked.letter == letter


@pytest.mark.parametrize(
    ("url_name", "params"),
    [
        ("notices:ledger_xlsx", {"q": "安置\x00点"}),
        ("notices:ledger_xlsx", {"site": "\x00"}),
        ("notices:ledger_xlsx", {"unit": "甲县\x00"}),
        ("notices:ledger_xlsx", {"letter": "测巩办督\x00"}),
        ("notices:ledger_pdf", {"q": "\x00"}),
        ("letters:list", {"q": "a\x00b"}),
        ("tasks:list", {"q": "a\x00b", "site": "\x00"}),
    ],
)
def test_a_nul_in_a_filter_is_never_a_database_error(world, url_name, params):
    issue_letter(world)
    response = browser_for(world.liaison_a).get(reverse(url_name), params)
    assert response.status_code < 500


def test_a_nul_in_a_units_name_still_finds_the_unit(world):
    # Control characters are dropped, not kept: the unit named with a stray NUL is still found.
    issue_letter(world)
    response = browser_for(world.liaison_a).get(reverse("notices:ledger_xlsx"), {"unit": "甲县\x00"})
    assert response.status_code == 200


# --- too many parameters ----------------------------------------------------------------------------


def _many(n: int) -> str:
    return "&".join(f"f{i}={i}" for i in range(n))


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("url_name", ["tasks:list", "letters:list", "notices:ledger_xlsx", "cycles:ranking"])
def test_a_thousand_parameters_are_a_400_page_of_the_shell(world, settings, url_name, debug):
    # DEBUG as in development: Django's own 400 there is the debug page, which read the
    # parameters again and failed as a 500.
    settings.DEBUG = debug
    response = browser_for(world.liaison_a).get(f"{reverse(url_name)}?{_many(1100)}")
    assert response.status_code == 400
    body = response.content.decode()
    assert "The address has too many parameters." in body
    assert "sv-inbox" in body  # the drawer: the person can go on from here


def test_a_thousand_parameters_signed_out_go_to_the_sign_in_page_or_a_400(db):
    response = Client(raise_request_exception=False).get(f"{reverse('tasks:list')}?{_many(1100)}")
    assert response.status_code in (302, 400)


def test_a_query_string_within_the_limit_is_read_as_before(world):
    issue_letter(world)
    response = browser_for(world.liaison_a).get(f"{reverse('tasks:list')}?{_many(900)}&q={quote('问题')}")
    assert response.status_code == 200
