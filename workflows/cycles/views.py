"""The biweekly cycle's pages (双周调度、排队、通报). Reads go through ``supervision.selectors.rankings`` (which
decides who sees whose figures), writes through one ``services.notices`` call each; a refused
step comes back as a message on the page it was tried from."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from notices.charts import Series, line_chart
from notices.notice import ranking_sheet_filename, ranking_sheet_pdf
from supervision import services
from supervision.models import PeerGroup, Unit, UnitKind, User
from supervision.selectors.document_routing import directors_to_send_to, last_return, notice_routing
from supervision.selectors.notices import drafting_cycle, drafting_offices, may_draft_for
from supervision.selectors.rankings import (
    GROUP_ORDER,
    escalations_of,
    notice_content,
    notice_get,
    notices_visible_to,
    ranking_cycles,
    ranking_of,
    rankings_of,
    sees_all_units,
    tie_text,
    unit_history,
    unit_rankers,
)
from supervision.selectors.search import peer_group_choices
from supervision.services import DomainError, document_routing
from supervision.services.receipts import notice_mark_read
from supervision.services.roles import roles_by_unit, unit_ids
from supervision.services.steps import allowed
from workflows.params import clean_text, parse_id

from . import forms

CHART_FONT = "system-ui, 'PingFang SC', 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif"
RANK_COLOR = "#b71c1c"
# Drawn at about the size a chart card shows it on a desktop, so that on a phone, scaled down to
# the screen's width, its 11-unit labels stay readable.
CHART_WIDTH = 480
# How many closed cycles the cycle picker lists (26 a year).
PICKER_CYCLES = 52
NOTICE_LIST_SIZE = 100


def _require_a_role(user: User) -> None:
    """Rankings and notices are for people with a role somewhere; an outsider sees nothing."""
    if not (user.is_superuser or roles_by_unit(user)):
        raise PermissionDenied


def cycle_label(number: int) -> str:
    # The templates' {% blocktranslate %}Cycle {{ number }}{% endblocktranslate %} is this msgid:
    # one translation for both ("%(number)d" was a msgid of its own, never translated).
    return gettext("Cycle %(number)s") % {"number": number}


# --- the ranking ---------------------------------------------------------------------------------


def _group_choices() -> list[tuple[str, str]]:
    labels = dict(PeerGroup.choices)
    return [(key, str(labels[key])) for key in GROUP_ORDER]


def _ranker(request: HttpRequest, rankers: list[Unit]) -> Unit | None:
    """The ranking asked for (``?by=`` the office, or the unit ranking its sub-units), among those
    the person may open; the first of them when none or another is asked for (with a message)."""
    wanted = request.GET.get("by", "")
    if wanted:
        found = next((u for u in rankers if u.pk == parse_id(wanted)), None)
        if found is not None:
            return found
        messages.warning(request, _("You cannot open that ranking; showing your own."))
    return rankers[0] if rankers else None


@login_required
@require_GET
def ranking(request: HttpRequest) -> HttpResponse:
    """A closed cycle's places per peer group in one ranking (an office's, or a unit's ranking of
    its sub-units; a person who may open several picks): every unit for whoever ranked, one's own
    for a ranked unit."""
    user = request.user
    _require_a_role(user)
    rankers = rankings_of(user)
    ranker = _ranker(request, rankers)
    cycles = list(ranking_cycles(ranker)[:PICKER_CYCLES]) if ranker is not None else []
    cycle = cycles[0] if cycles else None
    # An office's cycle by its number (第N期, as offices cite it); a unit's ranking by the cycle's
    # id (``cycle_id``), since it may rank in the cycles of more than one office, numbered alike.
    wanted = request.GET.get("cycle_id", "") or request.GET.get("cycle", "")
    if wanted and ranker is not None:
        by_id = bool(request.GET.get("cycle_id"))
        # A cycle number is an id-like positive number: "²" or a 30-digit one is no cycle.
        number = parse_id(wanted)
        # Older than the picker goes: one more query, only when asked for.
        found = next((c for c in cycles if (c.pk if by_id else c.number) == number), None)
        if found is None and number is not None:
            found = ranking_cycles(ranker).filter(**{"pk" if by_id else "number": number}).first()
        if found is None:
            messages.warning(
                request,
                _("There is no closed cycle %(number)s; showing the latest.") % {"number": clean_text(wanted, 20)},
            )
        else:
            cycle = found
    groups = _group_choices()
    if ranker is None or not (ranker.is_office and Unit.objects.filter(parent=ranker, kind=UnitKind.OFFICE).exists()):
        # Cities are ranked only by an office with city offices below it.
        groups = [(key, label) for key, label in groups if key != PeerGroup.CITY]
    group = request.GET.get("group", "")
    if group and group not in dict(groups):
        messages.warning(request, _("Unknown peer group; showing all groups."))
        group = ""
    sees_all = ranker is not None and sees_all_units(user, ranker)
    # The filter offers the groups this person can see rows of: every group for whoever ranked,
    # for a unit member their own units' groups, none when that is a single one.
    offered = dict(groups if sees_all else peer_group_choices(user))
    context: dict[str, Any] = {
        "rankers": rankers,
        "ranker": ranker,
        "by": ranker.pk if ranker is not None and len(rankers) > 1 else "",
        "cycles": cycles,
        "cycle": cycle,
        "groups": [(key, label) for key, label in groups if key in offered],
        "group": group,
        "sees_all": sees_all,
        # A unit ranked in the cycles of several offices: the picker names each cycle's office.
        "cycle_offices": len({c.office_id for c in cycles}) > 1,
    }
    if cycle is not None:
        escalations = {e.unit_id: e for e in escalations_of(user, cycle, ranker=ranker)}
        tables: dict[str, list[dict[str, Any]]] = {}
        for r in ranking_of(user, cycle, group or None, ranker=ranker).exclude(peer_group=PeerGroup.OFFICE):
            tables.setdefault(r.peer_group, []).append(
                {"r": r, "tie": tie_text(r), "escalation": escalations.get(r.unit_id)}
            )
        context["tables"] = [(key, label, tables[key]) for key, label in groups if key in tables]
        context["notice"] = notices_visible_to(user).filter(cycle=cycle, office=ranker).order_by("-id").first()
        context["may_draft"] = context["notice"] is None and may_draft_for(user, cycle, ranker) is not None
        # A unit's ranking of its sub-units can also be downloaded as it stands, notice or not.
        context["sheet"] = sees_all and not ranker.is_office
    return render(request, "cycles/ranking.html", context)


@login_required
@require_GET
def ranking_sheet(request: HttpRequest) -> HttpResponse:
    """A unit's ranking of its sub-units for one closed cycle as a PDF (排名情况), for whoever
    ranked: a few pages, drawn in the request."""
    user = request.user
    _require_a_role(user)
    by, number = parse_id(request.GET.get("by")), parse_id(request.GET.get("cycle"))
    cycle_id = parse_id(request.GET.get("cycle_id"))
    ranker = next((u for u in rankings_of(user) if u.pk == by), None)
    if ranker is None or ranker.is_office or not sees_all_units(user, ranker) or (number or cycle_id) is None:
        raise Http404
    cycle = ranking_cycles(ranker).filter(**({"pk": cycle_id} if cycle_id else {"number": number})).first()
    if cycle is None:
        raise Http404
    pdf = ranking_sheet_pdf(cycle, ranker)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, ranking_sheet_filename(cycle, ranker))
    return response


# --- one unit across cycles ----------------------------------------------------------------------


@login_required
@require_GET
def unit_mine(request: HttpRequest) -> HttpResponse:
    """ "Our ranking" in the unit menu: the page of the member's (first) responsible unit."""
    user = request.user
    _require_a_role(user)
    unit = (
        Unit.objects.filter(pk__in=list(roles_by_unit(user)))
        .exclude(kind=UnitKind.OFFICE)
        .order_by("sort_order", "pk")
        .first()
    )
    if unit is None:
        return HttpResponseRedirect(reverse("cycles:ranking"))
    return HttpResponseRedirect(reverse("cycles:unit", args=[unit.pk]))


