from __future__ import annotations

from django.urls import path

from . import batch, hand_down, reminders, views

app_name = "tasks"

urlpatterns = [
    path("", views.task_list, name="list"),
    path("<int:pk>/", views.task_detail, name="detail"),
    # 催办: the button the step table offers posts to "act" like every step; this view serves it.
    path("<int:pk>/do/remind/", reminders.task_remind, name="remind"),
    # 分解, 转办 and the roll-up post to "act" like every step, with forms of their own.
    path("<int:pk>/do/break_down/", hand_down.break_down, name="break_down"),
    path("<int:pk>/do/forward/", hand_down.forward, name="forward"),
    path("<int:pk>/do/roll_up/", hand_down.roll_up, name="roll_up"),
    path("<int:pk>/do/<slug:action>/", views.task_act, name="act"),
    path("remind-unit/<int:unit_id>/", reminders.unit_remind, name="remind_unit"),
    # 批量办理: the preview (GET) and the confirmation (POST) of a batch action, then its result.
    path("batch/", batch.batch, name="batch"),
    path("batch/<slug:token>/", batch.batch_done, name="batch_done"),
    path("extensions/", views.extension_list, name="extensions"),
    path("extensions/<int:pk>/do/<slug:action>/", views.extension_act, name="extension_act"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/read/", views.inbox_read, name="inbox_read"),
    path("inbox/read-all/", views.inbox_read_all, name="inbox_read_all"),
]
