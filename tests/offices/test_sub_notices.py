"""A county's own notice of its townships' ranking (县对乡镇的双周通报): drafted by the county's
liaison from the closed cycle it ranked in, sent to and signed by the county's leader (never its
drafter), published to the townships it ranked — the same steps as an office's notice, with the
county in the office's place. Nobody else drafts, signs or reads it before it is out."""

from __future__ import annotations

import pytest
from django.urls import reverse

from notices.notice import notice_html, notice_of_cycle, notice_pdf
from supervision import clock, services
from supervision.models import AuditEvent, Cycle, Notice, NoticeState, Notification, OutboxEvent
from supervision.outbox.expand import event_office_scope
from supervision.services import document_routing
from supervision.services.rule_sets import unit_sub_ranking_set
from tests.cycles import FAR_DEADLINE, at, claim_and_report, cutoff, issue_at, mine, tick
from tests.factories import signed_in
from tests.notices import pdfs

PUBLISHED_AT = "2024-01-16"


def _draft(w) -> Notice:
    with clock.frozen(at(PUBLISHED_AT, "09:00")):
        return services.notice_draft(actor=w.liaison_a, office=w.unit_a, cycle=w.cycle)


def _publish(w) -> Notice:
    notice = _draft(w)
    with clock.frozen(at(PUBLISHED_AT, "10:00")):
        services.notice_sign(actor=w.leader_a, notice=notice.pk)
        return services.notice_publish(actor=w.liaison_a, notice=notice.pk)


def test_the_county_liaison_drafts_its_leader_signs_and_the_townships_are_told(county_ranks):
    w = county_ranks
    notice = _draft(w)
    assert (notice.office_id, notice.cycle_id, notice.state) == (w.unit_a.pk, w.cycle.pk, NoticeState.DRAFT)
    # The drafter never signs, nor does the office above: the county's leader does.
    for someone in (w.liaison_a, w.director, w.leader_town_a1):
        with pytest.raises(services.NotAllowed):
            services.notice_sign(actor=someone, notice=notice.pk)
    services.notice_sign(actor=w.leader_a, notice=notice.pk, comment="同意印发")
    with pytest.raises(services.NotAllowed):
        services.notice_publish(actor=w.clerk, notice=notice.pk)
    services.notice_publish(actor=w.liaison_a, notice=notice.pk)
    notice = Notice.objects.get(pk=notice.pk)
    assert notice.state == NoticeState.PUBLISHED and notice.signer_id == w.leader_a.pk
    # Every person of the townships it ranked is told; the village below 东镇, the other county's
    # township and the office are not (they are not in this ranking).
    told = set(
        Notification.objects.filter(verb="notice_published", notice=notice).values_list("recipient_id", flat=True)
    )
    ranked = {w.liaison_town_a1.pk, w.leader_town_a1.pk, w.liaison_town_a2.pk, w.leader_town_a2.pk}
    assert ranked <= told
    assert not told & {w.liaison_village_a1.pk, w.liaison_town_b1.pk, w.clerk.pk, w.liaison_b.pk}
    # Each step leaves its audit row, in the county's name and the role played there.
    rows = AuditEvent.objects.filter(data__notice=notice.pk).order_by("id")
    assert [(e.action, e.actor_id, e.actor_role, e.actor_unit_id) for e in rows] == [
        ("notice.drafted", w.liaison_a.pk, "liaison", w.unit_a.pk),
        ("notice.signed", w.leader_a.pk, "leader", w.unit_a.pk),
        ("notice.published", w.liaison_a.pk, "liaison", w.unit_a.pk),
    ]