@login_required
@require_GET
def unit_page(request: HttpRequest, unit_id: int) -> HttpResponse:
    user = request.user
    _require_a_role(user)
    # The rankings the unit is in that this person sees (its latest first); ``?by=`` picks one.
    # Another unit's page looks the same as a unit that does not exist: nothing leaks.
    rankers = unit_rankers(user, unit_id)
    by = parse_id(request.GET.get("by", ""))
    ranker_id = by if by in rankers else (rankers[0] if rankers else None)
    if ranker_id is None and not (unit_id in unit_ids(user) or user.is_superuser):
        raise Http404
    unit = Unit.objects.filter(pk=unit_id).exclude(kind=UnitKind.OFFICE, parent__isnull=True).first()
    if unit is None:
        raise Http404
    sees_all = ranker_id is not None and sees_all_units(user, ranker_id)
    history = unit_history(user, unit, ranker_id) if ranker_id is not None else []
    labels = [cycle_label(b.result.cycle.number) for b in history]
    size = max((b.group_size for b in history), default=1) or 1
    chart = line_chart(
        x_labels=labels,
        series=[Series(unit.display_name, [b.rank if b.result.ranked else None for b in history], RANK_COLOR)],
        invert=True,
        width=CHART_WIDTH,
        y_min=1,
        y_max=max(size, 2),
        font_family=CHART_FONT,
        title=gettext("Rank in the group (1 is best)"),
    )
    return render(
        request,
        "cycles/unit.html",
        {
            "unit": unit,
            "history": history[::-1],
            "chart": chart,
            "sees_all": sees_all,
            "rankers": rankers if len(rankers) > 1 else [],
            "ranker_id": ranker_id,
            "ranker_names": dict(Unit.objects.filter(pk__in=rankers).values_list("pk", "name"))
            if len(rankers) > 1
            else {},
        },
    )


