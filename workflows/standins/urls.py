from __future__ import annotations

from django.urls import path

from . import views

app_name = "standins"

urlpatterns = [
    path("", views.stand_in_list, name="list"),
    path("<int:pk>/end/", views.stand_in_end, name="end"),
]