def test_only_the_liaison_of_a_unit_that_ranked_drafts_and_only_for_a_cycle_it_ranked(county_ranks):
    w = county_ranks
    # The office's clerk drafts the office's notice, not the county's; the county's leader signs,
    # not drafts; another county's liaison has no say in 甲县.
    for someone in (w.clerk, w.leader_a, w.liaison_b, w.liaison_town_a1):
        with pytest.raises(services.NotAllowed):
            services.notice_draft(actor=someone, office=w.unit_a, cycle=w.cycle)
    # 乙县 does not rank its townships: its liaison issues no notice.
    with pytest.raises(services.InvalidInput, match="ranks its sub-units"):
        services.notice_draft(actor=w.liaison_b, office=w.unit_b, cycle=w.cycle)
    # The open cycle is not ranked yet; a cycle 甲县 did not rank in is refused by name.
    with pytest.raises(services.InvalidTransition):
        services.notice_draft(
            actor=w.liaison_a, office=w.unit_a, cycle=Cycle.objects.get(office=w.office, state="open")
        )
    other = Cycle.objects.filter(state="closed").exclude(office=w.office).first()
    if other is not None:
        with pytest.raises(services.InvalidInput, match="did not rank"):
            services.notice_draft(actor=w.liaison_a, office=w.unit_a, cycle=other)
    assert not Notice.objects.filter(office=w.unit_a).exists()
    # One notice per cycle, whoever asks twice.
    _draft(w)
    with pytest.raises(services.InvalidTransition):
        _draft(w)


def test_it_is_sent_to_a_leader_of_the_county_who_may_return_it(county_ranks):
    w = county_ranks
    notice = _draft(w)
    # Sent to a leader of the unit: the office's director is no one to send it to.
    with pytest.raises(services.InvalidInput, match="leader of the unit"):
        document_routing.notice_send(actor=w.liaison_a, notice=notice.pk, director=w.director.pk)
    document_routing.notice_send(actor=w.liaison_a, notice=notice.pk, director=w.leader_a.pk)
    assert w.leader_a.notifications.filter(verb="notice_sent", notice=notice).exists()
    document_routing.notice_return(actor=w.leader_a, notice=notice.pk, reason="请补充乡镇整改情况")
    notice = Notice.objects.get(pk=notice.pk)
    assert notice.state == NoticeState.DRAFT and notice.routed_to_id is None
    assert w.liaison_a.notifications.filter(verb="notice_returned", notice=notice).exists()


def test_the_county_drafts_it_from_its_ranking_page_and_the_townships_read_it_once_out(client, county_ranks):
    w = county_ranks
    ranking = reverse("cycles:ranking")
    page = signed_in(client, w.liaison_a).get(ranking, {"by": w.unit_a.pk}).content.decode()
    assert "Draft the notice" in page and "data-sheet" in page
    # The county's leader signs it but does not draft it; the office's clerk is offered nothing here.
    assert "Draft the notice" not in signed_in(client, w.leader_a).get(ranking, {"by": w.unit_a.pk}).content.decode()
    response = signed_in(client, w.liaison_a).post(reverse("cycles:notice_draft"), {"cycle": 1, "by": w.unit_a.pk})
    notice = Notice.objects.get(office=w.unit_a)
    assert response.status_code == 302 and response["Location"] == reverse("cycles:notice", args=[notice.pk])
    detail = reverse("cycles:notice", args=[notice.pk])
    # Before it is published the townships and the other county do not see it at all.
    for someone in (w.liaison_town_a1, w.liaison_b):
        assert signed_in(client, someone).get(detail).status_code == 404
    # The leader is offered the signature, with the county's leaders to send it to on the drafter's page.
    drafter_page = signed_in(client, w.liaison_a).get(detail).content.decode()
    assert w.leader_a.display_name in drafter_page
    signed_in(client, w.leader_a).post(reverse("cycles:notice_sign", args=[notice.pk]), {"comment": ""})
    signed_in(client, w.liaison_a).post(reverse("cycles:notice_publish", args=[notice.pk]))
    notice = Notice.objects.get(pk=notice.pk)
    assert notice.state == NoticeState.PUBLISHED
    town = signed_in(client, w.liaison_town_a2)
    assert town.get(detail).status_code == 200
    assert notice.title in town.get(reverse("cycles:notices")).content.decode()
    # Its PDF too (drawn by the worker, as every notice's), and for nobody outside the ranking.
    pdf = reverse("notices:notice_pdf", args=[notice.pk])
    assert town.get(pdf).status_code == 200
    for outsider in (w.liaison_b, w.liaison_village_a1):
        assert signed_in(client, outsider).get(detail).status_code == 404
        assert signed_in(client, outsider).get(pdf).status_code == 404


