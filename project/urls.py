"""URL routes: the app shell (office and unit pages, see workflows/site.py), sign-in, the language
switch; the admin keeps master data.

Every view needs a login (LoginRequiredMiddleware); the few that must work signed out are
marked ``login_not_required`` (Django's own sign-in views already are).
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from workflows.directory.password import first_password
from workflows.site import site

admin.site.site_header = admin.site.site_title = "督查督办系统"
admin.site.index_title = "基础数据管理"

urlpatterns = [
    path("admin/", admin.site.urls),
    # The sign-in page offers the language switch too.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    # The first sign-in's own password (project/first_login.py leads every page there until it is chosen).
    path("accounts/first-password/", first_password, name="first_password"),
    path("accounts/", include("django.contrib.auth.urls")),
    # Document downloads and the problem-list import (workflows/documents/urls.py); ahead of the site's catch-alls.
    path("documents/", include("workflows.documents.urls")),
    # Moving in: the unit directory import, its template and export (workflows/directory/).
    path("directory/", include("workflows.directory.urls")),
    # The REST API (workflows/api/): authenticates by itself, answers in JSON.
    path("api/", include("workflows.api.urls")),
    path("", site.urls),
]
