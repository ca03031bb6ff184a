from __future__ import annotations

app_name = "messages"

urlpatterns: list = []