def test_the_printed_notice_is_the_countys_and_ranks_its_townships(county_ranks):
    w = county_ranks
    notice = _publish(w)
    html = notice_html(notice)
    text = pdfs.text(notice_pdf(notice))
    # The red mark is the county's; the ranking is its townships', the last one named.
    assert w.unit_a.name in text and "东镇" in text and "西乡" in text
    assert "乙县" not in text and "东村" not in html


def _break_down_to_townships(w, letter, moment) -> None:
    [task] = mine(letter, w.unit_a)
    parts = [
        services.SubTaskPart(unit_id=t.pk, deadline=FAR_DEADLINE, measures=f"{t.short_name}负责本辖区")
        for t in (w.town_a1, w.town_a2)
    ]
    with clock.frozen(moment):
        services.assignment_break_down(actor=w.liaison_a, assignment=task.pk, parts=parts)


@pytest.fixture
def ranked_twice(province_tree):
    """甲县 breaks down a task of the city's letter and one of the province's: it ranks its
    townships in both offices' cycle 1."""
    w = province_tree
    unit_sub_ranking_set(actor=w.director, unit=w.unit_a, ranks=True)
    tick(at("2024-01-02", "09:00"))
    for issuer in (w, w.prov):
        letter = issue_at(at("2024-01-02"), issuer, items=1, units=[w.unit_a], deadline=FAR_DEADLINE)
        claim_and_report(at("2024-01-02", "11:00"), w.liaison_a, mine(letter, w.unit_a))
        _break_down_to_townships(w, letter, at("2024-01-02", "12:00"))
    tick(cutoff(0))
    return w


def test_a_county_ranked_in_two_offices_cycles_drafts_a_notice_for_each(client, ranked_twice):
    w = ranked_twice
    cycles = list(Cycle.objects.filter(results__ranked_by=w.unit_a).distinct().order_by("pk"))
    assert [c.number for c in cycles] == [1, 1] and len({c.office_id for c in cycles}) == 2
    liaison = signed_in(client, w.liaison_a)
    ranking = reverse("cycles:ranking")
    page = liaison.get(ranking, {"by": w.unit_a.pk})
    # The picker tells the two cycles 1 apart by their office, and each opens by its id.
    html = page.content.decode()
    for c in cycles:
        assert f'value="{c.pk}"' in html and c.office.display_name in html
        assert liaison.get(ranking, {"by": w.unit_a.pk, "cycle_id": c.pk}).context["cycle"] == c
    for c in cycles:
        liaison.post(reverse("cycles:notice_draft"), {"cycle": 1, "cycle_id": c.pk, "by": w.unit_a.pk})
    assert sorted(Notice.objects.filter(office=w.unit_a).values_list("cycle_id", flat=True)) == [c.pk for c in cycles]
    # Another cycle's id, not one 甲县 ranked in, drafts nothing.
    office_only = Cycle.objects.exclude(pk__in=[c.pk for c in cycles]).filter(state="closed").first()
    if office_only is not None:
        liaison.post(reverse("cycles:notice_draft"), {"cycle": 1, "cycle_id": office_only.pk, "by": w.unit_a.pk})
        assert Notice.objects.filter(office=w.unit_a).count() == 2
    # Each sheet downloads for its own cycle.
    for c in cycles:
        sheet = liaison.get(reverse("cycles:ranking_sheet"), {"by": w.unit_a.pk, "cycle_id": c.pk})
        assert sheet.status_code == 200 and sheet.content.startswith(b"%PDF")


def test_the_county_notice_is_in_the_messages_of_the_office_whose_cycle_it_ranked(county_ranks):
    w = county_ranks
    notice = _publish(w)
    published = OutboxEvent.objects.filter(notice=notice, verb="notice_published")
    assert published.count() == 1
    # The city office looks after its delivery (retries, monitor); the province does not.
    assert published.filter(event_office_scope([w.office.pk])).exists()
    assert not published.filter(event_office_scope([w.province.pk])).exists()


def test_the_command_line_prints_the_offices_own_notice_not_the_countys(county_ranks):
    w = county_ranks
    county = _draft(w)
    with clock.frozen(at(PUBLISHED_AT, "09:30")):
        office = services.notice_draft(actor=w.clerk, office=w.office, cycle=w.cycle)
    assert county.pk < office.pk
    assert notice_of_cycle(1, w.office) == office
