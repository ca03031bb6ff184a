"""/api/: the OpenAPI schema, its documentation page (vendored Swagger UI), and the endpoints."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

app_name = "api"

# DRF authenticates by itself (session or token) and answers 401/403 as JSON: the site-wide
# login redirect must not turn an API call into an HTML sign-in page.
urlpatterns = [
    path("schema/", login_not_required(SpectacularAPIView.as_view()), name="schema"),
    # The split view serves the page's script as a file: no inline script (CSP).
    path("docs/", login_not_required(SpectacularSwaggerSplitView.as_view(url_name="api:schema")), name="docs"),
]
