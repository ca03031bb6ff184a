from __future__ import annotations

from django.urls import path

from . import views

app_name = "letters"

urlpatterns = [
    path("", views.letter_list, name="list"),
    path("new/", views.letter_new, name="new"),
    path("<int:pk>/", views.letter_detail, name="detail"),
    path("<int:pk>/do/<slug:action>/", views.letter_act, name="act"),
    path("<int:pk>/items/<int:item>/", views.item_edit, name="item_edit"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
]
