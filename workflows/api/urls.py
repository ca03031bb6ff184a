"""/api/: the OpenAPI schema, its documentation page (vendored Swagger UI), and the endpoints.

Reads are GETs of lists (cursor pages) and objects; every step a person takes on a task, an
extension request or a letter is a POST of its own, generated from the step table (actions.py).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import actions, assignments, events, letters, reads

app_name = "api"


def api(view: Any) -> Any:
    # DRF authenticates by itself (session or token) and answers 401/403 as JSON: the site-wide
    # login redirect must not turn an API call into an HTML sign-in page.
    return login_not_required(view)


urlpatterns = [
    path("schema/", api(SpectacularAPIView.as_view()), name="schema"),
    # The split view serves the page's script as a file: no inline script (CSP).
    path("docs/", api(SpectacularSwaggerSplitView.as_view(url_name="api:schema")), name="docs"),
    path("me/", api(reads.MeView.as_view()), name="me"),
    path("units/", api(reads.UnitList.as_view()), name="units"),
    path("units/<int:pk>/", api(reads.UnitDetail.as_view()), name="unit"),
    path("letters/", api(letters.LetterList.as_view()), name="letters"),
    path("letters/<int:pk>/", api(letters.LetterDetail.as_view()), name="letter"),
    path("letters/<int:pk>/items/", api(letters.LetterItems.as_view()), name="letter-items"),
    path("items/", api(reads.ItemList.as_view()), name="items"),
    path("items/<int:pk>/", api(reads.ItemDetail.as_view()), name="item"),
    path("assignments/", api(assignments.AssignmentList.as_view()), name="assignments"),
    path("assignments/<int:pk>/", api(assignments.AssignmentDetail.as_view()), name="assignment"),
    path("assignments/<int:pk>/reports/", api(assignments.AssignmentReports.as_view()), name="assignment-reports"),
    path(
        "assignments/<int:pk>/extensions/",
        api(assignments.AssignmentExtensions.as_view()),
        name="assignment-extensions",
    ),
    path("assignments/<int:pk>/timeline/", api(assignments.AssignmentTimeline.as_view()), name="assignment-timeline"),
    path("evidence/<int:pk>/file/", api(assignments.EvidenceFile.as_view()), name="evidence-file"),
    path("cycles/", api(reads.CycleList.as_view()), name="cycles"),
    path("cycles/<int:pk>/ranking/", api(reads.CycleRanking.as_view()), name="cycle-ranking"),
    path("notices/", api(reads.NoticeList.as_view()), name="notices"),
    path("notices/<int:pk>/", api(reads.NoticeDetail.as_view()), name="notice"),
    path("events/", api(events.EventFeed.as_view()), name="events"),
    *actions.step_urls(api),
]
