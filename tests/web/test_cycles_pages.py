"""The biweekly cycle's pages: the ranking, a unit's breakdown across cycles, the notices from
draft to publication, and who sees what on each of them."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from supervision.models import Escalation, EscalationLevel, Notice, NoticeState, UnitResult
from tests.cycles import at, claim_and_report, cutoff, issue_at, mine, tick, use_calendar
from tests.helpers import signed_in

FAR = dt.date(2024, 6, 28)
# Measured, then fixed: session, user, memberships, then the page's own reads (each visibility
# rule asks for the user's offices once). Adding units or cycles must not add queries.
# Ranking: the cycles, offices ×4, escalations, results, the notice.
RANKING_QUERIES = 11
# The unit page: offices ×2, the unit, the history, its escalations.
UNIT_PAGE_QUERIES = 8
NOTICE_QUERIES = 9
NOTICE_LIST_QUERIES = 5


@pytest.fixture(autouse=True)
def _calendar(settings):
    use_calendar(settings)


# `ranked` (tests/conftest.py): two closed cycles. Unit A claims and reports both times; unit B
# never does, so it is last in the counties twice (named, then interviewed).


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- the ranking ---------------------------------------------------------------------------------


def test_the_office_sees_every_units_place_and_figures(client, ranked):
    response = signed_in(client, ranked.inspector).get(reverse("cycles:ranking"))
    assert response.status_code == 200
    assert response.context["cycle"].number == 2  # the latest closed cycle by default
    (county, _label, rows), (department, _label2, dept_rows) = response.context["tables"]
    assert (county, department) == ("county", "department")
    assert [(row["r"].unit.short_name, row["r"].rank) for row in rows] == [("甲县", 1), ("乙县", 2)]
    # Unit C holds nothing: listed, not ranked.
    assert [(row["r"].unit_id, row["r"].ranked) for row in dept_rows] == [(ranked.unit_c.pk, False)]
    html = response.content.decode()
    assert "甲县" in html and "乙县" in html
    assert 'data-rule-set="1"' in html
    # Unit B, last twice: the interview marker is on its row.
    b_row = re.search(rf'<tr data-unit="{ranked.unit_b.pk}">.*?</tr>', html, re.S).group(0)
    assert "Interview" in b_row


def test_an_older_cycle_and_a_group_can_be_chosen(client, ranked):
    c = signed_in(client, ranked.clerk)
    response = c.get(reverse("cycles:ranking"), {"cycle": 1, "group": "county"})
    assert response.context["cycle"].number == 1
    b_row = re.search(rf'<tr data-unit="{ranked.unit_b.pk}">.*?</tr>', response.content.decode(), re.S).group(0)
    assert "Named in the notice" in b_row
    response = c.get(reverse("cycles:ranking"), {"group": "department"})
    assert [key for key, _l, _rows in response.context["tables"]] == ["department"]


def test_a_broken_tie_says_why(client, world):
    # Nobody does anything: equal scores, the office's order of units decides.
    tick(at("2024-01-02", "09:00"))
    issue_at(at("2024-01-02"), world, items=1, deadline=FAR)
    tick(cutoff(0))
    response = signed_in(client, world.clerk).get(reverse("cycles:ranking"))
    [(_key, _label, rows), *_rest] = response.context["tables"]
    assert rows[0]["r"].score == rows[1]["r"].score
    html = response.content.decode()
    second = re.search(rf'<tr data-unit="{rows[1]["r"].unit_id}">.*?</tr>', html, re.S).group(0)
    assert f"Same score as {rows[0]['r'].unit.display_name}; placed after it for" in second


@pytest.mark.parametrize("query", [{"cycle": "abc"}, {"cycle": "99"}, {"group": "bogus"}, {"cycle": "-1"}])
def test_bad_choices_fall_back_with_a_message(client, ranked, query):
    response = signed_in(client, ranked.clerk).get(reverse("cycles:ranking"), query)
    assert response.status_code == 200
    assert response.context["cycle"].number == 2
    assert messages_of(response)


def test_a_unit_sees_only_its_own_place_on_the_ranking(client, ranked):
    response = signed_in(client, ranked.liaison_a).get(reverse("cycles:ranking"))
    assert response.status_code == 200
    [(_group, _label, rows)] = response.context["tables"]
    assert [row["r"].unit_id for row in rows] == [ranked.unit_a.pk]
    html = response.content.decode()
    assert "乙县" not in html
    assert "Draft the notice" not in html


def test_no_closed_cycle_yet(client, world):
    response = signed_in(client, world.clerk).get(reverse("cycles:ranking"))
    assert response.status_code == 200
    assert "No cycle has been closed" in response.content.decode()


def test_an_outsider_is_refused_everywhere(client, ranked):
    c = signed_in(client, ranked.outsider)
    for url in (
        reverse("cycles:ranking"),
        reverse("cycles:unit", args=[ranked.unit_a.pk]),
        reverse("cycles:unit_mine"),
        reverse("cycles:notices"),
        reverse("office:dashboard"),
    ):
        assert c.get(url).status_code == 403, url


def test_ranking_queries_do_not_grow(client, ranked, django_assert_max_num_queries):
    c = signed_in(client, ranked.director)
    with django_assert_max_num_queries(RANKING_QUERIES):
        response = c.get(reverse("cycles:ranking"))
    small = len(response.context["tables"][0][2])
    # A third cycle, with unit C now holding work: more rows, same queries.
    letter = issue_at(at("2024-01-30"), ranked, items=3, deadline=FAR, units=[ranked.unit_a, ranked.unit_c])
    claim_and_report(at("2024-01-31"), ranked.liaison_c, mine(letter, ranked.unit_c))
    tick(cutoff(2))
    with django_assert_max_num_queries(RANKING_QUERIES):
        response = c.get(reverse("cycles:ranking"))
    assert response.context["cycle"].number == 3
    assert sum(len(rows) for _k, _l, rows in response.context["tables"]) > small


# --- a unit's page -------------------------------------------------------------------------------


def _breakdowns(html: str) -> list[tuple[Decimal, list[Decimal]]]:
    sections = re.findall(r'<section class="sv-card sv-breakdown".*?</section>', html, re.S)
    found = []
    for s in sections:
        score = Decimal(re.search(r'data-score="([-\d.]+)"', s).group(1))
        points = [Decimal(p) for p in re.findall(r'data-points="([-\d.]+)"', s)]
        found.append((score, points))
    return found


def test_a_units_page_shows_each_cycle_with_lines_adding_up_to_the_score(client, ranked):
    response = signed_in(client, ranked.liaison_a).get(reverse("cycles:unit", args=[ranked.unit_a.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    found = _breakdowns(html)
    assert len(found) == 2
    for score, points in found:
        assert len(points) == 9
        assert sum(points) == score
    expected = UnitResult.objects.get(cycle__number=2, unit=ranked.unit_a).score
    assert found[0][0] == expected  # newest first
    assert "<svg" in html and "Rank in the group" in html


def test_the_bottom_unit_sees_its_escalation_and_reasons(client, ranked):
    html = signed_in(client, ranked.leader_b).get(reverse("cycles:unit", args=[ranked.unit_b.pk])).content.decode()
    assert "Interview" in html and "Named in the notice" in html
    for score, points in _breakdowns(html):
        assert sum(points) == score


def test_a_unit_never_sees_another_units_breakdown(client, ranked):
    c = signed_in(client, ranked.liaison_a)
    assert c.get(reverse("cycles:unit", args=[ranked.unit_b.pk])).status_code == 404
    assert c.get(reverse("cycles:unit", args=[ranked.unit_c.pk])).status_code == 404
    assert c.get(reverse("cycles:unit", args=[999999])).status_code == 404


def test_the_office_sees_any_units_page(client, ranked):
    c = signed_in(client, ranked.observer)
    response = c.get(reverse("cycles:unit", args=[ranked.unit_b.pk]))
    assert response.status_code == 200
    assert len(_breakdowns(response.content.decode())) == 2
    assert c.get(reverse("cycles:unit", args=[ranked.office.pk])).status_code == 404


def test_our_ranking_opens_the_members_own_unit(client, ranked):
    response = signed_in(client, ranked.leader_b).get(reverse("cycles:unit_mine"))
    assert response.status_code == 302
    assert response["Location"] == reverse("cycles:unit", args=[ranked.unit_b.pk])
    # The office has no unit of its own: the ranking.
    response = signed_in(client, ranked.clerk).get(reverse("cycles:unit_mine"))
    assert response["Location"] == reverse("cycles:ranking")


def test_unit_page_queries_do_not_grow(client, ranked, django_assert_max_num_queries):
    c = signed_in(client, ranked.liaison_a)
    url = reverse("cycles:unit", args=[ranked.unit_a.pk])
    with django_assert_max_num_queries(UNIT_PAGE_QUERIES):
        c.get(url)
    tick(cutoff(2))
    tick(cutoff(3))
    with django_assert_max_num_queries(UNIT_PAGE_QUERIES):
        assert len(_breakdowns(c.get(url).content.decode())) == 4


# --- notices -------------------------------------------------------------------------------------


def _draft_through_the_page(client, w) -> Notice:
    c = signed_in(client, w.clerk)
    page = c.get(reverse("cycles:ranking"), {"cycle": 2})
    assert "Draft the notice" in page.content.decode()
    response = c.post(reverse("cycles:notice_draft"), {"cycle": 2})
    notice = Notice.objects.get(cycle__number=2)
    assert response["Location"] == reverse("cycles:notice", args=[notice.pk])
    return notice


def test_draft_edit_sign_publish_through_the_pages(client, ranked):
    notice = _draft_through_the_page(client, ranked)
    detail = reverse("cycles:notice", args=[notice.pk])
    # A unit does not see the draft, neither in the list nor by its address.
    c = signed_in(client, ranked.liaison_a)
    assert c.get(detail).status_code == 404
    assert notice.title not in c.get(reverse("cycles:notices")).content.decode()

    c = signed_in(client, ranked.clerk)
    page = c.get(detail)
    assert set(page.context["steps"]) == {"edit", "send"}
    response = c.post(
        reverse("cycles:notice_edit", args=[notice.pk]),
        {"title": "第2期双周通报", "opening": "现将第2期双周调度情况通报如下。"},
        follow=True,
    )
    assert "Notice saved." in messages_of(response)
    assert "现将第2期双周调度情况通报如下。" in response.content.decode()
    # The drafter cannot sign (not a director, and four eyes anyway).
    response = c.post(reverse("cycles:notice_sign", args=[notice.pk]), follow=True)
    assert messages_of(response) and Notice.objects.get(pk=notice.pk).state == NoticeState.DRAFT

    c = signed_in(client, ranked.director)
    assert "sign" in c.get(detail).context["steps"]
    response = c.post(reverse("cycles:notice_sign", args=[notice.pk]), {"comment": "同意"}, follow=True)
    assert "Notice signed. It can be published now." in messages_of(response)
    assert "Signed by director" in response.content.decode()
    # Signed is not published: the units still do not see it.
    assert signed_in(client, ranked.leader_a).get(detail).status_code == 404

    c = signed_in(client, ranked.clerk)
    response = c.post(reverse("cycles:notice_publish", args=[notice.pk]), follow=True)
    assert "Notice published: the units have been told." in messages_of(response)
    assert Notice.objects.get(pk=notice.pk).state == NoticeState.PUBLISHED

    c = signed_in(client, ranked.liaison_a)
    assert "第2期双周通报" in c.get(reverse("cycles:notices")).content.decode()
    html = c.get(detail).content.decode()
    # The published notice shows every unit's place, the named unit and the interview list.
    assert "甲县" in html and "乙县" in html and "Interviews (约谈)" in html
    assert "Sign the notice" not in html and "Publish to the units" not in html


def test_a_non_director_cannot_sign(client, ranked):
    notice = _draft_through_the_page(client, ranked)
    for who in (ranked.inspector, ranked.observer, ranked.leader_a):
        c = signed_in(client, who)
        response = c.post(reverse("cycles:notice_sign", args=[notice.pk]), follow=True)
        if who is ranked.leader_a:
            assert response.status_code == 404  # a unit does not see drafts at all
        else:
            assert response.status_code == 200 and messages_of(response)
            assert "Sign the notice" not in c.get(reverse("cycles:notice", args=[notice.pk])).content.decode()
    assert Notice.objects.get(pk=notice.pk).state == NoticeState.DRAFT


def test_publishing_before_signing_and_drafting_twice_are_refused_with_a_message(client, ranked):
    notice = _draft_through_the_page(client, ranked)
    c = signed_in(client, ranked.clerk)
    response = c.post(reverse("cycles:notice_publish", args=[notice.pk]), follow=True)
    assert response.status_code == 200 and messages_of(response)
    response = c.post(reverse("cycles:notice_draft"), {"cycle": 2}, follow=True)
    assert response.status_code == 200 and "already has a notice" in " ".join(messages_of(response))
    for bad in ({"cycle": "x"}, {"cycle": 99}, {}):
        response = c.post(reverse("cycles:notice_draft"), bad, follow=True)
        assert response.status_code == 200 and messages_of(response)
    response = c.post(reverse("cycles:notice_edit", args=[notice.pk]), {"title": "", "opening": "x"}, follow=True)
    assert response.status_code == 200 and messages_of(response)
    assert Notice.objects.count() == 1 and Notice.objects.get().title == "Biweekly notice, cycle 2"


def test_only_a_clerk_drafts(client, ranked):
    for who in (ranked.director, ranked.liaison_a):
        response = signed_in(client, who).post(reverse("cycles:notice_draft"), {"cycle": 2}, follow=True)
        assert response.status_code == 200 and messages_of(response)
    assert not Notice.objects.exists()


def test_write_endpoints_are_post_only(client, ranked):
    notice = _draft_through_the_page(client, ranked)
    c = signed_in(client, ranked.director)
    for url in (
        reverse("cycles:notice_draft"),
        reverse("cycles:notice_edit", args=[notice.pk]),
        reverse("cycles:notice_sign", args=[notice.pk]),
        reverse("cycles:notice_publish", args=[notice.pk]),
    ):
        assert c.get(url).status_code == 405


def test_notice_pages_queries(client, ranked, django_assert_max_num_queries):
    notice = _draft_through_the_page(client, ranked)
    c = signed_in(client, ranked.director)
    with django_assert_max_num_queries(NOTICE_QUERIES):
        assert c.get(reverse("cycles:notice", args=[notice.pk])).status_code == 200
    with django_assert_max_num_queries(NOTICE_LIST_QUERIES):
        assert c.get(reverse("cycles:notices")).status_code == 200
    # More units in the ranking, more rows in the notice: the same queries.
    letter = issue_at(at("2024-01-30"), ranked, items=1, deadline=FAR, units=[ranked.unit_c])
    claim_and_report(at("2024-01-31"), ranked.liaison_c, mine(letter, ranked.unit_c))
    tick(cutoff(2))
    c = signed_in(client, ranked.clerk)
    c.post(reverse("cycles:notice_draft"), {"cycle": 3})
    third = Notice.objects.get(cycle__number=3)
    c = signed_in(client, ranked.director)
    with django_assert_max_num_queries(NOTICE_QUERIES):
        html = c.get(reverse("cycles:notice", args=[third.pk])).content.decode()
    assert "农业农村局" in html


# --- the landing pages ---------------------------------------------------------------------------


def test_the_unit_overview_shows_its_latest_place(client, ranked):
    html = signed_in(client, ranked.leader_b).get(reverse("unit:index")).content.decode()
    assert reverse("cycles:unit", args=[ranked.unit_b.pk]) in html
    assert 'data-rank="2"' in html and "Our place in cycle 2" in html


def test_the_office_overview_shows_the_cycle_under_way(client, ranked):
    html = signed_in(client, ranked.clerk).get(reverse("office:index")).content.decode()
    assert "Cycle 3 under way" in html
    assert "reports due by 2024-02-09 17:00" in html
    assert reverse("cycles:ranking") in html and reverse("office:dashboard") in html


def test_the_menus_lead_to_the_pages(client, ranked):
    html = signed_in(client, ranked.clerk).get(reverse("office:index")).content.decode()
    for url in (reverse("office:dashboard"), reverse("cycles:ranking"), reverse("cycles:notices")):
        assert f'href="{url}"' in html
    html = signed_in(client, ranked.liaison_a).get(reverse("unit:index")).content.decode()
    assert f'href="{reverse("cycles:unit_mine")}"' in html and f'href="{reverse("cycles:notices")}"' in html


# Guards the fixture's premise, which the tests above read from the pages.
@pytest.mark.parametrize("number,level", [(1, EscalationLevel.NAMED), (2, EscalationLevel.INTERVIEW)])
def test_fixture_ladder(ranked, number, level):
    assert Escalation.objects.get(cycle__number=number).level == level
