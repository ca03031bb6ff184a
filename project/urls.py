"""URL routes. The app pages arrive with the web application; the admin manages master data."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

admin.site.site_header = admin.site.site_title = "督查督办系统"
admin.site.index_title = "基础数据管理"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("tasks/", include("workflows.tasks.urls")),
    path("letters/", include("workflows.letters.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", RedirectView.as_view(pattern_name="tasks:list", permanent=False)),
]
