"""Every list and download page, fuzzed: generated values (NUL and other control characters,
digits int() refuses, numbers past any column, negative numbers, very long text, repeated and
extra parameters) as a unit liaison, an office clerk and an observer. Whatever comes in, the
answer is a page or a refusal, never a 500. Run it on PostgreSQL too: a NUL only fails there."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.conftest import issue_letter
from tests.helpers import browser_for

# The assignment lists' filter bar (workflows/tasks/forms.FilterForm), which the ledger downloads
# take too under the same names (notices/filters.ledger_request).
LIST_FILTERS = (
    "q",
    "state",
    "light",
    "peer_group",
    "category",
    "source",
    "unit",
    "letter",
    "site",
    "overdue",
    "open",
    "level",
    "parent",
    "by",
)

# URL name -> the query parameters its view reads (from the views and their forms).
ENDPOINTS: dict[str, tuple[str, ...]] = {
    "home": (),
    "office:index": ("by",),
    "office:dashboard": ("by",),
    "unit:index": (),
    "letters:list": ("state", "kind", "q", "before", "by"),
    "tasks:list": ("queue", "filtered", "after", *LIST_FILTERS),
    "tasks:extensions": ("by",),
    "tasks:inbox": ("unread",),
    "cycles:ranking": ("cycle", "group", "by"),
    "cycles:notices": (),
    "cycles:unit_mine": (),
    "notices:ledger_page": (),
    "notices:ledger_xlsx": ("queue", *LIST_FILTERS),
    "notices:ledger_pdf": ("queue", *LIST_FILTERS),
    "notices:import_template": ("letter",),
}

# Values that broke, or could break, a parser: digits isdigit() takes and int() does not (or
# takes and means 3), numbers past 64 bits, signs, control characters, encodings, a real state.
EDGE_VALUES = [
    "",
    " ",
    "²",
    "①",
    "٣",
    "１２",
    "1_000",
    "-1",
    "0",
    "9" * 19,
    "9" * 40,
    str(2**63),
    str(2**63 - 1),
    "1e308",
    "NaN",
    "\x00",
    "a\x00b",
    "\x01\x1f\x7f",
    "\t\n\r",
    "%00",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "on",
    "in_progress",
    "all",
    "unclaimed",
    "to_verify",
    "county",
    "red",
    "MjAyNS0wMS0wMXwx",  # a cursor of our own shape: "2025-01-01|1"
    "MjAyNS0xMy0wMXwx",  # a cursor with month 13
    "\ud7ff\ue000\U0010ffff",
    "测巩办督〔2025〕1号",
    "甲县人民政府",
]

# Numbers written oddly: the values that reached int() or a database column unchecked.
ODD_NUMBERS = ["²", "①", "٣", "１２", "9" * 40, str(2**63), "-1", "0", "1_000", " 7 "]

values = st.one_of(
    st.sampled_from(ODD_NUMBERS),
    st.sampled_from(EDGE_VALUES),
    st.text(max_size=30),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=200, max_size=3000),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)


@st.composite
def requests(draw) -> tuple[str, list[tuple[str, str]]]:
    name = draw(st.sampled_from(sorted(ENDPOINTS)))
    known = ENDPOINTS[name]
    query: list[tuple[str, str]] = []
    if known:
        for param in draw(st.lists(st.sampled_from(known), max_size=len(known) + 3)):
            # Repeated parameters: a few values for the same name.
            query += [(param, v) for v in draw(st.lists(values, min_size=1, max_size=3))]
    # Parameters no view reads, some of them many.
    extra = draw(st.integers(min_value=0, max_value=60))
    query += [(f"x{i}", draw(st.sampled_from(EDGE_VALUES))) for i in range(extra)]
    return name, query


ROLES = ("liaison_a", "clerk", "observer")


@pytest.mark.parametrize("role", ROLES)
def test_no_list_or_download_answers_500(world, role):
    issue_letter(world)  # something to list, so filters run against rows
    # The pages in their default language, as most people see them.
    client = browser_for(getattr(world, role), language="zh-hans")
    urls = {name: reverse(name) for name in ENDPOINTS}

    @settings(max_examples=70, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(requests())
    # The 500s found by hand, always tried first: each failed before.
    @example(("letters:list", [("before", "²")]))
    @example(("notices:import_template", [("letter", "①")]))
    @example(("notices:ledger_xlsx", [("letter", "²")]))
    @example(("notices:ledger_pdf", [("unit", "①")]))
    @example(("tasks:list", [("unit", "9" * 40)]))
    @example(("notices:ledger_xlsx", [("q", "a\x00b"), ("unit", "甲县\x00")]))
    @example(("tasks:list", [(f"x{i}", "1") for i in range(1100)]))
    def probe(request):
        name, query = request
        cache.clear()  # the PDF rate limit must not turn later examples into refusals only
        response = client.get(f"{urls[name]}?{urlencode(query)}")
        assert response.status_code < 500, (name, query[:10], response.status_code)

    probe()


def test_the_table_names_every_parameter_the_list_views_read():
    # A filter added to a view without a line here would escape the fuzzing: the forms are the
    # source of the list parameters.
    from workflows.letters.forms import LetterFilterForm
    from workflows.tasks.forms import FilterForm

    assert set(FilterForm.base_fields) <= set(ENDPOINTS["tasks:list"])
    assert set(LetterFilterForm.base_fields) <= set(ENDPOINTS["letters:list"])