# --- notices -------------------------------------------------------------------------------------


@login_required
@require_GET
def notice_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require_a_role(user)
    rows = list(
        notices_visible_to(user)
        .select_related("cycle", "office", "signer")
        .order_by("-cycle__number", "-id")[:NOTICE_LIST_SIZE]
    )
    return render(request, "cycles/notices.html", {"rows": rows})


def _notice(request: HttpRequest, pk: int):
    notice = notice_get(request.user, pk)
    if notice is None:
        # A draft the unit may not see yet looks like no notice at all.
        raise Http404
    return notice


@login_required
@require_GET
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notice = _notice(request, pk)
    notice_mark_read(actor=request.user, notice=notice)  # 已阅: a unit member's first opening
    # The notice's steps this person may take now, by key: the step table decides, the page shows.
    steps = {s.key: True for s in allowed(request.user, notice)}
    routing_steps = notice_routing(notice)
    context = {
        "notice": notice,
        "c": notice_content(notice),
        "steps": steps,
        "edit_form": forms.OpeningForm(initial={"title": notice.title, "opening": notice.opening})
        if "edit" in steps
        else None,
        # 拟稿 → 送签 → 退回修改 … → 签发 → 印发, and the return the drafter has to act on.
        "routing": routing_steps,
        "returned": last_return(routing_steps, notice),
        "directors": list(directors_to_send_to(notice)) if "send" in steps else [],
    }
    return render(request, "cycles/notice.html", context)


def _call(request: HttpRequest, do: Callable[[], Any], done: str) -> Any:
    try:
        result = do()
    except DomainError as exc:
        messages.error(request, str(exc))
        return None
    messages.success(request, done)
    return result


