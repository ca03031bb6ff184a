"""Background jobs (后台任务) and "My downloads"; the shell mounts these under /jobs/."""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "jobs"

urlpatterns = [
    path("", views.job_list, name="list"),
    path("<uuid:job_id>/", views.job_detail, name="detail"),
    path("<uuid:job_id>/status.json", views.job_status_json, name="status"),
    path("<uuid:job_id>/file", views.job_file, name="file"),
    path("<uuid:job_id>/retry/", views.job_retry_view, name="retry"),
]
