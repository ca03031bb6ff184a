"""The personal API token page, in the user menu (mounted by workflows/site.py)."""

from __future__ import annotations

from django.urls import path

from . import tokens

app_name = "api_tokens"

urlpatterns = [
    path("", tokens.token_list, name="list"),
    path("<int:pk>/revoke/", tokens.token_revoke_view, name="revoke"),
]
