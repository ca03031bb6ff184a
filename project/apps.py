"""The project package as an app: only to connect its session bookkeeping at start-up."""

from __future__ import annotations

from django.apps import AppConfig


class ProjectConfig(AppConfig):
    name = "project"
    label = "project"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from project.sessions import stamp_activity_at_login

        user_logged_in.connect(stamp_activity_at_login, dispatch_uid="project.sessions.stamp_activity_at_login")
