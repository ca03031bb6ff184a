from __future__ import annotations

from django.urls import path

from . import views

app_name = "cycles"

urlpatterns = [
    path("ranking/", views.ranking, name="ranking"),
    path("ranking/sheet.pdf", views.ranking_sheet, name="ranking_sheet"),
    path("units/mine/", views.unit_mine, name="unit_mine"),
    path("units/<int:unit_id>/", views.unit_page, name="unit"),
    path("notices/", views.notice_list, name="notices"),
    path("notices/draft/", views.notice_draft, name="notice_draft"),
    path("notices/<int:pk>/", views.notice_detail, name="notice"),
    path("notices/<int:pk>/edit/", views.notice_edit, name="notice_edit"),
    path("notices/<int:pk>/send/", views.notice_send, name="notice_send"),
    path("notices/<int:pk>/return/", views.notice_return, name="notice_return"),
    path("notices/<int:pk>/sign/", views.notice_sign, name="notice_sign"),
    path("notices/<int:pk>/publish/", views.notice_publish, name="notice_publish"),
]
