"""URL routes: the office and unit pages, sign-in, the language switch; the admin keeps master data."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from workflows.site import site

admin.site.site_header = admin.site.site_title = "督查督办系统"
admin.site.index_title = "基础数据管理"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", site.urls),
]
