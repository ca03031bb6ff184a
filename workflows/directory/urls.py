"""The unit directory pages; the project includes these under /directory/."""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "directory"

urlpatterns = [
    path("", views.upload, name="import"),
    path("confirm/", views.confirm, name="confirm"),
    path("accounts.pdf", views.accounts_sheet, name="accounts_sheet"),
    path("template.xlsx", views.template, name="template"),
    path("export.xlsx", views.export, name="export"),
    path("one-time-password/", views.reset_password, name="reset_password"),
]
