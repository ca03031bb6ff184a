"""The office's dashboard page (挂图作战): the figures of ``supervision.selectors.dashboard`` as SVG charts
and a table of lights per unit, each row opening the assignment list it counts."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from notices.charts import Series, bar_chart, line_chart
from supervision.models import AssignmentState
from supervision.parsing import parse_id
from supervision.selectors.dashboard import CHART_STATES, Breakdown, office_dashboard

from .views import CHART_FONT, CHART_WIDTH, cycle_label

# One colour per state, from "not started" (greys, ambers) to "done" (greens).
STATE_COLORS = {
    AssignmentState.ISSUED: "#9e9e9e",
    AssignmentState.RETURN_REQUESTED: "#ffb74d",
    AssignmentState.RETURNED: "#e65100",
    AssignmentState.ACCEPTED: "#64b5f6",
    AssignmentState.IN_PROGRESS: "#1976d2",
    AssignmentState.COMPLETION_REQUESTED: "#7e57c2",
    AssignmentState.AWAITING_VERIFICATION: "#ab47bc",
    AssignmentState.VERIFIED: "#81c784",
    AssignmentState.CLOSED: "#2e7d32",
}
LINE_COLORS = ("#b71c1c", "#1565c0", "#ef6c00", "#6a1b9a", "#00838f", "#558b2f")


def _state_bars(b: Breakdown, title: str) -> SafeString:
    labels = dict(AssignmentState.choices)
    series = [
        Series(str(labels[state]), b.series(state), STATE_COLORS[state])
        for state in CHART_STATES
        if any(b.series(state))
    ]
    return bar_chart(
        categories=[label for _key, label in b.rows],
        series=series,
        stacked=True,
        width=CHART_WIDTH,
        height=300,
        font_family=CHART_FONT,
        title=title,
    )


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    # One office's dashboard: ``?by=`` for a person in several, their first office otherwise.
    d = office_dashboard(request.user, office=parse_id(request.GET.get("by", "")))
    if d is None:
        raise PermissionDenied
    burndown = line_chart(
        x_labels=[cycle_label(p.number) for p in d.burndown],
        series=[
            Series(gettext("Open at the cut-off"), [p.open_at_cutoff for p in d.burndown], "#1565c0"),
            Series(gettext("Overdue at the cut-off"), [p.overdue_at_cutoff for p in d.burndown], "#c62828"),
        ],
        width=CHART_WIDTH,
        y_min=0,
        y_max=max([p.open_at_cutoff for p in d.burndown] + [p.overdue_at_cutoff for p in d.burndown] + [1]),
        font_family=CHART_FONT,
        title=gettext("Burndown: open assignments at each cycle's cut-off"),
    )
    bottom = line_chart(
        x_labels=[cycle_label(n) for n in d.rank_cycles],
        series=[Series(line.name, line.ranks, LINE_COLORS[i % len(LINE_COLORS)]) for i, line in enumerate(d.bottom)],
        invert=True,
        width=CHART_WIDTH,
        y_min=1,
        y_max=max([line.last_group_size for line in d.bottom] + [2]),
        font_family=CHART_FONT,
        title=gettext("Rank history of the bottom units (1 is best)"),
    )
    tasks = reverse("tasks:list")
    lights = [
        (
            row,
            {
                light: f"{tasks}?filtered=1&open=on&unit={row.unit_id}&light={light}"
                for light in ("red", "yellow", "green")
            },
        )
        for row in d.lights
    ]
    return render(
        request,
        "cycles/dashboard.html",
        {
            "d": d,
            "by_group": _state_bars(d.by_group, gettext("Assignments by state, per peer group")),
            "by_category": _state_bars(d.by_category, gettext("Assignments by state, per problem category")),
            "burndown": burndown,
            "bottom_chart": bottom,
            "lights": lights,
            "tasks_url": tasks,
            "offices": d.offices if len(d.offices) > 1 else [],
        },
    )