def _form_errors(request: HttpRequest, form: Any) -> None:
    messages.error(request, " ".join(f"{form.fields[k].label}: {e}" for k, errs in form.errors.items() for e in errs))


@login_required
@require_POST
def notice_draft(request: HttpRequest) -> HttpResponse:
    user = request.user
    back = reverse("cycles:ranking")
    form = forms.DraftForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return HttpResponseRedirect(back)
    by = form.cleaned_data.get("by")
    offices = drafting_offices(user)
    office = next((o for o in offices if o.pk == by), None) if by else (offices[0] if offices else None)
    if office is None:
        messages.error(
            request, _("Only a clerk of the office, or the liaison of a unit ranking its sub-units, drafts notices.")
        )
        return HttpResponseRedirect(back)
    cycle = drafting_cycle(office, form.cleaned_data["cycle"], form.cleaned_data.get("cycle_id"))
    if cycle is None:
        messages.error(request, _("Unknown cycle."))
        return HttpResponseRedirect(back)
    back = f"{back}?by={office.pk}&cycle={cycle.number}"
    notice = _call(
        request,
        lambda: services.notice_draft(actor=user, office=office, cycle=cycle),
        _("Notice drafted. Check the opening text, then ask a director to sign it.")
        if office.is_office
        else _("Notice drafted. Check the opening text, then ask a leader of the unit to sign it."),
    )
    if notice is None:
        return HttpResponseRedirect(back)
    return HttpResponseRedirect(reverse("cycles:notice", args=[notice.pk]))


@login_required
@require_POST
def notice_edit(request: HttpRequest, pk: int) -> HttpResponse:
    notice = _notice(request, pk)
    detail = reverse("cycles:notice", args=[notice.pk])
    form = forms.OpeningForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return HttpResponseRedirect(detail)
    data = form.cleaned_data
    _call(
        request,
        lambda: services.notice_update_draft(
            actor=request.user, notice=notice.pk, title=data["title"], opening=data["opening"]
        ),
        _("Notice saved."),
    )
    return HttpResponseRedirect(detail)


@login_required
@require_POST
def notice_sign(request: HttpRequest, pk: int) -> HttpResponse:
    notice = _notice(request, pk)
    form = forms.SignForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    _call(
        request,
        lambda: services.notice_sign(actor=request.user, notice=notice.pk, comment=comment),
        _("Notice signed. It can be published now."),
    )
    return HttpResponseRedirect(reverse("cycles:notice", args=[notice.pk]))


@login_required
@require_POST
def notice_send(request: HttpRequest, pk: int) -> HttpResponse:
    """送签: to the director chosen; anyone else is refused by the service, with its reason."""
    notice = _notice(request, pk)
    _call(
        request,
        lambda: document_routing.notice_send(
            actor=request.user, notice=notice.pk, director=parse_id(request.POST.get("director"))
        ),
        _("Sent for signature. The director has been told."),
    )
    return HttpResponseRedirect(reverse("cycles:notice", args=[notice.pk]))


@login_required
@require_POST
def notice_return(request: HttpRequest, pk: int) -> HttpResponse:
    """退回修改: back to the drafter, with the reason the director gives."""
    notice = _notice(request, pk)
    _call(
        request,
        lambda: document_routing.notice_return(
            actor=request.user, notice=notice.pk, reason=request.POST.get("reason", "")
        ),
        _("Returned to the drafter for revision."),
    )
    return HttpResponseRedirect(reverse("cycles:notice", args=[notice.pk]))


@login_required
@require_POST
def notice_publish(request: HttpRequest, pk: int) -> HttpResponse:
    notice = _notice(request, pk)
    _call(
        request,
        lambda: services.notice_publish(actor=request.user, notice=notice.pk),
        _("Notice published: the units have been told."),
    )
    return HttpResponseRedirect(reverse("cycles:notice", args=[notice.pk]))
