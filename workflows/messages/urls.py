"""Message channels (unit group robots, webhooks), personal message preferences, and the
office's view of deliveries and background jobs."""

from __future__ import annotations

from django.urls import path

from . import channels, monitor, preferences

app_name = "messages"

urlpatterns = [
    path("channels/", channels.index, name="channels"),
    path("channels/unit/<int:unit_id>/", channels.unit_channels, name="unit_channels"),
    path("channels/<int:pk>/", channels.channel_edit, name="channel_edit"),
    path("channels/<int:pk>/test/", monitor.channel_test, name="channel_test"),
    path("channels/<int:pk>/<slug:action>/", channels.channel_act, name="channel_act"),
    path("integrations/", channels.integrations, name="integrations"),
    path("preferences/", preferences.preferences, name="preferences"),
    path("monitor/", monitor.monitor, name="monitor"),
    path("monitor/retry/", monitor.retry_selected, name="retry_selected"),
    path("deliveries/<int:pk>/retry/", monitor.delivery_retry_view, name="delivery_retry"),
    path("jobs/<uuid:job_id>/retry/", monitor.job_retry_view, name="job_retry"),
]
